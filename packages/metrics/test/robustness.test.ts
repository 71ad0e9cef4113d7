import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fgsmAccuracy,
  gradientVolatility,
  inputGradientNorms,
  lipschitzUpperBound,
  localSensitivity,
  spectralNorm,
  trainingGradientVolatility,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A seeded uniform generator, so the tests' data is fixed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** `I - 2 v v^T / v^T v`: an orthogonal (Householder) matrix. */
function householder(v: number[]): number[][] {
  const vv = v.reduce((s, x) => s + x * x, 0);
  return v.map((vi, i) => v.map((vj, j) => (i === j ? 1 : 0) - (2 * vi * vj) / vv));
}
const matmul = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const transpose = (a: number[][]) => a[0]!.map((_, j) => a.map((row) => row[j]!));

describe('inputGradientNorms with target loss', () => {
  it('of a linear model is || W (softmax(f) - e_y) ||, computed by hand', () => {
    const W = [
      [1, -2, 0.5],
      [2, 0, 0.5],
      [-2, 1, 0.5],
      [0, 2, 0.5],
    ];
    const Wt = tf.tensor2d(W);
    const model = (x: tf.Tensor) => tf.matMul(x, Wt);
    const xs = [
      [0.1, 0.2, -0.3, 0.4],
      [1, 0, 0, -1],
    ];
    const labels = [2, 0];
    const g = inputGradientNorms(model, tf.tensor2d(xs), labels, { target: 'loss' });
    xs.forEach((x, n) => {
      const f = [0, 1, 2].map((c) => x.reduce((s, xi, i) => s + xi * W[i]![c]!, 0));
      const z = f.reduce((s, v) => s + Math.exp(v), 0);
      const r = f.map((v, c) => Math.exp(v) / z - (c === labels[n] ? 1 : 0));
      const grad = W.map((row) => row.reduce((s, w, c) => s + w * r[c]!, 0));
      expect(g[n]).toBeCloseTo(Math.hypot(...grad), 5);
    });
    // The default target is still the logit: ||W[:, 2]|| = 1.
    expect(inputGradientNorms(model, tf.tensor2d(xs), labels)[0]).toBeCloseTo(1, 6);
    expect(gradientVolatility(model, tf.tensor2d(xs), labels, { target: 'loss' }).peak).toBeCloseTo(Math.max(g[0]!, g[1]!), 6);
    expect(() => inputGradientNorms(model, tf.tensor2d(xs), labels, { target: 'margin' as never })).toThrow(/target must be 'logit' or 'loss'/);
  });
});

describe('fgsmAccuracy', () => {
  // Two classes, f(x) = x W + b. The loss gradient is p_o (w_o - w_y), so FGSM moves every
  // feature by eps sign(w_o - w_y) and the margin m = f_y - f_o drops by exactly eps ||w_y - w_o||_1.
  const rng = lcg(7);
  const d = 6;
  const n = 300;
  const W = Array.from({ length: d }, () => [rng() * 2 - 1, rng() * 2 - 1]);
  const b = [0.3, -0.2];
  const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => 0.3 + 0.4 * rng())); // inside [0.3, 0.7]: no clipping for eps <= 0.3
  const labels = xs.map(() => (rng() < 0.5 ? 0 : 1));
  const model = (x: tf.Tensor) => tf.add(tf.matMul(x, tf.tensor2d(W)), tf.tensor1d(b));
  const margin = (x: number[], y: number) => {
    const f = [0, 1].map((c) => x.reduce((s, xi, i) => s + xi * W[i]![c]!, b[c]!));
    return f[y]! - f[1 - y]!;
  };
  const l1 = W.reduce((s, row) => s + Math.abs(row[0]! - row[1]!), 0);

  it('matches the analytic margin m(x) - eps ||w_y - w_o||_1 on a linear model', () => {
    const epsilons = [0, 0.02, 0.05, 0.1, 0.3];
    const result = fgsmAccuracy(model, tf.tensor2d(xs), labels, epsilons, { batchSize: 64 });
    const expected = epsilons.map((eps) => xs.filter((x, i) => margin(x, labels[i]!) - eps * l1 > 0).length / n);
    expect(result.map((r) => r.epsilon)).toEqual(epsilons);
    result.forEach((r, i) => expect(r.accuracy).toBeCloseTo(expected[i]!, 10));
    // The attack must actually bite: accuracy falls as eps grows.
    expect(expected[4]!).toBeLessThan(expected[0]! - 0.2);
  });

  it('clips to the valid range: a pixel at the bound cannot move outward', () => {
    // x = 1 in every feature where the attack pushes up, 0 where it pushes down: nothing changes.
    const pushUp = W.map((row) => (row[1]! - row[0]! > 0 ? 1 : 0)); // attack direction for label 0
    const result = fgsmAccuracy(model, tf.tensor2d([pushUp]), [0], [0, 0.5], { clip: [0, 1] });
    expect(result[1]!.accuracy).toBe(result[0]!.accuracy);
    expect(() => fgsmAccuracy(model, tf.tensor2d([pushUp]), [0], [-0.1])).toThrow(/epsilon must be a finite number >= 0/);
  });
});

describe('spectralNorm and lipschitzUpperBound', () => {
  it('the spectral norm of [[1, 2], [3, 4]] is sqrt((30 + sqrt(884)) / 2)', () => {
    // 2x2 closed form: sigma^2 = (S + sqrt(S^2 - 4 det^2)) / 2 with S = sum of squares = 30, det = -2
    const s = spectralNorm([
      [1, 2],
      [3, 4],
    ]);
    expect(s.converged).toBe(true);
    expect(s.value).toBeCloseTo(Math.sqrt((30 + Math.sqrt(884)) / 2), 8);
  });

  it('the bound of a one-layer net equals its spectral norm (U diag(2.5, 1.5, 0.25) V^T)', () => {
    const U = householder([1, -2, 0.5, 3, 1]).map((row) => row.slice(0, 3)); // 5x3, orthonormal columns
    const V = householder([2, 1, -1]);
    const K = matmul(matmul(U, [[2.5, 0, 0], [0, 1.5, 0], [0, 0, 0.25]]), transpose(V)); // [5 in, 3 out]
    const bound = lipschitzUpperBound([{ name: 'dense', kernel: tf.tensor2d(K), maxSlope: 1 }]);
    expect(bound.bound).toBeCloseTo(2.5, 8);
    expect(bound.layers[0]).toMatchObject({ name: 'dense', spectralNorm: expect.closeTo(2.5, 8), maxSlope: 1, converged: true });
    // No input moves the output by more than the bound: the logit gradients and the finite differences agree.
    const net = (x: tf.Tensor) => tf.matMul(x, tf.tensor2d(K));
    const x = tf.randomUniform([50, 5], 0, 1, 'float32', 3);
    expect(Math.max(...localSensitivity(net, x, { directions: 32 }))).toBeLessThanOrEqual(2.5 + 1e-5);
    expect(Math.max(...inputGradientNorms(net, x, Array(50).fill(0)))).toBeLessThanOrEqual(2.5 + 1e-5);
  });

  it('multiplies the layers and scales each unit by its own slope', () => {
    const eye = (n: number, c: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? c : 0)));
    // ||I diag(1, 2, 0.5)|| = 2; ||3I|| * 0.5 = 1.5; product 3
    const bound = lipschitzUpperBound([
      { kernel: eye(3, 1), maxSlope: [1, 2, 0.5] },
      { kernel: eye(3, 3), maxSlope: 0.5 },
    ]);
    expect(bound.layers.map((l) => l.factor)).toEqual([expect.closeTo(2, 8), expect.closeTo(1.5, 8)]);
    expect(bound.bound).toBeCloseTo(3, 8);
    expect(() => lipschitzUpperBound([{ kernel: eye(3, 1), maxSlope: [1, 2] }])).toThrow(/2 slopes for 3 output units/);
  });

  it('bounds a two-layer tanh network from above (tanh slope <= 1)', () => {
    const W1 = tf.randomNormal([8, 16], 0, 0.5, 'float32', 11) as tf.Tensor2D;
    const W2 = tf.randomNormal([16, 4], 0, 0.5, 'float32', 12) as tf.Tensor2D;
    const net = (x: tf.Tensor) => tf.matMul(tf.tanh(tf.matMul(x, W1)), W2);
    const { bound } = lipschitzUpperBound([
      { kernel: W1, maxSlope: 1 },
      { kernel: W2, maxSlope: 1 },
    ]);
    const x = tf.randomNormal([200, 8], 0, 0.1, 'float32', 13);
    const s = localSensitivity(net, x, { radius: 0.01, directions: 16 });
    const g = inputGradientNorms(net, x, Array(200).fill(1));
    expect(Math.max(...s)).toBeLessThanOrEqual(bound);
    expect(Math.max(...g)).toBeLessThanOrEqual(bound);
    // and it is not vacuous: within a factor 10 of what random directions find
    expect(Math.max(...s)).toBeGreaterThan(bound / 10);
  });
});

describe('localSensitivity', () => {
  it('of f(x) = c x is c in every direction and at every radius', () => {
    const x = tf.randomNormal([20, 7], 0, 1, 'float32', 5);
    for (const radius of [1e-2, 1, 10]) {
      const s = localSensitivity((v: tf.Tensor) => tf.mul(v, 2.5), x, { radius, directions: 4 });
      s.forEach((v) => expect(v).toBeCloseTo(2.5, 4));
    }
  });

  it('sees the finite step, not only the tangent: f(x) = x^2 in 1-D gives 2|x| + r', () => {
    // f(x + d) - f(x) = 2 x d + d^2, d = +-r: the ratio is |2x + d|, largest (2|x| + r) for d = r sign(x)
    const s = localSensitivity((v: tf.Tensor) => tf.square(v), tf.tensor2d([[0.5], [-1.5]]), { radius: 0.1, directions: 16 });
    expect(s[0]).toBeCloseTo(1.1, 5);
    expect(s[1]).toBeCloseTo(3.1, 5);
  });

  it('the same seed gives the same directions; bad options are rejected', () => {
    const W = tf.randomNormal([5, 3], 0, 1, 'float32', 8);
    const net = (v: tf.Tensor) => tf.matMul(v, W);
    const x = tf.randomNormal([30, 5], 0, 1, 'float32', 9);
    expect(Array.from(localSensitivity(net, x, { seed: 4, batchSize: 7 }))).toEqual(Array.from(localSensitivity(net, x, { seed: 4, batchSize: 7 })));
    expect(Array.from(localSensitivity(net, x, { seed: 4 }))).not.toEqual(Array.from(localSensitivity(net, x, { seed: 5 })));
    // seed 0 (the default) too: tfjs treats a seed of 0 as "no seed"
    expect(Array.from(localSensitivity(net, x))).toEqual(Array.from(localSensitivity(net, x, { seed: 0 })));
    expect(() => localSensitivity(net, x, { radius: 0 })).toThrow(/radius must be a positive number/);
    expect(() => localSensitivity(net, x, { directions: 0 })).toThrow(/directions must be an integer >= 1/);
  });
});

describe('trainingGradientVolatility', () => {
  it('gives mean, population std, p99 and peak of the step norms', () => {
    const s = trainingGradientVolatility([1, 2, 3, 4]);
    // mean 2.5; variance ((1.5^2 + 0.5^2) * 2) / 4 = 1.25; p99 = 3 + 0.97 * 1
    expect(s).toEqual({ steps: 4, mean: 2.5, std: Math.sqrt(1.25), p99: expect.closeTo(3.97, 10), peak: 4 });
    expect(() => trainingGradientVolatility([])).toThrow(/no steps/);
  });
});

describe('no tensor leaks', () => {
  it('fgsmAccuracy, localSensitivity, inputGradientNorms(loss) and lipschitzUpperBound', () => {
    const W = tf.randomNormal([4, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const net = (v: tf.Tensor) => tf.matMul(v, W);
    const x = tf.randomUniform([10, 4], 0, 1, 'float32', 2);
    const labels = Array(10).fill(1);
    const before = tf.memory().numTensors;
    fgsmAccuracy(net, x, labels, [0, 0.1], { batchSize: 4 });
    localSensitivity(net, x, { batchSize: 4, directions: 3 });
    inputGradientNorms(net, x, labels, { target: 'loss', batchSize: 4 });
    lipschitzUpperBound([{ kernel: W, maxSlope: [1, 2, 3] }]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
