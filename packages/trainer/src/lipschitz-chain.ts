/**
 * The layer chain of a tfjs model as `@chainzrule/metrics` needs it for the certified Lipschitz
 * bound: each dense kernel with the largest slope of the activation that follows it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { evaluatePolynomial, PolynomialEngine } from '@chainzrule/polynomial';
import type { LipschitzLayer } from '@chainzrule/metrics';

/** Grid points on `u` in [-1, 1] for the engine's max slope (spacing 1e-4). */
export const ENGINE_SLOPE_GRID = 20_001;

/**
 * `max_z |GELU'(z)|`: GELU' = Phi(z) + z phi(z) has GELU'' = phi(z) (2 - z^2) = 0 at z = +-sqrt 2;
 * at sqrt 2 it is Phi(sqrt 2) + sqrt 2 phi(sqrt 2) = (1 + erf 1) / 2 + sqrt 2 e^-1 / sqrt(2 pi)
 * = 1.1289, and at -sqrt 2 it is 1 - 1.1289 (smaller in absolute value).
 */
export const GELU_MAX_SLOPE = (1 + 0.8427007929497149) / 2 + (Math.SQRT2 * Math.exp(-1)) / Math.sqrt(2 * Math.PI);

/** Largest slopes of the activations tfjs names, for `a(z)` applied elementwise. */
const ACTIVATION_MAX_SLOPE: Record<string, number> = { linear: 1, relu: 1, relu6: 1, tanh: 1, sigmoid: 0.25, gelu: GELU_MAX_SLOPE };

/** Layers that leave values as they are (shape only, or nothing at inference). */
const IDENTITY_LAYERS = new Set(['InputLayer', 'Flatten', 'Reshape', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * `max_z |a'(z)|` of a Polynomial Engine, per unit (or one number for shared coefficients).
 *
 * With the tanh map, `a'(z) = p'(u) (1 - u^2)` at `u = tanh z`, so the maximum over all real `z`
 * is the maximum over `u` in (-1, 1) of `q(u) = |p'(u)| (1 - u^2)`; with `clamp` it is the max of
 * `|p'(u)|` on [-1, 1] (0 outside). `p'` comes from the engine's own math on a grid of `u` with
 * spacing `h`. Between grid points `q` can exceed the grid maximum `G`, but by Markov's
 * inequality for a polynomial of degree `n` (`max|q'| <= n^2 max|q|` on [-1, 1]) the true maximum
 * `M` satisfies `M <= G + (h / 2) n^2 M`, so `G / (1 - h n^2 / 2)` is a certified upper bound.
 * With the `none` map `p` acts on all of R: its slope is unbounded unless the degree is 1.
 */
export function engineMaxSlope(engine: PolynomialEngine, gridPoints = ENGINE_SLOPE_GRID): number | number[] {
  const c = engine.coefficientVariable;
  const perUnit = c.rank === 2;
  const units = perUnit ? c.shape[0]! : 1;
  if (engine.domain === 'none') {
    if (engine.degree > 1) return perUnit ? Array(units).fill(Infinity) : Infinity;
    // p(u) = c0 + c1 u in every basis: the slope is |c1|
    const c1 = tf.tidy(() => tf.abs(tf.slice(c, perUnit ? [0, 1] : [1], perUnit ? [-1, 1] : [1])).dataSync());
    return perUnit ? Array.from(c1) : c1[0]!;
  }
  const h = 2 / (gridPoints - 1);
  const n = engine.domain === 'tanh' ? engine.degree + 1 : engine.degree - 1;
  const inflation = 1 / (1 - (h * n * n) / 2);
  if (!(inflation > 0)) throw new RangeError(`engineMaxSlope: grid of ${gridPoints} points is too coarse for degree ${engine.degree}`);
  const maxima = tf.tidy(() => {
    const u = tf.linspace(-1, 1, gridPoints);
    const grid = tf.tile(tf.reshape(u, [gridPoints, 1]), [1, units]);
    const { dp } = evaluatePolynomial(grid, c, engine.basis, 'none'); // p'(u)
    const slope = engine.domain === 'tanh' ? tf.mul(tf.abs(dp), tf.sub(1, tf.square(grid))) : tf.abs(dp);
    return tf.max(slope, 0);
  });
  const values = Array.from(maxima.dataSync(), (g) => g * inflation);
  maxima.dispose();
  return perUnit ? values : values[0]!;
}

/**
 * The chain `[{ kernel, maxSlope }]` of a feed-forward tfjs model for `lipschitzUpperBound`:
 * dense layers (with a linear, ReLU, tanh, sigmoid or GELU activation, or followed by a
 * Polynomial Engine) and shape-only layers. Other layers cannot be bounded this way: error.
 * The kernels are the model's own tensors (not copies): use the chain while the model lives.
 */
export function lipschitzChain(model: LayersModel): LipschitzLayer[] {
  const chain: LipschitzLayer[] = [];
  const all = model.layers;
  for (let i = 0; i < all.length; i++) {
    const layer = all[i]!;
    const kind = layer.getClassName();
    if (IDENTITY_LAYERS.has(kind)) continue;
    if (kind !== 'Dense') throw new Error(`lipschitzChain: layer ${layer.name} (${kind}) is not supported; the bound covers dense layers and Polynomial Engines`);
    const kernel = layer.weights.find((w) => w.originalName.endsWith('kernel'))?.read() as tf.Tensor2D | undefined;
    if (!kernel) throw new Error(`lipschitzChain: layer ${layer.name} has no kernel`);
    const activation = String(layer.getConfig()['activation'] ?? 'linear');
    const next = all[i + 1];
    if (activation === 'linear' && next instanceof PolynomialEngine) {
      chain.push({ name: `${layer.name}+${next.name}`, kernel, maxSlope: engineMaxSlope(next) });
      i++;
      continue;
    }
    const slope = ACTIVATION_MAX_SLOPE[activation];
    if (slope === undefined) throw new Error(`lipschitzChain: activation '${activation}' of layer ${layer.name} is not supported`);
    chain.push({ name: layer.name, kernel, maxSlope: slope });
  }
  return chain;
}
