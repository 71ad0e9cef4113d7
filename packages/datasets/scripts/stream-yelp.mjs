#!/usr/bin/env node
// Streams a Yelp Full CSV file through the loader and the featuriser (hashed unigrams + bigrams)
// and prints rows/s; run it under `/usr/bin/time -v` to see the peak RSS stay flat:
//   node packages/datasets/scripts/stream-yelp.mjs FILE [--skip-bad-rows]
// Build first (pnpm build).
import { hashedNgramIds, readYelpCsv } from '../dist/index.js';

const [file, ...flags] = process.argv.slice(2);
if (!file || flags.some((f) => f !== '--skip-bad-rows')) {
  process.stderr.write('usage: stream-yelp.mjs FILE [--skip-bad-rows]\n');
  process.exit(1);
}
const started = performance.now();
const counts = [0, 0, 0, 0, 0];
let ids = 0;
let bad = 0;
try {
  for await (const row of readYelpCsv(file, { skipBadRows: flags.length > 0, onBadRow: () => bad++ })) {
    counts[row.label - 1]++;
    ids += hashedNgramIds(row.text).length;
  }
} catch (e) {
  process.stderr.write(`stream-yelp: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;
const rows = counts.reduce((a, b) => a + b, 0);
process.stdout.write(
  `${rows} rows (stars 1-5: ${counts.join(' ')}), ${bad} skipped, ${ids} ids in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds)} rows/s, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB\n`,
);
