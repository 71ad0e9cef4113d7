/*
 * A synthetic Yelp Full file: the same CSV format and about the same size as
 * the real benchmark (650,000 training rows, about 500 MB), to prove that the
 * pipeline streams. The text is made of pseudo-words plus sentiment words whose
 * star level is near the row's label, so a model can learn something from it;
 * it is not meant to measure accuracy.
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** mulberry32: a small, fast, seeded 32-bit generator (uniform in [0, 1)). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNCTION_WORDS = 'the and a i was to it of for is in we my with that but this they on you had were so at our be not have are as there just all very food place service'.split(' ');
// Sentiment words by star level 1..5.
const SENTIMENT: readonly string[][] = [
  'terrible horrible worst disgusting rude awful never inedible refund disappointing'.split(' '),
  'bland slow overpriced mediocre cold meh lukewarm stale forgettable underwhelming'.split(' '),
  'okay average decent fine ok alright acceptable standard reasonable fair'.split(' '),
  'good nice friendly solid tasty pleasant enjoyable fresh recommend cozy'.split(' '),
  'amazing excellent best delicious perfect fantastic outstanding love incredible wonderful'.split(' '),
];
const SYLLABLES = 'ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu'.split(' ');

/** Options of {@link syntheticYelpRows} and {@link writeSyntheticYelpCsv}. */
export interface SyntheticYelpOptions {
  /** Number of rows. */
  rows: number;
  /** Seed of the generator. Default 0. */
  seed?: number;
}

/**
 * The rows of a synthetic Yelp Full file, one CSV line each (with the trailing newline).
 * Labels are uniform on 1..5 (the benchmark is balanced); review length is log-normal with a
 * median of about 125 words (about 770 bytes per row on average, like the real train.csv).
 */
export function* syntheticYelpRows(options: SyntheticYelpOptions): Generator<{ label: number; line: string }> {
  const rng = mulberry32((options.seed ?? 0) * 2654435761 + 12345);
  const vocabulary: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const n = 1 + Math.floor(rng() * 3);
    let w = '';
    for (let k = 0; k < n; k++) w += SYLLABLES[Math.floor(rng() * SYLLABLES.length)];
    vocabulary.push(w);
  }
  // Standard normal by Box-Muller.
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  for (let r = 0; r < options.rows; r++) {
    const label = 1 + Math.floor(rng() * 5);
    const words = Math.max(3, Math.round(Math.exp(4.82 + 0.65 * normal())));
    const parts: string[] = [];
    let sentence = 0;
    for (let i = 0; i < words; i++) {
      const u = rng();
      let w: string;
      if (u < 0.08) {
        // A sentiment word from a level near the label (adjacent levels overlap: ordinal noise).
        const level = Math.min(5, Math.max(1, label + Math.round(normal() * 0.8)));
        const list = SENTIMENT[level - 1]!;
        w = list[Math.floor(rng() * list.length)]!;
      } else if (u < 0.5) w = FUNCTION_WORDS[Math.floor(rng() * FUNCTION_WORDS.length)]!;
      else w = vocabulary[Math.floor(vocabulary.length * rng() ** 2)]!; // Zipf-like: low indices are common
      if (sentence === 0) w = w[0]!.toUpperCase() + w.slice(1);
      parts.push(w);
      sentence++;
      if (sentence > 6 && rng() < 0.12) {
        const end = rng();
        // "!" is commoner at the extremes; a paragraph break is written as backslash-n; a quoted
        // word tests quote doubling.
        parts.push(end < (label === 1 || label === 5 ? 0.3 : 0.08) ? '! ' : end < 0.93 ? '. ' : end < 0.97 ? '.\\n\\n' : '. ""Really."" ');
        sentence = 0;
      } else if (rng() < 0.04) parts.push(', ');
      else parts.push(' ');
    }
    yield { label, line: `"${label}","${parts.join('').trimEnd()}"\n` };
  }
}

/** What {@link writeSyntheticYelpCsv} wrote. */
export interface SyntheticYelpSummary {
  file: string;
  rows: number;
  bytes: number;
  /** Rows per star level, index 0 = 1 star. */
  counts: number[];
}

/** Writes a synthetic Yelp Full CSV file, streaming (constant memory whatever `rows`). */
export async function writeSyntheticYelpCsv(file: string, options: SyntheticYelpOptions): Promise<SyntheticYelpSummary> {
  if (!Number.isSafeInteger(options.rows) || options.rows < 0) throw new RangeError(`rows must be an integer >= 0, got ${options.rows}`);
  const out = createWriteStream(file);
  const counts = [0, 0, 0, 0, 0];
  let bytes = 0;
  let chunk = '';
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  for (const { label, line } of syntheticYelpRows(options)) {
    counts[label - 1]!++;
    chunk += line;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await Promise.race([once(out, 'finish'), failed]);
  return { file, rows: options.rows, bytes, counts };
}
