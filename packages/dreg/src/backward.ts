import * as tf from '@tensorflow/tfjs-core';
import type { ForwardTrace } from './trace.js';

/**
 * Vector-Jacobian product through a dense chain, from the trace alone:
 *
 *     v^T J = v^T J_L ... J_1,   J_l = diag(a_l'(z_l)) W_l^T
 *
 * so going backwards `g <- (g * a_l'(z_l)) W_l^T` (tfjs kernel `W_l: [in, out]`). Each sample's row
 * is its own product. The result is differentiable with respect to the weights and the engine
 * coefficients (through `a'`), which is what input-gradient penalties train through. It needs a
 * trace that covers every layer between input and output (a chain of dense layers).
 */
export function traceVjp(trace: ForwardTrace, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let g: tf.Tensor2D = v;
    for (let l = trace.length - 1; l >= 0; l--) {
      const layer = trace[l]!;
      const scaled = layer.dp === null ? g : (tf.mul(g, layer.dp) as tf.Tensor2D);
      g = tf.matMul(scaled, layer.kernel, false, true);
    }
    return g;
  });
}

/** Squared row norms of each kernel's unit weights: `||W_i||^2`, shape `[units]`. */
export function unitWeightNorms(kernel: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.square(kernel), 0) as tf.Tensor1D;
}
