import * as tf from '@tensorflow/tfjs-core';
import { DregRegularizer, RegularizerConfigError, checkConfigKeys, registerRegularizer } from './regularizer.js';
import { unitWeightNorms } from './backward.js';
import type { ForwardTrace, LayerTrace } from './trace.js';

export interface JacobianFrobeniusConfig {
  /** `all` (default) penalises every layer's Jacobian; `engine` only layers with a non-linear activation. */
  layers?: 'all' | 'engine';
}

/**
 * Squared Frobenius norm of one layer's Jacobian, averaged over the batch, computed analytically.
 *
 * For `h = a(x W + b)` the Jacobian is `J = diag(a'(z)) W^T` (paper layout), so
 *
 *     ||J||_F^2 = sum_i a'(z_i)^2 ||W_i||^2
 *
 * with `||W_i||^2` the squared norm of unit i's weights (column i of the tfjs kernel). For a
 * linear layer `a' = 1` and this is `||W||_F^2`. No double back-propagation is involved.
 */
export function layerJacobianFrobenius(layer: LayerTrace): tf.Scalar {
  return tf.tidy(() => tf.mean(layerJacobianFrobeniusPerSample(layer)) as tf.Scalar);
}

/** `||J_l(x)||_F^2` for every sample of the batch, `[batch]` (`[1]` for a linear layer: it does not depend on x). */
export function layerJacobianFrobeniusPerSample(layer: LayerTrace): tf.Tensor1D {
  return tf.tidy(() => {
    const rowNorms = unitWeightNorms(layer.kernel); // ||W_i||^2, [units]
    if (layer.dp === null) return tf.reshape(tf.sum(rowNorms), [1]) as tf.Tensor1D;
    return tf.sum(tf.mul(tf.square(layer.dp), rowNorms), 1) as tf.Tensor1D;
  });
}

/** DREG `jacobian-frobenius`: `sum_layers mean_batch ||J_l||_F^2`. */
export class JacobianFrobenius extends DregRegularizer {
  static className = 'jacobian-frobenius';
  readonly layers: 'all' | 'engine';

  constructor(config: JacobianFrobeniusConfig = {}) {
    super();
    checkConfigKeys(JacobianFrobenius.className, config, ['layers']);
    this.layers = config.layers ?? 'all';
    if (this.layers !== 'all' && this.layers !== 'engine')
      throw new RegularizerConfigError(`jacobian-frobenius: layers must be 'all' or 'engine', got '${String(this.layers)}'`);
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      const terms = trace.filter((l) => this.layers === 'all' || l.dp !== null).map(layerJacobianFrobenius);
      return (terms.length === 0 ? tf.scalar(0) : tf.addN(terms)) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { layers: this.layers };
  }
}

registerRegularizer(JacobianFrobenius);
