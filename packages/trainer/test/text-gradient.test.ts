/**
 * The JS embedding bag against tfjs autodiff on the cpu backend, where `tf.gather` has a gradient
 * (on wasm it has none: "Kernel 'UnsortedSegmentSum' not registered").
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingBag, LazyAdam, createRng, selectBackend, type BagBatch } from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'cpu' });
});

const bags = [[1, 4, 4], [0], [], [10, 2, 7, 1, 1]];
function batchOf(lists: number[][]): BagBatch {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((l, b) => (offsets[b + 1] = offsets[b]! + l.length));
  return { ids: Int32Array.from(lists.flat()), offsets, size: lists.length };
}
const randoms = (n: number, seed: string) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => 2 * rng() - 1);
};

/** mean_i E[ids_i] per bag with tf.gather (zeros for an empty bag), `[bags, dim]`. */
function tfPool(E: tf.Tensor2D, lists: number[][]): tf.Tensor2D {
  const dim = E.shape[1];
  return tf.stack(lists.map((l) => (l.length ? tf.mean(tf.gather(E, tf.tensor1d(l, 'int32')), 0) : tf.zeros([dim])))) as tf.Tensor2D;
}

describe('EmbeddingBag against tf.gather on the cpu backend', () => {
  const V = 11;
  const D = 3;

  it('pool equals mean(gather(E, ids)) per bag', () => {
    const bag = new EmbeddingBag({ buckets: V, dim: D, seed: 0 });
    bag.table.set(randoms(V * D, 'E'));
    const expected = tf.tidy(() => tfPool(tf.tensor2d(bag.table, [V, D]), bags).dataSync());
    const got = bag.pool(batchOf(bags));
    expect(got.length).toBe(bags.length * D);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    // The empty bag pools to zero.
    expect(Array.from(got.subarray(2 * D, 3 * D))).toEqual([0, 0, 0]);
  });

  it('gradient (JS scatter-add) equals the autodiff gradient of sum(G * pool(E))', () => {
    const bag = new EmbeddingBag({ buckets: V, dim: D, seed: 0 });
    bag.table.set(randoms(V * D, 'E'));
    const G = randoms(bags.length * D, 'G'); // dL/dpooled of L = sum(G * pooled)
    const expected = tf.tidy(() => {
      const g = tf.tensor2d(G, [bags.length, D]);
      return tf.grad((E: tf.Tensor) => tf.sum(tf.mul(g, tfPool(E as tf.Tensor2D, bags))))(tf.tensor2d(bag.table, [V, D])).dataSync();
    });
    const sparse = bag.gradient(batchOf(bags), G);
    // Rows in first-seen order, each once.
    expect(Array.from(sparse.rows)).toEqual([1, 4, 0, 10, 2, 7]);
    const dense = new Float32Array(V * D);
    sparse.rows.forEach((r, k) => dense.set(sparse.values.subarray(k * D, (k + 1) * D), r * D));
    dense.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    // Row 4 appears twice in bag 0 (n=3): 2/3 G_0. Row 1: G_0/3 + 2 G_3/5.
    for (let d = 0; d < D; d++) {
      expect(dense[4 * D + d]).toBeCloseTo((2 / 3) * G[d]!, 6);
      expect(dense[1 * D + d]).toBeCloseTo(G[d]! / 3 + (2 / 5) * G[3 * D + d]!, 6);
    }
    // Rows not in the batch get nothing; a second call starts clean.
    expect(dense[3 * D]).toBe(0);
    expect(Array.from(bag.gradient(batchOf([[3]]), Float32Array.from([1, 2, 3])).values)).toEqual([1, 2, 3]);
  });

  it('rejects ids outside the table', () => {
    const bag = new EmbeddingBag({ buckets: 4, dim: 2, seed: 0 });
    expect(() => bag.pool(batchOf([[4]]))).toThrow(/id 4 is outside the embedding table \[0, 4\)/);
  });
});

describe('LazyAdam', () => {
  it('equals tfjs Adam on rows present at every step, and leaves absent rows untouched', () => {
    const V = 3;
    const D = 2;
    const lr = 0.05;
    const bag = new EmbeddingBag({ buckets: V + 1, dim: D, seed: 1 });
    const start = Float32Array.from(bag.table);
    const lazy = new LazyAdam(bag, { learningRate: lr });
    const variable = tf.variable(tf.tensor2d(start.subarray(0, V * D), [V, D]));
    const adam = tf.train.adam(lr);
    for (let step = 0; step < 6; step++) {
      const g = randoms(V * D, `g${step}`);
      lazy.step({ rows: Int32Array.from([2, 0, 1]), values: Float32Array.from([...g.subarray(2 * D, 3 * D), ...g.subarray(0, D), ...g.subarray(D, 2 * D)]) });
      tf.tidy(() => adam.applyGradients({ [variable.name]: tf.tensor2d(g, [V, D]) } as Parameters<typeof adam.applyGradients>[0]));
    }
    const expected = variable.dataSync();
    for (let i = 0; i < V * D; i++) expect(bag.table[i]).toBeCloseTo(expected[i]!, 5);
    // Row 3 never appeared.
    expect(Array.from(bag.table.subarray(V * D))).toEqual(Array.from(start.subarray(V * D)));
    variable.dispose();
    adam.dispose();
  });
});
