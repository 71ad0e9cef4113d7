/** Model builders: ChainzRule and the standard baselines, as tfjs-layers models. */
import { initializers, layers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { PolynomialEngine, type PolynomialEngineConfig } from '@chainzrule/polynomial';

/** The models the Fair Fight knows. */
export type ModelKind = 'chainzrule' | 'baseline-relu';
export const MODEL_KINDS: readonly ModelKind[] = ['chainzrule', 'baseline-relu'];

export interface ModelOptions {
  inputSize: number;
  numClasses: number;
  /** Seed for the weight initialisers. */
  seed: number;
  /** Hidden width; default 32 for ChainzRule, 512 for the ReLU baseline. */
  hidden?: number;
  /** Polynomial Engine settings for ChainzRule. */
  engine?: PolynomialEngineConfig;
}

/** Default hidden widths: ChainzRule 784-32-10 against the standard 784-512-10 (about 16x the parameters). */
export const DEFAULT_HIDDEN: Record<ModelKind, number> = { chainzrule: 32, 'baseline-relu': 512 };

/**
 * Builds one model:
 * - `chainzrule`: `input -> dense(hidden) -> PolynomialEngine -> dense(classes)`
 * - `baseline-relu`: `input -> dense(hidden, relu) -> dense(classes)`
 * Outputs are logits.
 */
export function buildModel(kind: ModelKind, options: ModelOptions): LayersModel {
  const hidden = options.hidden ?? DEFAULT_HIDDEN[kind];
  const init = (offset: number) => initializers.glorotUniform({ seed: options.seed * 1000 + offset });
  const model = sequential({ name: kind });
  if (kind === 'chainzrule') {
    model.add(layers.dense({ inputShape: [options.inputSize], units: hidden, kernelInitializer: init(1), name: 'hidden' }));
    model.add(new PolynomialEngine({ ...options.engine, name: 'engine' }));
  } else {
    model.add(layers.dense({ inputShape: [options.inputSize], units: hidden, activation: 'relu', kernelInitializer: init(1), name: 'hidden' }));
  }
  model.add(layers.dense({ units: options.numClasses, kernelInitializer: init(2), name: 'logits' }));
  return model;
}

/** Number of trainable scalars. */
export function countParams(model: LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
