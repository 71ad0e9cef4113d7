/** The report's tables as plain data, rendered to Markdown and to HTML by the same code. */
import { metricDefinitions, type MeanStd } from '@chainzrule/trainer';
import type { FairFightResults } from './results.js';

export interface Table {
  head: string[];
  rows: string[][];
  /** right-align these columns (numbers) */
  numeric?: boolean[];
}

/** A number with 4 significant digits (exponent form beyond 1e5). */
export function sig(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/** Accuracies are fractions: 4 decimals. */
const isFraction = (key: string) => key === 'testAccuracy' || key.startsWith('fgsm@');
const value = (key: string, x: number) => (isFraction(key) ? x.toFixed(4) : sig(x));

/**
 * `mean ± std`: the std to two significant digits and the mean to the same decimal place
 * (accuracies always with 4 decimals).
 */
export function meanPm(key: string, s: MeanStd | undefined): string {
  if (!s) return 'n/a';
  if (s.std === null) return value(key, s.mean);
  if (isFraction(key)) return `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
  if (!(s.std > 0) || !Number.isFinite(s.mean) || Math.abs(s.mean) >= 1e5) return `${sig(s.mean)} ± ${sig(s.std, 2)}`;
  const decimals = Math.min(8, Math.max(0, 1 - Math.floor(Math.log10(s.std))));
  return `${s.mean.toFixed(decimals)} ± ${s.std.toFixed(decimals)}`;
}

export const verdict = (reproduced: boolean | null) => (reproduced === null ? 'not measured' : reproduced ? 'reproduced' : 'not reproduced');

export function claimsTable(r: FairFightResults): Table {
  return {
    head: ['claim', 'paper', 'measured here', 'verdict'],
    rows: r.summary.claims.map((c) => [c.claim, c.paper, c.measured, verdict(c.reproduced)]),
  };
}

function modelTable(r: FairFightResults, columns: { key: string; label: string }[]): Table {
  return {
    head: ['model', 'params', ...columns.map((c) => c.label)],
    numeric: [false, true, ...columns.map(() => true)],
    rows: r.summary.models.map((m) => [m.model, m.params.toLocaleString('en-US'), ...columns.map((c) => meanPm(c.key, m.metrics[c.key]))]),
  };
}

/** Accuracy and the input-gradient volatility of g(x), mean ± std over seeds. */
export function volatilityTable(r: FairFightResults): Table {
  return modelTable(r, [
    { key: 'testAccuracy', label: 'test acc' },
    { key: 'volatility.mean', label: 'g mean' },
    { key: 'volatility.p99', label: 'g p99' },
    { key: 'volatility.peak', label: 'g peak' },
    { key: 'volatility.tailRatio', label: 'tail p99/mean' },
    { key: 'lossVolatility.mean', label: 'loss-grad mean' },
  ]);
}

/** Local sensitivity, the certified bound, FGSM and the training gradient, mean ± std over seeds. */
export function robustnessTable(r: FairFightResults): Table {
  const eps = r.config.measure?.fgsmEpsilons ?? [];
  return modelTable(r, [
    { key: 'localSensitivity.mean', label: 'local sens. mean' },
    { key: 'localSensitivity.peak', label: 'local sens. peak' },
    { key: 'lipschitzBound', label: 'Lipschitz bound' },
    ...eps.map((e) => ({ key: `fgsm@${e}`, label: `FGSM acc ε=${e}` })),
    { key: 'trainingGradient.std', label: 'train ‖∇θL‖ std' },
    { key: 'trainingGradient.peak', label: 'train ‖∇θL‖ peak' },
    { key: 'trainSeconds', label: 'train s' },
  ]);
}

export function comparisonsTable(r: FairFightResults): Table {
  const fmtP = (p: number | null) => (p === null ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
  const better = new Map(metricDefinitions(r.config.measure?.fgsmEpsilons ?? []).map((d) => [d.key, d.better]));
  const favours = (metric: string, reference: number, model: number, refName: string, modelName: string) =>
    reference === model ? 'neither' : (reference > model) === (better.get(metric) === 'higher') ? refName : modelName;
  return {
    head: ['metric', 'reference', 'mean', 'model', 'mean', 'better', 't', 'df', 'p', 'p × tests (Bonferroni)', 'significant at 0.05'],
    numeric: [false, false, true, false, true, false, true, true, true, true, false],
    rows: r.summary.comparisons.map((c) => [
      c.metric,
      c.reference,
      value(c.metric, c.referenceMean),
      c.model,
      value(c.metric, c.modelMean),
      favours(c.metric, c.referenceMean, c.modelMean, c.reference, c.model),
      c.t === null ? 'n/a' : sig(c.t, 3),
      c.df === null ? 'n/a' : sig(c.df, 3),
      fmtP(c.p),
      fmtP(c.pAdjusted),
      c.pAdjusted === null ? 'n/a' : c.pAdjusted < 0.05 ? 'yes' : 'no',
    ]),
  };
}

export function runsTable(r: FairFightResults): Table {
  const eps = r.config.measure?.fgsmEpsilons ?? [];
  return {
    head: ['model', 'seed', 'test acc', 'g mean', 'g peak', 'tail', 'local sens. peak', 'Lipschitz bound', ...eps.map((e) => `FGSM ε=${e}`), 'train ‖∇θL‖ std', 'train s'],
    numeric: [false, true, true, true, true, true, true, true, ...eps.map(() => true), true, true],
    rows: r.runs.map((x) => [
      x.model,
      String(x.seed),
      x.testAccuracy.toFixed(4),
      sig(x.volatility.mean),
      sig(x.volatility.peak),
      sig(x.volatility.tailRatio),
      sig(x.localSensitivity.peak),
      x.lipschitzBound === null ? 'n/a' : sig(x.lipschitzBound),
      ...eps.map((e) => x.fgsm.find((f) => f.epsilon === e)?.accuracy.toFixed(4) ?? 'n/a'),
      sig(x.trainingGradient.std),
      x.trainSeconds.toFixed(1),
    ]),
  };
}

/** One paragraph naming the protocol and the metric settings. */
export function settingsText(r: FairFightResults): string {
  const c = r.config;
  const m = c.measure;
  const regs = (c.regularizers ?? [{ name: 'jacobian-frobenius' }]).map((s) => s.name).join(' + ');
  const models = new Set(r.runs.map((x) => x.model));
  const lines = [
    `Dataset ${r.dataset} (${c.trainSamples} training, ${c.testSamples} test images), backend ${r.backend}, TensorFlow.js ${c.tfjsVersion}.`,
    `Every model: ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}, batch ${c.batchSize}, Adam lr ${c.learningRate}, the same initial-weight seed and data order per seed; seeds ${c.seeds === 1 ? '0' : `0..${c.seeds - 1}`}.`,
  ];
  if (models.has('chainzrule')) lines.push(`DREG (${regs}, lambda ${c.lambda}) on chainzrule only.`);
  if (models.has('chainzrule-nodreg')) lines.push('chainzrule-nodreg is the same network trained without DREG.');
  if (m)
    lines.push(
      `g(x) = ‖∇x f_y(x)‖ (true-class logit) and the loss gradient on all ${c.testSamples} test images; ` +
        `FGSM (L∞, pixels clipped to [0, 1]) at ε = ${m.fgsmEpsilons.join(', ')} on ${m.fgsmSamples ?? c.testSamples} test images; ` +
        `local sensitivity max over ${m.sensitivity.directions} random directions of ‖f(x+d) − f(x)‖/‖d‖ at ‖d‖ = ${m.sensitivity.radius} on the first ${Math.min(m.sensitivity.samples ?? c.testSamples, c.testSamples)} test images; ` +
        'certified Lipschitz bound = product over layers of ‖K diag(max|a′|)‖₂ (power iteration to a relative residual of 1e-9).',
    );
  if (r.wallSeconds !== undefined) lines.push(`The whole run took ${(r.wallSeconds / 60).toFixed(1)} minutes.`);
  return lines.join(' ');
}
