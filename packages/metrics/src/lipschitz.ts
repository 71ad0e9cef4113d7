import * as tf from '@tensorflow/tfjs-core';

/**
 * One layer of a feed-forward chain `h -> a(h K + b)` for the Lipschitz bound: its kernel `K`
 * (`[in, out]`, the tfjs layout) and the largest slope `max_z |a'(z)|` of its activation, either
 * one number or one per output unit. ReLU and linear layers have slope 1.
 */
export interface LipschitzLayer {
  name?: string;
  kernel: tf.Tensor2D | number[][];
  maxSlope: number | ArrayLike<number>;
}

export interface SpectralNormOptions {
  /** Stop when the relative residual `||A v - theta v|| / theta` of `A = M^T M` is below this. Default 1e-9. */
  tolerance?: number;
  /** Default 20000. */
  maxIterations?: number;
}

export interface SpectralNormResult {
  /** Upper estimate of the largest singular value: `sqrt(theta + ||A v - theta v||)`. */
  value: number;
  iterations: number;
  /** Whether the tolerance was met within `maxIterations`. */
  converged: boolean;
}

export interface LipschitzLayerBound {
  name: string;
  /** `||K diag(s)||_2`: the layer's Lipschitz constant bound */
  factor: number;
  /** `||K||_2` */
  spectralNorm: number;
  /** largest `s_i` */
  maxSlope: number;
  iterations: number;
  converged: boolean;
}

export interface LipschitzBound {
  /** `prod_l ||K_l diag(s_l)||_2`, an upper bound on `||f(x) - f(x')||_2 / ||x - x'||_2` */
  bound: number;
  layers: LipschitzLayerBound[];
}

/** A small deterministic generator (mulberry32) for the power iteration's start vector. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A row-major `rows x cols` matrix in float64. */
interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

function toMatrix(kernel: tf.Tensor2D | number[][]): Matrix {
  if (Array.isArray(kernel)) {
    const rows = kernel.length;
    const cols = rows ? kernel[0]!.length : 0;
    const data = new Float64Array(rows * cols);
    kernel.forEach((row, i) => {
      if (row.length !== cols) throw new RangeError(`kernel row ${i} has ${row.length} entries, expected ${cols}`);
      data.set(row, i * cols);
    });
    return { data, rows, cols };
  }
  if (kernel.rank !== 2) throw new RangeError(`kernel must be a matrix, got shape [${kernel.shape.join(', ')}]`);
  return { data: Float64Array.from(kernel.dataSync()), rows: kernel.shape[0], cols: kernel.shape[1] };
}

/** `||M||_2` for a row-major matrix, by power iteration on `A = M^T M` (see `spectralNorm`). */
function matrixSpectralNorm(m: Matrix, options: SpectralNormOptions): SpectralNormResult {
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 20_000;
  const { data, rows, cols } = m;
  if (rows === 0 || cols === 0) return { value: 0, iterations: 0, converged: true };
  const rng = mulberry32(0x5eed);
  // A random start has a component along the top singular vector with probability 1 (a constant
  // vector can be orthogonal to it).
  let v = Float64Array.from({ length: cols }, () => rng() - 0.5);
  const mv = new Float64Array(rows);
  const av = new Float64Array(cols);
  const normalize = (w: Float64Array) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! * w[i]!;
    const n = Math.sqrt(s);
    if (n > 0) for (let i = 0; i < w.length; i++) w[i]! /= n;
    return n;
  };
  // av = M^T (M v)
  const applyA = () => {
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const o = i * cols;
      for (let j = 0; j < cols; j++) s += data[o + j]! * v[j]!;
      mv[i] = s;
    }
    av.fill(0);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      const s = mv[i]!;
      for (let j = 0; j < cols; j++) av[j]! += data[o + j]! * s;
    }
  };
  normalize(v);
  let theta = 0;
  let residual = Infinity;
  let it = 0;
  for (; it < maxIterations; it++) {
    applyA();
    // Rayleigh quotient theta = v^T A v <= lambda_max, and the residual r = A v - theta v: some
    // eigenvalue of A lies within ||r|| of theta.
    theta = 0;
    for (let j = 0; j < cols; j++) theta += v[j]! * av[j]!;
    let r2 = 0;
    for (let j = 0; j < cols; j++) r2 += (av[j]! - theta * v[j]!) ** 2;
    residual = Math.sqrt(r2);
    if (theta === 0) return { value: 0, iterations: it + 1, converged: true };
    if (residual <= tolerance * theta) break;
    v = Float64Array.from(av);
    normalize(v);
  }
  const converged = residual <= tolerance * theta;
  return { value: Math.sqrt(theta + residual), iterations: Math.min(it + 1, maxIterations), converged };
}

/**
 * The spectral norm `||K||_2` (largest singular value) by power iteration on `K^T K` from a
 * seeded random start, run until the relative residual `||A v - theta v|| / theta` falls below
 * `tolerance` (default 1e-9). The value returned is `sqrt(theta + ||r||)`: the Rayleigh quotient
 * `theta` approaches `sigma^2` from below, and adding the residual makes it an upper estimate.
 */
export function spectralNorm(kernel: tf.Tensor2D | number[][], options: SpectralNormOptions = {}): SpectralNormResult {
  return matrixSpectralNorm(toMatrix(kernel), options);
}

/**
 * Certified global Lipschitz upper bound (L2 to L2) of a feed-forward chain. Layer
 * `h -> a(h K + b)` has Jacobian `diag(a'(z)) K^T` with `|a'(z_i)| <= s_i`, so its norm is at
 * most `||K diag(s)||_2`, and by the chain rule
 *
 *     Lip(f) <= prod_l || K_l diag(s_l) ||_2
 *
 * For ReLU networks (`s = 1`) this is the product of the spectral norms; for ChainzRule the
 * engine's `max |p'|` over the domain scales each unit's column. Pass the layers in order.
 */
export function lipschitzUpperBound(chain: LipschitzLayer[], options: SpectralNormOptions = {}): LipschitzBound {
  const layers = chain.map((layer, index): LipschitzLayerBound => {
    const m = toMatrix(layer.kernel);
    const slopes = typeof layer.maxSlope === 'number' ? null : Array.from(layer.maxSlope);
    if (slopes && slopes.length !== m.cols)
      throw new RangeError(`layer ${layer.name ?? index}: ${slopes.length} slopes for ${m.cols} output units`);
    const allSlopes = slopes ?? [layer.maxSlope as number];
    for (const s of allSlopes) if (!(s >= 0)) throw new RangeError(`layer ${layer.name ?? index}: max slope must be >= 0, got ${s}`);
    const maxSlope = Math.max(...allSlopes);
    const name = layer.name ?? `layer${index}`;
    const plain = matrixSpectralNorm(m, options);
    if (!Number.isFinite(maxSlope)) return { name, factor: Infinity, spectralNorm: plain.value, maxSlope, iterations: plain.iterations, converged: plain.converged };
    if (!slopes) return { name, factor: maxSlope * plain.value, spectralNorm: plain.value, maxSlope, iterations: plain.iterations, converged: plain.converged };
    const scaled = new Float64Array(m.data.length);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) scaled[i * m.cols + j] = m.data[i * m.cols + j]! * slopes[j]!;
    const s = matrixSpectralNorm({ data: scaled, rows: m.rows, cols: m.cols }, options);
    return { name, factor: s.value, spectralNorm: plain.value, maxSlope, iterations: plain.iterations + s.iterations, converged: plain.converged && s.converged };
  });
  return { bound: layers.reduce((p, l) => p * l.factor, 1), layers };
}
