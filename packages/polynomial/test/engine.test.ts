import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASES, DOMAIN_MAPS, evaluatePolynomial, evaluatePolynomialOps, type Basis, type DomainMap } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** Random coefficients and inputs that stay inside the domain for `none`/`clamp` (away from clamp kinks). */
function setup(degree: number, seed: number) {
  const c = tf.randomUniform([degree + 1], -1, 1, 'float32', seed);
  const z = tf.randomUniform([40], -0.9, 0.9, 'float32', seed + 1);
  return { c, z };
}

describe('evaluatePolynomial: hand-computed cases', () => {
  it('Chebyshev T2 = 2u^2 - 1 with the identity domain map', () => {
    const z = tf.tensor1d([-0.5, 0, 0.3]);
    const { p, dp, d2p } = evaluatePolynomial(z, tf.tensor1d([0, 0, 1]), 'chebyshev', 'none');
    expect(values(p)).toEqual([-0.5, -1, 2 * 0.09 - 1].map((v) => expect.closeTo(v, 6)));
    expect(values(dp)).toEqual([-2, 0, 1.2].map((v) => expect.closeTo(v, 6)));
    expect(values(d2p)).toEqual([4, 4, 4].map((v) => expect.closeTo(v, 6)));
  });

  it('Legendre P3 = (5u^3 - 3u) / 2 and its derivatives', () => {
    const u = 0.4;
    const { p, dp, d2p } = evaluatePolynomial(tf.tensor1d([u]), tf.tensor1d([0, 0, 0, 1]), 'legendre', 'none');
    expect(values(p)[0]).toBeCloseTo((5 * u ** 3 - 3 * u) / 2, 6);
    expect(values(dp)[0]).toBeCloseTo((15 * u ** 2 - 3) / 2, 6);
    expect(values(d2p)[0]).toBeCloseTo(15 * u, 5);
  });

  it('tanh map: a(z) = tanh(z) for p(u) = u, with a\' = 1 - tanh^2 and a\'\' = -2 tanh (1 - tanh^2)', () => {
    const zs = [-2, -0.3, 0, 0.7, 3];
    const { p, dp, d2p } = evaluatePolynomial(tf.tensor1d(zs), tf.tensor1d([0, 1]), 'power', 'tanh');
    zs.forEach((z, i) => {
      const t = Math.tanh(z);
      expect(values(p)[i]).toBeCloseTo(t, 6);
      expect(values(dp)[i]).toBeCloseTo(1 - t * t, 6);
      expect(values(d2p)[i]).toBeCloseTo(-2 * t * (1 - t * t), 6);
    });
  });

  it('per-unit coefficients apply column by column', () => {
    const z = tf.tensor2d([[0.5, 0.5]]);
    const c = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const { p } = evaluatePolynomial(z, c, 'power', 'none');
    expect(values(p)).toEqual([expect.closeTo(1, 6), expect.closeTo(0.25, 6)]);
  });
});

describe("evaluatePolynomial: p' against finite differences", () => {
  for (const basis of BASES)
    for (const domain of DOMAIN_MAPS)
      it(`${basis} / ${domain}, degree 5`, () => {
        const { c, z } = setup(5, 7);
        const h = 2e-3;
        const p = (x: tf.Tensor) => evaluatePolynomial(x, c, basis, domain).p;
        const fd = tf.div(tf.sub(p(tf.add(z, h)), p(tf.sub(z, h))), 2 * h);
        const { dp } = evaluatePolynomial(z, c, basis, domain);
        const a = values(dp);
        values(fd).forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(v))));
      });
});

describe("evaluatePolynomialOps (reference): p' and p'' equal tfjs autodiff", () => {
  // tfjs 4.22 cannot nest tf.grad through ops whose gradient reuses the op's output (tanh, exp,
  // clipByValue), so p'' is checked as the autodiff derivative of p', and p' as that of p.
  const cases: [Basis, DomainMap, number][] = [];
  for (const basis of BASES) for (const domain of DOMAIN_MAPS) for (let degree = 1; degree <= 8; degree++) cases.push([basis, domain, degree]);
  it.each(cases)('%s / %s / degree %i', (basis, domain, degree) => {
    tf.tidy(() => {
      const { c, z } = setup(degree, 11 * degree);
      const engine = (x: tf.Tensor) => evaluatePolynomialOps(x, c, basis, domain);
      // Elementwise maps: d/dz sum(f(z)) = f'(z).
      const ad1 = values(tf.grad((x: tf.Tensor) => tf.sum(engine(x).p))(z));
      const ad2 = values(tf.grad((x: tf.Tensor) => tf.sum(engine(x).dp))(z));
      const { dp, d2p } = engine(z);
      const [an1, an2] = [values(dp), values(d2p)];
      for (let i = 0; i < ad1.length; i++) {
        expect(Math.abs(an1[i]! - ad1[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ad1[i]!)));
        expect(Math.abs(an2[i]! - ad2[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ad2[i]!)));
      }
    });
  });

  it('nested tf.grad agrees where tfjs supports it (power basis, no domain map)', () => {
    const { c, z } = setup(6, 5);
    const p = (x: tf.Tensor) => evaluatePolynomialOps(x, c, 'power', 'none').p;
    const g1 = tf.grad((x: tf.Tensor) => tf.sum(p(x)));
    const g2 = values(tf.grad((x: tf.Tensor) => tf.sum(g1(x)))(z));
    const an2 = values(evaluatePolynomialOps(z, c, 'power', 'none').d2p);
    g2.forEach((v, i) => expect(Math.abs(v - an2[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v))));
  });
});

describe('evaluatePolynomial (fused op) equals the reference tensor-op implementation', () => {
  const cases: [Basis, DomainMap, number, boolean][] = [];
  for (const basis of BASES) for (const domain of DOMAIN_MAPS) for (const degree of [1, 2, 5, 8]) for (const perUnit of [false, true]) cases.push([basis, domain, degree, perUnit]);
  it.each(cases)('%s / %s / degree %i / per-unit %s: values and gradients', (basis, domain, degree, perUnit) => {
    tf.tidy(() => {
      const units = 3;
      const c = perUnit ? tf.randomUniform([units, degree + 1], -1, 1, 'float32', degree) : tf.randomUniform([degree + 1], -1, 1, 'float32', degree);
      const z = tf.randomUniform([7, units], -2, 2, 'float32', degree + 1);
      const fused = evaluatePolynomial(z, c, basis, domain);
      const ops = evaluatePolynomialOps(z, c, basis, domain);
      for (const key of ['p', 'dp', 'd2p'] as const) {
        const [a, b] = [values(fused[key]), values(ops[key])];
        a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b[i]!))));
      }
      // A random linear functional of (p, p', p'') exercises every path of the hand-written gradient.
      const w = [0, 1, 2].map((s) => tf.randomNormal([7, units], 0, 1, 'float32', 50 + s));
      const loss = (f: typeof evaluatePolynomial) => (zz: tf.Tensor, cc: tf.Tensor) => {
        const o = f(zz, cc, basis, domain);
        return tf.addN([tf.sum(tf.mul(w[0]!, o.p)), tf.sum(tf.mul(w[1]!, o.dp)), tf.sum(tf.mul(w[2]!, o.d2p))]);
      };
      const [gzF, gcF] = tf.grads(loss(evaluatePolynomial))([z, c]);
      const [gzO, gcO] = tf.grads(loss(evaluatePolynomialOps))([z, c]);
      for (const [a, b] of [[gzF!, gzO!], [gcF!, gcO!]] as const) {
        const [x, y] = [values(a), values(b)];
        x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(2e-4 * Math.max(1, Math.abs(y[i]!))));
      }
    });
  });
});

describe('evaluatePolynomial: extreme inputs', () => {
  it('|z| up to 1e4 gives finite p, p\', p\'\' with the tanh map', () => {
    const z = tf.tensor1d([-1e4, -50, 0, 50, 1e4]);
    for (const basis of BASES) {
      const out = evaluatePolynomial(z, tf.tensor1d([0.1, -0.5, 0.3, 0.2, -0.7, 0.4, 0.9, -0.2, 0.05]), basis, 'tanh');
      for (const t of [out.p, out.dp, out.d2p]) expect(values(t).every(Number.isFinite)).toBe(true);
      // Saturated tanh: the slope vanishes at the far ends.
      expect(Math.abs(values(out.dp)[0]!)).toBeLessThan(1e-6);
    }
  });

  it('does not leak tensors', () => {
    const z = tf.tensor1d([0.1, 0.2]);
    const c = tf.tensor1d([0, 1, 0.5]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) tf.dispose(Object.values(evaluatePolynomial(z, c, 'legendre', 'tanh')));
    expect(tf.memory().numTensors).toBe(before);
  });
});
