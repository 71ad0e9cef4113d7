import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch, toLogitsFn, type LogitModel } from './model.js';

export interface FgsmOptions {
  batchSize?: number;
  /** Valid input range; adversarial inputs are clipped to it. Default [0, 1] (pixels). */
  clip?: [number, number];
}

/** Accuracy under an FGSM attack of one size. */
export interface FgsmPoint {
  epsilon: number;
  accuracy: number;
}

/**
 * Accuracy under the fast gradient sign attack (Goodfellow et al. 2015) at each epsilon:
 *
 *     x_adv = clip(x + eps * sign(grad_x CE(f(x), y)), lo, hi)
 *
 * an L-infinity step of size `eps` that increases the loss to first order. One gradient per
 * sample serves every epsilon. A single-level `tf.grad` of the loss, so it works on any model.
 */
export function fgsmAccuracy(
  model: LogitModel,
  x: tf.Tensor,
  labels: ArrayLike<number>,
  epsilons: readonly number[],
  options: FgsmOptions = {},
): FgsmPoint[] {
  const n = x.shape[0]!;
  if (labels.length !== n) throw new RangeError(`fgsmAccuracy: ${n} inputs but ${labels.length} labels`);
  for (const e of epsilons) if (!(e >= 0) || !Number.isFinite(e)) throw new RangeError(`fgsmAccuracy: epsilon must be a finite number >= 0, got ${e}`);
  if (!tf.getGradient('Sum'))
    throw new Error("tfjs gradients are not registered: import '@tensorflow/tfjs' or '@tensorflow/tfjs-layers' before running FGSM");
  if (epsilons.length === 0) return [];
  const [lo, hi] = options.clip ?? [0, 1];
  const logits = toLogitsFn(model);
  const correct = new Array<number>(epsilons.length).fill(0);
  forEachBatch(n, options.batchSize ?? 500, (start, end) => {
    const hits = tf.tidy(() => {
      const xb = tf.slice(x, start, end - start);
      const y = tf.tensor1d(Array.from({ length: end - start }, (_, i) => labels[start + i]!), 'int32');
      const loss = (input: tf.Tensor) => {
        const out = logits(input);
        // sum of per-sample cross-entropies: each row's gradient is its own
        return tf.neg(tf.sum(tf.mul(tf.logSoftmax(out), tf.oneHot(y, out.shape[1]!))));
      };
      const direction = tf.sign(tf.grad(loss)(xb));
      return tf.stack(
        epsilons.map((eps) => {
          const adv = tf.clipByValue(tf.add(xb, tf.mul(eps, direction)), lo, hi);
          return tf.sum(tf.cast(tf.equal(tf.argMax(logits(adv), 1), y), 'int32'));
        }),
      );
    });
    const counts = hits.dataSync();
    hits.dispose();
    counts.forEach((c, i) => (correct[i]! += c));
  });
  return epsilons.map((epsilon, i) => ({ epsilon, accuracy: correct[i]! / n }));
}
