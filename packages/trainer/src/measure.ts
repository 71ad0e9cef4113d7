/**
 * Every volatility metric of one trained model on one test set: what the Fair Fight records per
 * run and what `chainzrule volatility` reports for a saved model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  accuracy,
  fgsmAccuracy,
  inputGradientNorms,
  lipschitzUpperBound,
  localSensitivity,
  quantile,
  summarizeVolatility,
  type FgsmPoint,
  type LipschitzLayerBound,
  type VolatilitySummary,
} from '@chainzrule/metrics';
import { lipschitzChain } from './lipschitz-chain.js';

/** What to measure and on how much data. */
export interface MeasureSettings {
  /** FGSM step sizes (pixels in [0, 1]). */
  fgsmEpsilons: number[];
  /** Run FGSM on the first n test samples (default: all). */
  fgsmSamples?: number;
  /** Finite-difference local sensitivity: L2 radius, random directions per sample, first n test samples. */
  sensitivity: { radius: number; directions: number; samples?: number; seed?: number };
  /** Quantiles of g(x) kept for plotting its distribution: `quantileCount` evenly spaced levels in [0, 1]. */
  quantileCount?: number;
}

/** The defaults of the Fair Fight and of `chainzrule volatility` (see the README for their cost). */
export const MEASURE_DEFAULTS: MeasureSettings = {
  fgsmEpsilons: [0.05, 0.1, 0.2],
  sensitivity: { radius: 0.1, directions: 16, samples: 2000, seed: 0 },
  quantileCount: 201,
};

export interface LocalSensitivitySummary extends VolatilitySummary {
  radius: number;
  directions: number;
  samples: number;
}

export interface ModelMeasurements {
  testAccuracy: number;
  /** g(x) = ||grad_x f_y(x)||, the true-class logit, over the whole test set */
  volatility: VolatilitySummary;
  /** ||grad_x CE(f(x), y)|| over the whole test set */
  lossVolatility: VolatilitySummary;
  /** quantiles of g(x) at evenly spaced levels 0, 1/(k-1), ..., 1 (for the distribution chart) */
  volatilityQuantiles: number[];
  fgsm: FgsmPoint[];
  /** certified global Lipschitz upper bound (L2 -> L2) of the logits; null when a layer cannot be bounded */
  lipschitzBound: number | null;
  lipschitzLayers: LipschitzLayerBound[];
  /** why there is no bound (a layer `lipschitzChain` does not cover) */
  lipschitzUnavailable?: string;
  localSensitivity: LocalSensitivitySummary;
}

/** The first `n` rows of `x` (all when `n` is undefined or larger), as a new tensor. */
const head = (x: tf.Tensor, n: number | undefined) => tf.slice(x, 0, Math.min(n ?? x.shape[0]!, x.shape[0]!));

/** The certified bound, or why a model has none. */
function boundOf(model: LayersModel): Pick<ModelMeasurements, 'lipschitzBound' | 'lipschitzLayers' | 'lipschitzUnavailable'> {
  let chain;
  try {
    chain = lipschitzChain(model);
  } catch (e) {
    return { lipschitzBound: null, lipschitzLayers: [], lipschitzUnavailable: e instanceof Error ? e.message : String(e) };
  }
  const bound = lipschitzUpperBound(chain);
  return { lipschitzBound: bound.bound, lipschitzLayers: bound.layers };
}

/**
 * Measures `model` on a test set: `x` is `[n, ...input shape]` with pixels in [0, 1] (FGSM
 * clips to that range). The Lipschitz bound covers dense feed-forward models; for others it is
 * null with the reason.
 */
export function measureModel(model: LayersModel, x: tf.Tensor, labels: ArrayLike<number>, settings: MeasureSettings = MEASURE_DEFAULTS): ModelMeasurements {
  const logits = (input: tf.Tensor) => model.apply(input) as tf.Tensor;
  const g = inputGradientNorms(logits, x, labels);
  const k = settings.quantileCount ?? 201;
  const fgsmX = head(x, settings.fgsmSamples);
  const sensX = head(x, settings.sensitivity.samples);
  try {
    const fgsmLabels = Array.from({ length: fgsmX.shape[0]! }, (_, i) => labels[i]!);
    const sensitivity = localSensitivity(logits, sensX, settings.sensitivity);
    return {
      testAccuracy: accuracy(logits, x, labels),
      volatility: summarizeVolatility(g),
      lossVolatility: summarizeVolatility(inputGradientNorms(logits, x, labels, { target: 'loss' })),
      volatilityQuantiles: Array.from({ length: k }, (_, i) => quantile(g, k === 1 ? 1 : i / (k - 1))),
      fgsm: fgsmAccuracy(logits, fgsmX, fgsmLabels, settings.fgsmEpsilons),
      ...boundOf(model),
      localSensitivity: { radius: settings.sensitivity.radius, directions: settings.sensitivity.directions, samples: sensX.shape[0]!, ...summarizeVolatility(sensitivity) },
    };
  } finally {
    fgsmX.dispose();
    sensX.dispose();
  }
}
