import * as tf from '@tensorflow/tfjs-core';
import { getRegularizer } from '@chainzrule/dreg';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, clipByGlobalNorm, createRng, NonFiniteLossError, selectBackend, train, TrainingInterrupted, type TrainState, type TrainingSet } from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
});

function data(n: number): TrainingSet {
  const rng = createRng(5);
  const dim = 6;
  const x = Float32Array.from({ length: n * dim }, () => rng() - 0.5);
  const labels = Uint8Array.from({ length: n }, (_, i) => (x[i * dim]! + x[i * dim + 1]! > 0 ? 1 : 0) + (x[i * dim + 2]! > 0.25 ? 1 : 0));
  return { x, labels, n, dim, numClasses: 3 };
}

const options = () => ({
  epochs: 3,
  batchSize: 16,
  learningRate: 0.01,
  seed: 2,
  regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight: 0.01 }],
});
const model = () => buildModel('chainzrule', { inputSize: 6, numClasses: 3, seed: 1, hidden: 8 });
const weights = (m: ReturnType<typeof model>) => m.getWeights().map((w) => Array.from(w.dataSync()));

/** A deep copy of a checkpoint (the trainer disposes its optimizer tensors after the callback). */
const copy = (s: TrainState): TrainState => ({ ...s, optimizer: { ...s.optimizer, weights: s.optimizer.weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })) } });

describe('checkpoint and resume', () => {
  it('stopping mid-epoch and resuming gives bit-identical weights and losses', async () => {
    const d = data(200); // 13 steps per epoch
    const reference = model();
    const full = await train(reference, d, options());

    const first = model();
    const controller = new AbortController();
    let saved: { state: TrainState; weights: tf.Tensor[] } | undefined;
    const interrupted = train(first, d, {
      ...options(),
      checkpointEvery: 5,
      onStep: (info) => {
        if (info.epoch === 2 && info.step === 7) controller.abort();
      },
      onCheckpoint: async (state) => {
        if (saved) tf.dispose([...saved.weights, ...saved.state.optimizer.weights.map((w) => w.tensor)]);
        saved = { state: copy(state), weights: first.getWeights().map((w) => tf.clone(w)) };
      },
      signal: controller.signal,
    });
    await expect(interrupted).rejects.toThrow(TrainingInterrupted);
    expect(saved!.state).toMatchObject({ epoch: 1, step: 7, globalStep: 20 });

    const second = model();
    second.setWeights(saved!.weights);
    const resumed = await train(second, d, { ...options(), resume: saved!.state });
    expect(weights(second)).toEqual(weights(reference));
    expect(resumed.epochLoss).toEqual(full.epochLoss);
    expect(resumed.gradNorms).toEqual(full.gradNorms);
    expect(full.gradNorms).toHaveLength(39);
  });

  it('a non-finite loss stops training with the epoch and step, before updating the weights', async () => {
    const m = model();
    await expect(train(m, data(64), { ...options(), learningRate: 1e30 })).rejects.toThrow(NonFiniteLossError);
    const m2 = model();
    await expect(train(m2, data(64), { ...options(), learningRate: 1e30 })).rejects.toThrow(/non-finite (loss|penalty|gradient norm) .* at epoch \d+, step \d+; .*--lr/);
    expect(weights(m2).flat().every(Number.isFinite)).toBe(true);
  });

  it('clipByGlobalNorm rescales to the limit and keeps direction (hand-computed)', () => {
    // ||(3, 4, 12)|| = 13; clipped to 6.5: every entry halves.
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const clipped = clipByGlobalNorm(grads, 13, 6.5);
    expect(Array.from(clipped.a!.dataSync())).toEqual([1.5, 2]);
    expect(Array.from(clipped.b!.dataSync())).toEqual([6]);
    expect(clipByGlobalNorm(grads, 13, 20)).toBe(grads);
  });

  it('training reports the per-step gradient norm and honours --clip-grad-norm end to end', async () => {
    const m = model();
    const r = await train(m, data(64), { ...options(), epochs: 1, clipGradNorm: 0.5 });
    expect(r.gradNorms).toHaveLength(4);
    expect(r.gradNorms.every((g) => g > 0 && Number.isFinite(g))).toBe(true);
  });
});
