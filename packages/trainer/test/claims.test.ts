import { describe, expect, it } from 'vitest';
import { summarizeFairFight, type MeasuredRun } from '../src/index.js';

type Model = MeasuredRun['model'];
const run = (model: Model, seed: number, params: number, acc: number, peak: number, tail: number): MeasuredRun => ({
  model,
  seed,
  params,
  testAccuracy: acc,
  volatility: { mean: 1 + seed / 10, p50: 1, p99: tail * (1 + seed / 10), peak, tailRatio: tail },
});
const runsOf = (model: Model, params: number, acc: number[], peak: number[], tail: number[]) => acc.map((a, s) => run(model, s, params, a, peak[s]!, tail[s]!));

describe('summarizeFairFight with claims', () => {
  const runs = [
    ...runsOf('chainzrule', 25455, [0.9623, 0.9611, 0.964], [8.19, 8.0, 8.4], [2.18, 2.2, 2.1]),
    ...runsOf('baseline-relu', 407050, [0.9806, 0.9799, 0.9812], [24.6, 24.0, 25.1], [1.38, 1.4, 1.36]),
    ...runsOf('baseline-relu-small', 25450, [0.95, 0.951, 0.949], [10, 11, 12], [1.5, 1.6, 1.55]),
  ];
  const s = summarizeFairFight(runs, { claims: true });

  it('aggregates mean and sample std per model', () => {
    const cr = s.models.find((m) => m.model === 'chainzrule')!;
    expect(cr.seeds).toBe(3);
    expect(cr.metrics['testAccuracy']!.mean).toBeCloseTo(0.9624666666666667, 12);
    expect(cr.metrics['testAccuracy']!.std).toBeCloseTo(Math.sqrt(2.1233333333333394e-6), 12);
    // metrics the runs do not have are left out, not zero
    expect(cr.metrics['lipschitzBound']).toBeUndefined();
  });

  it('tests ChainzRule against each model on each compared metric, Bonferroni over all tests', () => {
    // 4 compared metrics present (accuracy, g mean, g peak, tail ratio) x 2 other models
    expect(s.comparisons).toHaveLength(8);
    expect(new Set(s.comparisons.map((c) => c.reference))).toEqual(new Set(['chainzrule']));
    const acc = s.comparisons.find((c) => c.metric === 'testAccuracy' && c.model === 'baseline-relu')!;
    // scipy.stats.ttest_ind(cr, relu, equal_var=False).pvalue = 0.00047005100786841423
    expect(acc.p).toBeCloseTo(0.00047005100786841423, 8);
    expect(acc.pAdjusted).toBeCloseTo(8 * 0.00047005100786841423, 8);
    expect(acc.t).toBeLessThan(0);
  });

  it('states each claim with the measurement, honestly', () => {
    expect(s.claims.map((c) => c.reproduced)).toEqual([true, false, true, false]);
    expect(s.claims[0]!.measured).toBe('15.99x (25455 vs 407050 parameters)');
    expect(s.claims[1]!.measured).toMatch(/^CR 0\.9625 ± 0\.0015 vs ReLU 0\.9806 ± 0\.0007 \(Welch p = 0\.00047, Bonferroni-adjusted 0\.0038\); a ReLU net of CR's size: 0\.9500 ± 0\.0010$/);
    // reductions 1 - 8.19/24.6, 1 - 8/24, 1 - 8.4/25.1: mean 66.64%
    expect(s.claims[2]!.measured).toMatch(/^-66\.6% ± 0\.\d% \(peak CR 8\.20 ± 0\.20 vs ReLU 24\.57 ± 0\.55; Welch p = /);
    expect(s.claims[3]!.measured).toBe('CR 2.16 ± 0.05; baseline-relu 1.38 ± 0.02, baseline-relu-small 1.55 ± 0.05');
    expect(s.peakVolatilityReduction).toBeCloseTo((1 - 8.19 / 24.6 + 1 - 8 / 24 + 1 - 8.4 / 25.1) / 3, 12);
  });

  it('a tail ratio of 1.01-1.02 below every standard model reproduces the tail claim', () => {
    const good = summarizeFairFight(
      [
        ...runsOf('chainzrule', 25455, [0.99, 0.991, 0.992], [8, 8.1, 8.2], [1.015, 1.012, 1.018]),
        ...runsOf('baseline-relu', 407050, [0.98, 0.981, 0.979], [24, 24.5, 25], [1.08, 1.07, 1.09]),
      ],
      { claims: true },
    );
    expect(good.claims.map((c) => c.reproduced)).toEqual([true, true, true, true]);
  });

  it('a claim a run cannot measure is null, not false; one seed has no test', () => {
    const onlyCr = summarizeFairFight(runsOf('chainzrule', 25455, [0.96], [8], [2]), { claims: true });
    expect(onlyCr.claims.every((c) => c.reproduced === null && /needs chainzrule and baseline-relu/.test(c.measured))).toBe(true);
    const one = summarizeFairFight([run('chainzrule', 0, 25455, 0.96, 8, 2), run('baseline-relu', 0, 407050, 0.98, 24, 1.4)], { claims: true });
    expect(one.comparisons.every((c) => c.p === null && c.pAdjusted === null)).toBe(true);
    expect(one.claims[1]!.measured).toMatch(/one seed: no test/);
    expect(one.peakVolatilityReductionStd).toBeNull();
  });
});
