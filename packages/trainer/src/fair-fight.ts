/**
 * The Fair Fight: ChainzRule and a standard network trained on the same data, in the same order,
 * for the same epochs with the same optimizer and batch size, then measured on the same test set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getRegularizer } from '@chainzrule/dreg';
import { accuracy, gradientVolatility, type VolatilitySummary } from '@chainzrule/metrics';
import type { PolynomialEngineConfig } from '@chainzrule/polynomial';
import { buildModel, countParams, type ModelKind } from './models.js';
import { train, type StepInfo, type TrainingSet } from './train.js';

export interface FairFightConfig {
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
  models: ModelKind[];
  engine?: PolynomialEngineConfig;
}

/** Defaults of the MNIST Fair Fight (see the README for what they give). */
export const FAIR_FIGHT_DEFAULTS: FairFightConfig = {
  epochs: 10,
  batchSize: 128,
  learningRate: 0.002,
  lambda: 0.001,
  seeds: 1,
  models: ['chainzrule', 'baseline-relu'],
};

/** A regularizer by name, e.g. from `--regularizer derivative-hinge:threshold=2,weight=0.01`. */
export interface RegularizerSpec {
  name: string;
  config?: tf.serialization.ConfigDict;
  /** Overrides the config's `lambda`. */
  weight?: number;
}

export interface RunResult {
  model: ModelKind;
  seed: number;
  params: number;
  testAccuracy: number;
  volatility: VolatilitySummary;
  trainSeconds: number;
  samplesPerSecond: number;
  epochLoss: number[];
}

export interface FairFightSummary {
  /** params(baseline-relu) / params(chainzrule) */
  paramRatio: number | null;
  /** mean over seeds of 1 - peak(chainzrule) / peak(baseline-relu) */
  peakVolatilityReduction: number | null;
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
    for (let seed = 0; seed < config.seeds; seed++) {
      for (const kind of config.models) {
        hooks.onRunStart?.(kind, seed);
        const model = buildModel(kind, { inputSize: trainSet.dim, numClasses: trainSet.numClasses, seed, engine: config.engine });
        try {
          const specs = config.regularizers?.length ? config.regularizers : [{ name: 'jacobian-frobenius' }];
          const regularizers =
            kind === 'chainzrule' ? specs.map((s) => ({ regularizer: getRegularizer(s.name, s.config ?? {}), weight: s.weight ?? config.lambda })) : [];
          const result = await train(model, trainSet, {
            epochs: config.epochs,
            batchSize: config.batchSize,
            learningRate: config.learningRate,
            seed,
            regularizers,
            onStep: (info) => hooks.onStep?.(kind, seed, info),
          });
          const logits = (x: tf.Tensor) => model.apply(x) as tf.Tensor;
          const run: RunResult = {
            model: kind,
            seed,
            params: countParams(model),
            testAccuracy: accuracy(logits, testX, testSet.labels),
            volatility: gradientVolatility(logits, testX, testSet.labels),
            trainSeconds: result.seconds,
            samplesPerSecond: result.samplesPerSecond,
            epochLoss: result.epochLoss,
          };
          runs.push(run);
          hooks.onRunEnd?.(run);
        } finally {
          model.dispose();
        }
      }
    }
  } finally {
    testX.dispose();
  }
  return { runs, summary: summarizeFairFight(runs) };
}

/** Parameter ratio and the mean per-seed peak-volatility reduction of ChainzRule against the ReLU baseline. */
export function summarizeFairFight(runs: RunResult[]): FairFightSummary {
  const cr = runs.filter((r) => r.model === 'chainzrule');
  const base = runs.filter((r) => r.model === 'baseline-relu');
  if (cr.length === 0 || base.length === 0) return { paramRatio: null, peakVolatilityReduction: null };
  const reductions = cr
    .map((c) => [c, base.find((b) => b.seed === c.seed)] as const)
    .filter((pair): pair is readonly [RunResult, RunResult] => pair[1] !== undefined)
    .map(([c, b]) => 1 - c.volatility.peak / b.volatility.peak);
  return {
    paramRatio: base[0]!.params / cr[0]!.params,
    peakVolatilityReduction: reductions.length ? reductions.reduce((a, b) => a + b, 0) / reductions.length : null,
  };
}
