import * as tf from '@tensorflow/tfjs-core';
import { DregRegularizer, checkConfigKeys, registerRegularizer } from './regularizer.js';
import { layerJacobianFrobeniusPerSample } from './jacobian-frobenius.js';
import type { ForwardTrace } from './trace.js';

/**
 * DREG `chain-bound`: the chain rule ties the layers together. The network Jacobian is the
 * product of the layer Jacobians, so per sample
 *
 *     ||J(x)||_2 <= prod_l ||J_l(x)||_2 <= prod_l ||J_l(x)||_F
 *
 * and this penalises the square of that bound, averaged over the batch:
 *
 *     R = mean_batch prod_l ||J_l(x)||_F^2
 */
export class ChainBound extends DregRegularizer {
  static className = 'chain-bound';

  constructor(config: object = {}) {
    super();
    checkConfigKeys(ChainBound.className, config, []);
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      if (trace.length === 0) return tf.scalar(0);
      const factors = trace.map(layerJacobianFrobeniusPerSample); // each [batch] or [1]
      const product = factors.reduce((acc, f) => tf.mul(acc, f));
      return tf.mean(product) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

registerRegularizer(ChainBound);
