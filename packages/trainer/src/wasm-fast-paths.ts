/**
 * Kernel-level fast paths for the wasm backend, registered once; every caller (our trainer,
 * tfjs-layers `fit` and `predict`, tf.grad) benefits. Both give the stock kernels' results.
 *
 * - `BatchMatMul`: the wasm kernel is about 10x slower with `transposeA` or `transposeB` than
 *   without, and back-propagation through a dense layer uses both (`dx = dy W^T`, `dW = x^T dy`).
 *   Transposing explicitly (a cheap copy) and calling the plain kernel gives the same product at
 *   plain speed.
 * - `Slice`: the wasm kernel copies the whole input out of the wasm heap for every slice, so
 *   cutting a large tensor into batches (`model.predict(x, {batchSize})`, `fit`, the metrics)
 *   is quadratic in its size. A slice that is one contiguous block (rows of a matrix, the usual
 *   batch) is copied straight from heap to heap here; other slices go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The stock wasm kernels, kept to restore them; undefined while the fast paths are not installed. */
let stock: { matMul: tf.KernelConfig; slice: tf.KernelConfig } | undefined;

/** Whether the wasm fast paths are installed. */
export function wasmFastPathsInstalled(): boolean {
  return stock !== undefined;
}

const swapLastTwo = (rank: number): number[] => {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
};

/** The parts of the wasm backend the slice fast path uses (tfjs-backend-wasm). */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function fastMatMul(matMul: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return matMul.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const explicit = (x: tf.TensorInfo) => transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as tf.TensorInfo;
    const aa = transposeA ? explicit(a) : a;
    const bb = transposeB ? explicit(b) : b;
    const out = matMul.kernelFunc({ ...args, inputs: { a: aa, b: bb }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    if (transposeA) backend.disposeData(aa.dataId);
    if (transposeB) backend.disposeData(bb.dataId);
    return out;
  };
}

function fastSlice(slice: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as WasmHeapBackend;
    if (x.dtype === 'string' || typeof backend.typedArrayFromHeap !== 'function') return slice.kernelFunc(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (!tf.slice_util.isSliceContinous(x.shape, begin_, size_)) return slice.kernelFunc(args);
    const offset = tf.slice_util.computeFlatOffset(begin_, tf.util.computeStrides(x.shape));
    const out = backend.makeOutput(size_, x.dtype);
    // views taken after the allocation: a growing heap replaces the buffer they point into
    const from = backend.typedArrayFromHeap(x);
    backend.typedArrayFromHeap(out).set(from.subarray(offset, offset + tf.util.sizeFromShape(size_)));
    return out;
  };
}

/** Re-registers the wasm `BatchMatMul` and `Slice` kernels with their fast paths. Idempotent. */
export function installWasmFastPaths(): void {
  if (stock) return;
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  const slice = tf.getKernel('Slice', 'wasm');
  if (!matMul || !transpose || !slice) return;
  stock = { matMul, slice };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...matMul, kernelFunc: fastMatMul(matMul, transpose) });
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({ ...slice, kernelFunc: fastSlice(slice) });
}

/**
 * Puts the stock wasm kernels back (for comparisons and debugging). Idempotent;
 * `installWasmFastPaths` installs the fast paths again.
 */
export function uninstallWasmFastPaths(): void {
  if (!stock) return;
  for (const config of [stock.matMul, stock.slice]) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  stock = undefined;
}
