import { describe, expect, it } from 'vitest';
import { bonferroni, meanStd, welchTTest } from '../src/stats.js';

describe('meanStd', () => {
  it('gives the mean and the sample (n - 1) standard deviation', () => {
    // mean 5; squared deviations 9 + 1 + 1 + 9 = 20; 20 / 3
    expect(meanStd([2, 4, 6, 8])).toEqual({ n: 4, mean: 5, std: Math.sqrt(20 / 3) });
    expect(meanStd([3])).toEqual({ n: 1, mean: 3, std: null });
  });
});

describe('welchTTest', () => {
  it("matches Wikipedia's Welch example A1 and scipy.stats.ttest_ind(equal_var=False)", () => {
    // en.wikipedia.org/wiki/Welch's_t-test, example 1: t = -2.46, df = 24.99, p = 0.021.
    // scipy 1.17 ttest_ind(a, b, equal_var=False): statistic -2.455356398286006,
    // pvalue 0.021378001462866992, df 24.988529290231416.
    const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const r = welchTTest(a, b)!;
    expect(r.t).toBeCloseTo(-2.455356398286006, 10);
    expect(r.df).toBeCloseTo(24.988529290231416, 8);
    expect(r.p).toBeCloseTo(0.021378001462866992, 8);
  });

  it('three seeds against three seeds, checked by hand and against scipy', () => {
    // a: mean 0.96246667, s^2 = 2.123333e-6; b: mean 0.98056667, s^2 = 4.233333e-7
    // t = -0.0181 / sqrt((2.123333e-6 + 4.233333e-7) / 3) = -19.645
    // df = (7.0778e-7 + 1.4111e-7)^2 / ((7.0778e-7)^2 / 2 + (1.4111e-7)^2 / 2) = 2.767
    // scipy: statistic -19.645050533689304, pvalue 0.00047005100786841423, df 2.7670005546363945
    const r = welchTTest([0.9623, 0.9611, 0.964], [0.9806, 0.9799, 0.9812])!;
    expect(r.t).toBeCloseTo(-19.645050533689304, 6);
    expect(r.df).toBeCloseTo(2.7670005546363945, 6);
    expect(r.p).toBeCloseTo(0.00047005100786841423, 8);
    // symmetric in the order of the groups, up to the sign of t
    const s = welchTTest([0.9806, 0.9799, 0.9812], [0.9623, 0.9611, 0.964])!;
    expect(s.t).toBeCloseTo(-r.t, 10);
    expect(s.p).toBeCloseTo(r.p, 12);
  });

  it('has no answer for a single seed and handles zero variance', () => {
    expect(welchTTest([1], [2, 3])).toBeNull();
    expect(welchTTest([1, 1], [1, 1])).toEqual({ t: 0, df: 2, p: 1 });
    expect(welchTTest([1, 1], [2, 2])).toMatchObject({ t: -Infinity, p: 0 });
  });
});

describe('bonferroni', () => {
  it('multiplies by the number of tests and caps at 1', () => {
    expect(bonferroni(0.01, 6)).toBeCloseTo(0.06, 12);
    expect(bonferroni(0.3, 6)).toBe(1);
    expect(() => bonferroni(0.1, 0)).toThrow(/integer >= 1/);
  });
});
