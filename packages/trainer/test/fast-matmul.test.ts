import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastTransposedMatMulInstalled, selectBackend } from '../src/index.js';

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

describe('wasm transposed matMul fast path', () => {
  it('is installed with the wasm backend', () => {
    expect(fastTransposedMatMulInstalled()).toBe(true);
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
});
