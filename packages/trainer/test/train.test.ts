import * as tf from '@tensorflow/tfjs-core';
import { getRegularizer } from '@chainzrule/dreg';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, countParams, createRng, forwardWithTrace, permutation, selectBackend, summarizeFairFight, train, TrainingConfigError, type MeasuredRun, type TrainingSet } from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
});

/** Two Gaussian blobs per class in 6-D: learnable in a few epochs. */
function blobs(n: number, seed: number): TrainingSet {
  const rng = createRng(seed);
  const dim = 6;
  const x = new Float32Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    labels[i] = y;
    for (let d = 0; d < dim; d++) x[i * dim + d] = (d % 3 === y ? 1.5 : 0) + (rng() - 0.5);
  }
  return { x, labels, n, dim, numClasses: 3 };
}

const weightsOf = (m: ReturnType<typeof buildModel>) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('models', () => {
  it('have the paper sizes: 784-32-10 ChainzRule (25,455 params) vs 784-512-10 ReLU (407,050 params)', () => {
    const cr = buildModel('chainzrule', { inputSize: 784, numClasses: 10, seed: 0 });
    const base = buildModel('baseline-relu', { inputSize: 784, numClasses: 10, seed: 0 });
    // 784*32 + 32 + (4+1) coefficients + 32*10 + 10
    expect(countParams(cr)).toBe(25455);
    // 784*512 + 512 + 512*10 + 10
    expect(countParams(base)).toBe(407050);
    expect(cr.layers[1]).toBeInstanceOf(PolynomialEngine);
    cr.dispose();
    base.dispose();
  });

  it('the same seed gives the same initial weights; another seed differs', () => {
    const a = weightsOf(buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 4 }));
    const b = weightsOf(buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 4 }));
    const c = weightsOf(buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 5 }));
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
  });
});

describe('forwardWithTrace', () => {
  it('gives the same logits as predict and exposes the engine derivatives', () => {
    const m = buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 1 });
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    const { logits, trace } = forwardWithTrace(m, x);
    const expected = (m.predict(x) as tf.Tensor).dataSync();
    Array.from(logits.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(trace.map((t) => t.name)).toEqual(['hidden', 'logits']);
    const engine = m.layers[1] as PolynomialEngine;
    const dp = engine.evaluate(trace[0]!.z).dp.dataSync();
    expect(Array.from(trace[0]!.dp!.dataSync())).toEqual(Array.from(dp));
    expect(trace[1]!.dp).toBeNull();
  });

  it('ReLU layers expose a\'(z) = step(z)', () => {
    const m = buildModel('baseline-relu', { inputSize: 6, numClasses: 3, seed: 1, hidden: 8 });
    const { trace } = forwardWithTrace(m, tf.randomNormal([3, 6], 0, 1, 'float32', 3) as tf.Tensor2D);
    const z = trace[0]!.z.dataSync();
    expect(Array.from(trace[0]!.dp!.dataSync())).toEqual(Array.from(z).map((v) => (v > 0 ? 1 : 0)));
  });
});

describe('train', () => {
  it('learns, is deterministic for a seed, and leaks no tensors', async () => {
    const data = blobs(600, 1);
    const run = async () => {
      const m = buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 0, hidden: 8 });
      const r = await train(m, data, { epochs: 4, batchSize: 32, learningRate: 0.01, seed: 3, regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight: 0.01 }] });
      const w = weightsOf(m);
      m.dispose();
      return { r, w };
    };
    const before = tf.memory().numTensors;
    const first = await run();
    expect(tf.memory().numTensors).toBe(before);
    const second = await run();
    expect(second.w).toEqual(first.w);
    expect(second.r.epochLoss).toEqual(first.r.epochLoss);
    expect(first.r.epochLoss[3]!).toBeLessThan(0.5 * first.r.epochLoss[0]!);
    expect(first.r.epochPenalty[0]!).toBeGreaterThan(0);
  });

  it('a larger DREG weight gives a smaller layer Jacobian penalty at the end', async () => {
    const data = blobs(600, 2);
    const penaltyAfter = async (weight: number) => {
      const m = buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 0, hidden: 8 });
      await train(m, data, { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 1, regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight }] });
      const x = tf.tensor2d(data.x, [data.n, data.dim]);
      const p = tf.tidy(() => getRegularizer('jacobian-frobenius').apply(forwardWithTrace(m, x).trace).dataSync()[0]!);
      x.dispose();
      m.dispose();
      return p;
    };
    expect(await penaltyAfter(0.5)).toBeLessThan(0.5 * (await penaltyAfter(0)));
  });

  it('rejects invalid hyper-parameters with the name and the allowed range', async () => {
    const m = buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 0 });
    const data = blobs(30, 1);
    const ok = { epochs: 1, batchSize: 8, learningRate: 0.01, seed: 0 };
    await expect(train(m, data, { ...ok, epochs: 0 })).rejects.toThrow(/epochs must be an integer >= 1, got 0/);
    await expect(train(m, data, { ...ok, batchSize: 0 })).rejects.toThrow(TrainingConfigError);
    await expect(train(m, data, { ...ok, learningRate: -1 })).rejects.toThrow(/learning rate must be a positive number/);
    await expect(train(m, data, { ...ok, regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight: -1 }] })).rejects.toThrow(/lambda/);
    m.dispose();
  });
});

describe('seeded shuffling and summaries', () => {
  it('permutation is a seeded permutation', () => {
    const a = permutation(100, createRng(7));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(permutation(100, createRng(7)))).toEqual(Array.from(a));
    expect(Array.from(permutation(100, createRng(8)))).not.toEqual(Array.from(a));
  });

  it('summarizeFairFight: parameter ratio and mean per-seed peak reduction', () => {
    const run = (model: MeasuredRun['model'], seed: number, params: number, peak: number): MeasuredRun => ({
      model, seed, params, testAccuracy: 0.9, volatility: { mean: 1, p50: 1, p99: 1, peak, tailRatio: 1 }, trainSeconds: 1,
    });
    const s = summarizeFairFight([run('chainzrule', 0, 100, 2), run('baseline-relu', 0, 1600, 4), run('chainzrule', 1, 100, 3), run('baseline-relu', 1, 1600, 4)]);
    // seed 0: 1 - 2/4 = 0.5; seed 1: 1 - 3/4 = 0.25; mean 0.375, sample std sqrt(2 * 0.125^2) = 0.1768
    expect(s).toMatchObject({ paramRatio: 16, peakVolatilityReduction: 0.375, peakVolatilityReductionStd: expect.closeTo(Math.sqrt(0.03125), 12), claims: [] });
  });
});
