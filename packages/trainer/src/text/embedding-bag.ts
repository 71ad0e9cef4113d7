/**
 * The embedding bag of a text model, in plain JavaScript: a `[buckets, dim]` table, mean pooling
 * over a text's hashed n-gram ids, the exact gradient of the pooling, and a lazy (row-sparse) Adam.
 *
 * Why not tfjs: the gradient of `tf.gather` needs the `UnsortedSegmentSum` kernel, which the wasm
 * backend lacks, and a dense update of the whole table costs about 140 ms per step on wasm for
 * 2^18 x 32 (measured), while a batch touches a few thousand rows. Here the forward pass, the
 * backward scatter-add and the update touch only the rows in the batch.
 */
import { createRng } from '../random.js';

/** A mini-batch of texts as id bags: text `b` owns `ids[offsets[b] .. offsets[b+1])`. */
export interface BagBatch {
  ids: Int32Array;
  /** `size + 1` offsets into `ids`, starting at 0. */
  offsets: Int32Array;
  /** Number of texts. */
  size: number;
}

/** A row-sparse gradient: `values[r * dim .. (r+1) * dim)` is the gradient of table row `rows[r]`. */
export interface SparseRows {
  rows: Int32Array;
  values: Float32Array;
}

export interface EmbeddingBagOptions {
  buckets: number;
  dim: number;
  /** Seed of the initial table. */
  seed: number;
  /** Initial values are uniform in `[-initScale, initScale]`. Default `1 / dim` (fastText). */
  initScale?: number;
}

export class EmbeddingBag {
  readonly buckets: number;
  readonly dim: number;
  /** Row-major `[buckets, dim]`. */
  readonly table: Float32Array;
  // Scratch for the scatter-add: slot of each table row in the current gradient, or -1.
  private readonly slot: Int32Array;

  constructor(options: EmbeddingBagOptions) {
    const { buckets, dim, seed } = options;
    if (!Number.isSafeInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be an integer >= 1, got ${buckets}`);
    if (!Number.isSafeInteger(dim) || dim < 1) throw new RangeError(`embedding dim must be an integer >= 1, got ${dim}`);
    this.buckets = buckets;
    this.dim = dim;
    this.table = new Float32Array(buckets * dim);
    const scale = options.initScale ?? 1 / dim;
    const rng = createRng(`embedding-${seed}`);
    for (let i = 0; i < this.table.length; i++) this.table[i] = (2 * rng() - 1) * scale;
    this.slot = new Int32Array(buckets).fill(-1);
  }

  /** Number of trainable scalars. */
  get params(): number {
    return this.table.length;
  }

  /**
   * Mean pooling, `[size, dim]` row-major:
   *
   *     pooled_b = (1 / n_b) sum_{i in bag b} E[ids_i]      (0 for an empty bag)
   */
  pool(batch: BagBatch): Float32Array {
    const { dim, table } = this;
    const out = new Float32Array(batch.size * dim);
    for (let b = 0; b < batch.size; b++) {
      const start = batch.offsets[b]!;
      const end = batch.offsets[b + 1]!;
      if (end === start) continue;
      const o = b * dim;
      for (let i = start; i < end; i++) {
        const row = this.rowOffset(batch.ids[i]!);
        for (let d = 0; d < dim; d++) out[o + d] += table[row + d]!;
      }
      const inv = 1 / (end - start);
      for (let d = 0; d < dim; d++) out[o + d] *= inv;
    }
    return out;
  }

  /**
   * The gradient of a loss with respect to the table, given its gradient `dPooled` (`[size, dim]`)
   * with respect to the pooled vectors: by the chain rule through the mean,
   *
   *     dL/dE[r] = sum_b sum_{i in bag b, ids_i = r} dPooled_b / n_b
   *
   * (a scatter-add). Only the rows that occur in the batch are returned, in first-seen order.
   */
  gradient(batch: BagBatch, dPooled: Float32Array): SparseRows {
    const { dim, slot } = this;
    const rows: number[] = [];
    let values = new Float32Array(Math.max(1, Math.min(batch.ids.length, this.buckets)) * dim);
    for (let b = 0; b < batch.size; b++) {
      const start = batch.offsets[b]!;
      const end = batch.offsets[b + 1]!;
      if (end === start) continue;
      const inv = 1 / (end - start);
      const o = b * dim;
      for (let i = start; i < end; i++) {
        const id = batch.ids[i]!;
        this.rowOffset(id);
        let s = slot[id]!;
        if (s < 0) {
          s = rows.length;
          slot[id] = s;
          rows.push(id);
          if ((s + 1) * dim > values.length) {
            const grown = new Float32Array(values.length * 2);
            grown.set(values);
            values = grown;
          }
        }
        const v = s * dim;
        for (let d = 0; d < dim; d++) values[v + d] += dPooled[o + d]! * inv;
      }
    }
    for (const id of rows) slot[id] = -1;
    return { rows: Int32Array.from(rows), values: values.subarray(0, rows.length * dim) };
  }

  private rowOffset(id: number): number {
    if (!(id >= 0 && id < this.buckets)) throw new RangeError(`id ${id} is outside the embedding table [0, ${this.buckets})`);
    return id * this.dim;
  }
}

export interface LazyAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default 1e-7, the tfjs default for float32. */
  epsilon?: number;
}

/**
 * Adam applied lazily to the rows present in each gradient (as TensorFlow's LazyAdam or PyTorch's
 * SparseAdam): for a row r in the batch, at global step t (1-based),
 *
 *     m_r <- b1 m_r + (1 - b1) g_r
 *     v_r <- b2 v_r + (1 - b2) g_r^2
 *     E_r <- E_r - lr * (m_r / (1 - b1^t)) / (sqrt(v_r / (1 - b2^t)) + eps)
 *
 * Rows not in the batch keep their moments and values; a row present at every step follows
 * tfjs's dense Adam exactly.
 */
export class LazyAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  // Per table row r: [m_r (dim values), v_r (dim values)], contiguous so that an update touches
  // one moments row per table row (the step is bound by memory latency, not arithmetic).
  private readonly moments: Float32Array;
  private t = 0;

  constructor(
    private readonly bag: EmbeddingBag,
    options: LazyAdamOptions,
  ) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.moments = new Float32Array(2 * bag.table.length);
  }

  /** One update with the row-sparse gradient `grad`. */
  step(grad: SparseRows): void {
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps, moments } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const lr = this.learningRate;
    const { table, dim } = this.bag;
    const { rows, values } = grad;
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r]! * dim;
      const mBase = 2 * base;
      const gBase = r * dim;
      for (let d = 0; d < dim; d++) {
        const g = values[gBase + d]!;
        const mk = b1 * moments[mBase + d]! + (1 - b1) * g;
        const vk = b2 * moments[mBase + dim + d]! + (1 - b2) * g * g;
        moments[mBase + d] = mk;
        moments[mBase + dim + d] = vk;
        table[base + d] = table[base + d]! - (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
      }
    }
  }
}
