/** The seeded training loop: Adam, mini-batches, seeded shuffling, DREG penalties from the forward trace. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { scheduledWeight, type DregRegularizer, type LambdaSchedule } from '@chainzrule/dreg';
import { forwardWithTrace } from './forward.js';
import { createRng, permutation } from './random.js';

/** A labelled, in-memory classification set: `n` rows of `dim` features. */
export interface TrainingSet {
  x: Float32Array;
  labels: ArrayLike<number>;
  n: number;
  dim: number;
  numClasses: number;
}

/** A regularizer and its weight (lambda) in the loss. */
export interface WeightedRegularizer {
  regularizer: DregRegularizer;
  /** lambda: the weight of the penalty in the loss */
  weight: number;
  /** How the weight changes over training (default constant). */
  schedule?: LambdaSchedule;
}

export interface StepInfo {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** cross-entropy of this batch */
  loss: number;
  /** weighted regularizer penalty of this batch */
  penalty: number;
  samplesPerSecond: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the data order (the same for every model trained with the same seed). */
  seed: number;
  regularizers?: WeightedRegularizer[];
  onStep?: (info: StepInfo) => void;
}

export interface TrainResult {
  seconds: number;
  samplesPerSecond: number;
  /** mean cross-entropy per epoch */
  epochLoss: number[];
  /** mean weighted penalty per epoch */
  epochPenalty: number[];
}

/** A hyper-parameter is out of range; the message names it and the allowed range. */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
}

export function validateTrainOptions(o: TrainOptions): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new TrainingConfigError(`epochs must be an integer >= 1, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new TrainingConfigError(`batch size must be an integer >= 1, got ${o.batchSize}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new TrainingConfigError(`learning rate must be a positive number, got ${o.learningRate}`);
  for (const r of o.regularizers ?? [])
    if (!(r.weight >= 0) || !Number.isFinite(r.weight))
      throw new TrainingConfigError(`regularizer weight (lambda) must be a finite number >= 0, got ${r.weight}`);
}

/**
 * Minimises `CE(softmax(f(x)), y) + sum_r lambda_r R_r(trace)` with Adam over shuffled
 * mini-batches. Every tensor is released per step; `tf.memory().numTensors` does not grow.
 */
export async function train(model: LayersModel, data: TrainingSet, options: TrainOptions): Promise<TrainResult> {
  validateTrainOptions(options);
  const { epochs, batchSize } = options;
  const regularizers = (options.regularizers ?? []).filter((r) => r.weight > 0);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = createRng(options.seed);
  const stepsPerEpoch = Math.ceil(data.n / batchSize);
  const xBuf = new Float32Array(batchSize * data.dim);
  const yBuf = new Int32Array(batchSize);
  const epochLoss: number[] = [];
  const epochPenalty: number[] = [];
  const started = performance.now();
  let seen = 0;
  let globalStep = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = permutation(data.n, rng);
      let lossSum = 0;
      let penaltySum = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const start = step * batchSize;
        const size = Math.min(batchSize, data.n - start);
        for (let i = 0; i < size; i++) {
          const row = order[start + i]!;
          xBuf.set(data.x.subarray(row * data.dim, (row + 1) * data.dim), i * data.dim);
          yBuf[i] = data.labels[row]!;
        }
        const [loss, penalty] = tf.tidy(() => {
          const xb = tf.tensor2d(xBuf.subarray(0, size * data.dim), [size, data.dim]);
          const yb = tf.oneHot(tf.tensor1d(yBuf.subarray(0, size), 'int32'), data.numClasses);
          let ce: tf.Scalar | undefined;
          let pen: tf.Scalar | undefined;
          const { grads } = tf.variableGrads(() => {
            const { logits, trace } = forwardWithTrace(model, xb);
            ce = tf.keep(tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar);
            // Penalties from the same forward pass: DREG terms need no extra forward or backward.
            const context = { logits, labels: yb as tf.Tensor2D, step: globalStep };
            const terms = regularizers.map((r) => tf.mul(scheduledWeight(r.weight, r.schedule, globalStep), r.regularizer.apply(trace, context)));
            pen = tf.keep((terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar);
            return tf.add(ce, pen) as tf.Scalar;
          }, variables);
          optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
          return [ce!, pen!];
        });
        const lossValue = loss.dataSync()[0]!;
        const penaltyValue = penalty.dataSync()[0]!;
        loss.dispose();
        penalty.dispose();
        lossSum += lossValue * size;
        penaltySum += penaltyValue * size;
        seen += size;
        globalStep++;
        const elapsed = (performance.now() - started) / 1000;
        options.onStep?.({ epoch: epoch + 1, epochs, step: step + 1, stepsPerEpoch, loss: lossValue, penalty: penaltyValue, samplesPerSecond: seen / elapsed });
        // Let timers (progress bar, signals) run between steps.
        if (step % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      epochLoss.push(lossSum / data.n);
      epochPenalty.push(penaltySum / data.n);
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, samplesPerSecond: seen / seconds, epochLoss, epochPenalty };
}
