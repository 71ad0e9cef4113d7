/** Statistics for comparing models over seeds: mean +- std, Welch's t-test, Bonferroni. */
import jStat from 'jstat';

/** Mean and sample standard deviation (n - 1; `null` for a single value). */
export interface MeanStd {
  n: number;
  mean: number;
  std: number | null;
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) throw new RangeError('meanStd of an empty list');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: null };
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { n, mean, std: Math.sqrt(ss / (n - 1)) };
}

export interface WelchResult {
  /** t = (mean_a - mean_b) / sqrt(s_a^2 / n_a + s_b^2 / n_b) */
  t: number;
  /** Welch-Satterthwaite degrees of freedom */
  df: number;
  /** two-sided p-value */
  p: number;
}

/**
 * Welch's unequal-variance t-test, two-sided:
 *
 *     t  = (m_a - m_b) / sqrt(v_a / n_a + v_b / n_b)
 *     df = (v_a / n_a + v_b / n_b)^2 / ((v_a / n_a)^2 / (n_a - 1) + (v_b / n_b)^2 / (n_b - 1))
 *     p  = 2 (1 - T_df(|t|))
 *
 * with sample variances `v` and the Student t CDF `T_df` from jstat. `null` when a group has
 * fewer than two values. When both groups have zero variance, the means either agree (p = 1)
 * or differ with no noise at all (p = 0).
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const sa = meanStd(a);
  const sb = meanStd(b);
  const qa = sa.std! ** 2 / sa.n;
  const qb = sb.std! ** 2 / sb.n;
  const se2 = qa + qb;
  const diff = sa.mean - sb.mean;
  if (se2 === 0) return diff === 0 ? { t: 0, df: sa.n + sb.n - 2, p: 1 } : { t: Math.sign(diff) * Infinity, df: sa.n + sb.n - 2, p: 0 };
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (qa ** 2 / (sa.n - 1) + qb ** 2 / (sb.n - 1));
  const p = Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), df)));
  return { t, df, p };
}

/** Bonferroni adjustment of one p-value in a family of `m` tests: `min(1, m p)`. */
export function bonferroni(p: number, m: number): number {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`bonferroni: the number of tests must be an integer >= 1, got ${m}`);
  return Math.min(1, p * m);
}
