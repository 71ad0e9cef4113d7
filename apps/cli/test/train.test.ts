import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, expectOneLineError, run, tempDirs } from './helpers.js';

const tmp = tempDirs('train');

// 2000 images, batch 64: 32 steps per epoch; checkpoints every 5 steps and at each epoch end.
const SMALL = ['--train-limit', '2000', '--epochs', '2', '--batch-size', '64', '--checkpoint-every', '5', '--quiet'];

/** Starts training and kills it with `signal` once a checkpoint exists in the middle of epoch 2. */
function startAndStop(dir: string, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, 'train', ...SMALL, '--save', dir], { stdio: 'ignore' });
    const timer = setInterval(() => {
      try {
        const pointer = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
        if (pointer.epoch === 1 && pointer.step > 0) {
          clearInterval(timer);
          child.kill(signal);
        }
      } catch {
        // not written yet
      }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolvePromise(code);
    });
    child.on('error', reject);
  });
}

describe('chainzrule train / eval', () => {
  const reference = join(tmp(), 'reference');

  it('trains, saves model.json + weights.bin + metadata, and eval reproduces the metrics', async () => {
    const r = await run(['train', ...SMALL, '--save', reference]);
    expect(r.code).toBe(0);
    for (const f of ['model.json', 'weights.bin', 'chainzrule.json']) expect(existsSync(join(reference, f))).toBe(true);
    const meta = JSON.parse(readFileSync(join(reference, 'chainzrule.json'), 'utf8'));
    expect(meta).toMatchObject({ dataset: 'mnist', params: 25455, settings: { model: 'chainzrule', seed: 0, epochs: 2 } });
    const e = await run(['eval', '--model', reference, '--dataset', 'mnist', '--json']);
    expect(e.code).toBe(0);
    const evaluated = JSON.parse(e.stdout);
    expect(evaluated.testAccuracy).toBe(meta.metrics.testAccuracy);
    expect(evaluated.volatility).toEqual(meta.metrics.volatility);
    expect(evaluated.testAccuracy).toBeGreaterThan(0.8);
  });

  it('a run killed with SIGKILL mid-epoch and resumed ends with the same weights and metrics', async () => {
    const dir = join(tmp(), 'killed');
    expect(await startAndStop(dir, 'SIGKILL')).toBe(null);
    const pointer = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    expect(pointer.epoch).toBe(1);
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
    const r = await run(['train', '--resume', dir, '--quiet']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'weights.bin')).equals(readFileSync(join(reference, 'weights.bin')))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'chainzrule.json'), 'utf8')).metrics).toEqual(JSON.parse(readFileSync(join(reference, 'chainzrule.json'), 'utf8')).metrics);
  });

  it('SIGINT saves a checkpoint and exits with 130; resuming finishes the same run', async () => {
    const dir = join(tmp(), 'interrupted');
    expect(await startAndStop(dir, 'SIGINT')).toBe(130);
    const r = await run(['train', '--resume', dir, '--quiet']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'weights.bin')).equals(readFileSync(join(reference, 'weights.bin')))).toBe(true);
  });

  it('the same seed and backend give bit-identical fair-fight metrics', async () => {
    const metrics = async () => {
      const out = join(tmp(), 'ff');
      // the two headline models, one seed, a part of the test set: the default run (4 models x 3 seeds) is minutes
      expect((await run(['fair-fight', '--models', 'chainzrule,baseline-relu', '--seeds', '1', '--test-limit', '2000', '--train-limit', '1000', '--epochs', '1', '--quiet', '--out', out])).code).toBe(0);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      return results.runs.map((x: Record<string, unknown>) => ({ ...x, trainSeconds: 0, samplesPerSecond: 0 }));
    };
    expect(await metrics()).toEqual(await metrics());
  });
});

describe('chainzrule train / eval: bad input', () => {
  it.each([
    ['degree 0', ['train', '--degree', '0', '--save', 'x'], /degree must be an integer from 1 to 8/],
    ['degree 9', ['train', '--degree', '9', '--save', 'x'], /degree must be an integer from 1 to 8/],
    ['a negative lambda', ['train', '--lambda', '-1', '--save', 'x'], /lambda must be a number >= 0/],
    ['batch size 0', ['train', '--batch-size', '0', '--save', 'x'], /batch size must be an integer from 1/],
    ['epochs 0', ['train', '--epochs', '0', '--save', 'x'], /epochs must be an integer from 1/],
    ['no --save', ['train', '--quiet'], /train needs --save DIR/],
    ['an unwritable --save', ['train', '--save', '/etc/passwd/model', '--quiet'], /--save \/etc\/passwd\/model: cannot write there/],
    ['--resume of a missing directory', ['train', '--resume', '/nonexistent/run'], /--resume \/nonexistent\/run: no such directory/],
    ['eval of a missing model', ['eval', '--model', '/nonexistent/model'], /no such model directory/],
    ['eval of a file instead of a directory', ['eval', '--model', '/etc/passwd'], /not a directory/],
  ])('%s', async (_name, args, pattern) => {
    expectOneLineError(await run(args as string[]), pattern as RegExp);
  });

  it('a tampered or incomplete saved model is reported, and an existing model is never overwritten', async () => {
    const dir = join(tmp(), 'model');
    expect((await run(['train', '--train-limit', '300', '--epochs', '1', '--save', dir, '--quiet'])).code).toBe(0);
    const before = readFileSync(join(dir, 'weights.bin'));
    expectOneLineError(await run(['train', '--train-limit', '300', '--epochs', '1', '--save', dir, '--quiet']), /model.json already exists/);
    expect(readFileSync(join(dir, 'weights.bin')).equals(before)).toBe(true);

    const tampered = join(tmp(), 'tampered');
    cpSync(dir, tampered, { recursive: true });
    truncateSync(join(tampered, 'weights.bin'), 1000);
    expectOneLineError(await run(['eval', '--model', tampered]), /weights.bin: 1000 bytes but model.json describes 101820/);
    rmSync(join(tampered, 'model.json'));
    expectOneLineError(await run(['eval', '--model', tampered]), /model.json: missing/);
    writeFileSync(join(tampered, 'checkpoint.json'), '{broken');
    expectOneLineError(await run(['train', '--resume', tampered]), /checkpoint.json: damaged/);
    expectOneLineError(await run(['eval', '--model', dir, '--dataset', 'fashion-mnist', '--data', tampered]), /trained on mnist, not fashion-mnist/);
  });
});
