import * as tf from '@tensorflow/tfjs-core';
import {
  DregRegularizer,
  checkConfigKeys,
  layerJacobianFrobeniusPerSample,
  numberOption,
  registerRegularizer,
  type ForwardTrace,
} from '@chainzrule/dreg';

export interface JacobianBudgetConfig {
  /** Largest layer Jacobian Frobenius norm that costs nothing. Default 2. */
  budget?: number;
}

/**
 * `jacobian-budget`: each layer may have a Jacobian norm up to a budget; only the excess is
 * penalised, per sample:
 *
 *     R = mean_batch sum_layers max(0, ||J_l(x)||_F - budget)^2
 */
export class JacobianBudget extends DregRegularizer {
  static className = 'jacobian-budget';
  readonly budget: number;

  constructor(config: JacobianBudgetConfig = {}) {
    super();
    checkConfigKeys(JacobianBudget.className, config, ['budget']);
    this.budget = numberOption(JacobianBudget.className, 'budget', config.budget, 2, (n) => n >= 0, 'a number >= 0');
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => {
      const excess = trace.map((layer) => {
        // ||J_l(x)||_F per sample; the small epsilon keeps the gradient of sqrt finite at 0.
        const norm = tf.sqrt(tf.add(layerJacobianFrobeniusPerSample(layer), 1e-12));
        return tf.square(tf.relu(tf.sub(norm, this.budget)));
      });
      // Linear layers give one value ([1]), engine layers one per sample ([batch]): add by broadcasting.
      return tf.mean(excess.reduce((a, b) => tf.add(a, b))) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { budget: this.budget };
  }
}

registerRegularizer(JacobianBudget);
