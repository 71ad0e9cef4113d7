import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, gradientVolatility, inputGradientNorms, predictClasses, quantile, summarizeVolatility } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A linear model f(x) = x W + b: the input gradient of logit y is column y of W, whatever x is.
const W = tf.tensor2d([
  [1, -2, 0.5],
  [2, 0, 0.5],
  [-2, 1, 0.5],
  [0, 2, 0.5],
]); // [4 features, 3 classes]
const b = tf.tensor1d([0.1, -0.1, 0]);
const linear = (x: tf.Tensor) => tf.add(tf.matMul(x, W), b);

describe('inputGradientNorms', () => {
  it('of a linear model equals the norm of the true-class weight column exactly', () => {
    const x = tf.randomNormal([7, 4], 0, 1, 'float32', 1);
    const labels = [0, 1, 2, 0, 1, 2, 0];
    const g = inputGradientNorms(linear, x, labels, { batchSize: 3 });
    // ||W[:,0]|| = sqrt(1+4+4+0) = 3, ||W[:,1]|| = sqrt(4+0+1+4) = 3, ||W[:,2]|| = sqrt(4 * 0.25) = 1
    expect(Array.from(g)).toEqual([3, 3, 1, 3, 3, 1, 3]);
  });

  it('accepts a model object with predict()', () => {
    const model = { predict: (x: tf.Tensor) => linear(x) };
    const g = inputGradientNorms(model, tf.zeros([2, 4]), [2, 2]);
    expect(Array.from(g)).toEqual([1, 1]);
  });

  it('of a two-layer tanh network matches the hand-derived gradient W1 diag(1 - h^2) w2', () => {
    const W1 = tf.tensor2d([[0.5, -1], [1, 0.25]]); // [2 in, 2 hidden]
    const W2 = tf.tensor2d([[1, 0], [2, -1]]); // [2 hidden, 2 classes]
    const net = (x: tf.Tensor) => tf.matMul(tf.tanh(tf.matMul(x, W1)), W2);
    const x = [0.3, -0.7];
    const z = [x[0]! * 0.5 + x[1]! * 1, x[0]! * -1 + x[1]! * 0.25];
    const s = z.map((v) => 1 - Math.tanh(v) ** 2);
    // class 0 uses w2 = (1, 2): grad_j = sum_i W1[j][i] s_i w2_i
    const grad = [0.5 * s[0]! * 1 + -1 * s[1]! * 2, 1 * s[0]! * 1 + 0.25 * s[1]! * 2];
    const g = inputGradientNorms(net, tf.tensor2d([x]), [0]);
    expect(g[0]).toBeCloseTo(Math.hypot(grad[0]!, grad[1]!), 5);
  });

  it('leaks no tensors', () => {
    const x = tf.randomNormal([10, 4]);
    const before = tf.memory().numTensors;
    inputGradientNorms(linear, x, Array(10).fill(1), { batchSize: 4 });
    accuracy(linear, x, Array(10).fill(1), { batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('summaries', () => {
  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 0, 5], 1)).toBe(10);
    expect(quantile(Array.from({ length: 101 }, (_, i) => i), 0.99)).toBeCloseTo(99, 10);
    expect(quantile([0, 10], 0.99)).toBeCloseTo(9.9, 10);
  });

  it('summarizeVolatility gives mean, p50, p99, peak and tail ratio', () => {
    const g = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    const s = summarizeVolatility(g);
    expect(s.mean).toBe(50.5);
    expect(s.p50).toBe(50.5);
    expect(s.p99).toBeCloseTo(99.01, 10);
    expect(s.peak).toBe(100);
    expect(s.tailRatio).toBeCloseTo(99.01 / 50.5, 10);
  });

  it('gradientVolatility of the linear model', () => {
    const s = gradientVolatility(linear, tf.zeros([4, 4]), [0, 1, 2, 2]);
    expect(s).toEqual({ mean: 2, p50: 2, p99: expect.closeTo(3, 6), peak: 3, tailRatio: expect.closeTo(1.5, 6) });
  });
});

describe('accuracy', () => {
  it('counts arg-max matches', () => {
    // Rows chosen so the arg-max class is known: x = e_j picks row j of W (+ b).
    const x = tf.eye(4);
    // row0: (1.1,-2.1,0.5)->0; row1: (2.1,-0.1,0.5)->0; row2: (-1.9,0.9,0.5)->1; row3: (0.1,1.9,0.5)->1
    expect(Array.from(predictClasses(linear, x))).toEqual([0, 0, 1, 1]);
    expect(accuracy(linear, x, [0, 1, 1, 2])).toBe(0.5);
    expect(() => accuracy(linear, x, [0])).toThrow(/4 inputs but 1 labels/);
  });
});
