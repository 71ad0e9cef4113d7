import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  DatasetNotFoundError,
  DatasetRowError,
  balancingKeepRates,
  isValidationRow,
  keepForBalance,
  lineHash,
  readYelpCsv,
  scanYelpCsv,
  yelpFiles,
  type BadRow,
  type YelpRow,
} from '../src/index.js';
import { caught, expectOneLineError, makeTmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The shared real sample (5000 train / 4000 test real reviews); never copied into the repo. */
const SAMPLE = resolve(repoRoot, '..', 'shared', 'data', 'yelp-reviews-sample');
const haveSample = existsSync(join(SAMPLE, 'train.csv')) && existsSync(join(SAMPLE, 'test.csv'));

async function readAll(file: string, options: Parameters<typeof readYelpCsv>[1] = {}): Promise<YelpRow[]> {
  const rows: YelpRow[] = [];
  for await (const r of readYelpCsv(file, options)) rows.push(r);
  return rows;
}
const histogram = (rows: YelpRow[]) => [1, 2, 3, 4, 5].map((s) => rows.filter((r) => r.label === s).length);

function csvFile(content: string | Buffer, name = 'train.csv'): string {
  const file = join(makeTmpDir(), name);
  writeFileSync(file, content);
  return file;
}

describe('the shared real Yelp sample', () => {
  it.runIf(!haveSample && process.env['CI'])('is present in CI', () => {
    throw new Error(`the real Yelp sample is missing at ${SAMPLE}; CI must provide ../shared/data/yelp-reviews-sample`);
  });

  describe.skipIf(!haveSample)(`read from ${haveSample ? '../shared/data/yelp-reviews-sample' : '(skipped: ../shared/data/yelp-reviews-sample not found)'}`, () => {
    it('train.csv: 5000 rows with the documented star counts; the first review is 5 stars', async () => {
      const rows = await readAll(join(SAMPLE, 'train.csv'));
      expect(rows).toHaveLength(5000);
      // Counts from the sample's README: 1:750 2:435 3:516 4:1111 5:2188.
      expect(histogram(rows)).toEqual([750, 435, 516, 1111, 2188]);
      expect(rows[0]!.label).toBe(5);
      expect(rows[0]!.line).toBe(1);
      expect(rows[0]!.text.startsWith('I am very bias when it comes to this Iron Hill location.')).toBe(true);
      expect(rows[3]!.label).toBe(4);
      expect(rows[4999]!.line).toBe(5000);
    });

    it('test.csv: 4000 rows, majority class 5 stars = 44.5%', async () => {
      const rows = await readAll(join(SAMPLE, 'test.csv'));
      expect(histogram(rows)).toEqual([588, 342, 440, 850, 1780]);
      expect(1780 / rows.length).toBe(0.445);
    });

    it('yelpFiles finds both files; scanYelpCsv splits 10% for validation', async () => {
      const files = await yelpFiles(SAMPLE);
      expect(files.train).toBe(join(SAMPLE, 'train.csv'));
      const scan = await scanYelpCsv(files.train, { split: { fraction: 0.1 } });
      expect(scan.rows).toBe(5000);
      expect(scan.badRows).toBe(0);
      const v = scan.validationCounts.reduce((a, b) => a + b, 0);
      // Binomial(5000, 0.1): mean 500, sd 21.2; 4 sd either side.
      expect(v).toBeGreaterThan(415);
      expect(v).toBeLessThan(585);
      expect(scan.trainCounts.map((n, i) => n + scan.validationCounts[i]!)).toEqual([750, 435, 516, 1111, 2188]);
    });
  });
});

describe('readYelpCsv: the format', () => {
  it('decodes doubled quotes and \\n escapes, and keeps commas inside the text', async () => {
    const file = csvFile('"1","He said ""never again"", twice.\\nSecond paragraph."\n"2","ok"\n');
    const rows = await readAll(file);
    expect(rows).toEqual([
      { label: 1, text: 'He said "never again", twice.\nSecond paragraph.', line: 1 },
      { label: 2, text: 'ok', line: 2 },
    ]);
  });

  it('accepts CRLF line ends, a UTF-8 BOM, empty text and a last line without a newline', async () => {
    const file = csvFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"3",""\r\n"5","fine"\r\n"4","end"')]));
    expect(await readAll(file)).toEqual([
      { label: 3, text: '', line: 1 },
      { label: 5, text: 'fine', line: 2 },
      { label: 4, text: 'end', line: 3 },
    ]);
  });

  it('reads a 2 MB review whole', async () => {
    const long = 'word '.repeat(400_000);
    const file = csvFile(`"2","${long}"\n"1","short"\n`);
    const rows = await readAll(file);
    expect(rows[0]!.text.length).toBe(2_000_000);
    expect(rows[1]).toEqual({ label: 1, text: 'short', line: 2 });
  });

  it('limit stops after n good rows', async () => {
    const file = csvFile('"1","a"\n"2","b"\n"3","c"\n');
    expect((await readAll(file, { limit: 2 })).map((r) => r.label)).toEqual([1, 2]);
    expect(await readAll(file, { limit: 0 })).toEqual([]);
  });
});

describe('readYelpCsv: malformed rows', () => {
  const cases: [string, string, number, RegExp][] = [
    ['three fields', '"5","a"\n"3","b","extra"\n"1","c"\n', 2, /line 2: expected 2 fields "label","text", found 3/],
    ['one field', '"5","a"\n"3"\n', 2, /line 2: expected 2 fields "label","text", found 1/],
    ['label 6', '"5","a"\n"2","b"\n"6","c"\n', 3, /line 3: label "6" is not one of 1, 2, 3, 4, 5/],
    ['label 0', '"0","a"\n', 1, /line 1: label "0" is not one of/],
    ['a word as label', '"five","a"\n', 1, /line 1: label "five" is not one of/],
    ['an empty line', '"5","a"\n\n"1","c"\n', 2, /line 2: empty line/],
    ['an undoubled quote', '"5","a"\n"3","he said "hi" ok"\n"2","b"\n', 2, /line 2: broken quoting: a double quote inside a quoted field must be written as two/],
    ['a quote never closed', '"5","a"\n"4","oops\n', 2, /line 2: broken quoting: a quoted field is never closed/],
  ];

  it.each(cases)('%s -> DatasetRowError naming the file and line, with the fix', async (_name, content, line, pattern) => {
    const file = csvFile(content);
    const err = await caught(() => readAll(file));
    expectOneLineError(err, DatasetFormatError, file, '--skip-bad-rows');
    expect(err).toBeInstanceOf(DatasetRowError);
    expect((err as DatasetRowError).line).toBe(line);
    expect((err as DatasetRowError).file).toBe(file);
    expect(err.message).toMatch(pattern);
    expect(err.message.startsWith(`${file}: line ${line}: `)).toBe(true);
  });

  it('skipBadRows skips exactly the bad lines, reports each, and keeps every good row', async () => {
    const file = csvFile(
      [
        '"5","good one"', // 1
        '"7","bad label"', // 2
        '"4","a","b"', // 3
        '"3","broken "quote" here"', // 4
        '"2","good two"', // 5
        '"1","unclosed', // 6: swallows line 7 up to the next quote
        '"2","lost"', // 7
        '"1","good three"', // 8
      ].join('\n') + '\n',
    );
    const bad: BadRow[] = [];
    const rows = await readAll(file, { skipBadRows: true, onBadRow: (b) => bad.push(b) });
    expect(rows.map((r) => [r.label, r.text, r.line])).toEqual([
      [5, 'good one', 1],
      [2, 'good two', 5],
      [1, 'good three', 8],
    ]);
    expect(bad.map((b) => b.line)).toEqual([2, 3, 4, 6, 7]);
    expect(bad.every((b) => b.file === file)).toBe(true);
    expect(bad[0]!.reason).toMatch(/label "7"/);
    expect(bad[2]!.reason).toMatch(/broken quoting/);
    // 8 lines = 3 read + 5 reported: nothing vanished.
    expect(rows.length + bad.length).toBe(8);
  });

  it('skipBadRows also reports broken rows at the end of the file', async () => {
    const bad: BadRow[] = [];
    const rows = await readAll(csvFile('"5","a"\n"3","x"y"\n'), { skipBadRows: true, onBadRow: (b) => bad.push(b) });
    expect(rows.map((r) => r.line)).toEqual([1]);
    expect(bad.map((b) => b.line)).toEqual([2]);
  });

  it('scanYelpCsv counts skipped rows and keeps the first ones', async () => {
    const file = csvFile('"5","a"\n"9","b"\n"4","c"\n"x","d"\n"4","e"\n');
    const scan = await scanYelpCsv(file, { skipBadRows: true });
    expect(scan.rows).toBe(3);
    expect(scan.trainCounts).toEqual([0, 0, 0, 2, 1]);
    expect(scan.badRows).toBe(2);
    expect(scan.firstBadRows.map((b) => b.line)).toEqual([2, 4]);
  });

  it('a missing file or directory -> DatasetNotFoundError', async () => {
    const dir = makeTmpDir();
    expectOneLineError(await caught(() => readAll(join(dir, 'nope.csv'))), DatasetNotFoundError, 'nope.csv', 'no such file');
    expectOneLineError(await caught(() => readAll(dir)), DatasetNotFoundError, dir, 'is a directory');
    expectOneLineError(await caught(() => yelpFiles(join(dir, 'missing'))), DatasetNotFoundError, 'missing', 'no such directory', 'train.csv and test.csv');
    writeFileSync(join(dir, 'train.csv'), '"1","a"\n');
    expectOneLineError(await caught(() => yelpFiles(dir)), DatasetNotFoundError, join(dir, 'test.csv'), 'no such file');
  });
});

describe('validation split and class balancing', () => {
  it('lineHash is deterministic, in [0, 1), and depends on the seed', () => {
    expect(lineHash(17, 0)).toBe(lineHash(17, 0));
    expect(lineHash(17, 0)).not.toBe(lineHash(17, 1));
    for (let i = 1; i < 1000; i++) {
      const h = lineHash(i, 3);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
    }
  });

  it('isValidationRow holds out about the fraction asked, the same rows every time', () => {
    const split = { fraction: 0.1, seed: 0 };
    const held = Array.from({ length: 20000 }, (_, i) => isValidationRow(i + 1, split));
    const n = held.filter(Boolean).length;
    // Binomial(20000, 0.1): mean 2000, sd 42.4; 4 sd either side.
    expect(n).toBeGreaterThan(1830);
    expect(n).toBeLessThan(2170);
    expect(Array.from({ length: 20000 }, (_, i) => isValidationRow(i + 1, split))).toEqual(held);
    expect(held.some((h, i) => h !== isValidationRow(i + 1, { fraction: 0.1, seed: 1 }))).toBe(true);
    expect(isValidationRow(5, { fraction: 0 })).toBe(false);
  });

  it('balancingKeepRates: p_c = min / n_c (the sample counts, by hand)', () => {
    // min = 435: 435/750 = 0.58, 435/435 = 1, 435/516, 435/1111, 435/2188
    expect(balancingKeepRates([750, 435, 516, 1111, 2188])).toEqual([0.58, 1, 435 / 516, 435 / 1111, 435 / 2188]);
    expect(balancingKeepRates([0, 10, 20])).toEqual([0, 1, 0.5]);
  });

  it('keepForBalance equalises the classes (up to sampling noise)', () => {
    const counts = [1000, 4000, 8000];
    const rates = balancingKeepRates(counts);
    const kept = [0, 0, 0];
    let line = 1;
    counts.forEach((n, c) => {
      for (let i = 0; i < n; i++, line++) if (keepForBalance(line, c, rates)) kept[c]!++;
    });
    expect(kept[0]).toBe(1000); // rate 1 keeps every row
    // Binomial(4000, 1/4) and Binomial(8000, 1/8): mean 1000, sd 27.4 and 29.6; 4 sd.
    for (const k of kept.slice(1)) expect(Math.abs(k - 1000)).toBeLessThan(120);
  });
});
