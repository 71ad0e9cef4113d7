import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch, toLogitsFn, type LogitModel } from './model.js';

export interface LocalSensitivityOptions {
  /** L2 length of every perturbation `d` (input units). Default 0.1. */
  radius?: number;
  /** Random directions tried per sample. Default 16. */
  directions?: number;
  /** Seed of the directions: the same seed gives the same directions for every model (and every batch). Default 0. */
  seed?: number;
  batchSize?: number;
}

/**
 * Finite-difference local sensitivity per sample: the largest output change per unit of input
 * change over random directions at a fixed radius,
 *
 *     s(x) = max_{k=1..K} || f(x + d_k) - f(x) ||_2 / || d_k ||_2,   d_k = r n_k / ||n_k||,  n_k ~ N(0, I)
 *
 * with `f` the whole logit vector. Needs no gradient, so it works on any model, and it sees
 * what a real perturbation of size `r` does (not only the tangent). `s(x)` never exceeds the
 * model's global Lipschitz constant.
 */
export function localSensitivity(model: LogitModel, x: tf.Tensor, options: LocalSensitivityOptions = {}): Float32Array {
  const radius = options.radius ?? 0.1;
  const directions = options.directions ?? 16;
  const seed = options.seed ?? 0;
  if (!(radius > 0) || !Number.isFinite(radius)) throw new RangeError(`localSensitivity: radius must be a positive number, got ${radius}`);
  if (!Number.isInteger(directions) || directions < 1) throw new RangeError(`localSensitivity: directions must be an integer >= 1, got ${directions}`);
  const n = x.shape[0]!;
  const batchSize = options.batchSize ?? 500;
  const logits = toLogitsFn(model);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const dim = x.size / n;
  const rows = Math.min(batchSize, n);
  // K unit directions per batch row, drawn once (seeded) and reused for every batch: drawing
  // normals costs more than the forward passes, and the directions need not differ between batches.
  const units = tf.tidy(() =>
    Array.from({ length: directions }, (_, k) => {
      // tfjs draws an unseeded stream for seed 0, so the seeds start at 1.
      const noise = tf.randomNormal([rows, dim], 0, 1, 'float32', 1 + seed * 1_000_003 + k);
      return tf.div(noise, tf.norm(noise, 2, 1, true));
    }),
  );
  try {
    forEachBatch(n, batchSize, (start, end) => {
      const ratios = tf.tidy(() => {
        const b = end - start;
        const xb = tf.reshape(tf.slice(x, start, b), [b, dim]);
        const inputShape = [b, ...x.shape.slice(1)];
        const f0 = logits(tf.reshape(xb, inputShape));
        let best: tf.Tensor = tf.zeros([b]);
        for (const unit of units) {
          const d = tf.mul(radius, b === rows ? unit : tf.slice(unit, 0, b));
          const f1 = logits(tf.reshape(tf.add(xb, d), inputShape));
          const change = tf.sqrt(tf.sum(tf.square(tf.reshape(tf.sub(f1, f0), [b, -1])), 1));
          best = tf.maximum(best, tf.div(change, radius));
        }
        return best;
      });
      out.set(ratios.dataSync() as Float32Array, start);
      ratios.dispose();
    });
  } finally {
    tf.dispose(units);
  }
  return out;
}
