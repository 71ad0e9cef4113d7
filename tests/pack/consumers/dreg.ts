// Type-checked (never run) in a fresh project against the packed @chainzrule/dreg.
import * as tf from '@tensorflow/tfjs-core';
import { DregRegularizer, getRegularizer, registerRegularizer, type ForwardTrace } from '@chainzrule/dreg';
import { checkRegularizer } from '@chainzrule/dreg/testing';

/** sum over layers of mean_x sum_i a'(z_i)^2: a user-written regularizer. */
class SlopeSquared extends DregRegularizer {
  static className = 'slope-squared';
  apply(trace: ForwardTrace): tf.Scalar {
    return tf.tidy(() => tf.addN(trace.filter((l) => l.dp !== null).map((l) => tf.mean(tf.sum(tf.square(l.dp!), 1))))) as tf.Scalar;
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
registerRegularizer(SlopeSquared);

const builtIn: DregRegularizer = getRegularizer('jacobian-frobenius', { layers: 'all' });
const failures: string[] = checkRegularizer(new SlopeSquared());
// @ts-expect-error a regularizer is registered as a class, not an instance
registerRegularizer(builtIn);

export { failures };
