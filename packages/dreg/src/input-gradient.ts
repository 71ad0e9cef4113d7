import * as tf from '@tensorflow/tfjs-core';
import { traceVjp } from './backward.js';
import { DregRegularizer, RegularizerConfigError, checkConfigKeys, registerRegularizer } from './regularizer.js';
import type { ForwardTrace, RegularizerContext } from './trace.js';

/**
 * Baseline `input-gradient`: double back-propagation (Drucker and LeCun 1992). Penalises the
 * gradient of the loss with respect to the input,
 *
 *     R = mean_batch || d CE(f(x), y) / d x ||_2^2,    d CE / d logits = softmax(f(x)) - y
 *
 * The input gradient is back-propagated explicitly through the trace (see `traceVjp`) and the
 * trainer then differentiates it again with respect to the weights: a second backward pass per
 * step, which is what makes this method expensive next to DREG's forward-only terms.
 */
export class InputGradient extends DregRegularizer {
  static className = 'input-gradient';

  constructor(config: object = {}) {
    super();
    checkConfigKeys(InputGradient.className, config, []);
  }

  apply(trace: ForwardTrace, context?: RegularizerContext): tf.Scalar {
    if (!context) throw new RegularizerConfigError('input-gradient needs the batch logits and labels (a RegularizerContext)');
    return tf.tidy(() => {
      const dLogits = tf.sub(tf.softmax(context.logits), context.labels) as tf.Tensor2D;
      const dx = traceVjp(trace, dLogits);
      return tf.mean(tf.sum(tf.square(dx), 1)) as tf.Scalar;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

registerRegularizer(InputGradient);
