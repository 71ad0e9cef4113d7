import * as tf from '@tensorflow/tfjs-core';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { spectralNorm } from '@chainzrule/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  countParams,
  createRng,
  engineMaxSlope,
  ENGINE_SLOPE_GRID,
  forwardWithTrace,
  GELU_MAX_SLOPE,
  lipschitzChain,
  measureModel,
  selectBackend,
  train,
  type TrainingSet,
} from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
});

function blobs(n: number, seed: number): TrainingSet {
  const rng = createRng(seed);
  const dim = 6;
  const x = new Float32Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    labels[i] = y;
    // pixels in [0, 1], like images
    for (let d = 0; d < dim; d++) x[i * dim + d] = Math.min(1, Math.max(0, (d % 3 === y ? 0.7 : 0.2) + 0.3 * (rng() - 0.5)));
  }
  return { x, labels, n, dim, numClasses: 3 };
}

/** An engine with fixed coefficients. */
function engine(config: ConstructorParameters<typeof PolynomialEngine>[0], units: number, coefficients: number[] | number[][]): PolynomialEngine {
  const e = new PolynomialEngine(config);
  e.build([null, units]);
  e.coefficientVariable.assign(Array.isArray(coefficients[0]) ? tf.tensor2d(coefficients as number[][]) : tf.tensor1d(coefficients as number[]));
  return e;
}

describe('the new model kinds', () => {
  it('have the documented sizes', () => {
    const size = (k: Parameters<typeof buildModel>[0]) => {
      const m = buildModel(k, { inputSize: 784, numClasses: 10, seed: 0 });
      const n = countParams(m);
      m.dispose();
      return n;
    };
    expect(size('chainzrule-nodreg')).toBe(25455); // the same network as chainzrule
    expect(size('baseline-relu-small')).toBe(784 * 32 + 32 + 32 * 10 + 10); // 25,450: ChainzRule's size
    expect(size('baseline-gelu')).toBe(407050);
  });

  it("GELU layers trace a'(z) = Phi(z) + z phi(z) and a''(z) = phi(z) (2 - z^2), matching autodiff and predict", () => {
    const m = buildModel('baseline-gelu', { inputSize: 6, numClasses: 3, seed: 2, hidden: 5 });
    const x = tf.randomNormal([4, 6], 0, 1.5, 'float32', 4) as tf.Tensor2D;
    const { logits, trace } = forwardWithTrace(m, x);
    const expected = (m.predict(x) as tf.Tensor).dataSync();
    Array.from(logits.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    const z = trace[0]!.z;
    const gelu = (v: tf.Tensor) => tf.mul(v, tf.mul(0.5, tf.add(1, tf.erf(tf.div(v, Math.SQRT2)))));
    const autodiff = tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(z).dataSync();
    Array.from(trace[0]!.dp!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(autodiff[i]!, 4));
    // a'' by central differences of a'
    const h = 1e-2;
    const dpAt = (shift: number) => {
      const zz = tf.add(z, shift);
      return tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(zz).dataSync();
    };
    const [up, down] = [dpAt(h), dpAt(-h)];
    Array.from(trace[0]!.d2p!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo((up[i]! - down[i]!) / (2 * h), 2));
    m.dispose();
  });
});

describe('engineMaxSlope', () => {
  it('p(u) = u^2 on the tanh map: max |2u| (1 - u^2) = 4 / (3 sqrt 3) at u = 1/sqrt 3', () => {
    const e = engine({ basis: 'power', degree: 2, domain: 'tanh', sharing: 'shared' }, 4, [0, 0, 1]);
    const exact = 4 / (3 * Math.sqrt(3));
    const s = engineMaxSlope(e) as number;
    // an upper bound, and tight: the Markov inflation for degree n = 3 is 1 / (1 - h n^2 / 2)
    const h = 2 / (ENGINE_SLOPE_GRID - 1);
    expect(s).toBeGreaterThanOrEqual(exact);
    expect(s).toBeLessThanOrEqual((exact * 1.00001) / (1 - (h * 9) / 2));
  });

  it('per unit, with clamp, and unbounded without a domain map', () => {
    // Chebyshev T1 = u, T2 = 2u^2 - 1. Unit 0: p = T1 (slope 1); unit 1: p = 3 T2, p' = 12u, max 12 at u = 1.
    const clamp = engine({ basis: 'chebyshev', degree: 2, domain: 'clamp', sharing: 'per-unit' }, 2, [[0, 1, 0], [0, 0, 3]]);
    const [a, b] = engineMaxSlope(clamp) as number[];
    expect(a).toBeCloseTo(1, 3);
    expect(b).toBeGreaterThanOrEqual(12 - 1e-4);
    expect(b).toBeLessThan(12.01);
    const none = engine({ basis: 'power', degree: 2, domain: 'none', sharing: 'shared' }, 2, [0, 1, 1]);
    expect(engineMaxSlope(none)).toBe(Infinity);
    const line = engine({ basis: 'legendre', degree: 1, domain: 'none', sharing: 'shared' }, 2, [0.5, -2]);
    expect(engineMaxSlope(line)).toBe(2);
  });

  it('is never below the slope seen on a dense grid of z (Chebyshev, degree 4)', () => {
    const e = engine({ domain: 'tanh', sharing: 'shared' }, 1, [0.1, 0.6, 0.35, -0.05, -0.2]); // a Chebyshev degree-4 polynomial
    const z = tf.reshape(tf.linspace(-6, 6, 200_001), [-1, 1]);
    const seen = tf.max(tf.abs(e.evaluate(z).dp)).dataSync()[0]!;
    const bound = engineMaxSlope(e) as number;
    expect(bound).toBeGreaterThanOrEqual(seen);
    expect(bound).toBeLessThan(seen * 1.01);
  });
});

describe('lipschitzChain and measureModel', () => {
  it('GELU_MAX_SLOPE is the largest GELU slope', () => {
    const m = buildModel('baseline-gelu', { inputSize: 1, numClasses: 2, seed: 0, hidden: 1 });
    const z = tf.reshape(tf.linspace(-8, 8, 160_001), [-1, 1]);
    // identity kernel and zero bias: z passes straight into the GELU
    m.layers[0]!.setWeights([tf.ones([1, 1]), tf.zeros([1])]);
    const dp = forwardWithTrace(m, z as tf.Tensor2D).trace[0]!.dp!;
    expect(tf.max(tf.abs(dp)).dataSync()[0]!).toBeCloseTo(GELU_MAX_SLOPE, 5);
    expect(GELU_MAX_SLOPE).toBeCloseTo(1.1289, 4);
    m.dispose();
  });

  it('a ReLU net: the chain is its kernels with slope 1, and the bound is the product of spectral norms', () => {
    const m = buildModel('baseline-relu', { inputSize: 6, numClasses: 3, seed: 1, hidden: 8 });
    const chain = lipschitzChain(m);
    expect(chain.map((l) => l.maxSlope)).toEqual([1, 1]);
    const x = tf.tensor2d(blobs(60, 3).x, [60, 6]);
    const r = measureModel(m, x, blobs(60, 3).labels, { fgsmEpsilons: [0, 0.1], sensitivity: { radius: 0.05, directions: 8 } });
    const product = chain.reduce((p, l) => p * spectralNorm(l.kernel).value, 1);
    expect(r.lipschitzBound).toBeCloseTo(product, 6);
    m.dispose();
  });

  it('on a trained ChainzRule model: every local measurement stays below the certified bound, and no tensor leaks', async () => {
    const data = blobs(300, 5);
    const m = buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 0, hidden: 8 });
    await train(m, data, { epochs: 3, batchSize: 32, learningRate: 0.02, seed: 0 });
    const test = blobs(120, 6);
    const x = tf.tensor2d(test.x, [test.n, test.dim]);
    const before = tf.memory().numTensors;
    const r = measureModel(m, x, test.labels, { fgsmEpsilons: [0, 0.05, 0.3], fgsmSamples: 100, sensitivity: { radius: 0.01, directions: 8, samples: 50 }, quantileCount: 11 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.testAccuracy).toBeGreaterThan(0.8);
    expect(r.localSensitivity).toMatchObject({ radius: 0.01, directions: 8, samples: 50 });
    expect(r.volatility.peak).toBeLessThanOrEqual(r.lipschitzBound!);
    expect(r.localSensitivity.peak).toBeLessThanOrEqual(r.lipschitzBound!);
    expect(r.lipschitzLayers.map((l) => l.name)).toEqual(['hidden+engine', 'logits']);
    expect(r.lipschitzLayers.every((l) => l.converged)).toBe(true);
    // eps = 0 is the clean accuracy of the first 100 samples; a larger step can only hurt here
    expect(r.fgsm.map((f) => f.epsilon)).toEqual([0, 0.05, 0.3]);
    expect(r.fgsm[2]!.accuracy).toBeLessThan(r.fgsm[0]!.accuracy);
    expect(r.volatilityQuantiles).toHaveLength(11);
    expect(r.volatilityQuantiles[0]).toBeCloseTo(Math.min(...r.volatilityQuantiles), 6);
    expect(r.volatilityQuantiles[10]).toBeCloseTo(r.volatility.peak, 5);
    expect(r.lossVolatility.mean).toBeGreaterThan(0);
    x.dispose();
    m.dispose();
  });

  it('a layer it cannot bound is named in the error', () => {
    const m = sequential({ layers: [layers.dense({ inputShape: [4], units: 3, activation: 'softplus', name: 'soft' })] });
    expect(() => lipschitzChain(m)).toThrow(/activation 'softplus' of layer soft is not supported/);
    m.dispose();
  });
});
