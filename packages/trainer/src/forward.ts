/**
 * The training-time forward pass: logits plus, per dense layer, the trace DREG needs
 * (input, kernel, pre-activation z, a'(z), a''(z)).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PolynomialEngine } from '@chainzrule/polynomial';
import type { LayerTrace } from '@chainzrule/dreg';

export interface ForwardResult {
  logits: tf.Tensor2D;
  trace: LayerTrace[];
}

type AnyLayer = LayersModel['layers'][number];

function denseWeights(layer: AnyLayer): { kernel: tf.Tensor2D; bias: tf.Tensor1D | null } {
  let kernel: tf.Tensor2D | undefined;
  let bias: tf.Tensor1D | null = null;
  for (const w of layer.weights) {
    if (w.originalName.endsWith('kernel')) kernel = w.read() as tf.Tensor2D;
    else if (w.originalName.endsWith('bias')) bias = w.read() as tf.Tensor1D;
  }
  if (!kernel) throw new Error(`layer ${layer.name} has no kernel`);
  return { kernel, bias };
}

/**
 * Runs `model` on `x` layer by layer. Dense layers followed by a `PolynomialEngine` expose the
 * engine's exact p' and p''; ReLU layers expose p' = step(z); GELU layers `a = z Phi(z)` expose
 * a' = Phi(z) + z phi(z) and a'' = phi(z) (2 - z^2); linear layers p' = null (identity).
 * Layers of other kinds are applied as they are, without a trace entry.
 */
export function forwardWithTrace(model: LayersModel, x: tf.Tensor2D): ForwardResult {
  const trace: LayerTrace[] = [];
  let h: tf.Tensor = x;
  const all = model.layers;
  for (let i = 0; i < all.length; i++) {
    const layer = all[i]!;
    if (layer.getClassName() !== 'Dense') {
      h = layer.apply(h, { training: true }) as tf.Tensor;
      continue;
    }
    const input = h as tf.Tensor2D;
    const { kernel, bias } = denseWeights(layer);
    const z = (bias ? tf.add(tf.matMul(input, kernel), bias) : tf.matMul(input, kernel)) as tf.Tensor2D;
    const activation = String(layer.getConfig()['activation'] ?? 'linear');
    const next = all[i + 1];
    if (activation === 'linear' && next instanceof PolynomialEngine) {
      const { p, dp, d2p } = next.evaluate(z);
      trace.push({ name: layer.name, input, kernel, z, dp: dp as tf.Tensor2D, d2p: d2p as tf.Tensor2D });
      h = p;
      i++;
    } else if (activation === 'relu') {
      trace.push({ name: layer.name, input, kernel, z, dp: tf.step(z) as tf.Tensor2D, d2p: null });
      h = tf.relu(z);
    } else if (activation === 'gelu') {
      // Phi = standard normal CDF = (1 + erf(z / sqrt 2)) / 2, phi = its density
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.div(z, Math.SQRT2))));
      const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(z))));
      const dp = tf.add(cdf, tf.mul(z, pdf)) as tf.Tensor2D;
      trace.push({ name: layer.name, input, kernel, z, dp, d2p: tf.mul(pdf, tf.sub(2, tf.square(z))) as tf.Tensor2D });
      h = tf.mul(z, cdf);
    } else if (activation === 'linear') {
      trace.push({ name: layer.name, input, kernel, z, dp: null, d2p: null });
      h = z;
    } else {
      throw new Error(`forwardWithTrace: dense activation '${activation}' of layer ${layer.name} is not supported; use linear, relu or gelu`);
    }
  }
  return { logits: h as tf.Tensor2D, trace };
}
