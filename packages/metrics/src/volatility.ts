import * as tf from '@tensorflow/tfjs-core';
import { forEachBatch, toLogitsFn, type LogitModel } from './model.js';

/** Summary of a distribution of per-sample gradient norms `g(x)`. */
export interface VolatilitySummary {
  /** mean of g(x) */
  mean: number;
  /** median of g(x) */
  p50: number;
  /** 99th percentile of g(x) */
  p99: number;
  /** peak gradient volatility: max of g(x) */
  peak: number;
  /** tail ratio tau = p99 / mean */
  tailRatio: number;
}

/** What is differentiated: the true-class logit `f_y(x)`, or the cross-entropy loss `-log softmax(f(x))_y`. */
export type GradientTarget = 'logit' | 'loss';

export interface InputGradientOptions {
  batchSize?: number;
  /** `logit` (default): `f_y(x)`; `loss`: `-log softmax(f(x))_y`. */
  target?: GradientTarget;
}

/**
 * Per-sample input-gradient norms of the true-class logit (default) or of the loss:
 *
 *     g(x) = || d f_y(x) / d x ||_2        or   || d CE(f(x), y) / d x ||_2
 *
 * Works on any tfjs model. Rows of a batch are independent, so the gradient of
 * `sum_b f_{y_b}(x_b)` with respect to the batch holds every sample's own gradient in its row.
 */
export function inputGradientNorms(
  model: LogitModel,
  x: tf.Tensor,
  labels: ArrayLike<number>,
  options: InputGradientOptions = {},
): Float32Array {
  const n = x.shape[0]!;
  if (labels.length !== n) throw new RangeError(`inputGradientNorms: ${n} inputs but ${labels.length} labels`);
  // tfjs-core alone registers no gradients; '@tensorflow/tfjs' and '@tensorflow/tfjs-layers' do.
  if (!tf.getGradient('Sum'))
    throw new Error("tfjs gradients are not registered: import '@tensorflow/tfjs' or '@tensorflow/tfjs-layers' before computing input gradients");
  const target = options.target ?? 'logit';
  if (target !== 'logit' && target !== 'loss') throw new RangeError(`inputGradientNorms: target must be 'logit' or 'loss', got '${String(target)}'`);
  const logits = toLogitsFn(model);
  const out = new Float32Array(n);
  forEachBatch(n, options.batchSize ?? 500, (start, end) => {
    const norms = tf.tidy(() => {
      const xb = tf.slice(x, start, end - start);
      const y = tf.tensor1d(Array.from({ length: end - start }, (_, i) => labels[start + i]!), 'int32');
      const grad = tf.grad((input: tf.Tensor) => {
        const out = logits(input);
        const picked = tf.sum(tf.mul(target === 'logit' ? out : tf.logSoftmax(out), tf.oneHot(y, out.shape[1]!)));
        return target === 'logit' ? picked : tf.neg(picked);
      })(xb);
      return tf.sqrt(tf.sum(tf.square(tf.reshape(grad, [end - start, -1])), 1));
    });
    out.set(norms.dataSync() as Float32Array, start);
    norms.dispose();
  });
  return out;
}

/** The q-quantile (0..1) of `values` with linear interpolation between order statistics (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty list');
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Mean, median, p99, peak (max) and tail ratio (p99 / mean) of per-sample gradient norms. */
export function summarizeVolatility(g: ArrayLike<number>): VolatilitySummary {
  let sum = 0;
  let peak = -Infinity;
  for (let i = 0; i < g.length; i++) {
    sum += g[i]!;
    peak = Math.max(peak, g[i]!);
  }
  const mean = sum / g.length;
  const p99 = quantile(g, 0.99);
  return { mean, p50: quantile(g, 0.5), p99, peak, tailRatio: p99 / mean };
}

/** Input-gradient volatility of `model` on a labelled set: `summarizeVolatility(inputGradientNorms(...))`. */
export function gradientVolatility(
  model: LogitModel,
  x: tf.Tensor,
  labels: ArrayLike<number>,
  options: InputGradientOptions = {},
): VolatilitySummary {
  return summarizeVolatility(inputGradientNorms(model, x, labels, options));
}
