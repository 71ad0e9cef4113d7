import * as tf from '@tensorflow/tfjs-core';
import { unitWeightNorms } from './backward.js';
import { DregRegularizer, checkConfigKeys, registerRegularizer } from './regularizer.js';
import type { ForwardTrace } from './trace.js';

/**
 * DREG `curvature`: penalises the second derivative of each layer. For `h_i = a(W_i . x + b_i)`
 * the Hessian of unit i is `a''(z_i) W_i W_i^T`, whose Frobenius norm is `|a''(z_i)| ||W_i||^2`:
 *
 *     R = sum_layers mean_batch sum_i a''(z_i)^2 ||W_i||^4
 *
 * Layers without a second derivative (linear, ReLU: `d2p = null`) contribute nothing.
 */
export class Curvature extends DregRegularizer {
  static className = 'curvature';

  constructor(config: object = {}) {
    super();
    checkConfigKeys(Curvature.className, config, []);
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      const terms = trace
        .filter((layer) => layer.d2p !== null)
        .map((layer) => tf.mean(tf.sum(tf.mul(tf.square(layer.d2p!), tf.square(unitWeightNorms(layer.kernel))), 1)));
      return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

registerRegularizer(Curvature);
