import * as tf from '@tensorflow/tfjs-core';
import { DregRegularizer, checkConfigKeys, numberOption, registerRegularizer } from './regularizer.js';
import type { ForwardTrace } from './trace.js';

export interface SpectralNormConfig {
  /** Power-iteration steps per call. Default 10. */
  iterations?: number;
}

/**
 * Baseline `spectral-norm`: a global Lipschitz penalty (Yoshida and Miyato 2017 style).
 * `sigma(W)`, the largest singular value, comes from power iteration
 * `v <- W^T u / ||W^T u||, u <- W v / ||W v||`, with `u`, `v` held constant, and
 * `sigma = u^T W v` differentiated with respect to `W`:
 *
 *     R = sum_layers sigma(W_l)^2
 *
 * It bounds every input direction everywhere, unlike DREG's data-dependent, per-unit terms.
 */
export class SpectralNorm extends DregRegularizer {
  static className = 'spectral-norm';
  readonly iterations: number;

  constructor(config: SpectralNormConfig = {}) {
    super();
    checkConfigKeys(SpectralNorm.className, config, ['iterations']);
    this.iterations = numberOption(SpectralNorm.className, 'iterations', config.iterations, 10, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      const terms = trace.map((layer) => {
        // kernel K = W^T in tfjs layout ([in, out]); singular values are the same.
        const k = layer.kernel;
        // Power iteration on constants: no gradient flows through u and v.
        const [u, v] = tf.tidy(() => {
          const w = tf.tensor2d(k.dataSync() as Float32Array, k.shape);
          let vv = tf.ones([k.shape[1], 1]) as tf.Tensor2D;
          let uu = tf.matMul(w, vv);
          for (let i = 0; i < this.iterations; i++) {
            uu = tf.div(tf.matMul(w, vv), tf.add(tf.norm(tf.matMul(w, vv)), 1e-12));
            vv = tf.div(tf.matMul(w, uu, true, false), tf.add(tf.norm(tf.matMul(w, uu, true, false)), 1e-12));
          }
          return [uu, vv];
        });
        const sigma = tf.sum(tf.mul(u, tf.matMul(k, v)));
        return tf.square(sigma);
      });
      return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { iterations: this.iterations };
  }
}

registerRegularizer(SpectralNorm);
