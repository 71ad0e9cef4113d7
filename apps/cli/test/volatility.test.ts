import * as tf from '@tensorflow/tfjs-core';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist } from '@chainzrule/datasets';
import { accuracy, gradientVolatility, lipschitzUpperBound } from '@chainzrule/metrics';
import { buildModel, lipschitzChain, saveModel, selectBackend, train } from '@chainzrule/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { run as runCli, tempDirs } from './helpers.js';

const tmp = tempDirs('volatility');
/** `chainzrule volatility ...` */
const run = (args: string[]) => runCli(['volatility', ...args]);

const TEST = 1000;
let dense = '';
let expected: { testAccuracy: number; peak: number; mean: number; bound: number };

// A ChainzRule model trained briefly in this process and saved; the command, in another process,
// must report what the metrics give here.
beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
  const trainSet = await loadMnist({ split: 'train', limit: 2000 });
  const test = await loadMnist({ split: 'test', limit: TEST });
  const model = buildModel('chainzrule', { inputSize: 784, numClasses: 10, seed: 3 });
  await train(model, { x: trainSet.images, labels: trainSet.labels, n: trainSet.n, dim: 784, numClasses: 10 }, { epochs: 1, batchSize: 64, learningRate: 0.002, seed: 0 });
  dense = join(tmp(), 'cr');
  await saveModel(model, dense);
  const x = tf.tensor2d(test.images, [test.n, 784]);
  const logits = (t: tf.Tensor) => model.apply(t) as tf.Tensor;
  const v = gradientVolatility(logits, x, test.labels);
  expected = { testAccuracy: accuracy(logits, x, test.labels), peak: v.peak, mean: v.mean, bound: lipschitzUpperBound(lipschitzChain(model)).bound };
  x.dispose();
  model.dispose();
}, 300_000);

describe('chainzrule volatility', () => {
  it('reports every metric of a saved model, equal to the metrics computed directly', async () => {
    const r = await run(['--model', dense, '--dataset', 'mnist', '--test-limit', String(TEST), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ dataset: 'mnist', backend: 'wasm', params: 25455, testSamples: TEST });
    expect(j.testAccuracy).toBe(expected.testAccuracy);
    expect(j.volatility.peak).toBeCloseTo(expected.peak, 5);
    expect(j.volatility.mean).toBeCloseTo(expected.mean, 5);
    expect(j.lipschitzBound).toBeCloseTo(expected.bound, 6);
    expect(j.lipschitzBound).toBeGreaterThanOrEqual(j.volatility.peak);
    expect(j.lipschitzBound).toBeGreaterThanOrEqual(j.localSensitivity.peak);
    expect(j.fgsm.map((f: { epsilon: number }) => f.epsilon)).toEqual([0.05, 0.1, 0.2]);
    expect(j.localSensitivity).toMatchObject({ radius: 0.1, directions: 16, samples: TEST });
    expect(Object.keys(j.lossVolatility).sort()).toEqual(['mean', 'p50', 'p99', 'peak', 'tailRatio']);
    // saved with saveModel alone: no training history next to it
    expect(j.trainingGradient).toBeNull();
  });

  it('prints a readable summary and takes the metric settings from flags', async () => {
    const r = await run(['--model', dense, '--test-limit', '300', '--fgsm-eps', '0,0.3', '--directions', '4', '--radius', '0.5', '--sensitivity-samples', '100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/25,455 parameters; mnist test set, 300 images; backend wasm/);
    expect(r.stdout).toMatch(/^FGSM accuracy +eps 0: 0\.\d{4}, eps 0\.3: 0\.\d{4}$/m);
    expect(r.stdout).toMatch(/radius 0\.5, 4 directions, first 100 images/);
    expect(r.stdout).toMatch(/^Lipschitz bound +[\d.]+ = [\d.]+ \(hidden\+engine\) x [\d.]+ \(logits\)$/m);
    expect(r.stdout).toMatch(/training \|grad_theta L\| +n\/a/);
  });

  it('works on any saved layers model: a convolutional net has every metric but the Lipschitz bound', async () => {
    const conv = sequential({
      layers: [
        layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
        layers.conv2d({ filters: 2, kernelSize: 5, strides: 4, activation: 'relu' }),
        layers.flatten(),
        layers.dense({ units: 10 }),
      ],
    });
    const dir = join(tmp(), 'conv');
    await saveModel(conv, dir);
    conv.dispose();
    const r = await run(['--model', dir, '--test-limit', '200', '--json', '--sensitivity-samples', '50']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.lipschitzBound).toBeNull();
    expect(j.lipschitzUnavailable).toMatch(/Conv2D/);
    expect(j.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(j.volatility.peak).toBeGreaterThan(0);
  });

  it.each([
    ['a missing model directory', () => ['--model', join(tmp(), 'nope')], /nope: no such directory/],
    ['a model of another dataset', () => {
      const dir = tmp();
      writeFileSync(join(dir, 'chainzrule.json'), JSON.stringify({ dataset: 'fashion-mnist' }));
      return ['--model', dir];
    }, /was trained on fashion-mnist, not mnist; pass --dataset fashion-mnist/],
    ['a directory without model.json', () => ['--model', tmp()], /model\.json: missing/],
    ['a bad epsilon', () => ['--model', dense, '--fgsm-eps', '0.1,2'], /fgsm-eps must be comma-separated numbers in \[0, 1\]/],
    ['zero directions', () => ['--model', dense, '--directions', '0'], /directions must be an integer from 1/],
    ['no --model', () => [], /required option '--model <dir>' not specified/],
  ])('%s: one line, non-zero exit', async (_name, args, pattern) => {
    const r = await run(args());
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  });
});
