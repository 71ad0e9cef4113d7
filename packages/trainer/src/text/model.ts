/**
 * Text classifiers for ordered labels: a mean-pooled embedding bag of hashed n-gram ids (in JS,
 * see `embedding-bag.ts`) followed by a tfjs-layers dense part and a head.
 *
 * - `chainzrule`:    bag(dim) -> [dense(hidden) -> PolynomialEngine] x layers -> head   (DREG on the dense part)
 * - `baseline-relu`: bag(dim) -> [dense(hidden, relu)] x layers -> head
 * - head `ordinal`:  dense(1, no bias) = score s -> CoralThresholds (K-1 logits s + b_k)
 * - head `softmax`:  dense(K) logits
 *
 * The dense part is an ordinary `LayersModel` whose input is the pooled embedding, so
 * `forwardWithTrace` gives DREG its trace and any tfjs tool (saving, input gradients) works on it.
 */
import { initializers, layers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { PolynomialEngine, type PolynomialEngineConfig } from '@chainzrule/polynomial';
import { countParams } from '../models.js';
import { EmbeddingBag } from './embedding-bag.js';
import { CoralThresholds, type TextHead } from './heads.js';

/** The text models of the Yelp Fair Fight. */
export type TextModelKind = 'chainzrule' | 'baseline-relu';
export const TEXT_MODEL_KINDS: readonly TextModelKind[] = ['chainzrule', 'baseline-relu'];

export interface TextModelOptions {
  /** Number of ordered classes K (5 for Yelp stars). */
  numClasses: number;
  /** Hash buckets: rows of the embedding table. */
  buckets: number;
  /** Embedding (pooled vector) size. */
  embeddingDim: number;
  /** Width of each hidden layer. */
  hidden: number;
  /** Number of hidden layers (default 1). */
  hiddenLayers?: number;
  head: TextHead;
  /** Seeds the embedding table and the dense initialisers. */
  seed: number;
  /** Polynomial Engine settings (ChainzRule). */
  engine?: PolynomialEngineConfig;
  /** Embedding init range `[-s, s]` (default 1 / embeddingDim). */
  embeddingInitScale?: number;
}

/** A text model: the JS embedding bag plus the tfjs dense part. */
export interface TextModel {
  kind: TextModelKind;
  head: TextHead;
  numClasses: number;
  bag: EmbeddingBag;
  /** Pooled embedding `[batch, embeddingDim]` -> head outputs (K-1 CORAL logits or K softmax logits). */
  dense: LayersModel;
}

/** Builds a text model; the same seed gives the same initial weights. */
export function buildTextModel(kind: TextModelKind, options: TextModelOptions): TextModel {
  const depth = options.hiddenLayers ?? 1;
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`hidden layers must be an integer >= 1, got ${depth}`);
  if (!Number.isInteger(options.hidden) || options.hidden < 1) throw new RangeError(`hidden width must be an integer >= 1, got ${options.hidden}`);
  if (!Number.isInteger(options.numClasses) || options.numClasses < 2) throw new RangeError(`numClasses must be an integer >= 2, got ${options.numClasses}`);
  if (!TEXT_MODEL_KINDS.includes(kind)) throw new RangeError(`unknown text model '${String(kind)}': use one of ${TEXT_MODEL_KINDS.join(', ')}`);
  const init = (offset: number) => initializers.glorotUniform({ seed: options.seed * 1000 + offset });
  const dense = sequential({ name: `${kind}-text` });
  for (let l = 0; l < depth; l++) {
    const shape = l === 0 ? { inputShape: [options.embeddingDim] } : {};
    const name = depth === 1 ? 'hidden' : `hidden${l + 1}`;
    if (kind === 'chainzrule') {
      dense.add(layers.dense({ ...shape, units: options.hidden, kernelInitializer: init(1 + l), name }));
      dense.add(new PolynomialEngine({ ...options.engine, name: depth === 1 ? 'engine' : `engine${l + 1}` }));
    } else {
      dense.add(layers.dense({ ...shape, units: options.hidden, activation: 'relu', kernelInitializer: init(1 + l), name }));
    }
  }
  if (options.head === 'ordinal') {
    dense.add(layers.dense({ units: 1, useBias: false, kernelInitializer: init(100), name: 'score' }));
    dense.add(new CoralThresholds({ numClasses: options.numClasses, name: 'thresholds' }));
  } else {
    dense.add(layers.dense({ units: options.numClasses, kernelInitializer: init(100), name: 'logits' }));
  }
  const bag = new EmbeddingBag({ buckets: options.buckets, dim: options.embeddingDim, seed: options.seed, initScale: options.embeddingInitScale });
  return { kind, head: options.head, numClasses: options.numClasses, bag, dense };
}

/** Trainable scalars: the embedding table plus the dense part. */
export function countTextParams(model: TextModel): number {
  return model.bag.params + countParams(model.dense);
}
