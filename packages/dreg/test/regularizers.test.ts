import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DregRegularizer,
  getRegularizer,
  listRegularizers,
  parseRegularizerSpec,
  registerRegularizer,
  scheduledWeight,
  traceVjp,
  type ForwardTrace,
  type LayerTrace,
} from '../src/index.js';
import { checkRegularizer } from '../src/testing.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BUILT_IN = ['chain-bound', 'curvature', 'derivative-hinge', 'input-gradient', 'jacobian-frobenius', 'jacobian-projection', 'l2', 'spectral-norm'];
const scalar = (t: tf.Tensor) => t.dataSync()[0]!;

/** A random 2-layer ChainzRule network and a batch: the trace and a function of x for autodiff. */
function network(seed: number, batch = 3) {
  const [inDim, hidden, out] = [5, 4, 3];
  const w1 = tf.randomNormal([inDim, hidden], 0, 0.7, 'float32', seed) as tf.Tensor2D;
  const b1 = tf.randomNormal([hidden], 0, 0.2, 'float32', seed + 1);
  const w2 = tf.randomNormal([hidden, out], 0, 0.7, 'float32', seed + 2) as tf.Tensor2D;
  const engine = new PolynomialEngine({ basis: 'legendre', degree: 5, init: 'swish' });
  engine.build([null, hidden]);
  engine.coefficientVariable.assign(tf.randomNormal([6], 0, 0.5, 'float32', seed + 3));
  const x = tf.randomNormal([batch, inDim], 0, 1, 'float32', seed + 4) as tf.Tensor2D;
  const f = (input: tf.Tensor) => tf.matMul(engine.evaluate(tf.add(tf.matMul(input, w1), b1)).p, w2);
  const z1 = tf.add(tf.matMul(x, w1), b1) as tf.Tensor2D;
  const { p, dp, d2p } = engine.evaluate(z1);
  const trace: LayerTrace[] = [
    { name: 'hidden', input: x, kernel: w1, z: z1, dp: dp as tf.Tensor2D, d2p: d2p as tf.Tensor2D },
    { name: 'logits', input: p as tf.Tensor2D, kernel: w2, z: tf.matMul(p, w2) as tf.Tensor2D, dp: null, d2p: null },
  ];
  return { trace, f, x, out, w1, w2 };
}

/** ||J(x_b)||_F^2 of the whole network per sample, by autodiff (one tf.grad per output). */
function autodiffJacobianFrobenius(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor2D, out: number): number[] {
  const total = new Array(x.shape[0]).fill(0);
  for (let k = 0; k < out; k++) {
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.slice(f(input), [0, k], [-1, 1])))(x);
    tf.sum(tf.square(g), 1).dataSync().forEach((v, b) => (total[b] += v));
  }
  return total;
}

describe('registry', () => {
  it('lists the eight built-ins', () => {
    expect(listRegularizers()).toEqual(BUILT_IN);
  });

  it.each(BUILT_IN)('%s passes the conformance kit', (name) => {
    expect(checkRegularizer(getRegularizer(name))).toEqual([]);
  });

  it('parses command-line specs and validates them up front', () => {
    expect(parseRegularizerSpec('derivative-hinge:threshold=2,weight=0.01')).toEqual({ name: 'derivative-hinge', config: { threshold: 2 }, weight: 0.01 });
    expect(parseRegularizerSpec('l2')).toEqual({ name: 'l2', config: {}, weight: undefined });
    expect(() => parseRegularizerSpec('derivative-hinge:threshold=-1')).toThrow(/threshold must be a number >= 0, got -1/);
    expect(() => parseRegularizerSpec('derivative-hinge:tresh=1')).toThrow(/unknown option 'tresh': use threshold/);
    expect(() => parseRegularizerSpec('l2:weight=abc')).toThrow(/weight must be a number >= 0/);
    expect(() => parseRegularizerSpec('lasso')).toThrow(/unknown regularizer 'lasso'/);
    expect(() => parseRegularizerSpec('l2:x')).toThrow(/not k=v/);
  });
});

describe('conformance kit catches broken regularizers', () => {
  class Leaky extends DregRegularizer {
    static className = 'test-leaky';
    apply(trace: ForwardTrace): tf.Scalar {
      tf.square(trace[0]!.kernel); // allocated outside tidy and never disposed
      return tf.scalar(1);
    }
    getConfig() {
      return {};
    }
  }
  class Negative extends DregRegularizer {
    static className = 'test-negative';
    apply(trace: ForwardTrace): tf.Scalar {
      return tf.tidy(() => tf.neg(tf.sum(tf.square(trace[0]!.kernel))) as tf.Scalar);
    }
    getConfig() {
      return {};
    }
  }
  it('reports a leak and a negative value', () => {
    registerRegularizer(Leaky);
    registerRegularizer(Negative);
    const leaky = checkRegularizer(new Leaky()).join('\n');
    expect(leaky).toMatch(/100 tensors leaked over 100 calls/);
    expect(leaky).toMatch(/no gradient with respect to the weights/);
    expect(checkRegularizer(new Negative()).join('\n')).toMatch(/expected >= 0/);
  });
});

describe('values', () => {
  it('traceVjp gives the autodiff input gradient of v . f(x)', () => {
    const { trace, f, x, out } = network(1);
    const v = tf.randomNormal([3, out], 0, 1, 'float32', 9) as tf.Tensor2D;
    const analytic = traceVjp(trace, v).dataSync();
    const auto = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input), v)))(x).dataSync();
    Array.from(analytic).forEach((a, i) => expect(a).toBeCloseTo(auto[i]!, 4));
  });

  it('input-gradient equals mean ||d CE / d x||^2 by autodiff', () => {
    const { trace, f, x } = network(2);
    const labels = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3) as tf.Tensor2D;
    const logits = trace[1]!.z;
    const value = scalar(getRegularizer('input-gradient').apply(trace, { logits, labels }));
    // Per-sample CE summed over the batch, so each row of the gradient is that sample's own.
    const ce = (input: tf.Tensor) => tf.sum(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(f(input))), 1)));
    const g = tf.grad(ce)(x);
    const expected = scalar(tf.mean(tf.sum(tf.square(g), 1)));
    expect(Math.abs(value - expected) / expected).toBeLessThan(1e-4);
  });

  it('jacobian-projection is an unbiased estimate of the network Jacobian norm (mean over many projections within 2%)', () => {
    const { trace, f, x, out } = network(3, 4);
    const exact = autodiffJacobianFrobenius(f, x, out).reduce((a, b) => a + b, 0) / 4;
    const estimate = scalar(getRegularizer('jacobian-projection', { projections: 4000, seed: 1 }).apply(trace));
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.02);
  });

  it('chain-bound is the product of the layer Frobenius norms and bounds the network Jacobian', () => {
    const { trace, f, x, out, w2 } = network(4, 1);
    const j1 = scalar(getRegularizer('jacobian-frobenius', { layers: 'engine' }).apply(trace));
    const w2f = scalar(tf.sum(tf.square(w2)));
    const bound = scalar(getRegularizer('chain-bound').apply(trace));
    expect(bound).toBeCloseTo(j1 * w2f, 3);
    expect(autodiffJacobianFrobenius(f, x, out)[0]!).toBeLessThanOrEqual(bound);
  });

  it('derivative-hinge only counts slopes above the threshold (hand-computed)', () => {
    // unit 0: ||W_0|| = sqrt(1 + 9) = 3.1623, unit 1: ||W_1|| = sqrt(4 + 16) = 4.4721
    const kernel = tf.tensor2d([[1, 2], [3, 4]]);
    const layer: LayerTrace = { name: 'h', input: tf.zeros([1, 2]), kernel, z: tf.zeros([1, 2]), dp: tf.tensor2d([[0.5, -1]]), d2p: null };
    // slopes 1.5811 and 4.4721; threshold 2: only unit 1 counts, (4.4721 - 2)^2 = 6.1115
    const value = scalar(getRegularizer('derivative-hinge', { threshold: 2 }).apply([layer]));
    expect(value).toBeCloseTo((Math.sqrt(20) - 2) ** 2, 4);
    expect(scalar(getRegularizer('derivative-hinge', { threshold: 5 }).apply([layer]))).toBe(0);
  });

  it('curvature: sum a\'\'(z_i)^2 ||W_i||^4 (hand-computed)', () => {
    const kernel = tf.tensor2d([[1, 2], [3, 4]]);
    const layer: LayerTrace = { name: 'h', input: tf.zeros([1, 2]), kernel, z: tf.zeros([1, 2]), dp: tf.ones([1, 2]), d2p: tf.tensor2d([[0.5, 0.1]]) };
    // 0.25 * 10^2 + 0.01 * 20^2 = 25 + 4 = 29
    expect(scalar(getRegularizer('curvature').apply([layer, { ...layer, d2p: null }]))).toBeCloseTo(29, 4);
  });

  it('spectral-norm: sigma^2 of each kernel by power iteration', () => {
    // singular values of [[3, 0], [4, 5]] are sqrt(45) and sqrt(5): sigma_max^2 = 45
    const layer: LayerTrace = { name: 'h', input: tf.zeros([1, 2]), kernel: tf.tensor2d([[3, 0], [4, 5]]), z: tf.zeros([1, 2]), dp: null, d2p: null };
    expect(scalar(getRegularizer('spectral-norm', { iterations: 50 }).apply([layer]))).toBeCloseTo(45, 3);
  });

  it('l2: sum of squared kernel entries', () => {
    const layer: LayerTrace = { name: 'h', input: tf.zeros([1, 2]), kernel: tf.tensor2d([[1, 2], [3, 4]]), z: tf.zeros([1, 2]), dp: null, d2p: null };
    expect(scalar(getRegularizer('l2').apply([layer, layer]))).toBe(60);
  });
});

describe('lambda schedules', () => {
  it('constant and linear warm-up', () => {
    expect(scheduledWeight(0.1, undefined, 5)).toBe(0.1);
    expect(scheduledWeight(0.1, { kind: 'constant' }, 5)).toBe(0.1);
    expect(scheduledWeight(1, { kind: 'linear-warmup', steps: 4 }, 0)).toBe(0.25);
    expect(scheduledWeight(1, { kind: 'linear-warmup', steps: 4 }, 3)).toBe(1);
    expect(scheduledWeight(1, { kind: 'linear-warmup', steps: 4 }, 100)).toBe(1);
  });
});
