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
  return sumJacobianFrobenius([layer]);
}

/** `scale * sum_r x_ri^2` per column i of a matrix, in float64. */
function columnSquareSums(x: tf.Tensor, scale: number): Float32Array {
  const [rows, cols] = x.shape as [number, number];
  const v = x.dataSync() as Float32Array;
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) out[i] += v[r * cols + i]! ** 2;
  return Float32Array.from(out, (o) => o * scale);
}

/** `x_ri * column_i * (dy * factor)` for a matrix x and the scalar upstream gradient dy. */
function scaleColumns(x: tf.Tensor, column: Float32Array, dy: tf.Tensor, factor: number, inJs: boolean): tf.Tensor {
  if (!inJs) return tf.mul(x, tf.mul(tf.tensor1d(column), tf.mul(dy, factor)));
  // dy * factor rounded as the float32 tensor product above: the same bits on both paths
  const c = Math.fround(dy.dataSync()[0]! * Math.fround(factor));
  const [rows, cols] = x.shape as [number, number];
  const v = x.dataSync() as Float32Array;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) out[r * cols + i] = v[r * cols + i]! * column[i]! * c;
  return tf.tensor2d(out, [rows, cols]);
}

/**
 * `sum_l mean_b sum_i a_l'(z_bi)^2 ||W_li||^2` over `layers` as one op with its gradient written
 * out (for a linear layer, `a' = 1`: the term is `||W||_F^2`):
 *
 *     d/d a'(z_bi) = 2 a'(z_bi) ||W_i||^2 / B,     d/d W_ki = 2 W_ki mean_b a'(z_bi)^2
 *
 * The same value as the sum of `mean(layerJacobianFrobeniusPerSample(layer))` (tested), in one op
 * instead of about forty small ones forward and backward: on layer-sized tensors their dispatch
 * cost, not the arithmetic, is most of DREG's price.
 */
export function sumJacobianFrobenius(layers: readonly LayerTrace[]): tf.Scalar {
  if (layers.length === 0) return tf.scalar(0);
  // op inputs: every layer's kernel, then its a'(z) when it has one
  const inputs: tf.Tensor[] = [];
  const slots = layers.map((l) => {
    const kernel = inputs.push(l.kernel) - 1;
    const dp = l.dp === null ? -1 : inputs.push(l.dp) - 1;
    return { kernel, dp };
  });
  const inJs = tf.getBackend() === 'cpu';
  const op = tf.customGrad(((...args: unknown[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const save = args[inputs.length] as tf.GradSaveFunc;
    // Per layer ||W_i||^2 and mean_b a'(z_bi)^2 (1 for a linear layer), [units] each. On the cpu
    // backend, whose tensors are JavaScript arrays, in plain loops; elsewhere (wasm, node) the
    // kernel-sized work runs as backend kernels and only unit-sized vectors come back.
    const parts = slots.map(({ kernel, dp }) => {
      const rowNorms = inJs ? columnSquareSums(xs[kernel]!, 1) : (tf.sum(tf.square(xs[kernel]!), 0).dataSync() as Float32Array);
      const meanSlope2 = dp < 0 ? new Float32Array(rowNorms.length).fill(1) : inJs ? columnSquareSums(xs[dp]!, 1 / xs[dp]!.shape[0]!) : (tf.mean(tf.square(xs[dp]!), 0).dataSync() as Float32Array);
      return { rowNorms, meanSlope2 };
    });
    let value = 0;
    for (const { rowNorms, meanSlope2 } of parts) for (let i = 0; i < rowNorms.length; i++) value += rowNorms[i]! * meanSlope2[i]!;
    save(xs);
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads: tf.Tensor[] = new Array(inputs.length);
        slots.forEach(({ kernel, dp }, l) => {
          const { rowNorms, meanSlope2 } = parts[l]!;
          // d/dW_ki = 2 g W_ki mean_b a'(z_bi)^2
          grads[kernel] = scaleColumns(saved[kernel]!, meanSlope2, dy, 2, inJs);
          // d/d a'(z_bi) = 2 g a'(z_bi) ||W_i||^2 / B
          if (dp >= 0) grads[dp] = scaleColumns(saved[dp]!, rowNorms, dy, 2 / saved[dp]!.shape[0]!, inJs);
        });
        return grads;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (...xs: tf.Tensor[]) => tf.Scalar)(...inputs);
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
      return sumJacobianFrobenius(trace.filter((l) => this.layers === 'all' || l.dp !== null));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { layers: this.layers };
  }
}

registerRegularizer(JacobianFrobenius);
