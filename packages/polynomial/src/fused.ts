/**
 * The Polynomial Engine as one fused operation with an exact hand-written gradient.
 *
 * The tensor-op form (`evaluatePolynomialOps`) needs about 70 small tfjs ops forward and as many
 * backward; on tensors of a few thousand elements their dispatch cost, not arithmetic, is the
 * whole price. Here one pass over the elements computes a, a', a'' (and a''' for the gradient)
 * with the same recurrences, and the gradient is written out:
 *
 *     a   = P0
 *     a'  = P1 u'
 *     a'' = P2 u'^2 + P1 u''
 *     a''' = P3 u'^3 + 3 P2 u' u'' + P1 u'''        (P_m = sum_k c_k B_k^(m)(u))
 *
 *     dL/dz   = g0 a' + g1 a'' + g2 a'''
 *     dL/dc_k = sum [g0 B_k + g1 B_k' u' + g2 (B_k'' u'^2 + B_k' u'')]
 *
 * where (g0, g1, g2) are the upstream gradients of (a, a', a''). The gradient itself is not
 * differentiable again (tfjs cannot nest gradients through tanh anyway).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Basis, DomainMap, EngineOutput } from './engine.js';

/** u and its first three derivatives with respect to z. */
function mapDomain(z: number, domain: DomainMap, out: Float64Array): void {
  if (domain === 'tanh') {
    const u = Math.tanh(z);
    const u1 = 1 - u * u;
    out[0] = u;
    out[1] = u1;
    out[2] = -2 * u * u1;
    out[3] = -2 * u1 * u1 + 4 * u * u * u1;
  } else if (domain === 'clamp') {
    const inside = Math.abs(z) <= 1;
    out[0] = inside ? z : Math.sign(z);
    out[1] = inside ? 1 : 0;
    out[2] = 0;
    out[3] = 0;
  } else {
    out[0] = z;
    out[1] = 1;
    out[2] = 0;
    out[3] = 0;
  }
}

/** Recurrence weights of X_{k+1} = a_k u X_k - c_k X_{k-1} for k = 1..degree-1 (k = 0 gives X_1 = u). */
function recurrence(basis: Basis, degree: number): { a: Float64Array; c: Float64Array } {
  const a = new Float64Array(Math.max(degree, 1));
  const c = new Float64Array(Math.max(degree, 1));
  for (let k = 1; k < degree; k++) {
    if (basis === 'power') [a[k], c[k]] = [1, 0];
    else if (basis === 'chebyshev') [a[k], c[k]] = [2, 1];
    else [a[k], c[k]] = [(2 * k + 1) / (k + 1), k / (k + 1)];
  }
  return { a, c };
}

/**
 * p, p', p'' of the engine at `z` as a single differentiable op with respect to `z` and the
 * coefficients (`[degree + 1]` shared or `[units, degree + 1]` per unit).
 */
export function evaluatePolynomialFused(z: tf.Tensor, coefficients: tf.Tensor, basis: Basis, domain: DomainMap): EngineOutput {
  const k1 = coefficients.shape[coefficients.shape.length - 1]!;
  const degree = k1 - 1;
  const perUnit = coefficients.rank === 2;
  const units = perUnit ? coefficients.shape[0]! : 1;
  if (perUnit && z.shape[z.shape.length - 1] !== units)
    throw new Error(`per-unit coefficients for ${units} units, but the input has ${z.shape[z.shape.length - 1]}`);
  const rec = recurrence(basis, degree);
  const map = new Float64Array(4);

  const A = rec.a;
  const C = rec.c;

  // The loops below inline the basis recurrence in rolling scalars (they run once per element):
  // the m-th derivative of X_{k+1} = a_k u X_k - c_k X_{k-1} is a_k (m X_k^(m-1) + u X_k^(m)) - c_k X_{k-1}^(m).
  const op = tf.customGrad(((zIn: tf.Tensor, cIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const zs = zIn.dataSync() as Float32Array;
    const cs = cIn.dataSync() as Float32Array;
    const n = zs.length;
    const out = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      mapDomain(zs[i]!, domain, map);
      const u = map[0]!;
      const u1 = map[1]!;
      const u2 = map[2]!;
      const off = perUnit ? (i % units) * k1 : 0;
      let p0 = cs[off]!;
      let p1 = 0;
      let p2 = 0;
      if (degree >= 1) {
        let q0 = 1, q1 = 0, q2 = 0; // prettier-ignore
        let x0 = u, x1 = 1, x2 = 0; // prettier-ignore
        const c1 = cs[off + 1]!;
        p0 += c1 * u;
        p1 += c1;
        for (let k = 1; k < degree; k++) {
          const a = A[k]!;
          const c = C[k]!;
          const n0 = a * (u * x0) - c * q0;
          const n1 = a * (x0 + u * x1) - c * q1;
          const n2 = a * (2 * x1 + u * x2) - c * q2;
          q0 = x0; q1 = x1; q2 = x2; // prettier-ignore
          x0 = n0; x1 = n1; x2 = n2; // prettier-ignore
          const ck = cs[off + k + 1]!;
          p0 += ck * x0;
          p1 += ck * x1;
          p2 += ck * x2;
        }
      }
      out[i] = p0;
      out[n + i] = p1 * u1;
      out[2 * n + i] = p2 * u1 * u1 + p1 * u2;
    }
    save([zIn, cIn]);
    return {
      value: tf.tensor(out, [3, ...zIn.shape]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zSaved, cSaved] = saved as [tf.Tensor, tf.Tensor];
        const zv = zSaved.dataSync() as Float32Array;
        const cv = cSaved.dataSync() as Float32Array;
        const g = dy.dataSync() as Float32Array;
        const dz = new Float32Array(n);
        const dc = new Float64Array(cv.length);
        for (let i = 0; i < n; i++) {
          mapDomain(zv[i]!, domain, map);
          const u = map[0]!;
          const u1 = map[1]!;
          const u2 = map[2]!;
          const u3 = map[3]!;
          const off = perUnit ? (i % units) * k1 : 0;
          const g0 = g[i]!;
          const g1u1 = g[n + i]! * u1;
          const g2 = g[2 * n + i]!;
          const g2u1u1 = g2 * u1 * u1;
          const g2u2 = g2 * u2;
          // k = 0: B = 1, derivatives 0
          dc[off] += g0;
          let q1 = 0, q2 = 0, q3 = 0; // prettier-ignore -- P_1, P_2, P_3
          if (degree >= 1) {
            let r0 = 1, r1 = 0, r2 = 0, r3 = 0; // prettier-ignore -- X_{k-1}
            let x0 = u, x1 = 1, x2 = 0, x3 = 0; // prettier-ignore -- X_k
            const c1 = cv[off + 1]!;
            q1 += c1;
            dc[off + 1] += g0 * u + g1u1 + g2u2;
            for (let k = 1; k < degree; k++) {
              const a = A[k]!;
              const c = C[k]!;
              const n0 = a * (u * x0) - c * r0;
              const n1 = a * (x0 + u * x1) - c * r1;
              const n2 = a * (2 * x1 + u * x2) - c * r2;
              const n3 = a * (3 * x2 + u * x3) - c * r3;
              r0 = x0; r1 = x1; r2 = x2; r3 = x3; // prettier-ignore
              x0 = n0; x1 = n1; x2 = n2; x3 = n3; // prettier-ignore
              const ck = cv[off + k + 1]!;
              q1 += ck * x1;
              q2 += ck * x2;
              q3 += ck * x3;
              dc[off + k + 1] += g0 * x0 + g1u1 * x1 + g2u1u1 * x2 + g2u2 * x1;
            }
          }
          const a1 = q1 * u1;
          const a2 = q2 * u1 * u1 + q1 * u2;
          const a3 = q3 * u1 * u1 * u1 + 3 * q2 * u1 * u2 + q1 * u3;
          dz[i] = g0 * a1 + g[n + i]! * a2 + g2 * a3;
        }
        return [tf.tensor(dz, zSaved.shape), tf.tensor(Float32Array.from(dc), cSaved.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => {
    const [p, dp, d2p] = tf.unstack(op(z, coefficients));
    return { p: p!, dp: dp!, d2p: d2p! };
  });
}
