import * as tf from '@tensorflow/tfjs-core';
import { traceVjp } from './backward.js';
import { DregRegularizer, checkConfigKeys, numberOption, registerRegularizer } from './regularizer.js';
import type { ForwardTrace, RegularizerContext } from './trace.js';

export interface JacobianProjectionConfig {
  /** Random projections per batch. Default 1 (as in Hoffman et al.). */
  projections?: number;
  /** Seed of the projection directions; combined with the training step. Default 0. */
  seed?: number;
}

/**
 * Baseline `jacobian-projection` (Hoffman, Roberts and Yaida 2019): an unbiased random-projection
 * estimate of the whole network's squared Jacobian Frobenius norm,
 *
 *     ||J(x)||_F^2 = E_v ||v^T J(x)||^2,   v ~ N(0, I) in output space
 *
 *     R = mean_batch (1/P) sum_{p=1..P} ||v_p^T J(x)||^2
 *
 * Each `v^T J` is one backward pass through the trace. Directions are seeded by `seed` and the
 * training step, so a run is reproducible.
 */
export class JacobianProjection extends DregRegularizer {
  static className = 'jacobian-projection';
  readonly projections: number;
  readonly seed: number;
  private calls = 0;

  constructor(config: JacobianProjectionConfig = {}) {
    super();
    checkConfigKeys(JacobianProjection.className, config, ['projections', 'seed']);
    this.projections = numberOption(JacobianProjection.className, 'projections', config.projections, 1, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
    this.seed = numberOption(JacobianProjection.className, 'seed', config.seed, 0, Number.isInteger, 'an integer');
  }

  apply(trace: ForwardTrace, context?: RegularizerContext): tf.Scalar {
    const step = context?.step ?? this.calls;
    this.calls++;
    return tf.tidy(() => {
      if (trace.length === 0) return tf.scalar(0);
      const last = trace[trace.length - 1]!;
      const [batch, outputs] = [last.z.shape[0], last.kernel.shape[1]];
      const terms: tf.Tensor[] = [];
      for (let p = 0; p < this.projections; p++) {
        const v = tf.randomNormal([batch, outputs], 0, 1, 'float32', this.seed * 1_000_003 + step * this.projections + p) as tf.Tensor2D;
        terms.push(tf.mean(tf.sum(tf.square(traceVjp(trace, v)), 1)));
      }
      return tf.div(tf.addN(terms), this.projections) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { projections: this.projections, seed: this.seed };
  }
}

registerRegularizer(JacobianProjection);
