import * as tf from '@tensorflow/tfjs-core';
import { unitWeightNorms } from './backward.js';
import { DregRegularizer, checkConfigKeys, numberOption, registerRegularizer } from './regularizer.js';
import type { ForwardTrace } from './trace.js';

export interface DerivativeHingeConfig {
  /** Slope above which a unit is penalised. Default 1. */
  threshold?: number;
}

/**
 * DREG `derivative-hinge`: tail control. Only extreme unit slopes are penalised:
 *
 *     R = sum_layers mean_batch sum_i max(0, |a'(z_i)| ||W_i|| - t)^2
 *
 * `|a'(z_i)| ||W_i||` is the norm of row i of the layer Jacobian: how far unit i can move when
 * the input moves by one. Units below the threshold `t` cost nothing, so the bulk of the function
 * stays free. Linear layers (`a' = 1`) are included with slope `||W_i||`.
 */
export class DerivativeHinge extends DregRegularizer {
  static className = 'derivative-hinge';
  readonly threshold: number;

  constructor(config: DerivativeHingeConfig = {}) {
    super();
    checkConfigKeys(DerivativeHinge.className, config, ['threshold']);
    this.threshold = numberOption(DerivativeHinge.className, 'threshold', config.threshold, 1, (n) => n >= 0, 'a number >= 0');
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      const terms = trace.map((layer) => {
        const rowNorm = tf.sqrt(tf.add(unitWeightNorms(layer.kernel), 1e-12));
        const slope = layer.dp === null ? tf.expandDims(rowNorm, 0) : tf.mul(tf.abs(layer.dp), rowNorm);
        const excess = tf.relu(tf.sub(slope, this.threshold));
        return tf.mean(tf.sum(tf.square(excess), -1));
      });
      return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { threshold: this.threshold };
  }
}

registerRegularizer(DerivativeHinge);
