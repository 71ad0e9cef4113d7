import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmFastPathsInstalled, installWasmFastPaths, selectBackend, uninstallWasmFastPaths } from '../src/index.js';

function onCpu<T>(f: () => T): T {
  const before = tf.getBackend();
  tf.setBackend('cpu');
  try {
    return f();
  } finally {
    tf.setBackend(before);
  }
}

beforeAll(async () => {
  await selectBackend({ requested: 'cpu' });
  await selectBackend({ requested: 'wasm' });
});

describe('wasm fast paths: transposed matMul', () => {
  it('is installed with the wasm backend', () => {
    expect(wasmFastPathsInstalled()).toBe(true);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul(transposeA=%s, transposeB=%s) equals the cpu backend', (ta, tb) => {
    const a = ta ? [7, 5] : [5, 7];
    const b = tb ? [3, 7] : [7, 3];
    const av = Array.from(tf.randomNormal(a, 0, 1, 'float32', 1).dataSync());
    const bv = Array.from(tf.randomNormal(b, 0, 1, 'float32', 2).dataSync());
    const wasm = tf.matMul(tf.tensor2d(av, a as [number, number]), tf.tensor2d(bv, b as [number, number]), ta, tb).dataSync();
    const cpu = onCpu(() => tf.matMul(tf.tensor2d(av, a as [number, number]), tf.tensor2d(bv, b as [number, number]), ta, tb).dataSync());
    Array.from(wasm).forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 4));
  });

  it('batched (rank 3) transposes are handled', () => {
    const av = Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i));
    const bv = Array.from({ length: 2 * 5 * 4 }, (_, i) => Math.cos(i));
    const wasm = tf.matMul(tf.tensor3d(av, [2, 4, 3]), tf.tensor3d(bv, [2, 5, 4]), true, true).dataSync();
    const cpu = onCpu(() => tf.matMul(tf.tensor3d(av, [2, 4, 3]), tf.tensor3d(bv, [2, 5, 4]), true, true).dataSync());
    Array.from(wasm).forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 4));
  });

  it('dense-layer gradients (which use both transposes) equal the cpu backend, with no leaked tensors', () => {
    const xv = Array.from({ length: 6 * 4 }, (_, i) => Math.sin(3 * i));
    const wv = Array.from({ length: 4 * 3 }, (_, i) => Math.cos(2 * i));
    const grads = () => {
      const x = tf.tensor2d(xv, [6, 4]);
      const w = tf.tensor2d(wv, [4, 3]);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([x, w]);
      return [Array.from(gx!.dataSync()), Array.from(gw!.dataSync())];
    };
    const before = tf.memory().numTensors;
    const [wx, ww] = tf.tidy(grads);
    expect(tf.memory().numTensors).toBe(before);
    const [cx, cw] = onCpu(grads);
    wx!.forEach((v, i) => expect(v).toBeCloseTo(cx![i]!, 3));
    ww!.forEach((v, i) => expect(v).toBeCloseTo(cw![i]!, 3));
  });

  it('can be uninstalled (the stock kernel, same products) and installed again', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const b = tf.tensor2d([1, -1, 2, 0.5], [2, 2]);
    // by hand: a^T a = [[1+9+25, 2+12+30], [2+12+30, 4+16+36]], a b^T rows [1-2, 2+1], [3-4, 6+2], [5-6, 10+3]
    const expected = [35, 44, 44, 56];
    uninstallWasmFastPaths();
    try {
      expect(wasmFastPathsInstalled()).toBe(false);
      expect(Array.from(tf.matMul(a, a, true, false).dataSync())).toEqual(expected);
      expect(Array.from(tf.matMul(a, b, false, true).dataSync())).toEqual([-1, 3, -1, 8, -1, 13]);
    } finally {
      installWasmFastPaths();
    }
    expect(wasmFastPathsInstalled()).toBe(true);
    expect(Array.from(tf.matMul(a, a, true, false).dataSync())).toEqual(expected);
  });
});

describe('wasm fast paths: slice', () => {
  const values = Array.from({ length: 7 * 5 * 3 }, (_, i) => Math.sin(i) * 100);
  it.each([
    ['rows of a matrix (contiguous)', [7, 15], [2, 0], [3, 15]],
    ['to the end, with -1', [7, 15], [4, 0], [-1, -1]],
    ['columns (not contiguous: the stock kernel)', [7, 15], [1, 3], [4, 5]],
    ['a rank-3 block of whole rows', [7, 5, 3], [3, 0, 0], [2, 5, 3]],
    ['a rank-3 inner block', [7, 5, 3], [1, 1, 1], [3, 2, 2]],
  ])('%s equals the cpu backend', (_name, shape, begin, size) => {
    const wasm = tf.slice(tf.tensor(values, shape as number[]), begin as number[], size as number[]);
    const cpu = onCpu(() => tf.slice(tf.tensor(values, shape as number[]), begin as number[], size as number[]));
    expect(wasm.shape).toEqual(cpu.shape);
    expect(Array.from(wasm.dataSync())).toEqual(Array.from(cpu.dataSync()));
  });

  it('keeps int32 and bool values', () => {
    expect(Array.from(tf.slice(tf.tensor1d([5, -6, 7, 8], 'int32'), [1], [2]).dataSync())).toEqual([-6, 7]);
    expect(Array.from(tf.slice(tf.tensor1d([true, false, true], 'bool'), [1], [2]).dataSync())).toEqual([0, 1]);
  });

  it('batches a large tensor through model-style slicing without leaking', () => {
    const x = tf.tensor2d(Float32Array.from({ length: 1000 * 30 }, (_, i) => i % 977), [1000, 30]);
    const before = tf.memory().numTensors;
    let total = 0;
    for (let s = 0; s < 1000; s += 128)
      tf.tidy(() => {
        total += tf.sum(tf.slice(x, [s, 0], [Math.min(128, 1000 - s), 30])).dataSync()[0]!;
      });
    expect(tf.memory().numTensors).toBe(before);
    // sum over i < 30000 of i mod 977, by arithmetic: 30 full cycles of 0..976 plus 0..689
    expect(total).toBe(30 * ((976 * 977) / 2) + (689 * 690) / 2);
  });

  it('takes the fast path: a row slice never reads the whole input out of the heap', () => {
    const backend = tf.backend() as unknown as { readSync: (...args: unknown[]) => unknown };
    const x = tf.tensor2d(values.slice(0, 60), [12, 5]);
    const original = backend.readSync;
    let reads = 0;
    backend.readSync = function (this: unknown, ...args: unknown[]) {
      reads++;
      return original.apply(this, args);
    };
    try {
      const y = tf.slice(x, [3, 0], [4, 5]);
      expect(reads).toBe(0);
      expect(Array.from(y.dataSync())).toEqual(values.slice(15, 35).map((v) => Math.fround(v)));
    } finally {
      backend.readSync = original;
    }
  });

  it('is right when the output allocation grows the wasm heap', () => {
    // 48 MB of input and a 24 MB slice: the allocation grows the heap, which replaces its buffer
    const rows = 12_000;
    const cols = 1000;
    const x = tf.tensor2d(Float32Array.from({ length: rows * cols }, (_, i) => (i % 65_521) - 32_000), [rows, cols]);
    const y = tf.slice(x, [rows / 2, 0], [rows / 2, cols]);
    const got = y.dataSync();
    const start = (rows / 2) * cols;
    for (const i of [0, 1, 12_345, got.length - 1]) expect(got[i]).toBe(((start + i) % 65_521) - 32_000);
    tf.dispose([x, y]);
  });

  it('uninstall restores the stock kernel, with the same results', () => {
    const x = tf.tensor2d(values.slice(0, 60), [12, 5]);
    const fast = Array.from(tf.slice(x, [3, 0], [4, 5]).dataSync());
    uninstallWasmFastPaths();
    try {
      expect(wasmFastPathsInstalled()).toBe(false);
      expect(Array.from(tf.slice(x, [3, 0], [4, 5]).dataSync())).toEqual(fast);
    } finally {
      installWasmFastPaths();
    }
    expect(fast).toEqual(values.slice(15, 35).map((v) => Math.fround(v)));
  });
});
