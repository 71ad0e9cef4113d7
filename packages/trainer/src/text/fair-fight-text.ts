/**
 * The Fair Fight on text with ordered labels (Yelp stars): ChainzRule and the ReLU baseline share
 * the embedding bag, the head, the data and its order, the epochs, the optimizer and the batch
 * size; only the dense part differs (Polynomial Engine + DREG against ReLU).
 */
import { getRegularizer } from '@chainzrule/dreg';
import { ordinalReport, summarizeVolatility, type OrdinalReport, type VolatilitySummary } from '@chainzrule/metrics';
import type { PolynomialEngineConfig } from '@chainzrule/polynomial';
import type { FairFightProtocol } from '../fair-fight.js';
import { TrainingConfigError } from '../train.js';
import type { TextHead } from './heads.js';
import { buildTextModel, countTextParams, type TextModel, type TextModelKind } from './model.js';
import { evaluateTextModel, trainTextModel, type TextSource, type TextStepInfo } from './train-text.js';

export interface TextFairFightConfig extends FairFightProtocol {
  models: TextModelKind[];
  head: TextHead;
  numClasses: number;
  /** Hash buckets (embedding rows). */
  buckets: number;
  embeddingDim: number;
  /** Hidden width of both models. */
  hidden: number;
  hiddenLayers: number;
  engine?: PolynomialEngineConfig;
  /** Shuffle buffer size in examples. */
  shuffleBuffer: number;
}

/**
 * Defaults of the Yelp Fair Fight, chosen on the validation split of the shared real sample (see
 * the README section "Yelp Full (ordinal regression)").
 */
export const TEXT_FAIR_FIGHT_DEFAULTS: TextFairFightConfig = {
  epochs: 8,
  batchSize: 64,
  learningRate: 0.004,
  lambda: 0.001,
  seeds: 3,
  models: ['chainzrule', 'baseline-relu'],
  head: 'ordinal',
  numClasses: 5,
  buckets: 1 << 18,
  embeddingDim: 32,
  hidden: 32,
  hiddenLayers: 1,
  shuffleBuffer: 100_000,
};

/** Where the examples come from; every source is re-read on each pass. */
export interface TextFairFightData {
  train: TextSource;
  /** Evaluated after every epoch (for choosing settings without touching the test set). */
  validation?: TextSource;
  test: TextSource;
  /** Class histogram of the training part (index = class); gives the majority class. */
  trainCounts: number[];
  /** Number of training examples per epoch, for progress. */
  trainSize?: number;
}

/** Accuracy, MAE and QWK on a set. */
export type OrdinalScores = Pick<OrdinalReport, 'accuracy' | 'mae' | 'qwk'>;

export interface TextRunResult {
  model: TextModelKind;
  seed: number;
  head: TextHead;
  params: number;
  testAccuracy: number;
  /** mean absolute error in stars */
  mae: number;
  /** quadratic weighted kappa */
  qwk: number;
  /** test confusion matrix, rows truth, columns prediction (index 0 = 1 star) */
  confusion: number[][];
  /** input-gradient volatility with respect to the pooled embedding (see `TextEvaluation`) */
  volatility: VolatilitySummary;
  /** validation scores after the last epoch (null without a validation set) */
  validation: OrdinalScores | null;
  /** validation scores after each epoch */
  epochValidation: OrdinalScores[];
  trainSeconds: number;
  samplesPerSecond: number;
  epochLoss: number[];
  epochPenalty: number[];
}

export interface TextFairFightSummary {
  /** params(baseline-relu) / params(chainzrule) */
  paramRatio: number | null;
  /** mean over seeds of 1 - peak(chainzrule) / peak(baseline-relu) */
  peakVolatilityReduction: number | null;
  /** the most frequent class of the training part */
  majorityClass: number;
  /** test accuracy of always predicting the training majority class */
  majorityClassAccuracy: number;
  /** test MAE of always predicting the training majority class */
  majorityClassMae: number;
}

export interface TextFairFightHooks {
  onRunStart?: (model: TextModelKind, seed: number) => void;
  onStep?: (model: TextModelKind, seed: number, info: TextStepInfo) => void;
  onEpochEnd?: (model: TextModelKind, seed: number, epoch: number, validation: OrdinalScores | null) => void;
  onRunEnd?: (run: TextRunResult) => void;
}

const scores = (r: OrdinalReport): OrdinalScores => ({ accuracy: r.accuracy, mae: r.mae, qwk: r.qwk });

export async function runTextFairFight(
  data: TextFairFightData,
  config: TextFairFightConfig,
  hooks: TextFairFightHooks = {},
): Promise<{ runs: TextRunResult[]; summary: TextFairFightSummary }> {
  const specs = config.regularizers?.length ? config.regularizers : [{ name: 'jacobian-frobenius' }];
  // input-gradient differentiates softmax cross-entropy; it has no meaning for the CORAL head.
  if (config.head === 'ordinal' && specs.some((s) => s.name === 'input-gradient'))
    throw new TrainingConfigError("regularizer 'input-gradient' assumes a softmax head; use --head softmax or another regularizer");
  const K = config.numClasses;
  const runs: TextRunResult[] = [];
  let testTruth: Int32Array | null = null;
  for (let seed = 0; seed < config.seeds; seed++) {
    for (const kind of config.models) {
      hooks.onRunStart?.(kind, seed);
      const model: TextModel = buildTextModel(kind, {
        numClasses: K,
        buckets: config.buckets,
        embeddingDim: config.embeddingDim,
        hidden: config.hidden,
        hiddenLayers: config.hiddenLayers,
        head: config.head,
        seed,
        engine: config.engine,
      });
      try {
        const regularizers = kind === 'chainzrule' ? specs.map((s) => ({ regularizer: getRegularizer(s.name, s.config ?? {}), weight: s.weight ?? config.lambda })) : [];
        const epochValidation: OrdinalScores[] = [];
        const result = await trainTextModel(model, data.train, {
          epochs: config.epochs,
          batchSize: config.batchSize,
          learningRate: config.learningRate,
          seed,
          regularizers,
          shuffleBuffer: config.shuffleBuffer,
          examplesPerEpoch: data.trainSize,
          onStep: (info) => hooks.onStep?.(kind, seed, info),
          onEpochEnd: async (epoch) => {
            let v: OrdinalScores | null = null;
            if (data.validation) {
              const e = await evaluateTextModel(model, data.validation());
              v = scores(ordinalReport(e.truth, e.predicted, K));
              epochValidation.push(v);
            }
            hooks.onEpochEnd?.(kind, seed, epoch, v);
          },
        });
        const test = await evaluateTextModel(model, data.test(), { volatility: true });
        if (test.truth.length === 0) throw new TrainingConfigError('the test set is empty');
        testTruth = test.truth;
        const report = ordinalReport(test.truth, test.predicted, K);
        const run: TextRunResult = {
          model: kind,
          seed,
          head: config.head,
          params: countTextParams(model),
          testAccuracy: report.accuracy,
          mae: report.mae,
          qwk: report.qwk,
          confusion: report.confusion,
          volatility: summarizeVolatility(test.gradientNorms),
          validation: epochValidation.at(-1) ?? null,
          epochValidation,
          trainSeconds: result.seconds,
          samplesPerSecond: result.samplesPerSecond,
          epochLoss: result.epochLoss,
          epochPenalty: result.epochPenalty,
        };
        runs.push(run);
        hooks.onRunEnd?.(run);
      } finally {
        model.dense.dispose();
      }
    }
  }
  return { runs, summary: summarizeTextFairFight(runs, data.trainCounts, testTruth) };
}

/** The MNIST summary (parameter ratio, peak-volatility reduction) plus the majority-class baseline. */
export function summarizeTextFairFight(runs: TextRunResult[], trainCounts: readonly number[], testTruth: ArrayLike<number> | null): TextFairFightSummary {
  const majorityClass = trainCounts.reduce((best, n, i) => (n > trainCounts[best]! ? i : best), 0);
  let hits = 0;
  let distance = 0;
  const n = testTruth?.length ?? 0;
  for (let i = 0; i < n; i++) {
    hits += testTruth![i] === majorityClass ? 1 : 0;
    distance += Math.abs(testTruth![i]! - majorityClass);
  }
  // As in the MNIST Fair Fight: parameter ratio, and 1 - peak(CR) / peak(baseline) per seed, averaged.
  const cr = runs.filter((r) => r.model === 'chainzrule');
  const base = runs.filter((r) => r.model === 'baseline-relu');
  const reductions = cr.flatMap((c) => {
    const b = base.find((r) => r.seed === c.seed);
    return b ? [1 - c.volatility.peak / b.volatility.peak] : [];
  });
  return {
    paramRatio: cr.length && base.length ? base[0]!.params / cr[0]!.params : null,
    peakVolatilityReduction: reductions.length ? reductions.reduce((a, b) => a + b, 0) / reductions.length : null,
    majorityClass,
    majorityClassAccuracy: n ? hits / n : NaN,
    majorityClassMae: n ? distance / n : NaN,
  };
}
