import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch, toLogitsFn, type LogitModel } from './model.js';

/** Fraction of rows of `x` whose arg-max logit equals the label. */
export function accuracy(model: LogitModel, x: tf.Tensor, labels: ArrayLike<number>, options: { batchSize?: number } = {}): number {
  const n = x.shape[0]!;
  if (labels.length !== n) throw new RangeError(`accuracy: ${n} inputs but ${labels.length} labels`);
  const logits = toLogitsFn(model);
  let correct = 0;
  forEachBatch(n, options.batchSize ?? 1000, (start, end) => {
    const t = tf.tidy(() => tf.argMax(logits(tf.slice(x, start, end - start)), 1));
    const predicted = t.dataSync();
    t.dispose();
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[start + i]) correct++;
  });
  return correct / n;
}

/** Arg-max class of every row of `x`. */
export function predictClasses(model: LogitModel, x: tf.Tensor, options: { batchSize?: number } = {}): Int32Array {
  const n = x.shape[0]!;
  const out = new Int32Array(n);
  const logits = toLogitsFn(model);
  forEachBatch(n, options.batchSize ?? 1000, (start, end) => {
    const t = tf.tidy(() => tf.argMax(logits(tf.slice(x, start, end - start)), 1));
    out.set(t.dataSync() as Int32Array, start);
    t.dispose();
  });
  return out;
}
