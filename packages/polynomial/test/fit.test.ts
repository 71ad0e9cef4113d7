import { describe, expect, it } from 'vitest';
import { BASES } from '../src/index.js';
import { fitCoefficients, fitMaxError, INIT_TARGETS } from '../src/index.js';

describe('fitCoefficients', () => {
  it('identity is exactly p(u) = u in every basis', () => {
    for (const basis of BASES) for (let d = 1; d <= 8; d++) expect(fitCoefficients('identity', basis, d)).toEqual([0, 1, ...Array(d - 1).fill(0)]);
  });

  it('the same fit in different bases is the same polynomial', () => {
    // Chebyshev and power coefficients of one degree-4 least-squares fit describe the same p(u).
    const cp = fitCoefficients('relu', 'power', 4);
    const cc = fitCoefficients('relu', 'chebyshev', 4);
    const u = 0.37;
    const T = [1, u, 2 * u * u - 1, 4 * u ** 3 - 3 * u, 8 * u ** 4 - 8 * u * u + 1];
    const pPower = cp.reduce((s, c, k) => s + c * u ** k, 0);
    const pCheb = cc.reduce((s, c, k) => s + c * T[k]!, 0);
    expect(pCheb).toBeCloseTo(pPower, 6);
  });

  it('relu, gelu and swish fits stay within their stated max error on [-1, 1]', () => {
    // Stated bounds (degree 4 / degree 8), measured on a 2001-point grid.
    expect(fitMaxError('relu', 'chebyshev', 4)).toBeLessThan(0.07);
    expect(fitMaxError('relu', 'legendre', 8)).toBeLessThan(0.04);
    expect(fitMaxError('gelu', 'chebyshev', 4)).toBeLessThan(1e-3);
    expect(fitMaxError('swish', 'power', 4)).toBeLessThan(2e-4);
    // Sanity: the targets themselves.
    expect(INIT_TARGETS.gelu(1)).toBeCloseTo(0.841345, 5);
    expect(INIT_TARGETS.swish(1)).toBeCloseTo(0.731059, 5);
  });
});
