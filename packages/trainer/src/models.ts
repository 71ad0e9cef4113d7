/** Model builders: ChainzRule and the standard baselines, as tfjs-layers models. */
import { initializers, layers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { PolynomialEngine, type PolynomialEngineConfig } from '@chainzrule/polynomial';

/** The models the Fair Fight knows. */
export type ModelKind = 'chainzrule' | 'chainzrule-nodreg' | 'baseline-relu' | 'baseline-relu-small' | 'baseline-gelu';
export const MODEL_KINDS: readonly ModelKind[] = ['chainzrule', 'chainzrule-nodreg', 'baseline-relu', 'baseline-relu-small', 'baseline-gelu'];

export interface ModelOptions {
  inputSize: number;
  numClasses: number;
  /** Seed for the weight initialisers. */
  seed: number;
  /** Hidden width; default `DEFAULT_HIDDEN[kind]`. */
  hidden?: number;
  /** Polynomial Engine settings for ChainzRule. */
  engine?: PolynomialEngineConfig;
}

/**
 * Default hidden widths: ChainzRule 784-32-10 against the standard 784-512-10 (about 16x the
 * parameters); `baseline-relu-small` is a ReLU network of ChainzRule's size.
 */
export const DEFAULT_HIDDEN: Record<ModelKind, number> = {
  chainzrule: 32,
  'chainzrule-nodreg': 32,
  'baseline-relu': 512,
  'baseline-relu-small': 32,
  'baseline-gelu': 512,
};

/**
 * Builds one model:
 * - `chainzrule`, `chainzrule-nodreg`: `input -> dense(hidden) -> PolynomialEngine -> dense(classes)`
 *   (the same network; the Fair Fight trains only `chainzrule` with DREG, the other is the ablation)
 * - `baseline-relu`, `baseline-relu-small`: `input -> dense(hidden, relu) -> dense(classes)`
 * - `baseline-gelu`: `input -> dense(hidden, gelu) -> dense(classes)`, GELU `z Phi(z)` (exact, erf)
 * Outputs are logits.
 */
export function buildModel(kind: ModelKind, options: ModelOptions): LayersModel {
  const hidden = options.hidden ?? DEFAULT_HIDDEN[kind];
  const init = (offset: number) => initializers.glorotUniform({ seed: options.seed * 1000 + offset });
  const model = sequential({ name: kind });
  if (kind === 'chainzrule' || kind === 'chainzrule-nodreg') {
    model.add(layers.dense({ inputShape: [options.inputSize], units: hidden, kernelInitializer: init(1), name: 'hidden' }));
    model.add(new PolynomialEngine({ ...options.engine, name: 'engine' }));
  } else {
    const activation = kind === 'baseline-gelu' ? 'gelu' : 'relu';
    model.add(layers.dense({ inputShape: [options.inputSize], units: hidden, activation, kernelInitializer: init(1), name: 'hidden' }));
  }
  model.add(layers.dense({ units: options.numClasses, kernelInitializer: init(2), name: 'logits' }));
  return model;
}

/** Number of trainable scalars. */
export function countParams(model: LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
