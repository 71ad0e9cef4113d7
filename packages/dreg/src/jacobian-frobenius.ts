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
  return tf.tidy(() => (layer.dp === null ? tf.mean(layerJacobianFrobeniusPerSample(layer)) : meanJacobianFrobenius(layer.dp, layer.kernel)) as tf.Scalar);
}

/**
 * `mean_b sum_i a'(z_bi)^2 ||W_i||^2` as one op with its gradient written out:
 *
 *     d/d a'(z_bi) = 2 a'(z_bi) ||W_i||^2 / B,     d/d W_ki = 2 W_ki mean_b a'(z_bi)^2
 *
 * The same value as `mean(layerJacobianFrobeniusPerSample(layer))` (tested), in one op instead
 * of about thirty small ones forward and backward: on layer-sized tensors their dispatch cost is
 * most of DREG's price.
 */
const meanJacobianFrobenius = tf.customGrad(((dp: tf.Tensor, kernel: tf.Tensor, save: tf.GradSaveFunc) => {
  const [batch, units] = dp.shape as [number, number];
  const inputs = kernel.shape[0]!;
  const d = dp.dataSync() as Float32Array;
  const k = kernel.dataSync() as Float32Array;
  const rowNorms = new Float64Array(units); // ||W_i||^2
  for (let j = 0; j < inputs; j++) for (let i = 0; i < units; i++) rowNorms[i] += k[j * units + i]! ** 2;
  const meanSlope2 = new Float64Array(units); // mean_b a'(z_bi)^2
  for (let b = 0; b < batch; b++) for (let i = 0; i < units; i++) meanSlope2[i] += d[b * units + i]! ** 2 / batch;
  let value = 0;
  for (let i = 0; i < units; i++) value += meanSlope2[i]! * rowNorms[i]!;
  save([dp, kernel]);
  return {
    value: tf.scalar(value),
    gradFunc: (dy: tf.Tensor) => {
      const g = dy.dataSync()[0]!;
      const gdp = new Float32Array(batch * units);
      for (let b = 0; b < batch; b++) for (let i = 0; i < units; i++) gdp[b * units + i] = (2 * g * d[b * units + i]! * rowNorms[i]!) / batch;
      const gk = new Float32Array(inputs * units);
      for (let j = 0; j < inputs; j++) for (let i = 0; i < units; i++) gk[j * units + i] = 2 * g * k[j * units + i]! * meanSlope2[i]!;
      return [tf.tensor2d(gdp, [batch, units]), tf.tensor2d(gk, [inputs, units])];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

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
