import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readYelpCsv, syntheticYelpRows, writeSyntheticYelpCsv } from '../src/index.js';
import { makeTmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

describe('synthetic Yelp Full file', () => {
  it('is valid Yelp Full CSV that the reader reads back row for row', async () => {
    const file = join(makeTmpDir(), 'train.csv');
    const summary = await writeSyntheticYelpCsv(file, { rows: 3000, seed: 4 });
    expect(summary.rows).toBe(3000);
    expect(summary.bytes).toBe(statSync(file).size);
    const counts = [0, 0, 0, 0, 0];
    let n = 0;
    let quoted = 0;
    let newlines = 0;
    for await (const row of readYelpCsv(file)) {
      n++;
      counts[row.label - 1]!++;
      expect(row.line).toBe(n);
      if (row.text.includes('"Really."')) quoted++;
      if (row.text.includes('\n')) newlines++;
    }
    expect(n).toBe(3000);
    expect(counts).toEqual(summary.counts);
    // The generator exercises doubled quotes and \n escapes.
    expect(quoted).toBeGreaterThan(0);
    expect(newlines).toBeGreaterThan(0);
    // Yelp Full's train.csv is about 770 bytes per row (~500 MB / 650k); stay within 20%.
    expect(summary.bytes / 3000).toBeGreaterThan(616);
    expect(summary.bytes / 3000).toBeLessThan(924);
    // Balanced labels: each about 600 of 3000 (Binomial sd 21.9; 5 sd).
    for (const c of counts) expect(Math.abs(c - 600)).toBeLessThan(110);
  });

  it('is deterministic for a seed', async () => {
    const dir = makeTmpDir();
    await writeSyntheticYelpCsv(join(dir, 'a.csv'), { rows: 200, seed: 1 });
    await writeSyntheticYelpCsv(join(dir, 'b.csv'), { rows: 200, seed: 1 });
    await writeSyntheticYelpCsv(join(dir, 'c.csv'), { rows: 200, seed: 2 });
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read('a.csv')).toBe(read('b.csv'));
    expect(read('a.csv')).not.toBe(read('c.csv'));
    const first = syntheticYelpRows({ rows: 1, seed: 1 }).next().value!;
    expect(read('a.csv').startsWith(first.line)).toBe(true);
  });
});
