/**
 * From Fair Fight runs to conclusions: mean +- std over seeds per model, Welch t-tests of
 * ChainzRule against every other model with a Bonferroni correction, and the paper's claims
 * with what was measured.
 */
import type { ModelKind } from './models.js';
import { bonferroni, meanStd, welchTTest, type MeanStd } from './stats.js';

/**
 * The fields of a run the statistics read (a subset of `RunResult`). Metrics a run does not have
 * (a text run has no FGSM, for example) are left out of its aggregates and tests.
 */
export interface MeasuredRun {
  model: ModelKind;
  seed: number;
  params: number;
  testAccuracy: number;
  volatility: { mean: number; p50: number; p99: number; peak: number; tailRatio: number };
  lossVolatility?: { mean: number; peak: number };
  fgsm?: { epsilon: number; accuracy: number }[];
  lipschitzBound?: number | null;
  localSensitivity?: { mean: number; peak: number };
  trainingGradient?: { mean: number; std: number; peak: number };
  trainSeconds?: number;
}

/** A number read from every run, with which direction is better. */
export interface MetricDefinition {
  key: string;
  label: string;
  better: 'higher' | 'lower';
  /** Whether ChainzRule is tested against the other models on it (the Bonferroni family). */
  compared: boolean;
  read: (run: MeasuredRun) => number | undefined;
}

/** The metrics aggregated over seeds; FGSM adds one per epsilon (`fgsm@0.1`). */
export function metricDefinitions(epsilons: readonly number[]): MetricDefinition[] {
  return [
    { key: 'testAccuracy', label: 'test accuracy', better: 'higher', compared: true, read: (r) => r.testAccuracy },
    { key: 'volatility.mean', label: 'g mean', better: 'lower', compared: true, read: (r) => r.volatility.mean },
    { key: 'volatility.p99', label: 'g p99', better: 'lower', compared: false, read: (r) => r.volatility.p99 },
    { key: 'volatility.peak', label: 'g peak', better: 'lower', compared: true, read: (r) => r.volatility.peak },
    { key: 'volatility.tailRatio', label: 'tail p99/mean', better: 'lower', compared: true, read: (r) => r.volatility.tailRatio },
    { key: 'lossVolatility.mean', label: 'loss-gradient mean', better: 'lower', compared: false, read: (r) => r.lossVolatility?.mean },
    { key: 'localSensitivity.mean', label: 'local sensitivity mean', better: 'lower', compared: false, read: (r) => r.localSensitivity?.mean },
    { key: 'localSensitivity.peak', label: 'local sensitivity peak', better: 'lower', compared: true, read: (r) => r.localSensitivity?.peak },
    { key: 'lipschitzBound', label: 'Lipschitz bound', better: 'lower', compared: true, read: (r) => r.lipschitzBound ?? undefined },
    ...epsilons.map(
      (eps): MetricDefinition => ({
        key: `fgsm@${eps}`,
        label: `FGSM acc eps=${eps}`,
        better: 'higher',
        compared: true,
        read: (r) => r.fgsm?.find((f) => f.epsilon === eps)?.accuracy,
      }),
    ),
    { key: 'trainingGradient.std', label: 'train grad-norm std', better: 'lower', compared: true, read: (r) => r.trainingGradient?.std },
    { key: 'trainingGradient.peak', label: 'train grad-norm peak', better: 'lower', compared: false, read: (r) => r.trainingGradient?.peak },
    { key: 'trainSeconds', label: 'train seconds', better: 'lower', compared: false, read: (r) => r.trainSeconds },
  ];
}

/** One model over its seeds. */
export interface ModelAggregate {
  model: ModelKind;
  seeds: number;
  params: number;
  /** mean and sample std over seeds, by metric key */
  metrics: Record<string, MeanStd>;
}

/** ChainzRule (the reference) against one other model on one metric. */
export interface Comparison {
  metric: string;
  reference: ModelKind;
  model: ModelKind;
  referenceMean: number;
  modelMean: number;
  /** Welch's t (reference minus model), its degrees of freedom and two-sided p; null with one seed */
  t: number | null;
  df: number | null;
  p: number | null;
  /** p times the number of tests in the family (capped at 1) */
  pAdjusted: number | null;
}

/** A claim of the paper next to the measurement. `reproduced` is null when this run cannot tell. */
export interface Claim {
  claim: string;
  paper: string;
  measured: string;
  reproduced: boolean | null;
}

/** Significance level of the claims, after the Bonferroni correction. */
export const ALPHA = 0.05;

export function aggregateRuns(runs: readonly MeasuredRun[], metrics: readonly MetricDefinition[]): ModelAggregate[] {
  const models = [...new Set(runs.map((r) => r.model))];
  return models.map((model) => {
    const mine = runs.filter((r) => r.model === model);
    const values: Record<string, MeanStd> = {};
    for (const m of metrics) {
      const xs = mine.map(m.read).filter((v): v is number => v !== undefined);
      if (xs.length) values[m.key] = meanStd(xs);
    }
    return { model, seeds: mine.length, params: mine[0]!.params, metrics: values };
  });
}

/**
 * Welch's t-test of the reference model (ChainzRule when it ran, else the first model) against
 * every other model on every compared metric, Bonferroni-corrected across all of these tests.
 */
export function compareModels(runs: readonly MeasuredRun[], metrics: readonly MetricDefinition[]): Comparison[] {
  const models = [...new Set(runs.map((r) => r.model))];
  if (models.length < 2) return [];
  const reference = models.includes('chainzrule') ? 'chainzrule' : models[0]!;
  const values = (model: ModelKind, m: MetricDefinition) =>
    runs.filter((r) => r.model === model).map(m.read).filter((v): v is number => v !== undefined);
  const rows: Omit<Comparison, 'pAdjusted'>[] = [];
  for (const model of models.filter((m) => m !== reference))
    for (const m of metrics.filter((d) => d.compared)) {
      const a = values(reference, m);
      const b = values(model, m);
      if (!a.length || !b.length) continue;
      const w = welchTTest(a, b);
      rows.push({ metric: m.key, reference, model, referenceMean: meanStd(a).mean, modelMean: meanStd(b).mean, t: w?.t ?? null, df: w?.df ?? null, p: w?.p ?? null });
    }
  const tests = rows.filter((r) => r.p !== null).length;
  return rows.map((r) => ({ ...r, pAdjusted: r.p === null ? null : bonferroni(r.p, tests) }));
}

const fmt = (x: number, digits: number) => x.toFixed(digits);
const pm = (s: MeanStd | undefined, digits: number) => (s ? (s.std === null ? fmt(s.mean, digits) : `${fmt(s.mean, digits)} ± ${fmt(s.std, digits)}`) : 'n/a');
const pText = (c: Comparison | undefined) => (c?.pAdjusted == null ? 'one seed: no test' : `Welch p = ${c.p!.toPrecision(2)}, Bonferroni-adjusted ${c.pAdjusted.toPrecision(2)}`);
/** The direction is right and, with two or more seeds, the adjusted p-value is below ALPHA. */
const holds = (direction: boolean, c: Comparison | undefined) => direction && (c?.pAdjusted == null || c.pAdjusted < ALPHA);

/**
 * The paper's MNIST claims (see MISSION.md) against the runs: parameter ratio, accuracy, peak
 * volatility reduction and tail ratio. A claim needs `chainzrule` and `baseline-relu`.
 */
export function paperClaims(runs: readonly MeasuredRun[], aggregates: readonly ModelAggregate[], comparisons: readonly Comparison[]): Claim[] {
  const cr = aggregates.find((a) => a.model === 'chainzrule');
  const base = aggregates.find((a) => a.model === 'baseline-relu');
  const claims = {
    params: { claim: 'far fewer parameters than the standard model (784-512-10 ReLU)', paper: '15.5x fewer' },
    accuracy: { claim: 'beats the standard model on test accuracy with those fewer parameters', paper: 'CR beats standard models (Fair Fight)' },
    peak: { claim: 'peak gradient volatility reduction on MNIST, 1 - peak(CR) / peak(ReLU)', paper: '-23.1% (average)' },
    tail: { claim: 'gradient tail ratio p99/mean of g(x)', paper: '1.01-1.02 (CR) vs 1.07-1.09 (standard activations)' },
  };
  if (!cr || !base) {
    const measured = 'not measured: needs chainzrule and baseline-relu in --models';
    return Object.values(claims).map((c) => ({ ...c, measured, reproduced: null }));
  }
  const find = (metric: string, model: ModelKind = 'baseline-relu') => comparisons.find((c) => c.metric === metric && c.model === model);
  const ratio = base.params / cr.params;
  const acc = [cr.metrics['testAccuracy']!, base.metrics['testAccuracy']!];
  const small = aggregates.find((a) => a.model === 'baseline-relu-small');
  const reductions = runs
    .filter((r) => r.model === 'chainzrule')
    .flatMap((c) => runs.filter((b) => b.model === 'baseline-relu' && b.seed === c.seed).map((b) => 1 - c.volatility.peak / b.volatility.peak));
  const reduction = reductions.length ? meanStd(reductions) : undefined;
  const standard = aggregates.filter((a) => a.model.startsWith('baseline-'));
  const crTail = cr.metrics['volatility.tailRatio']!;
  const pct = (s: MeanStd) => (s.std === null ? `${fmt(-100 * s.mean, 1)}%` : `${fmt(-100 * s.mean, 1)}% ± ${fmt(100 * s.std, 1)}%`);
  return [
    { ...claims.params, measured: `${fmt(ratio, 2)}x (${cr.params} vs ${base.params} parameters)`, reproduced: ratio >= 15.5 },
    {
      ...claims.accuracy,
      measured:
        `CR ${pm(acc[0], 4)} vs ReLU ${pm(acc[1], 4)} (${pText(find('testAccuracy'))})` +
        (small ? `; a ReLU net of CR's size: ${pm(small.metrics['testAccuracy'], 4)}` : ''),
      reproduced: holds(acc[0]!.mean > acc[1]!.mean, find('testAccuracy')),
    },
    {
      ...claims.peak,
      measured: reduction
        ? `${pct(reduction)} (peak CR ${pm(cr.metrics['volatility.peak'], 2)} vs ReLU ${pm(base.metrics['volatility.peak'], 2)}; ${pText(find('volatility.peak'))})`
        : 'n/a',
      reproduced: reduction ? holds(reduction.mean >= 0.231, find('volatility.peak')) : null,
    },
    {
      ...claims.tail,
      measured: `CR ${pm(crTail, 2)}; ${standard.map((s) => `${s.model} ${pm(s.metrics['volatility.tailRatio'], 2)}`).join(', ')}`,
      // 1.01-1.02 read to two decimals, and below every standard model in the run
      reproduced: crTail.mean < 1.025 && standard.every((s) => holds(crTail.mean < s.metrics['volatility.tailRatio']!.mean, find('volatility.tailRatio', s.model))),
    },
  ];
}
