/**
 * Output heads for K ordered classes: the CORAL ordinal head (Cao, Mirjalili & Raschka 2020,
 * "Rank consistent ordinal regression for neural networks") and a plain softmax head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';
import type { Shape } from '@chainzrule/polynomial';

/** `ordinal`: CORAL (one score, K-1 ordered thresholds); `softmax`: K logits, cross-entropy. */
export type TextHead = 'ordinal' | 'softmax';
export const TEXT_HEADS: readonly TextHead[] = ['ordinal', 'softmax'];

/**
 * CORAL thresholds: turns the shared score `s(x)` (`[batch, 1]`) into K-1 logits
 *
 *     l_k = s(x) + b_k,   k = 1..K-1
 *
 * where `sigmoid(l_k)` estimates `P(y > k)`. The biases start at `b_k = (K-k)/(K-1)`, i.e.
 * 1, 0.75, 0.5, 0.25 for K = 5 (decreasing, as in the reference implementation coral-pytorch).
 */
export class CoralThresholds extends layers.Layer {
  static className = 'CoralThresholds';
  readonly numClasses: number;
  private bias: LayerVariable | null = null;

  constructor(config: { numClasses: number; name?: string; trainable?: boolean }) {
    super({ name: config.name, trainable: config.trainable ?? true });
    if (!Number.isInteger(config.numClasses) || config.numClasses < 2) throw new RangeError(`CORAL needs at least 2 classes, got ${config.numClasses}`);
    this.numClasses = config.numClasses;
  }

  override build(): void {
    const k = this.numClasses - 1;
    this.bias = this.addWeight('thresholds', [k], 'float32', initializers.zeros());
    const start = tf.tensor1d(Array.from({ length: k }, (_, i) => (k - i) / k));
    this.bias.write(start);
    start.dispose();
    this.built = true;
  }

  /** The K-1 biases `b_k`. */
  get thresholds(): tf.Variable {
    if (!this.bias) throw new Error(`layer ${this.name} is not built yet`);
    return this.bias.read() as tf.Variable;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const s = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.add(s, this.thresholds);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [shape[0] ?? null, this.numClasses - 1];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numClasses: this.numClasses };
  }
}
tf.serialization.registerClass(CoralThresholds);

/**
 * CORAL loss: the sum over the K-1 binary tasks "y > k" of the logistic loss, averaged over
 * the batch. With `t_k = [y > k]` (class indices y in 0..K-1, tasks k = 0..K-2),
 *
 *     BCE(l, t) = -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l)) = softplus(l) - t l
 *
 * which is the numerically stable form.
 */
export function coralLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const levels = tf.range(0, k, 1, 'int32');
    const targets = tf.cast(tf.greater(tf.expandDims(labels, 1), tf.expandDims(levels, 0)), 'float32');
    const perTask = tf.sub(tf.softplus(logits), tf.mul(targets, logits));
    return tf.mean(tf.sum(perTask, 1)) as tf.Scalar;
  });
}

/** Softmax cross-entropy of `logits` (`[batch, K]`) against class indices. */
export function softmaxLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as tf.Scalar);
}

/** The training loss of a head. */
export function headLoss(head: TextHead, logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return head === 'ordinal' ? coralLoss(logits, labels) : softmaxLoss(logits, labels);
}

/**
 * Class indices from head outputs. Ordinal: `count_k [sigmoid(l_k) > 0.5] = count_k [l_k > 0]`
 * (stars = 1 + that count), rank-consistent when the thresholds are ordered. Softmax: arg-max.
 */
export function headPredict(head: TextHead, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => (head === 'ordinal' ? tf.sum(tf.cast(tf.greater(logits, 0), 'int32'), 1) : tf.argMax(logits, 1)) as tf.Tensor1D);
}

/** Number of classes a head's output encodes. */
export function headClasses(head: TextHead, outputs: number): number {
  return head === 'ordinal' ? outputs + 1 : outputs;
}
