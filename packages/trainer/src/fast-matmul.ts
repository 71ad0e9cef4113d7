/**
 * A kernel-level fast path for transposed matrix products on the wasm backend.
 *
 * The wasm `BatchMatMul` is about 10x slower with `transposeA` or `transposeB` than without, and
 * back-propagation through a dense layer uses both (`dx = dy W^T`, `dW = x^T dy`). Transposing
 * explicitly (a cheap copy) and calling the plain kernel gives the same product at plain speed.
 * The kernel is re-registered once; every caller (our trainer, tfjs-layers `fit`, tf.grad)
 * benefits.
 */
import * as tf from '@tensorflow/tfjs-core';

let installed = false;

/** Whether the wasm fast path is installed. */
export function fastTransposedMatMulInstalled(): boolean {
  return installed;
}

const swapLastTwo = (rank: number): number[] => {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
};

/** Re-registers the wasm `BatchMatMul` kernel with explicit transposes. Idempotent. */
export function installFastTransposedMatMul(): void {
  if (installed) return;
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!matMul || !transpose) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: matMul.setupFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return matMul.kernelFunc(args);
      const backend = args.backend as tf.KernelBackend;
      const explicit = (x: tf.TensorInfo) =>
        transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as tf.TensorInfo;
      const aa = transposeA ? explicit(a) : a;
      const bb = transposeB ? explicit(b) : b;
      const out = matMul.kernelFunc({ ...args, inputs: { a: aa, b: bb }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      if (transposeA) backend.disposeData(aa.dataId);
      if (transposeB) backend.disposeData(bb.dataId);
      return out;
    },
  });
  installed = true;
}
