import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { syntheticYelpRows } from '@chainzrule/datasets';
import { TEXT_FAIR_FIGHT_DEFAULTS } from '@chainzrule/trainer';
import { expectOneLineError, run, tempDirs } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = tempDirs('yelp');
const repoRoot = resolve(here, '..', '..', '..');
/** The shared real sample; read in place, never copied into the repo. */
const SAMPLE = resolve(repoRoot, '..', 'shared', 'data', 'yelp-reviews-sample');
const haveSample = existsSync(join(SAMPLE, 'train.csv')) && existsSync(join(SAMPLE, 'test.csv'));

/** A Yelp directory of synthetic rows; `bad` lines (1-based) of train.csv are replaced. */
function yelpDir(trainRows: number, testRows: number, bad: Record<number, string> = {}): string {
  const dir = tmp();
  const lines = [...syntheticYelpRows({ rows: trainRows, seed: 5 })].map((r) => r.line);
  for (const [line, text] of Object.entries(bad)) lines[Number(line) - 1] = `${text}\n`;
  writeFileSync(join(dir, 'train.csv'), lines.join(''));
  writeFileSync(join(dir, 'test.csv'), [...syntheticYelpRows({ rows: testRows, seed: 6 })].map((r) => r.line).join(''));
  return dir;
}

describe('chainzrule fair-fight --dataset yelp on the real sample (short run)', () => {
  it.runIf(!haveSample && process.env['CI'])('has the sample in CI', () => {
    throw new Error(`the real Yelp sample is missing at ${SAMPLE}; CI must provide ../shared/data/yelp-reviews-sample`);
  });

  it.skipIf(!haveSample)(`trains both models and writes results.json with MAE, QWK and the majority class${haveSample ? '' : ' (skipped: ../shared/data/yelp-reviews-sample not found)'}`, async () => {
    const out = join(tmp(), 'run');
    const r = await run(['fair-fight', '--dataset', 'yelp', '--data', SAMPLE, '--train-limit', '1500', '--epochs', '2', '--seeds', '1', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.dataset).toBe('yelp');
    expect(results.backend).toBe('wasm');
    expect(results.config).toMatchObject({
      epochs: 2,
      seeds: 1,
      head: 'ordinal',
      heads: { chainzrule: 'ordinal', 'baseline-relu': 'ordinal' },
      // Yelp defaults, not MNIST's, where not given
      batchSize: TEXT_FAIR_FIGHT_DEFAULTS.batchSize,
      learningRate: TEXT_FAIR_FIGHT_DEFAULTS.learningRate,
      testSamples: 4000,
      skippedBadRows: { train: 0, test: 0 },
    });
    // The first 1500 rows minus the hash-selected validation rows.
    expect(results.config.trainSamples + results.config.validationSamples).toBe(1500);
    expect(results.runs.map((x: { model: string }) => x.model)).toEqual(['chainzrule', 'baseline-relu']);
    expect(results.wallSeconds).toBeGreaterThan(results.runs[0].trainSeconds + results.runs[1].trainSeconds);
    for (const x of results.runs) {
      expect(x.confusion).toHaveLength(5);
      expect(x.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(4000);
      // accuracy and MAE recomputed from the confusion matrix
      const diag = x.confusion.reduce((a: number, row: number[], i: number) => a + row[i]!, 0);
      expect(x.testAccuracy).toBeCloseTo(diag / 4000, 12);
      const dist = x.confusion.reduce((a: number, row: number[], i: number) => a + row.reduce((s, n, j) => s + n * Math.abs(i - j), 0), 0);
      expect(x.mae).toBeCloseTo(dist / 4000, 12);
      expect(x.qwk).toBeGreaterThan(0.3); // far above chance (0) after 1350 reviews
      expect(x.testAccuracy).toBeGreaterThan(0.445); // above always-5-stars
      expect(Object.keys(x.volatility).sort()).toEqual(['mean', 'p50', 'p99', 'peak', 'tailRatio']);
      expect(x.epochValidation).toHaveLength(2);
    }
    // test.csv has 1780 five-star reviews of 4000 (the sample's README); 5 is the training majority.
    expect(results.summary.majorityClass).toBe(4);
    expect(results.summary.majorityClassAccuracy).toBe(0.445);
    expect(r.stdout).toMatch(/majority class \(5 stars, from the training part\): test accuracy 0\.4450/);
    expect(r.stdout).toMatch(/│ MAE +│ QWK/);
  });
});

describe('chainzrule fair-fight --dataset yelp: bad input', () => {
  it('a malformed row stops the run with file:line and the fix; --skip-bad-rows skips and counts it', async () => {
    const dir = yelpDir(300, 60, { 7: '"6","six stars"', 12: '"3","broken "quote" here"' });
    const out = join(tmp(), 'o');
    const strict = await run(['fair-fight', '--dataset', 'yelp', '--data', dir, '--epochs', '1', '--out', out, '--quiet']);
    expectOneLineError(strict, new RegExp(`${join(dir, 'train.csv').replace(/[/.]/g, '\\$&')}: line 7: label "6" is not one of 1, 2, 3, 4, 5; .*--skip-bad-rows`));
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    const skipped = await run(['fair-fight', '--dataset', 'yelp', '--data', dir, '--epochs', '1', '--seeds', '1', '--skip-bad-rows', '--out', out]);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/skipped 2 malformed rows in .*train\.csv \(first: line 7: label "6"/);
    expect(skipped.stdout).toMatch(/skipped malformed rows: 2 in train\.csv, 0 in test\.csv/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.config.skippedBadRows).toEqual({ train: 2, test: 0 });
    expect(results.config.trainSamples + results.config.validationSamples).toBe(298);
  });

  it('--balance subsamples the training part to about equal class counts', async () => {
    // 5-star rows kept, other stars 1 in 4: about 4x more 5-star rows.
    const dir = tmp();
    const rows = [...syntheticYelpRows({ rows: 1200, seed: 7 })].filter((r, i) => r.label === 5 || i % 4 === 0);
    writeFileSync(join(dir, 'train.csv'), rows.map((r) => r.line).join(''));
    writeFileSync(join(dir, 'test.csv'), [...syntheticYelpRows({ rows: 50, seed: 8 })].map((r) => r.line).join(''));
    const out = join(tmp(), 'o');
    const r = await run(['fair-fight', '--dataset', 'yelp', '--data', dir, '--epochs', '1', '--seeds', '1', '--balance', '--validation-fraction', '0', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const { config } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(config.balance).toBe(true);
    const counts: number[] = config.trainClassCounts;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(rows.length);
    // Each class keeps about min(counts) rows: 5 * min in expectation (binomial noise, 5 sd).
    const min = Math.min(...counts);
    expect(Math.abs(config.trainSamples - 5 * min)).toBeLessThan(5 * Math.sqrt(5 * min));
    expect(config.trainSamples).toBeLessThan(rows.length);
  });

  it('broken quoting in test.csv names test.csv and the line', async () => {
    const dir = yelpDir(50, 20);
    writeFileSync(join(dir, 'test.csv'), '"1","fine"\n"2","ok"\n"5","never closed\n');
    expectOneLineError(await run(['fair-fight', '--dataset', 'yelp', '--data', dir, '--quiet', '--out', join(tmp(), 'o')]), /test\.csv: line 3: broken quoting: a quoted field is never closed/);
  });

  it.each([
    ['no --data', () => [], /--dataset yelp needs --data DIR, a directory holding train\.csv and test\.csv/],
    ['a missing directory', () => ['--data', join(tmp(), 'nope')], /nope: no such directory; --data must be a directory holding train\.csv and test\.csv/],
    ['a directory without test.csv', () => {
      const dir = tmp();
      writeFileSync(join(dir, 'train.csv'), '"1","a"\n');
      return ['--data', dir];
    }, /test\.csv: no such file/],
    ['a bad --validation-fraction', () => ['--data', tmp(), '--validation-fraction', '1'], /validation fraction must be a number in \[0, 1\)/],
    ['an unknown head', () => ['--data', tmp(), '--head', 'poisson'], /argument 'poisson' is invalid\. Allowed choices are ordinal, softmax/],
    ['--models (image datasets only)', () => ['--data', tmp(), '--models', 'chainzrule'], /--models does not apply to --dataset yelp \(the Yelp Fair Fight always trains chainzrule and baseline-relu\); remove it/],
    ['--jobs (image datasets only)', () => ['--data', tmp(), '--jobs', '1'], /--jobs does not apply to --dataset yelp/],
    ['--test-limit (image datasets only)', () => ['--data', tmp(), '--test-limit', '100'], /--test-limit does not apply to --dataset yelp/],
  ])('%s', async (_name, args, pattern) => {
    expectOneLineError(await run(['fair-fight', '--dataset', 'yelp', ...args(), '--quiet', '--out', join(tmp(), 'o')]), pattern);
  });

  it('a Yelp-only option with another dataset is an error, not ignored', async () => {
    expectOneLineError(await run(['fair-fight', '--dataset', 'mnist', '--head', 'softmax', '--quiet', '--out', join(tmp(), 'o')]), /--head applies only to --dataset yelp/);
  });
});
