import * as tf from '@tensorflow/tfjs-core';

/** Anything that maps a batch of inputs to logits: a function, or a tfjs model with `predict`. */
export type LogitModel = ((x: tf.Tensor) => tf.Tensor) | { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] };

/** The logits of `model` at `x`, as a function usable inside `tf.grad`. */
export function toLogitsFn(model: LogitModel): (x: tf.Tensor) => tf.Tensor {
  if (typeof model === 'function') return model;
  return (x) => {
    const out = model.predict(x);
    return Array.isArray(out) ? out[0]! : out;
  };
}

/** Calls `f(start, end)` on consecutive batches `[start, end)` of `n` rows. */
export function forEachBatch(n: number, batchSize: number, f: (start: number, end: number) => void): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  for (let start = 0; start < n; start += batchSize) f(start, Math.min(n, start + batchSize));
}
