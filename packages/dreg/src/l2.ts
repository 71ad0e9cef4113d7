import * as tf from '@tensorflow/tfjs-core';
import { DregRegularizer, checkConfigKeys, registerRegularizer } from './regularizer.js';
import type { ForwardTrace } from './trace.js';

/** Baseline `l2` (weight decay): `R = sum_layers ||W_l||_F^2`. Biases and engine coefficients are not decayed. */
export class L2 extends DregRegularizer {
  static className = 'l2';

  constructor(config: object = {}) {
    super();
    checkConfigKeys(L2.className, config, []);
  }

  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => (trace.length ? tf.addN(trace.map((l) => tf.sum(tf.square(l.kernel)))) : tf.scalar(0)) as tf.Scalar);
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

registerRegularizer(L2);
