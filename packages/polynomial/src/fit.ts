/**
 * Initial coefficients for the Polynomial Engine: the identity exactly, or a least-squares fit of a
 * known activation on the polynomial's domain `[-1, 1]`.
 */
import { Matrix, solve } from 'ml-matrix';
import { type Basis, basisMatrix } from './engine.js';

/** What the engine starts as. `identity` is exact; the others are least-squares fits on `[-1, 1]`. */
export type EngineInit = 'identity' | 'relu' | 'gelu' | 'swish';
export const ENGINE_INITS: readonly EngineInit[] = ['identity', 'relu', 'gelu', 'swish'];

const erf = (x: number): number => {
  // Abramowitz and Stegun 7.1.26, |error| < 1.5e-7: enough for an initialisation target.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
};

/** The target activations, as plain functions of u. */
export const INIT_TARGETS: Record<EngineInit, (u: number) => number> = {
  identity: (u) => u,
  relu: (u) => Math.max(0, u),
  // gelu(u) = u * Phi(u)
  gelu: (u) => 0.5 * u * (1 + erf(u / Math.SQRT2)),
  // swish(u) = u * sigmoid(u)
  swish: (u) => u / (1 + Math.exp(-u)),
};

/** Number of grid points for the fit: dense enough that the fit is the continuous L2 fit to 1e-3. */
const FIT_POINTS = 401;

/**
 * Coefficients `c` (length `degree + 1`) that minimise `sum_j (p(u_j) - f(u_j))^2` over an even
 * grid `u_j` on `[-1, 1]`, solved by QR (ml-matrix).
 */
export function fitCoefficients(init: EngineInit, basis: Basis, degree: number): number[] {
  // B_1(u) = u in all three bases, so the identity is exact without a fit.
  if (init === 'identity') return Array.from({ length: degree + 1 }, (_, k) => (k === 1 ? 1 : 0));
  const target = INIT_TARGETS[init];
  const u = Array.from({ length: FIT_POINTS }, (_, j) => -1 + (2 * j) / (FIT_POINTS - 1));
  const a = new Matrix(basisMatrix(u, basis, degree));
  const b = Matrix.columnVector(u.map(target));
  return solve(a, b).getColumn(0);
}

/** Max |p(u) - f(u)| of a fit over a fine grid on the domain: the fit's stated error. */
export function fitMaxError(init: EngineInit, basis: Basis, degree: number): number {
  const c = fitCoefficients(init, basis, degree);
  const u = Array.from({ length: 2001 }, (_, j) => -1 + (2 * j) / 2000);
  const rows = basisMatrix(u, basis, degree);
  let worst = 0;
  rows.forEach((row, j) => {
    const p = row.reduce((s, bk, k) => s + c[k]! * bk, 0);
    worst = Math.max(worst, Math.abs(p - INIT_TARGETS[init](u[j]!)));
  });
  return worst;
}
