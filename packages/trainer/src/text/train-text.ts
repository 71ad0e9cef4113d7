/**
 * Streaming training and evaluation of text models. Examples come from an async source that is
 * re-opened every epoch (e.g. a CSV file read again), go through a seeded shuffle buffer and are
 * batched; nothing but the shuffle buffer is held, so a 500 MB training file trains in flat memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { scheduledWeight } from '@chainzrule/dreg';
import { inputGradientNorms } from '@chainzrule/metrics';
import { forwardWithTrace } from '../forward.js';
import { createRng } from '../random.js';
import { NonFiniteLossError, TrainingConfigError, type WeightedRegularizer } from '../train.js';
import { LazyAdam, type BagBatch } from './embedding-bag.js';
import { headLoss, headPredict } from './heads.js';
import type { TextModel } from './model.js';

/** One text as hashed n-gram ids, with its class index (0..K-1; stars - 1 for Yelp). */
export interface TextExample {
  ids: Int32Array;
  label: number;
}

/** A re-readable stream of examples: each call starts a new pass (one epoch). */
export type TextSource = () => AsyncIterable<TextExample>;

/** A batch of examples: their id bags and labels. */
export interface LabelledBagBatch extends BagBatch {
  labels: Int32Array;
}

/**
 * A seeded shuffle buffer of `size` examples: fill it, then for every new example emit a random
 * buffered one and put the new one in its place; at the end emit the rest in random order.
 * With `size` >= the number of examples this is a uniform random permutation (Fisher-Yates).
 */
export async function* shuffleBuffer<T>(source: AsyncIterable<T>, size: number, rng: () => number): AsyncGenerator<T> {
  const buffer: T[] = [];
  for await (const item of source) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const j = Math.floor(rng() * size);
    yield buffer[j]!;
    buffer[j] = item;
  }
  for (let i = buffer.length - 1; i >= 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    yield buffer[j]!;
    buffer[j] = buffer[i]!;
  }
}

/** Groups examples into batches of `batchSize` (the last one may be smaller). */
export async function* bagBatches(source: AsyncIterable<TextExample>, batchSize: number): AsyncGenerator<LabelledBagBatch> {
  let pending: TextExample[] = [];
  const flush = (): LabelledBagBatch => {
    const offsets = new Int32Array(pending.length + 1);
    for (let b = 0; b < pending.length; b++) offsets[b + 1] = offsets[b]! + pending[b]!.ids.length;
    const ids = new Int32Array(offsets[pending.length]!);
    const labels = new Int32Array(pending.length);
    pending.forEach((ex, b) => {
      ids.set(ex.ids, offsets[b]!);
      labels[b] = ex.label;
    });
    const batch = { ids, offsets, labels, size: pending.length };
    pending = [];
    return batch;
  };
  for await (const ex of source) {
    pending.push(ex);
    if (pending.length === batchSize) yield flush();
  }
  if (pending.length > 0) yield flush();
}

export interface TextStepInfo {
  epoch: number;
  epochs: number;
  /** step within the epoch (1-based) */
  step: number;
  /** steps per epoch when the source size is known (`examplesPerEpoch`), else null */
  stepsPerEpoch: number | null;
  /** head loss of this batch */
  loss: number;
  /** mean head loss of the epoch so far */
  epochLoss: number;
  /** weighted DREG penalty of this batch */
  penalty: number;
  samplesPerSecond: number;
}

export interface TextTrainOptions {
  epochs: number;
  batchSize: number;
  /** Adam learning rate, for the dense part and (lazily) for the embedding table. */
  learningRate: number;
  /** Seeds the data order: the same seed gives every model the same order. */
  seed: number;
  /** DREG penalties on the dense part (after the embedding bag). */
  regularizers?: WeightedRegularizer[];
  /** Shuffle buffer size in examples (default 100,000). */
  shuffleBuffer?: number;
  /** Number of examples per epoch, if known: only for progress (`stepsPerEpoch`). */
  examplesPerEpoch?: number;
  onStep?: (info: TextStepInfo) => void;
  /** Called after each epoch (e.g. to evaluate on a validation set). */
  onEpochEnd?: (epoch: number) => Promise<void> | void;
}

export interface TextTrainResult {
  /** wall-clock seconds of training, reading and featurising the data included */
  seconds: number;
  samplesPerSecond: number;
  /** mean head loss per epoch */
  epochLoss: number[];
  /** mean weighted penalty per epoch */
  epochPenalty: number[];
}

/**
 * Minimises `headLoss(dense(pool(E, ids)), y) + sum_r lambda_r R_r(trace)` with Adam: tfjs's Adam
 * on the dense part, the same Adam applied lazily to the embedding rows of each batch.
 *
 * Per step: pool in JS, run the dense part under `tf.variableGrads` with the pooled batch as a
 * (temporary) variable so that `dL/dpooled` comes out with the weight gradients, then scatter
 * `dL/dpooled` into the table rows (`EmbeddingBag.gradient`). No tensor outlives its step.
 */
export async function trainTextModel(model: TextModel, source: TextSource, options: TextTrainOptions): Promise<TextTrainResult> {
  const { epochs, batchSize, learningRate } = options;
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new TrainingConfigError(`epochs must be an integer >= 1, got ${epochs}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TrainingConfigError(`batch size must be an integer >= 1, got ${batchSize}`);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new TrainingConfigError(`learning rate must be a positive number, got ${learningRate}`);
  const bufferSize = options.shuffleBuffer ?? 100_000;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) throw new TrainingConfigError(`shuffle buffer must be an integer >= 1, got ${bufferSize}`);
  const regularizers = (options.regularizers ?? []).filter((r) => r.weight > 0);
  const optimizer = tf.train.adam(learningRate);
  const lazy = new LazyAdam(model.bag, { learningRate });
  const variables = model.dense.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = createRng(`text-order-${options.seed}`);
  const dim = model.bag.dim;
  const stepsPerEpoch = options.examplesPerEpoch ? Math.ceil(options.examplesPerEpoch / batchSize) : null;
  const epochLoss: number[] = [];
  const epochPenalty: number[] = [];
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let seen = 0;
  let globalStep = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let lossSum = 0;
      let penaltySum = 0;
      let count = 0;
      let step = 0;
      for await (const batch of bagBatches(shuffleBuffer(source(), bufferSize, rng), batchSize)) {
        const pooled = model.bag.pool(batch);
        const pooledTensor = tf.tensor2d(pooled, [batch.size, dim]);
        const x = tf.variable(pooledTensor, true);
        pooledTensor.dispose();
        try {
          const stepIndex = globalStep;
          const stats = tf.tidy(() => {
            const y = tf.tensor1d(batch.labels, 'int32');
            let loss: tf.Scalar | undefined;
            let pen: tf.Scalar | undefined;
            const { grads } = tf.variableGrads(() => {
              const { logits, trace } = forwardWithTrace(model.dense, x as unknown as tf.Tensor2D);
              loss = tf.keep(headLoss(model.head, logits, y));
              const context = { logits, labels: tf.oneHot(y, logits.shape[1]) as tf.Tensor2D, step: stepIndex };
              const terms = regularizers.map((w) => tf.mul(scheduledWeight(w.weight, w.schedule, stepIndex), w.regularizer.apply(trace, context)));
              pen = tf.keep((terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar);
              return tf.add(loss, pen) as tf.Scalar;
            }, [...variables, x]);
            const dPooled = grads[x.name]!;
            delete grads[x.name];
            return { loss: loss!, pen: pen!, dPooled, grads };
          });
          const lossValue = stats.loss.dataSync()[0]!;
          const penaltyValue = stats.pen.dataSync()[0]!;
          const dPooled = stats.dPooled.dataSync() as Float32Array;
          if (!Number.isFinite(lossValue + penaltyValue) || !dPooled.every(Number.isFinite)) {
            tf.dispose([stats.loss, stats.pen, stats.dPooled, ...Object.values(stats.grads)]);
            throw new NonFiniteLossError(`non-finite loss or gradient at epoch ${epoch + 1}, step ${step + 1}; lower the learning rate (--lr)`, epoch + 1, step + 1);
          }
          optimizer.applyGradients(stats.grads as Parameters<typeof optimizer.applyGradients>[0]);
          lazy.step(model.bag.gradient(batch, dPooled));
          tf.dispose([stats.loss, stats.pen, stats.dPooled, ...Object.values(stats.grads)]);
          lossSum += lossValue * batch.size;
          penaltySum += penaltyValue * batch.size;
          count += batch.size;
          seen += batch.size;
          step++;
          globalStep++;
          options.onStep?.({ epoch: epoch + 1, epochs, step, stepsPerEpoch, loss: lossValue, epochLoss: lossSum / count, penalty: penaltyValue, samplesPerSecond: seen / Math.max(elapsed(), 1e-9) });
        } finally {
          x.dispose();
        }
        // Let timers (progress bar, signals) run between steps.
        if (step % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (count === 0) throw new TrainingConfigError('the training set is empty');
      epochLoss.push(lossSum / count);
      epochPenalty.push(penaltySum / count);
      await options.onEpochEnd?.(epoch + 1);
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = elapsed();
  return { seconds, samplesPerSecond: seen / seconds, epochLoss, epochPenalty };
}

/** Predictions and per-sample input-gradient norms of a text model on a set. */
export interface TextEvaluation {
  /** class indices */
  truth: Int32Array;
  predicted: Int32Array;
  /**
   * `g(x) = ||d f(x) / d pooled||_2` per sample, with respect to the pooled embedding (the dense
   * part's input); `f` is the score `s(x)` for the ordinal head (every CORAL logit `s + b_k` has
   * the same gradient) and the true-class logit for the softmax head. Empty unless requested.
   */
  gradientNorms: Float32Array;
}

export interface TextEvaluateOptions {
  /** Examples per forward pass (default 1000). */
  batchSize?: number;
  /** Also compute the input-gradient norms (default false). */
  volatility?: boolean;
}

/** Runs `model` over `source` once, in order. */
export async function evaluateTextModel(model: TextModel, source: AsyncIterable<TextExample>, options: TextEvaluateOptions = {}): Promise<TextEvaluation> {
  const truth: number[] = [];
  const predicted: number[] = [];
  const norms: Float32Array[] = [];
  const dim = model.bag.dim;
  const logits = (x: tf.Tensor) => model.dense.apply(x) as tf.Tensor;
  for await (const batch of bagBatches(source, options.batchSize ?? 1000)) {
    const x = tf.tensor2d(model.bag.pool(batch), [batch.size, dim]);
    try {
      const p = tf.tidy(() => headPredict(model.head, logits(x) as tf.Tensor2D));
      predicted.push(...(p.dataSync() as Int32Array));
      p.dispose();
      truth.push(...batch.labels);
      if (options.volatility) {
        // Ordinal: differentiate l_1 = s + b_1, whose gradient is that of the score s.
        const target = model.head === 'ordinal' ? new Int32Array(batch.size) : batch.labels;
        norms.push(inputGradientNorms(logits, x, target));
      }
    } finally {
      x.dispose();
    }
  }
  const gradientNorms = new Float32Array(norms.reduce((n, a) => n + a.length, 0));
  norms.reduce((offset, a) => (gradientNorms.set(a, offset), offset + a.length), 0);
  return { truth: Int32Array.from(truth), predicted: Int32Array.from(predicted), gradientNorms };
}
