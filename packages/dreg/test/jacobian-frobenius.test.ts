import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { beforeAll, describe, expect, it } from 'vitest';
import { JacobianFrobenius, getRegularizer, layerJacobianFrobenius, layerJacobianFrobeniusPerSample, listRegularizers, RegularizerConfigError, type LayerTrace } from '../src/index.js';

// The fused op computes in JavaScript on the cpu backend and with backend kernels elsewhere; the
// cpu backend under another name takes the second path, so both are checked here.
tf.registerBackend('cpu-kernels', () => new MathBackendCPU());
for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'cpu-kernels' });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const onEachPath = (name: string, f: () => void) =>
  it.each(['cpu', 'cpu-kernels'])(`${name} (backend %s)`, async (backend) => {
    await tf.setBackend(backend);
    try {
      f();
    } finally {
      await tf.setBackend('cpu');
    }
  });

describe('jacobian-frobenius', () => {
  onEachPath('hand-computed 2x2 layer', () => {
    // kernel [in, units]: unit 0 has weights (1, 3), ||W_0||^2 = 10; unit 1 has (2, 4), ||W_1||^2 = 20.
    const kernel = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    // Two samples: a'(z) = (0.5, 2) and (1, 0).
    const dp = tf.tensor2d([
      [0.5, 2],
      [1, 0],
    ]);
    const layer: LayerTrace = { name: 'h', input: tf.zeros([2, 2]), kernel, z: tf.zeros([2, 2]), dp, d2p: null };
    // sample 1: 0.25*10 + 4*20 = 82.5; sample 2: 1*10 + 0 = 10; mean = 46.25
    expect(layerJacobianFrobenius(layer).dataSync()[0]).toBeCloseTo(46.25, 5);
    // A linear layer: ||W||_F^2 = 1 + 4 + 9 + 16 = 30.
    expect(layerJacobianFrobenius({ ...layer, dp: null }).dataSync()[0]).toBeCloseTo(30, 5);
    // Summed over layers; 'engine' keeps only non-linear layers.
    const trace = [layer, { ...layer, dp: null }];
    expect(new JacobianFrobenius().apply(trace).dataSync()[0]).toBeCloseTo(76.25, 4);
    expect(new JacobianFrobenius({ layers: 'engine' }).apply(trace).dataSync()[0]).toBeCloseTo(46.25, 4);
  });

  it('equals the Frobenius norm of the autodiff Jacobian of a Polynomial Engine layer', () => {
    const [inDim, units] = [5, 4];
    const kernel = tf.randomNormal([inDim, units], 0, 0.7, 'float32', 1) as tf.Tensor2D;
    const bias = tf.randomNormal([units], 0, 0.3, 'float32', 2);
    const engine = new PolynomialEngine({ basis: 'chebyshev', degree: 5, init: 'gelu' });
    engine.build([null, units]);
    const x = tf.randomNormal([1, inDim], 0, 1, 'float32', 3) as tf.Tensor2D;
    const layerFn = (input: tf.Tensor) => engine.evaluate(tf.add(tf.matMul(input, kernel), bias)).p;
    // Row i of the Jacobian: d h_i / d x by autodiff.
    let frob = 0;
    for (let i = 0; i < units; i++) {
      const g = tf.grad((input: tf.Tensor) => tf.sum(tf.slice(layerFn(input), [0, i], [1, 1])))(x);
      frob += tf.sum(tf.square(g)).dataSync()[0]!;
    }
    const z = tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D;
    const { dp, d2p } = engine.evaluate(z);
    const analytic = layerJacobianFrobenius({ name: 'h', input: x, kernel, z, dp: dp as tf.Tensor2D, d2p: d2p as tf.Tensor2D }).dataSync()[0]!;
    expect(Math.abs(analytic - frob) / frob).toBeLessThan(1e-4);
  });

  onEachPath('the fused op equals the tensor-op formula in value and gradient', () => {
    const kernel = tf.randomNormal([7, 4], 0, 1, 'float32', 11) as tf.Tensor2D;
    const dp = tf.randomNormal([5, 4], 0, 1, 'float32', 12) as tf.Tensor2D;
    const layer = (k: tf.Tensor, d: tf.Tensor): LayerTrace => ({ name: 'h', input: tf.zeros([5, 7]), kernel: k as tf.Tensor2D, z: tf.zeros([5, 4]), dp: d as tf.Tensor2D, d2p: null });
    // scaled by 3.5: the upstream gradient is not 1 in training (lambda times the penalty)
    const fused = (k: tf.Tensor, d: tf.Tensor) => tf.mul(layerJacobianFrobenius(layer(k, d)), 3.5);
    // Reference: the same formula with plain tfjs ops, differentiated by autodiff.
    const reference = (k: tf.Tensor, d: tf.Tensor) => tf.mul(tf.mean(tf.sum(tf.mul(tf.square(d), tf.sum(tf.square(k), 0)), 1)), 3.5);
    expect(fused(kernel, dp).dataSync()[0]).toBeCloseTo(reference(kernel, dp).dataSync()[0]!, 3);
    const [gkF, gdF] = tf.grads(fused)([kernel, dp]);
    const [gkR, gdR] = tf.grads(reference)([kernel, dp]);
    for (const [a, b] of [[gkF!, gkR!], [gdF!, gdR!]]) {
      const [x, y] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
      x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(y[i]!))));
    }
  });

  onEachPath('the whole-network op (engine layer + linear layer) equals the per-layer tensor-op sum, value and gradients', () => {
    const k1 = tf.randomNormal([9, 4], 0, 1, 'float32', 21) as tf.Tensor2D;
    const d1 = tf.randomNormal([6, 4], 0, 1, 'float32', 22) as tf.Tensor2D;
    const k2 = tf.randomNormal([4, 3], 0, 1, 'float32', 23) as tf.Tensor2D;
    const trace = (a: tf.Tensor, d: tf.Tensor, b: tf.Tensor): LayerTrace[] => [
      { name: 'h', input: tf.zeros([6, 9]), kernel: a as tf.Tensor2D, z: tf.zeros([6, 4]), dp: d as tf.Tensor2D, d2p: null },
      { name: 'out', input: tf.zeros([6, 4]), kernel: b as tf.Tensor2D, z: tf.zeros([6, 3]), dp: null, d2p: null },
    ];
    const fused = (a: tf.Tensor, d: tf.Tensor, b: tf.Tensor) => tf.mul(new JacobianFrobenius().apply(trace(a, d, b)), 3.5);
    // Reference: the sum over both layers of mean(layerJacobianFrobeniusPerSample), i.e.
    // mean_b sum_i d_bi^2 ||W1_i||^2 + ||W2||_F^2, with plain tfjs ops, by autodiff (times 3.5, an
    // upstream gradient other than 1).
    const reference = (a: tf.Tensor, d: tf.Tensor, b: tf.Tensor) =>
      tf.mul(tf.addN(trace(a, d, b).map((l) => tf.mean(layerJacobianFrobeniusPerSample(l)))), 3.5);
    const expected = reference(k1, d1, k2).dataSync()[0]!;
    expect(Math.abs(fused(k1, d1, k2).dataSync()[0]! - expected) / expected).toBeLessThan(1e-6);
    // 'engine' skips the linear layer
    const engineOnly = 3.5 * new JacobianFrobenius({ layers: 'engine' }).apply(trace(k1, d1, k2)).dataSync()[0]!;
    expect(Math.abs(engineOnly - (expected - 3.5 * tf.sum(tf.square(k2)).dataSync()[0]!)) / expected).toBeLessThan(1e-6);
    const gF = tf.grads(fused)([k1, d1, k2]);
    const gR = tf.grads(reference)([k1, d1, k2]);
    gF.forEach((g, n) => {
      const [x, y] = [Array.from(g.dataSync()), Array.from(gR[n]!.dataSync())];
      expect(x).toHaveLength(y.length);
      x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(y[i]!))));
    });
  });

  it('registry: by name, config round trip, clear error for unknown names', () => {
    expect(listRegularizers()).toContain('jacobian-frobenius');
    const r = getRegularizer('jacobian-frobenius', { layers: 'engine' });
    expect(r).toBeInstanceOf(JacobianFrobenius);
    expect(r.getConfig()).toEqual({ layers: 'engine' });
    const again = getRegularizer(JacobianFrobenius.className, r.getConfig());
    expect(again.getConfig()).toEqual(r.getConfig());
    expect(() => getRegularizer('nope')).toThrow(RegularizerConfigError);
    expect(() => getRegularizer('nope')).toThrow(/unknown regularizer 'nope': use one of .*jacobian-frobenius/);
    expect(() => new JacobianFrobenius({ layers: 'some' as never })).toThrow(/layers must be 'all' or 'engine'/);
  });

  onEachPath('has finite gradients with respect to kernel and engine coefficients, and leaks nothing', () => {
    const kernel = tf.variable(tf.randomNormal([6, 3], 0, 1, 'float32', 4));
    const engine = new PolynomialEngine({ degree: 3 });
    engine.build([null, 3]);
    const x = tf.randomNormal([8, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
    const reg = new JacobianFrobenius();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const z = tf.matMul(x, kernel) as tf.Tensor2D;
        const { dp, d2p } = engine.evaluate(z);
        return reg.apply([{ name: 'h', input: x, kernel: kernel as tf.Tensor2D, z, dp: dp as tf.Tensor2D, d2p: d2p as tf.Tensor2D }]);
      }, [kernel, engine.coefficientVariable]);
      expect(value.dataSync()[0]).toBeGreaterThan(0);
      for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
