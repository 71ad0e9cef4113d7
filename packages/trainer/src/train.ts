/** The seeded training loop: Adam, mini-batches, seeded shuffling, DREG penalties from the forward trace. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { scheduledWeight, type DregRegularizer, type LambdaSchedule } from '@chainzrule/dreg';
import { forwardWithTrace } from './forward.js';
import { createRng, permutation, restoreRng } from './random.js';

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
  /** mean cross-entropy of the epoch so far */
  epochLoss: number;
  /** weighted regularizer penalty of this batch */
  penalty: number;
  /** global norm of the loss gradient with respect to all trainable weights, before clipping */
  gradNorm: number;
  samplesPerSecond: number;
}

/**
 * Everything needed to continue training exactly where it stopped: position, data-order
 * generator, running sums and the optimizer's state. JSON-serialisable except `optimizer`.
 */
export interface TrainState {
  /** 0-based epoch and the next step within it */
  epoch: number;
  step: number;
  globalStep: number;
  /** generator state at the start of `epoch` (the permutation is re-drawn from it) */
  rngAtEpochStart: object;
  lossSum: number;
  penaltySum: number;
  seen: number;
  elapsedSeconds: number;
  epochLoss: number[];
  epochPenalty: number[];
  gradNorms: number[];
  /** Adam's variables (`optimizer.getWeights()`) plus its beta-power accumulators */
  optimizer: { weights: { name: string; tensor: tf.Tensor }[]; accBeta1: number; accBeta2: number };
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the data order (the same for every model trained with the same seed). */
  seed: number;
  regularizers?: WeightedRegularizer[];
  /** Rescale the gradient when its global norm exceeds this. */
  clipGradNorm?: number;
  onStep?: (info: StepInfo) => void;
  /** Continue from a saved state (see `onCheckpoint`). */
  resume?: TrainState;
  /** Called with the full state at each epoch end and every `checkpointEvery` steps. */
  onCheckpoint?: (state: TrainState, reason: 'epoch' | 'steps' | 'interrupt') => Promise<void>;
  checkpointEvery?: number;
  /** When aborted, training stops at the next step boundary after a final checkpoint. */
  signal?: AbortSignal;
}

export interface TrainResult {
  seconds: number;
  samplesPerSecond: number;
  /** mean cross-entropy per epoch */
  epochLoss: number[];
  /** mean weighted penalty per epoch */
  epochPenalty: number[];
  /** global gradient norm of every step (training gradient volatility) */
  gradNorms: number[];
}

/** A hyper-parameter is out of range; the message names it and the allowed range. */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
}

/** The loss or the gradient stopped being finite; the message names epoch and step. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super(message);
  }
}

/** Training stopped because its `signal` was aborted (after a checkpoint). */
export class TrainingInterrupted extends Error {
  override name = 'TrainingInterrupted';
}

export function validateTrainOptions(o: TrainOptions): void {
  if (!Number.isSafeInteger(o.epochs) || o.epochs < 1) throw new TrainingConfigError(`epochs must be an integer >= 1, got ${o.epochs}`);
  if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) throw new TrainingConfigError(`batch size must be an integer >= 1, got ${o.batchSize}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new TrainingConfigError(`learning rate must be a positive number, got ${o.learningRate}`);
  if (o.clipGradNorm !== undefined && !(o.clipGradNorm > 0)) throw new TrainingConfigError(`clip-grad-norm must be a positive number, got ${o.clipGradNorm}`);
  if (o.checkpointEvery !== undefined && (!Number.isSafeInteger(o.checkpointEvery) || o.checkpointEvery < 1))
    throw new TrainingConfigError(`checkpoint-every must be an integer >= 1, got ${o.checkpointEvery}`);
  for (const r of o.regularizers ?? [])
    if (!(r.weight >= 0) || !Number.isFinite(r.weight))
      throw new TrainingConfigError(`regularizer weight (lambda) must be a finite number >= 0, got ${r.weight}`);
}

/**
 * Gradient clipping by global norm: `g <- g * min(1, c / ||g||)` with `||g||` over all weights,
 * which keeps the update's direction.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, norm: number, maxNorm: number): tf.NamedTensorMap {
  if (!(norm > maxNorm)) return grads;
  const scale = maxNorm / norm;
  return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
}

type AdamInternals = { accBeta1: tf.Variable; accBeta2: tf.Variable };

async function optimizerState(optimizer: tf.AdamOptimizer): Promise<TrainState['optimizer']> {
  const internals = optimizer as unknown as AdamInternals;
  // getWeights returns the live moment variables plus a fresh iteration count: copy them all so the
  // state stays valid while training goes on, and free the fresh one.
  const live = await optimizer.getWeights();
  const weights = live.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  tf.dispose(live.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  return {
    weights,
    // tfjs rebuilds these as beta^t on setWeights, which can differ from the running product in
    // the last bit; saving them keeps a resumed run bit-identical to an uninterrupted one.
    accBeta1: internals.accBeta1.dataSync()[0]!,
    accBeta2: internals.accBeta2.dataSync()[0]!,
  };
}

async function restoreOptimizer(optimizer: tf.AdamOptimizer, saved: TrainState['optimizer']): Promise<void> {
  await optimizer.setWeights(saved.weights);
  const internals = optimizer as unknown as AdamInternals;
  internals.accBeta1.assign(tf.scalar(saved.accBeta1));
  internals.accBeta2.assign(tf.scalar(saved.accBeta2));
}

/**
 * Minimises `CE(softmax(f(x)), y) + sum_r lambda_r R_r(trace)` with Adam over shuffled
 * mini-batches. Every tensor is released per step; `tf.memory().numTensors` does not grow.
 * Deterministic for a seed and backend, also across a checkpoint and `resume`.
 */
export async function train(model: LayersModel, data: TrainingSet, options: TrainOptions): Promise<TrainResult> {
  validateTrainOptions(options);
  if (data.n < 1) throw new TrainingConfigError('the training set is empty');
  const { epochs } = options;
  const batchSize = Math.min(options.batchSize, data.n);
  const regularizers = (options.regularizers ?? []).filter((r) => r.weight > 0);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stepsPerEpoch = Math.ceil(data.n / batchSize);
  const xBuf = new Float32Array(batchSize * data.dim);
  const yBuf = new Int32Array(batchSize);
  const r = options.resume;
  const s = {
    epoch: r?.epoch ?? 0,
    step: r?.step ?? 0,
    globalStep: r?.globalStep ?? 0,
    lossSum: r?.lossSum ?? 0,
    penaltySum: r?.penaltySum ?? 0,
    seen: r?.seen ?? 0,
    epochLoss: [...(r?.epochLoss ?? [])],
    epochPenalty: [...(r?.epochPenalty ?? [])],
    gradNorms: [...(r?.gradNorms ?? [])],
  };
  const elapsedBefore = r?.elapsedSeconds ?? 0;
  const rng = r ? restoreRng(r.rngAtEpochStart) : createRng(options.seed);
  let rngAtEpochStart = rng.state();
  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const snapshot = async (): Promise<TrainState> => ({ ...s, epochLoss: [...s.epochLoss], epochPenalty: [...s.epochPenalty], gradNorms: [...s.gradNorms], rngAtEpochStart, elapsedSeconds: elapsed(), optimizer: await optimizerState(optimizer) });
  const checkpoint = async (reason: 'epoch' | 'steps' | 'interrupt') => {
    if (!options.onCheckpoint) return;
    const state = await snapshot();
    try {
      await options.onCheckpoint(state, reason);
    } finally {
      tf.dispose(state.optimizer.weights.map((w) => w.tensor));
    }
  };
  try {
    if (r) await restoreOptimizer(optimizer, r.optimizer);
    for (; s.epoch < epochs; s.epoch++, s.step = 0) {
      rngAtEpochStart = rng.state();
      const order = permutation(data.n, rng);
      for (; s.step < stepsPerEpoch; ) {
        if (options.signal?.aborted) {
          await checkpoint('interrupt');
          throw new TrainingInterrupted(`training interrupted at epoch ${s.epoch + 1}, step ${s.step + 1}`);
        }
        const start = s.step * batchSize;
        const size = Math.min(batchSize, data.n - start);
        for (let i = 0; i < size; i++) {
          const row = order[start + i]!;
          xBuf.set(data.x.subarray(row * data.dim, (row + 1) * data.dim), i * data.dim);
          yBuf[i] = data.labels[row]!;
        }
        const globalStep = s.globalStep;
        const stats = tf.tidy(() => {
          const xb = tf.tensor2d(xBuf.subarray(0, size * data.dim), [size, data.dim]);
          const yb = tf.oneHot(tf.tensor1d(yBuf.subarray(0, size), 'int32'), data.numClasses);
          let ce: tf.Scalar | undefined;
          let pen: tf.Scalar | undefined;
          const { grads } = tf.variableGrads(() => {
            const { logits, trace } = forwardWithTrace(model, xb);
            ce = tf.keep(tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar);
            // Penalties from the same forward pass: DREG terms need no extra forward or backward.
            const context = { logits, labels: yb as tf.Tensor2D, step: globalStep };
            const terms = regularizers.map((w) => tf.mul(scheduledWeight(w.weight, w.schedule, globalStep), w.regularizer.apply(trace, context)));
            pen = tf.keep((terms.length === 0 ? tf.scalar(0) : terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Scalar);
            return tf.add(ce, pen) as tf.Scalar;
          }, variables);
          // ||grad||_2 over all weights: the training gradient volatility, and the clipping scale.
          const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
          const finite = tf.all(tf.isFinite(tf.stack([ce!, pen!, norm])));
          return { ce: ce!, pen: pen!, norm, finite, grads };
        });
        const [lossValue, penaltyValue, gradNorm] = [stats.ce.dataSync()[0]!, stats.pen.dataSync()[0]!, stats.norm.dataSync()[0]!];
        if (!stats.finite.dataSync()[0]) {
          tf.dispose([stats.ce, stats.pen, stats.norm, stats.finite, ...Object.values(stats.grads)]);
          const what = !Number.isFinite(lossValue) ? `loss ${lossValue}` : !Number.isFinite(penaltyValue) ? `penalty ${penaltyValue}` : `gradient norm ${gradNorm}`;
          throw new NonFiniteLossError(
            `non-finite ${what} at epoch ${s.epoch + 1}, step ${s.step + 1}; the weights were not updated. Lower the learning rate (--lr) or set --clip-grad-norm`,
            s.epoch + 1,
            s.step + 1,
          );
        }
        tf.tidy(() => {
          const grads = options.clipGradNorm === undefined ? stats.grads : clipByGlobalNorm(stats.grads, gradNorm, options.clipGradNorm);
          optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
        });
        tf.dispose([stats.ce, stats.pen, stats.norm, stats.finite, ...Object.values(stats.grads)]);
        s.lossSum += lossValue * size;
        s.penaltySum += penaltyValue * size;
        s.gradNorms.push(gradNorm);
        s.seen += size;
        s.globalStep++;
        s.step++;
        const epochSeen = Math.min(s.step * batchSize, data.n);
        options.onStep?.({
          epoch: s.epoch + 1, epochs, step: s.step, stepsPerEpoch, loss: lossValue, epochLoss: s.lossSum / epochSeen,
          penalty: penaltyValue, gradNorm, samplesPerSecond: s.seen / Math.max(elapsed(), 1e-9),
        });
        if (s.step < stepsPerEpoch && options.checkpointEvery && s.globalStep % options.checkpointEvery === 0) await checkpoint('steps');
        // Let timers (progress bar, signals) run between steps.
        if (s.step % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      s.epochLoss.push(s.lossSum / data.n);
      s.epochPenalty.push(s.penaltySum / data.n);
      s.lossSum = 0;
      s.penaltySum = 0;
      // Saved as "epoch + 1, step 0": the next epoch's order is drawn from the current generator.
      const done = { epoch: s.epoch, step: s.step };
      Object.assign(s, { epoch: s.epoch + 1, step: 0 });
      rngAtEpochStart = rng.state();
      await checkpoint('epoch');
      Object.assign(s, done);
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = elapsed();
  return { seconds, samplesPerSecond: s.seen / seconds, epochLoss: s.epochLoss, epochPenalty: s.epochPenalty, gradNorms: s.gradNorms };
}
