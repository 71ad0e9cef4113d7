import * as tf from '@tensorflow/tfjs-core';
import { getRegularizer } from '@chainzrule/dreg';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CoralThresholds,
  EmbeddingBag,
  bagBatches,
  buildTextModel,
  coralLoss,
  countTextParams,
  createRng,
  evaluateTextModel,
  forwardWithTrace,
  headPredict,
  runTextFairFight,
  selectBackend,
  shuffleBuffer,
  softmaxLoss,
  summarizeTextFairFight,
  trainTextModel,
  type TextExample,
  type TextModel,
  type TextRunResult,
} from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
});

const softplus = (x: number) => Math.log1p(Math.exp(x));

/**
 * A toy ordinal text task over 64 buckets: class c (0..4) draws most ids from its own block
 * 10c..10c+9, some from the neighbouring blocks, and noise ids from 50..63.
 */
function toyTexts(n: number, seed: number): TextExample[] {
  const rng = createRng(`toy-${seed}`);
  return Array.from({ length: n }, (_, i) => {
    const label = i % 5;
    const len = 4 + Math.floor(rng() * 8);
    const ids = Int32Array.from({ length: len }, () => {
      const u = rng();
      const block = u < 0.6 ? label : u < 0.8 ? Math.min(4, Math.max(0, label + (rng() < 0.5 ? -1 : 1))) : -1;
      return block < 0 ? 50 + Math.floor(rng() * 14) : 10 * block + Math.floor(rng() * 10);
    });
    return { ids, label };
  });
}
const from = (xs: TextExample[]) => async function* () {
  yield* xs;
};
const weightsOf = (m: TextModel) => [Array.from(m.bag.table), ...m.dense.getWeights().map((w) => Array.from(w.dataSync()))];

describe('EmbeddingBag.pool', () => {
  it('averages the rows of each bag (hand-computed)', () => {
    const bag = new EmbeddingBag({ buckets: 3, dim: 2, seed: 0 });
    bag.table.set([1, 2, 3, 4, 5, 6]); // rows [1,2], [3,4], [5,6]
    // bag 0 = {0, 2, 2}: ([1,2] + 2 [5,6]) / 3 = [11/3, 14/3]; bag 1 = {} -> [0, 0]; bag 2 = {1}
    const pooled = bag.pool({ ids: Int32Array.from([0, 2, 2, 1]), offsets: Int32Array.from([0, 3, 3, 4]), size: 3 });
    const expected = [11 / 3, 14 / 3, 0, 0, 3, 4];
    pooled.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('starts uniform in [-1/dim, 1/dim], the same for the same seed', () => {
    const a = new EmbeddingBag({ buckets: 100, dim: 8, seed: 3 });
    expect(Math.max(...a.table.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Array.from(new EmbeddingBag({ buckets: 100, dim: 8, seed: 3 }).table)).toEqual(Array.from(a.table));
    expect(Array.from(new EmbeddingBag({ buckets: 100, dim: 8, seed: 4 }).table)).not.toEqual(Array.from(a.table));
  });
});

describe('CORAL head', () => {
  it('loss = mean_b sum_k softplus(l_k) - [y > k] l_k (hand-computed)', () => {
    // sample 0: logits [0, 1, -1, 2], class 2 -> targets [1, 1, 0, 0]:
    //   (ln 2 - 0) + (softplus(1) - 1) + softplus(-1) + softplus(2)
    // sample 1: logits [3, 3, 3, 3], class 4 -> targets all 1: 4 (softplus(3) - 3)
    const expected = (Math.log(2) + (softplus(1) - 1) + softplus(-1) + softplus(2) + 4 * (softplus(3) - 3)) / 2;
    const value = tf.tidy(() => coralLoss(tf.tensor2d([[0, 1, -1, 2], [3, 3, 3, 3]]), tf.tensor1d([2, 4], 'int32')).dataSync()[0]!);
    expect(value).toBeCloseTo(expected, 5);
    // The same as binary cross-entropy -t log s - (1 - t) log(1 - s) with s = sigmoid(l).
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const bce = (l: number, t: number) => -t * Math.log(sig(l)) - (1 - t) * Math.log(1 - sig(l));
    expect(value).toBeCloseTo((bce(0, 1) + bce(1, 1) + bce(-1, 0) + bce(2, 0) + 4 * bce(3, 1)) / 2, 5);
  });

  it('predicts 1 + count(sigmoid(l_k) > 0.5) stars: class index = number of positive logits', () => {
    const p = tf.tidy(() => Array.from(headPredict('ordinal', tf.tensor2d([[0.5, 0.2, -0.1, -3], [-1, -2, -3, -4], [9, 8, 7, 6]])).dataSync()));
    expect(p).toEqual([2, 0, 4]);
    const s = tf.tidy(() => Array.from(headPredict('softmax', tf.tensor2d([[0, 3, 1, 0, 0]])).dataSync()));
    expect(s).toEqual([1]);
  });

  it('softmax loss is the cross-entropy -log softmax(l)_y', () => {
    const l = [1, 2, 0.5, -1, 0];
    const lse = Math.log(l.reduce((a, x) => a + Math.exp(x), 0));
    const v = tf.tidy(() => softmaxLoss(tf.tensor2d([l]), tf.tensor1d([1], 'int32')).dataSync()[0]!);
    expect(v).toBeCloseTo(lse - 2, 5);
  });

  it('thresholds start at b_k = (K - k) / (K - 1): 1, 0.75, 0.5, 0.25; l_k = s + b_k', () => {
    const m = buildTextModel('chainzrule', { numClasses: 5, buckets: 16, embeddingDim: 4, hidden: 3, head: 'ordinal', seed: 0 });
    const head = m.dense.layers.at(-1) as CoralThresholds;
    expect(head).toBeInstanceOf(CoralThresholds);
    expect(Array.from(head.thresholds.dataSync())).toEqual([1, 0.75, 0.5, 0.25]);
    const out = tf.tidy(() => Array.from((head.apply(tf.tensor2d([[2], [-1]])) as tf.Tensor).dataSync()));
    expect(out).toEqual([3, 2.75, 2.5, 2.25, 0, -0.25, -0.5, -0.75]);
    m.dense.dispose();
  });
});

describe('text models', () => {
  it('have the expected parameter counts (by hand)', () => {
    const opts = { numClasses: 5, buckets: 64, embeddingDim: 4, hidden: 3, seed: 0 } as const;
    const cr = buildTextModel('chainzrule', { ...opts, head: 'ordinal' });
    const relu = buildTextModel('baseline-relu', { ...opts, head: 'ordinal' });
    const soft = buildTextModel('chainzrule', { ...opts, head: 'softmax' });
    // table 64*4 = 256; hidden 4*3 + 3 = 15; engine 4 + 1 = 5; score 3; thresholds 4
    expect(countTextParams(cr)).toBe(256 + 15 + 5 + 3 + 4);
    expect(countTextParams(relu)).toBe(256 + 15 + 3 + 4);
    // softmax logits 3*5 + 5
    expect(countTextParams(soft)).toBe(256 + 15 + 5 + 20);
    expect(cr.dense.layers[1]).toBeInstanceOf(PolynomialEngine);
    // DREG sees the dense part after the bag: the hidden layer (engine derivatives) and the score.
    const names = tf.tidy(() => forwardWithTrace(cr.dense, tf.zeros([2, 4]) as tf.Tensor2D).trace.map((t) => [t.name, t.dp === null]));
    expect(names).toEqual([
      ['hidden', false],
      ['score', true],
    ]);
    for (const m of [cr, relu, soft]) m.dense.dispose();
  });

  it('the volatility of the ordinal score is ||W1 diag(relu\'(z)) w2|| (closed form, ReLU)', async () => {
    const m = buildTextModel('baseline-relu', { numClasses: 5, buckets: 64, embeddingDim: 4, hidden: 3, head: 'ordinal', seed: 2 });
    const texts = toyTexts(20, 9);
    const e = await evaluateTextModel(m, from(texts)(), { volatility: true });
    const [W1, b1, w2] = m.dense.getWeights().map((w) => w.dataSync()); // W1: [4, 3] row-major, w2: [3, 1]
    const pooled = m.bag.pool({ ids: Int32Array.from(texts.flatMap((t) => [...t.ids])), offsets: Int32Array.from([0, ...texts.map((_, i) => texts.slice(0, i + 1).reduce((a, t) => a + t.ids.length, 0))]), size: texts.length });
    texts.forEach((_, b) => {
      // z_j = sum_i x_i W1[i, j] + b1_j; ds/dx_i = sum_j W1[i, j] [z_j > 0] w2_j
      const z = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((a, i) => a + pooled[b * 4 + i]! * W1![i * 3 + j]!, b1![j]!));
      const g = [0, 1, 2, 3].map((i) => [0, 1, 2].reduce((a, j) => a + W1![i * 3 + j]! * (z[j]! > 0 ? 1 : 0) * w2![j]!, 0));
      expect(e.gradientNorms[b]).toBeCloseTo(Math.hypot(...g), 4);
    });
    expect(Array.from(e.truth)).toEqual(texts.map((t) => t.label));
    m.dense.dispose();
  });
});

describe('shuffleBuffer and bagBatches', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const collect = async <T>(it: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  async function* gen() {
    yield* items;
  }

  it('emits every item exactly once, in a seeded order, for buffers smaller and larger than the data', async () => {
    for (const size of [1, 7, 50, 1000]) {
      const a = await collect(shuffleBuffer(gen(), size, createRng('s')));
      expect([...a].sort((x, y) => x - y)).toEqual(items);
      expect(await collect(shuffleBuffer(gen(), size, createRng('s')))).toEqual(a);
      if (size > 1) expect(a).not.toEqual(items);
    }
  });

  it('batches concatenate the id bags with offsets', async () => {
    const texts = [
      { ids: Int32Array.from([1, 2]), label: 0 },
      { ids: Int32Array.from([]), label: 3 },
      { ids: Int32Array.from([5]), label: 4 },
    ];
    const batches = await collect(bagBatches(from(texts)(), 2));
    expect(batches.map((b) => [Array.from(b.ids), Array.from(b.offsets), Array.from(b.labels), b.size])).toEqual([
      [[1, 2], [0, 2, 2], [0, 3], 2],
      [[5], [0, 1], [4], 1],
    ]);
  });
});

describe('trainTextModel', () => {
  const train = toyTexts(600, 1);
  const valid = toyTexts(200, 2);
  const options = { numClasses: 5, buckets: 64, embeddingDim: 8, hidden: 8, seed: 0 } as const;

  it('learns the toy task with either head, keeps CORAL thresholds ordered, and leaks no tensors', async () => {
    for (const head of ['ordinal', 'softmax'] as const) {
      const m = buildTextModel('chainzrule', { ...options, head });
      const before = tf.memory().numTensors;
      const r = await trainTextModel(m, from(train), {
        epochs: 6,
        batchSize: 32,
        learningRate: 0.02,
        seed: 0,
        shuffleBuffer: 1000,
        regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight: 0.001 }],
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.epochLoss).toHaveLength(6);
      expect(r.epochLoss[5]!).toBeLessThan(r.epochLoss[0]!);
      expect(r.epochPenalty[0]!).toBeGreaterThan(0);
      const e = await evaluateTextModel(m, from(valid)());
      expect(tf.memory().numTensors).toBe(before);
      const acc = e.predicted.filter((p, i) => p === e.truth[i]).length / e.truth.length;
      // 60% of a text's ids name its class: far above chance (0.2) after 6 epochs.
      expect(acc).toBeGreaterThan(0.8);
      if (head === 'ordinal') {
        const b = Array.from((m.dense.layers.at(-1) as CoralThresholds).thresholds.dataSync());
        // CORAL's rank consistency: the learned thresholds are non-increasing.
        for (let k = 1; k < b.length; k++) expect(b[k]!).toBeLessThanOrEqual(b[k - 1]!);
      }
      m.dense.dispose();
    }
  });

  it('is deterministic for a seed (weights, table and losses) and the baseline has no penalty', async () => {
    const run = async (seed: number) => {
      const m = buildTextModel('baseline-relu', { ...options, head: 'ordinal', seed });
      const r = await trainTextModel(m, from(train), { epochs: 2, batchSize: 16, learningRate: 0.01, seed, shuffleBuffer: 100 });
      const w = weightsOf(m);
      m.dense.dispose();
      return { r, w };
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a.w).toEqual(b.w);
    expect(a.r.epochLoss).toEqual(b.r.epochLoss);
    expect(a.w[0]).not.toEqual(c.w[0]);
    expect(a.r.epochPenalty).toEqual([0, 0]);
  });

  it('rejects bad settings and an empty source', async () => {
    const m = buildTextModel('chainzrule', { ...options, head: 'ordinal' });
    await expect(trainTextModel(m, from(train), { epochs: 0, batchSize: 8, learningRate: 0.01, seed: 0 })).rejects.toThrow(/epochs must be an integer >= 1/);
    await expect(trainTextModel(m, from([]), { epochs: 1, batchSize: 8, learningRate: 0.01, seed: 0 })).rejects.toThrow(/training set is empty/);
    m.dense.dispose();
  });
});

describe('runTextFairFight', () => {
  it('trains both models on the same data and summarises against the majority class', async () => {
    const train = toyTexts(300, 3);
    const test = toyTexts(50, 4);
    const counts = [0, 0, 0, 0, 0];
    for (const t of train) counts[t.label]!++;
    const { runs, summary } = await runTextFairFight(
      { train: from(train), validation: from(test.slice(0, 20)), test: from(test), trainCounts: counts },
      { epochs: 2, batchSize: 32, learningRate: 0.02, lambda: 0.001, seeds: 1, models: ['chainzrule', 'baseline-relu'], head: 'ordinal', numClasses: 5, buckets: 64, embeddingDim: 8, hidden: 8, hiddenLayers: 1, shuffleBuffer: 1000 },
    );
    expect(runs.map((r) => [r.model, r.head])).toEqual([
      ['chainzrule', 'ordinal'],
      ['baseline-relu', 'ordinal'],
    ]);
    for (const r of runs) {
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(50);
      expect(r.epochValidation).toHaveLength(2);
      expect(r.validation).toEqual(r.epochValidation[1]);
      expect(r.volatility.peak).toBeGreaterThanOrEqual(r.volatility.p99);
    }
    // toyTexts labels cycle 0..4: class 0 leads the 300 training texts' tie (60 each) by index,
    // and 10 of the 50 test texts are class 0, at mean distance (0+1+2+3+4)/5 = 2.
    expect(summary.majorityClass).toBe(0);
    expect(summary.majorityClassAccuracy).toBe(0.2);
    expect(summary.majorityClassMae).toBe(2);
    expect(summary.paramRatio).toBeCloseTo(runs[1]!.params / runs[0]!.params, 12);
    expect(summary.peakVolatilityReduction).toBeCloseTo(1 - runs[0]!.volatility.peak / runs[1]!.volatility.peak, 12);
  });

  it('input-gradient needs a softmax head', async () => {
    await expect(
      runTextFairFight(
        { train: from([]), test: from([]), trainCounts: [1, 0] },
        { epochs: 1, batchSize: 8, learningRate: 0.01, lambda: 0.1, seeds: 1, models: ['chainzrule'], head: 'ordinal', numClasses: 2, buckets: 8, embeddingDim: 2, hidden: 2, hiddenLayers: 1, shuffleBuffer: 10, regularizers: [{ name: 'input-gradient' }] },
      ),
    ).rejects.toThrow(/input-gradient' assumes a softmax head/);
  });

  it('summarizeTextFairFight: majority class from the training counts (hand-computed)', () => {
    // majority class 3; test truth [3, 3, 1, 4]: accuracy 2/4, MAE (0 + 0 + 2 + 1) / 4
    const s = summarizeTextFairFight([] as TextRunResult[], [5, 2, 0, 9, 1], Int32Array.from([3, 3, 1, 4]));
    expect(s).toEqual({ paramRatio: null, peakVolatilityReduction: null, majorityClass: 3, majorityClassAccuracy: 0.5, majorityClassMae: 0.75 });
  });
});
