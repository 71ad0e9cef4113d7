/**
 * The Fair Fight: ChainzRule and a standard network trained on the same data, in the same order,
 * for the same epochs with the same optimizer and batch size, then measured on the same test set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getRegularizer } from '@chainzrule/dreg';
import { trainingGradientVolatility, type TrainingGradientSummary } from '@chainzrule/metrics';
import type { PolynomialEngineConfig } from '@chainzrule/polynomial';
import { aggregateRuns, compareModels, metricDefinitions, paperClaims, type Claim, type Comparison, type MeasuredRun, type ModelAggregate } from './claims.js';
import { MEASURE_DEFAULTS, measureModel, type MeasureSettings, type ModelMeasurements } from './measure.js';
import { buildModel, countParams, type ModelKind } from './models.js';
import { meanStd } from './stats.js';
import { train, type StepInfo, type TrainingSet } from './train.js';

/** What every Fair Fight (images or text) gives all of its models alike. */
export interface FairFightProtocol {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Default weight lambda of the regularizers on ChainzRule models. */
  lambda: number;
  /**
   * Regularizers of the ChainzRule model (by registry name, with options and an optional own
   * weight). Default: `jacobian-frobenius` with weight `lambda`.
   */
  regularizers?: RegularizerSpec[];
  /** Seeds 0..seeds-1; each seed fixes the initial weights and the data order. */
  seeds: number;
}

export interface FairFightConfig extends FairFightProtocol {
  models: ModelKind[];
  engine?: PolynomialEngineConfig;
  /** What is measured after training (default `MEASURE_DEFAULTS`). */
  measure?: MeasureSettings;
}

/** Defaults of the MNIST Fair Fight (see the README for what they give). */
export const FAIR_FIGHT_DEFAULTS: FairFightConfig = {
  epochs: 5,
  batchSize: 128,
  learningRate: 0.002,
  lambda: 0.001,
  seeds: 3,
  // baseline-gelu (784-512-10 GELU) is available with --models; it is left out of the default run
  // because it trains about as slowly as baseline-relu, the most expensive model here.
  models: ['chainzrule', 'chainzrule-nodreg', 'baseline-relu', 'baseline-relu-small'],
  measure: MEASURE_DEFAULTS,
};

/** A regularizer by name, e.g. from `--regularizer derivative-hinge:threshold=2,weight=0.01`. */
export interface RegularizerSpec {
  name: string;
  config?: tf.serialization.ConfigDict;
  /** Overrides the config's `lambda`. */
  weight?: number;
}

export interface RunResult extends ModelMeasurements {
  model: ModelKind;
  seed: number;
  params: number;
  trainSeconds: number;
  samplesPerSecond: number;
  epochLoss: number[];
  /** per-step ||grad_theta L|| over training: mean, std, p99, peak */
  trainingGradient: TrainingGradientSummary;
  /** training curves averaged over windows of `stepsPerPoint` steps (at most 200 points) */
  curves: { stepsPerPoint: number; loss: number[]; gradNorm: number[] };
}

export interface FairFightSummary {
  /** params(baseline-relu) / params(chainzrule) */
  paramRatio: number | null;
  /** mean over seeds of 1 - peak(chainzrule) / peak(baseline-relu) */
  peakVolatilityReduction: number | null;
  /** sample std over seeds of that reduction (null with one seed) */
  peakVolatilityReductionStd: number | null;
  /** mean +- std over seeds per model and metric */
  models: ModelAggregate[];
  /** ChainzRule against each other model: Welch t-test, Bonferroni-corrected */
  comparisons: Comparison[];
  /** the paper's claims and what this run measured (empty unless asked for) */
  claims: Claim[];
}

/** Means over consecutive windows so a curve has at most `maxPoints` points. */
export function windowMeans(values: readonly number[], maxPoints = 200): { stepsPerPoint: number; points: number[] } {
  const stepsPerPoint = Math.max(1, Math.ceil(values.length / maxPoints));
  const points: number[] = [];
  for (let i = 0; i < values.length; i += stepsPerPoint) {
    const w = values.slice(i, i + stepsPerPoint);
    points.push(w.reduce((a, b) => a + b, 0) / w.length);
  }
  return { stepsPerPoint, points };
}

export interface FairFightHooks {
  onRunStart?: (model: ModelKind, seed: number) => void;
  onStep?: (model: ModelKind, seed: number, info: StepInfo) => void;
  onRunEnd?: (run: RunResult) => void;
}

/** A test set as one tensor plus labels. */
export interface EvaluationSet {
  x: Float32Array;
  labels: ArrayLike<number>;
  n: number;
  dim: number;
}

export async function runFairFight(
  trainSet: TrainingSet,
  testSet: EvaluationSet,
  config: FairFightConfig,
  hooks: FairFightHooks = {},
): Promise<{ runs: RunResult[]; summary: FairFightSummary }> {
  const runs: RunResult[] = [];
  const testX = tf.tensor2d(testSet.x, [testSet.n, testSet.dim]);
  try {
    for (let seed = 0; seed < config.seeds; seed++)
      for (const kind of config.models) runs.push(await fairFightRun(kind, seed, trainSet, testX, testSet.labels, config, hooks));
  } finally {
    testX.dispose();
  }
  return { runs, summary: summarizeFairFight(runs, { fgsmEpsilons: config.measure?.fgsmEpsilons, claims: true }) };
}

/**
 * One run of the Fair Fight: builds `kind` with `seed`, trains it (DREG only on `chainzrule`)
 * and measures it on `testX`. Runs are independent, so they may run in any order or process and
 * give the same result for the same seed and backend.
 */
export async function fairFightRun(
  kind: ModelKind,
  seed: number,
  trainSet: TrainingSet,
  testX: tf.Tensor2D,
  testLabels: ArrayLike<number>,
  config: FairFightConfig,
  hooks: FairFightHooks = {},
): Promise<RunResult> {
  hooks.onRunStart?.(kind, seed);
  const model = buildModel(kind, { inputSize: trainSet.dim, numClasses: trainSet.numClasses, seed, engine: config.engine });
  const stepLoss: number[] = [];
  try {
    const specs = config.regularizers?.length ? config.regularizers : [{ name: 'jacobian-frobenius' }];
    const regularizers = kind === 'chainzrule' ? specs.map((s) => ({ regularizer: getRegularizer(s.name, s.config ?? {}), weight: s.weight ?? config.lambda })) : [];
    const result = await train(model, trainSet, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      seed,
      regularizers,
      onStep: (info) => {
        stepLoss.push(info.loss);
        hooks.onStep?.(kind, seed, info);
      },
    });
    const loss = windowMeans(stepLoss);
    const run: RunResult = {
      model: kind,
      seed,
      params: countParams(model),
      ...measureModel(model, testX, testLabels, config.measure ?? MEASURE_DEFAULTS),
      trainSeconds: result.seconds,
      samplesPerSecond: result.samplesPerSecond,
      epochLoss: result.epochLoss,
      trainingGradient: trainingGradientVolatility(result.gradNorms),
      curves: { stepsPerPoint: loss.stepsPerPoint, loss: loss.points, gradNorm: windowMeans(result.gradNorms).points },
    };
    hooks.onRunEnd?.(run);
    return run;
  } finally {
    model.dispose();
  }
}

/**
 * Parameter ratio and the per-seed peak-volatility reduction of ChainzRule against the ReLU
 * baseline, mean +- std per model, the Welch tests and (with `claims: true`, for the MNIST Fair
 * Fight) the paper's claims.
 */
export function summarizeFairFight(runs: MeasuredRun[], options: { fgsmEpsilons?: readonly number[]; claims?: boolean } = {}): FairFightSummary {
  const metrics = metricDefinitions(options.fgsmEpsilons ?? MEASURE_DEFAULTS.fgsmEpsilons);
  const models = aggregateRuns(runs, metrics);
  const comparisons = compareModels(runs, metrics);
  const claims = options.claims ? paperClaims(runs, models, comparisons) : [];
  const cr = runs.filter((r) => r.model === 'chainzrule');
  const base = runs.filter((r) => r.model === 'baseline-relu');
  const empty = { paramRatio: null, peakVolatilityReduction: null, peakVolatilityReductionStd: null };
  if (cr.length === 0 || base.length === 0) return { ...empty, models, comparisons, claims };
  const reductions = cr
    .map((c) => [c, base.find((b) => b.seed === c.seed)] as const)
    .filter((pair): pair is readonly [MeasuredRun, MeasuredRun] => pair[1] !== undefined)
    .map(([c, b]) => 1 - c.volatility.peak / b.volatility.peak);
  const reduction = reductions.length ? meanStd(reductions) : null;
  return {
    paramRatio: base[0]!.params / cr[0]!.params,
    peakVolatilityReduction: reduction?.mean ?? null,
    peakVolatilityReductionStd: reduction?.std ?? null,
    models,
    comparisons,
    claims,
  };
}
