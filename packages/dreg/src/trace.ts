import type * as tf from '@tensorflow/tfjs-core';

/**
 * What one dense layer `h = a(x W + b)` exposes to a regularizer from the forward pass.
 *
 * tfjs stores the kernel as `W: [in, units]`, so the paper's weight row `W_i` of unit `i` is
 * column `i` of `kernel`.
 */
export interface LayerTrace {
  /** The layer's name in its model. */
  name: string;
  /** The layer input `x`, `[batch, in]`. */
  input: tf.Tensor2D;
  /** The kernel `W`, `[in, units]`. */
  kernel: tf.Tensor2D;
  /** The pre-activation `z = x W + b`, `[batch, units]`. */
  z: tf.Tensor2D;
  /** `a'(z)`, `[batch, units]`; `null` when the activation is the identity (a linear layer). */
  dp: tf.Tensor2D | null;
  /** `a''(z)`, `[batch, units]`; `null` when the activation is the identity or piecewise linear. */
  d2p: tf.Tensor2D | null;
}

/** The forward trace of a whole network: one entry per dense layer, input to output. */
export type ForwardTrace = readonly LayerTrace[];

/** Per-batch data some regularizers need besides the trace. */
export interface RegularizerContext {
  /** The network's logits for the batch, `[batch, classes]`. */
  logits: tf.Tensor2D;
  /** One-hot labels, `[batch, classes]`. */
  labels: tf.Tensor2D;
  /** Training step (0-based), e.g. to vary random projections deterministically. */
  step?: number;
}
