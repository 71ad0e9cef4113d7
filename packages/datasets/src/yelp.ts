/*
 * Streaming reader for the Yelp Full review CSV format (`yelp_review_full_csv`,
 * Zhang, Zhao & LeCun 2015): no header, two quoted columns `"label","text"`,
 * label 1-5 (stars), internal double quotes doubled, newlines inside a review
 * written as a backslash followed by `n`.
 *
 * The file is parsed by csv-parse's stream API, so memory stays flat whatever
 * the file size (the full benchmark's train.csv is about 500 MB). Nothing is
 * dropped silently: a malformed row stops the read with a DatasetFormatError
 * naming the file and line, or, with `skipBadRows`, is skipped and reported
 * through `onBadRow`.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';
import { DatasetFormatError, DatasetNotFoundError } from './errors.js';

/** Number of classes (stars 1..5). */
export const YELP_NUM_CLASSES = 5;

/** One review. */
export interface YelpRow {
  /** Stars, 1..5. */
  label: number;
  /** The review, with the format's `\n` escapes turned back into newlines. */
  text: string;
  /** 1-based line of the file where the row starts. */
  line: number;
}

/** A row that was skipped (with `skipBadRows`). */
export interface BadRow {
  file: string;
  /** 1-based line. */
  line: number;
  /** What is wrong with it. */
  reason: string;
}

/** A malformed row: a {@link DatasetFormatError} that also carries the line. */
export class DatasetRowError extends DatasetFormatError {
  /** 1-based line of the row in `file`. */
  readonly line: number;
  constructor(file: string, line: number, problem: string, options?: ErrorOptions) {
    super(file, `line ${line}: ${problem}`, options);
    this.line = line;
  }
}

export interface YelpReadOptions {
  /** Skip malformed rows instead of stopping; each is passed to `onBadRow`. */
  skipBadRows?: boolean;
  /** Called for every skipped row (only with `skipBadRows`). */
  onBadRow?: (row: BadRow) => void;
  /** Stop after this many good rows. */
  limit?: number;
}

const FIX = 'fix or remove the row, or pass --skip-bad-rows to skip malformed rows';

/** What a csv-parse error code means for a Yelp file, in words a user can act on. */
function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'broken quoting: a double quote inside a quoted field must be written as two ("")';
    case 'INVALID_OPENING_QUOTE':
      return 'broken quoting: a double quote in the middle of an unquoted field';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'broken quoting: a quoted field is never closed before the end of the file';
    default:
      return `${err.code}: ${err.message}`;
  }
}

// Number of line breaks inside a record's fields (a record may span lines in general CSV).
function lineBreaks(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) n++;
  return n;
}

/** Fails fast and clearly when `file` is missing or not a regular file. */
async function checkFile(file: string): Promise<void> {
  let s;
  try {
    s = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DatasetNotFoundError(file, `${file}: no such file; check the path (a Yelp Full directory holds train.csv and test.csv)`);
    throw err;
  }
  if (s.isDirectory()) throw new DatasetNotFoundError(file, `${file}: is a directory, but a Yelp CSV file is expected; pass the directory with --data, or a file inside it`);
}

/**
 * Streams the rows of a Yelp Full CSV file in file order.
 *
 * Accepts LF and CRLF line ends and a UTF-8 byte-order mark; an empty review
 * (`"3",""`) is a valid row with empty text. A row is malformed when it does
 * not have exactly two fields, its label is not one of 1..5, or its quoting is
 * broken. A malformed row throws {@link DatasetRowError} (file and line in the
 * message), unless `skipBadRows` is set: then it is skipped and reported to
 * `onBadRow`, line by line, so the count of skipped lines is exact even when
 * broken quoting swallows the next line.
 *
 * @throws {@link DatasetNotFoundError} when `file` is missing or a directory.
 */
export async function* readYelpCsv(file: string, options: YelpReadOptions = {}): AsyncGenerator<YelpRow, void, undefined> {
  const skip = options.skipBadRows === true;
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0)) throw new RangeError(`limit must be >= 0, got ${limit}`);
  await checkFile(file);
  if (limit === 0) return;

  // Line bookkeeping, updated synchronously by the parser callbacks (which run in file order,
  // unlike the records and 'skip' events that reach the consumer later).
  let nextLine = 1; // first line not yet covered by a record
  let lastSkip: CsvError | null = null;
  const bad = (line: number, reason: string) => options.onBadRow?.({ file, line, reason });
  // Reports lines nextLine..upTo as skipped: the parser dropped them with a broken record.
  const reportGap = (upTo: number) => {
    const reason = lastSkip ? describeCsvError(lastSkip) : 'unparseable row';
    for (let l = nextLine; l <= upTo; l++) bad(l, reason);
  };

  const parserOptions: Options<YelpRow, string[]> = {
    bom: true,
    // The column count is checked below for every row (exactly 2), with a precise message;
    // csv-parse's own check would compare against the first row, which may itself be the bad one.
    relax_column_count: true,
    skip_records_with_error: skip,
    on_skip: (err: CsvError | undefined) => {
      if (err) lastSkip = err;
      return undefined;
    },
    on_record: (record: string[], info: InfoRecord): YelpRow | null => {
      const line = info.lines - lineBreaks(record);
      if (skip && line > nextLine) reportGap(line - 1);
      nextLine = info.lines + 1;
      lastSkip = null;
      let problem: string | null = null;
      if (record.length !== 2) {
        problem =
          record.length === 1 && record[0] === ''
            ? 'empty line; every line must be a row "label","text"'
            : `expected 2 fields "label","text", found ${record.length}`;
      } else if (!/^[1-5]$/.test(record[0]!)) {
        problem = `label ${JSON.stringify(record[0]!.slice(0, 20))} is not one of 1, 2, 3, 4, 5`;
      }
      if (problem !== null) {
        if (!skip) throw new DatasetRowError(file, line, `${problem}; ${FIX}`);
        bad(line, problem);
        return null;
      }
      return { label: record[0]!.charCodeAt(0) - 48, text: record[1]!.replace(/\\n/g, '\n'), line };
    },
  };
  // csv-parse's typings only allow on_record to return string[] without `columns`.
  const parser = parse(parserOptions as unknown as Options);
  const input = createReadStream(file);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let count = 0;
  try {
    for await (const row of parser as AsyncIterable<YelpRow>) {
      yield row;
      if (++count >= limit) return;
    }
    // Broken records after the last good row.
    if (skip && lastSkip !== null) reportGap(Math.max((lastSkip as CsvError & { lines?: number }).lines ?? nextLine, nextLine));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('CSV_') || code === 'INVALID_OPENING_QUOTE')) {
      const csvErr = err as CsvError & { lines?: number };
      const at = csvErr.lines !== undefined && csvErr.lines !== nextLine ? ` (detected at line ${csvErr.lines})` : '';
      throw new DatasetRowError(file, nextLine, `${describeCsvError(csvErr)}${at}; ${FIX}`, { cause: err });
    }
    throw err;
  } finally {
    input.unpipe(parser);
    input.destroy();
    parser.destroy();
  }
}

/** The two files of a Yelp Full directory. */
export interface YelpFiles {
  train: string;
  test: string;
}

/**
 * `DIR/train.csv` and `DIR/test.csv` (the layout of `yelp_review_full_csv`), checked to exist.
 *
 * @throws {@link DatasetNotFoundError} naming what is missing.
 */
export async function yelpFiles(dir: string): Promise<YelpFiles> {
  const abs = resolve(dir);
  let s;
  try {
    s = await stat(abs);
  } catch {
    throw new DatasetNotFoundError(abs, `${dir}: no such directory; --data must be a directory holding train.csv and test.csv (yelp_review_full_csv)`, ['train.csv', 'test.csv']);
  }
  if (!s.isDirectory()) throw new DatasetNotFoundError(abs, `${dir}: is not a directory; --data must be a directory holding train.csv and test.csv`, ['train.csv', 'test.csv']);
  const files = { train: join(abs, 'train.csv'), test: join(abs, 'test.csv') };
  for (const f of [files.train, files.test]) await checkFile(f);
  return files;
}

/**
 * A uniform number in [0, 1) that depends only on `(line, seed)`: murmur3's 32-bit finaliser of
 * `line XOR (seed * 0x9E3779B9)`. Used to split and subsample rows deterministically without
 * holding them.
 */
export function lineHash(line: number, seed: number): number {
  let h = (line ^ Math.imul(seed + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** How the training file is split into training and validation rows. */
export interface ValidationSplit {
  /** Fraction of the training file held out for validation, in [0, 1). */
  fraction: number;
  /** Seed of the split (independent of the training seed). Default 0. */
  seed?: number;
}

/**
 * Whether the row at `line` belongs to the validation part: `lineHash(line, seed) < fraction`.
 * The same file and split always give the same rows, whatever else changes (limits, epochs, seeds).
 */
export function isValidationRow(line: number, split: ValidationSplit): boolean {
  return split.fraction > 0 && lineHash(line, split.seed ?? 0) < split.fraction;
}

/**
 * Per-class keep probabilities that balance the classes by subsampling: `p_c = min_k n_k / n_c`,
 * so every class keeps about `min_k n_k` rows. Classes with no rows get 0.
 */
export function balancingKeepRates(counts: readonly number[]): number[] {
  const present = counts.filter((n) => n > 0);
  if (present.length === 0) return counts.map(() => 0);
  const min = Math.min(...present);
  return counts.map((n) => (n > 0 ? min / n : 0));
}

/**
 * Deterministic subsampling decision for class balancing: keep the row at `line` with class
 * index `cls` when `lineHash(line, seed + 7919) < rates[cls]` (a hash independent of the split's).
 */
export function keepForBalance(line: number, cls: number, rates: readonly number[], seed = 0): boolean {
  return lineHash(line, seed + 7919) < (rates[cls] ?? 0);
}

/** Counts of one pass over a Yelp file. */
export interface YelpScan {
  file: string;
  /** Good rows read (after `limit`). */
  rows: number;
  /** Stars histogram of the training part, index 0 = 1 star. */
  trainCounts: number[];
  /** Stars histogram of the validation part. */
  validationCounts: number[];
  /** Number of skipped lines (with `skipBadRows`). */
  badRows: number;
  /** The first few skipped rows, for the report. */
  firstBadRows: BadRow[];
}

/**
 * One streaming pass that validates the whole file and counts its classes, split into training
 * and validation parts. Run it before training: a bad file fails in seconds, not after an epoch.
 */
export async function scanYelpCsv(file: string, options: YelpReadOptions & { split?: ValidationSplit } = {}): Promise<YelpScan> {
  const scan: YelpScan = { file, rows: 0, trainCounts: [0, 0, 0, 0, 0], validationCounts: [0, 0, 0, 0, 0], badRows: 0, firstBadRows: [] };
  const onBadRow = (row: BadRow) => {
    scan.badRows++;
    if (scan.firstBadRows.length < 5) scan.firstBadRows.push(row);
    options.onBadRow?.(row);
  };
  const split = options.split ?? { fraction: 0 };
  for await (const row of readYelpCsv(file, { ...options, onBadRow })) {
    scan.rows++;
    (isValidationRow(row.line, split) ? scan.validationCounts : scan.trainCounts)[row.label - 1]!++;
  }
  return scan;
}
