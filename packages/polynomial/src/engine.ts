/**
 * The Polynomial Engine's derivative math, all in one place.
 *
 * An engine activation is `a(z) = p(u(z))` where `u` is a domain map that brings the
 * pre-activation `z` into the polynomial's domain `[-1, 1]` and
 *
 *     p(u) = sum_{k=0..d} c_k B_k(u)
 *
 * in a basis `B` (power, Chebyshev or Legendre). One call returns the value and the first and
 * second derivatives with respect to `z` (chain rule through the domain map included):
 *
 *     a'(z)  = p'(u) u'(z)
 *     a''(z) = p''(u) u'(z)^2 + p'(u) u''(z)
 *
 * Everything here is built from differentiable tfjs ops, so the derivatives themselves can be
 * trained through (DREG penalises `a'(z)`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { evaluatePolynomialFused } from './fused.js';

/** Polynomial basis on `[-1, 1]`. */
export type Basis = 'power' | 'chebyshev' | 'legendre';
/** How the pre-activation is brought into `[-1, 1]`. */
export type DomainMap = 'tanh' | 'clamp' | 'none';

export const BASES: readonly Basis[] = ['power', 'chebyshev', 'legendre'];
export const DOMAIN_MAPS: readonly DomainMap[] = ['tanh', 'clamp', 'none'];
export const MAX_DEGREE = 8;

/** The value of the activation and its first two derivatives with respect to the pre-activation. */
export interface EngineOutput {
  /** a(z) */
  p: tf.Tensor;
  /** da/dz */
  dp: tf.Tensor;
  /** d^2a/dz^2 */
  d2p: tf.Tensor;
}

/** Basis values and their derivatives in `u`, as three lists of length `degree + 1`. */
interface BasisTerms {
  b: tf.Tensor[];
  db: tf.Tensor[];
  d2b: tf.Tensor[];
}

/**
 * Basis functions B_k(u), B_k'(u), B_k''(u) for k = 0..degree by their three-term recurrences.
 *
 * - power:     B_k = u^k, B_k' = k u^{k-1}, B_k'' = k (k-1) u^{k-2}
 * - chebyshev: T_{k+1} = 2u T_k - T_{k-1}, T'_{k+1} = 2 T_k + 2u T'_k - T'_{k-1},
 *              T''_{k+1} = 4 T'_k + 2u T''_k - T''_{k-1}
 * - legendre:  (k+1) P_{k+1} = (2k+1) u P_k - k P_{k-1},
 *              (k+1) P'_{k+1} = (2k+1) (P_k + u P'_k) - k P'_{k-1},
 *              (k+1) P''_{k+1} = (2k+1) (2 P'_k + u P''_k) - k P''_{k-1}
 */
function basisTerms(u: tf.Tensor, basis: Basis, degree: number): BasisTerms {
  const one = tf.onesLike(u);
  const zero = tf.zerosLike(u);
  const b = [one, u];
  const db = [zero, one];
  const d2b = [zero, zero];
  for (let k = 1; k < degree; k++) {
    const [bk, bk1, dbk, dbk1, d2bk, d2bk1] = [b[k]!, b[k - 1]!, db[k]!, db[k - 1]!, d2b[k]!, d2b[k - 1]!];
    if (basis === 'power') {
      // u^{k+1} = u * u^k; derivatives by the product rule.
      b.push(tf.mul(u, bk));
      db.push(tf.add(bk, tf.mul(u, dbk)));
      d2b.push(tf.add(tf.mul(2, dbk), tf.mul(u, d2bk)));
    } else if (basis === 'chebyshev') {
      b.push(tf.sub(tf.mul(tf.mul(2, u), bk), bk1));
      db.push(tf.sub(tf.add(tf.mul(2, bk), tf.mul(tf.mul(2, u), dbk)), dbk1));
      d2b.push(tf.sub(tf.add(tf.mul(4, dbk), tf.mul(tf.mul(2, u), d2bk)), d2bk1));
    } else {
      const a = (2 * k + 1) / (k + 1);
      const c = k / (k + 1);
      b.push(tf.sub(tf.mul(a, tf.mul(u, bk)), tf.mul(c, bk1)));
      db.push(tf.sub(tf.mul(a, tf.add(bk, tf.mul(u, dbk))), tf.mul(c, dbk1)));
      d2b.push(tf.sub(tf.mul(a, tf.add(tf.mul(2, dbk), tf.mul(u, d2bk))), tf.mul(c, d2bk1)));
    }
  }
  return { b: b.slice(0, degree + 1), db: db.slice(0, degree + 1), d2b: d2b.slice(0, degree + 1) };
}

/** u(z), u'(z), u''(z) for a domain map. */
function domainMap(z: tf.Tensor, map: DomainMap): { u: tf.Tensor; du: tf.Tensor; d2u: tf.Tensor } {
  if (map === 'tanh') {
    // u = tanh z, u' = 1 - u^2, u'' = -2u (1 - u^2)
    const u = tf.tanh(z);
    const du = tf.sub(1, tf.square(u));
    return { u, du, d2u: tf.mul(tf.mul(-2, u), du) };
  }
  if (map === 'clamp') {
    // u = clip(z, -1, 1): slope 1 inside the domain, 0 outside; no curvature.
    const u = tf.clipByValue(z, -1, 1);
    // Written with step (which has a gradient) so that DREG can train through u'.
    const du = tf.sub(1, tf.step(tf.sub(tf.abs(z), 1)));
    return { u, du, d2u: tf.zerosLike(z) };
  }
  return { u: z, du: tf.onesLike(z), d2u: tf.zerosLike(z) };
}

/**
 * Evaluates `p`, `p'` and `p''` with respect to `z` in one pass, with tfjs ops (autodiff gives
 * the gradient). The reference implementation; `evaluatePolynomial` is the fused, faster form of
 * the same math and is tested against this one.
 *
 * @param z pre-activations, shape `[batch, units]` (any rank works for shared coefficients)
 * @param coefficients `[degree + 1]` (shared by all units) or `[units, degree + 1]` (per unit)
 */
export function evaluatePolynomialOps(
  z: tf.Tensor,
  coefficients: tf.Tensor,
  basis: Basis,
  domain: DomainMap,
): EngineOutput {
  return tf.tidy(() => {
    const degree = coefficients.shape[coefficients.shape.length - 1]! - 1;
    const { u, du, d2u } = domainMap(z, domain);
    const { b, db, d2b } = basisTerms(u, basis, degree);
    // Coefficient k as a tensor broadcasting against z: a scalar (shared) or a [units] row (per unit).
    const ck = tf.unstack(coefficients, coefficients.rank - 1);
    const combine = (terms: tf.Tensor[]) => tf.addN(terms.map((t, k) => tf.mul(ck[k]!, t)));
    const pu = combine(b);
    const dpu = combine(db);
    const d2pu = combine(d2b);
    return {
      p: pu,
      dp: tf.mul(dpu, du),
      d2p: tf.add(tf.mul(d2pu, tf.square(du)), tf.mul(dpu, d2u)),
    };
  });
}

/**
 * Basis values B_k(u) at plain numbers, for least-squares fits and for the maximum of |p'| on the
 * domain. Returns a `[u.length][degree + 1]` matrix.
 */
export function basisMatrix(u: ArrayLike<number>, basis: Basis, degree: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    const row = [1];
    if (degree >= 1) row.push(x);
    for (let k = 1; k < degree; k++) {
      if (basis === 'power') row.push(x * row[k]!);
      else if (basis === 'chebyshev') row.push(2 * x * row[k]! - row[k - 1]!);
      else row.push(((2 * k + 1) * x * row[k]! - k * row[k - 1]!) / (k + 1));
    }
    rows.push(row);
  }
  return rows;
}

/**
 * p, p', p'' with respect to the pre-activation in one pass: the fused op of `fused.ts`, equal to
 * `evaluatePolynomialOps` (tested) and several times faster for layer-sized inputs.
 *
 * @param z pre-activations, shape `[batch, units]` (any rank works for shared coefficients)
 * @param coefficients `[degree + 1]` (shared by all units) or `[units, degree + 1]` (per unit)
 */
export function evaluatePolynomial(z: tf.Tensor, coefficients: tf.Tensor, basis: Basis, domain: DomainMap): EngineOutput {
  return evaluatePolynomialFused(z, coefficients, basis, domain);
}
