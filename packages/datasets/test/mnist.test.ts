import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  DatasetNotFoundError,
  loadFashionMnist,
  loadIdxImageDataset,
  loadMnist,
  mnistDefaultDir,
  type FashionMnistOptions,
  type ImageDataset,
} from '../src/index.js';
import { RAW_MNIST_DIR, caught, expectOneLineError, idxBytes, makeTmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

const px = (ds: ImageDataset, img: number, r: number, c: number) => ds.images[img * ds.rows * ds.cols + r * ds.cols + c];
const histogram = (labels: Uint8Array) => {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l]!++;
  return h;
};
const rawSum = (ds: ImageDataset, img: number) => {
  let s = 0;
  for (let i = img * 784; i < (img + 1) * 784; i++) s += ds.images[i]!;
  return Math.round(s * 255);
};

/** Writes a tiny MNIST-style pair into `dir` under the standard names. */
function writePair(dir: string, prefix: string, images: { n: number; pixels: number[] }, labels: number[]): void {
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idxBytes(0x08, [images.n, 2, 2], images.pixels));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes(0x08, [labels.length], labels));
}

describe('loadMnist from the bundled files', () => {
  let train: ImageDataset;
  let test: ImageDataset;
  beforeAll(async () => {
    [train, test] = await Promise.all([loadMnist({ split: 'train' }), loadMnist({ split: 'test' })]);
  });

  it('has 60000 training images of 28x28 and 10 classes', () => {
    expect(train.name).toBe('mnist-train');
    expect(train.n).toBe(60000);
    expect([train.rows, train.cols]).toEqual([28, 28]);
    expect(train.numClasses).toBe(10);
    expect(train.images).toBeInstanceOf(Float32Array);
    expect(train.images.length).toBe(60000 * 784);
    expect(train.labels).toBeInstanceOf(Uint8Array);
    expect(train.labels.length).toBe(60000);
  });

  it('has 10000 test images', () => {
    expect(test.name).toBe('mnist-test');
    expect(test.n).toBe(10000);
    expect(test.images.length).toBe(10000 * 784);
    expect(test.labels.length).toBe(10000);
  });

  it('has the known first labels', () => {
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(test.labels[0]).toBe(7);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('has the published class counts', () => {
    expect(histogram(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('scales the first training image pixels by 1/255', () => {
    // Raw bytes read independently at offset 16 + r*28 + c of train-images-idx3-ubyte.
    expect(px(train, 0, 5, 12)).toBe(Math.fround(3 / 255));
    expect(px(train, 0, 5, 16)).toBe(Math.fround(126 / 255));
    expect(px(train, 0, 5, 21)).toBe(1);
    expect(px(train, 0, 5, 22)).toBe(Math.fround(247 / 255));
    expect(px(train, 0, 6, 8)).toBe(Math.fround(30 / 255));
    expect(px(train, 0, 0, 0)).toBe(0);
    expect(px(train, 0, 5, 11)).toBe(0);
  });

  it('keeps image boundaries: raw pixel sums of first and last images', () => {
    expect(rawSum(train, 0)).toBe(27525);
    expect(rawSum(train, 59999)).toBe(20920);
    expect(rawSum(test, 0)).toBe(18454);
  });

  it('keeps every pixel in [0, 1], reaching both ends', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of test.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('reports the bundled directory as the source', () => {
    expect(realpathSync(test.source)).toBe(realpathSync(RAW_MNIST_DIR));
    expect(realpathSync(mnistDefaultDir())).toBe(realpathSync(RAW_MNIST_DIR));
    expect(existsSync(join(mnistDefaultDir(), 'train-images-idx3-ubyte'))).toBe(true);
  });

  it('loads the training split when called without options', async () => {
    const ds = await loadMnist();
    expect(ds.name).toBe('mnist-train');
    expect(ds.n).toBe(60000);
    expect(ds.labels[0]).toBe(5);
  });
});

describe('limit', () => {
  it('keeps the first N images and labels', async () => {
    const ds = await loadMnist({ split: 'train', limit: 3 });
    expect(ds.n).toBe(3);
    expect(ds.images.length).toBe(3 * 784);
    expect(Array.from(ds.labels)).toEqual([5, 0, 4]);
    expect(px(ds, 0, 5, 16)).toBe(Math.fround(126 / 255));
  });

  it('keeps everything when larger than the split, nothing when 0', async () => {
    expect((await loadMnist({ split: 'test', limit: 1_000_000 })).n).toBe(10000);
    const empty = await loadMnist({ split: 'test', limit: 0 });
    expect([empty.n, empty.images.length, empty.labels.length]).toEqual([0, 0, 0]);
  });

  it('rejects negative or fractional limits and unknown splits', async () => {
    expect(await caught(() => loadMnist({ split: 'test', limit: -1 }))).toBeInstanceOf(RangeError);
    expect(await caught(() => loadMnist({ split: 'test', limit: 2.5 }))).toBeInstanceOf(RangeError);
    const err = await caught(() => loadMnist({ split: 'validation' as 'test' }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toContain('validation');
  });
});

describe('loadMnist with dir', () => {
  it('reads .gz files and the dot spelling, with the same values as the raw files', async () => {
    const dir = makeTmpDir();
    writeFileSync(
      join(dir, 't10k-images.idx3-ubyte.gz'),
      gzipSync(readFileSync(join(RAW_MNIST_DIR, 't10k-images-idx3-ubyte'))),
    );
    copyFileSync(join(RAW_MNIST_DIR, 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels.idx1-ubyte'));
    const fromDir = await loadMnist({ dir, split: 'test' });
    const bundled = await loadMnist({ split: 'test' });
    expect(fromDir.source).toBe(resolve(dir));
    expect(fromDir.n).toBe(10000);
    expect(Buffer.from(fromDir.labels).equals(Buffer.from(bundled.labels))).toBe(true);
    expect(Buffer.from(fromDir.images.buffer).equals(Buffer.from(bundled.images.buffer))).toBe(true);
  });

  it('prefers the raw file when both raw and .gz exist', async () => {
    const dir = makeTmpDir();
    writePair(dir, 'train', { n: 1, pixels: [0, 51, 255, 0] }, [3]);
    // A broken .gz next to a good raw file must not be touched.
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), 'not gzip');
    const ds = await loadMnist({ dir, split: 'train' });
    expect(Array.from(ds.images)).toEqual([0, Math.fround(51 / 255), 1, 0]);
    expect(Array.from(ds.labels)).toEqual([3]);
  });

  it('missing directory -> DatasetNotFoundError naming it and the file names', async () => {
    const dir = join(makeTmpDir(), 'does-not-exist');
    const err = await caught(() => loadMnist({ dir, split: 'test' }));
    expectOneLineError(
      err,
      DatasetNotFoundError,
      dir,
      't10k-images-idx3-ubyte',
      't10k-images-idx3-ubyte.gz',
      't10k-images.idx3-ubyte',
      't10k-labels-idx1-ubyte',
    );
    expect((err as DatasetNotFoundError).path).toBe(dir);
    expect((err as DatasetNotFoundError).lookedFor).toContain('t10k-labels.idx1-ubyte.gz');
  });

  it('a file given as dir -> DatasetNotFoundError', async () => {
    const file = join(makeTmpDir(), 'train-images-idx3-ubyte');
    writeFileSync(file, idxBytes(0x08, [1, 1, 1], [0]));
    const err = await caught(() => loadMnist({ dir: file, split: 'train' }));
    expectOneLineError(err, DatasetNotFoundError, file, 'directory is expected');
  });

  it('empty directory -> DatasetNotFoundError listing every images name tried', async () => {
    const dir = makeTmpDir();
    const err = await caught(() => loadMnist({ dir, split: 'train' }));
    expectOneLineError(
      err,
      DatasetNotFoundError,
      dir,
      'train-images-idx3-ubyte,',
      'train-images-idx3-ubyte.gz',
      'train-images.idx3-ubyte,',
      'train-images.idx3-ubyte.gz',
    );
  });

  it('labels missing -> DatasetNotFoundError listing the labels names', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(0x08, [1, 2, 2], [0, 0, 0, 0]));
    const err = await caught(() => loadMnist({ dir, split: 'train' }));
    expectOneLineError(err, DatasetNotFoundError, dir, 'labels', 'train-labels-idx1-ubyte', 'train-labels.idx1-ubyte.gz');
  });

  it('a directory where the images file should be -> DatasetNotFoundError', async () => {
    const dir = makeTmpDir();
    mkdirSync(join(dir, 'train-images-idx3-ubyte'));
    const err = await caught(() => loadMnist({ dir, split: 'train' }));
    expectOneLineError(err, DatasetNotFoundError, 'train-images-idx3-ubyte', 'is a directory');
  });

  it('image and label counts differ -> DatasetFormatError naming both files and counts', async () => {
    const dir = makeTmpDir();
    writePair(dir, 'train', { n: 3, pixels: new Array(12).fill(1) }, [1, 2]);
    const err = await caught(() => loadMnist({ dir, split: 'train' }));
    expectOneLineError(
      err,
      DatasetFormatError,
      'train-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'has 2 labels',
      'has 3 images',
    );
  });

  it('label >= 10 -> DatasetFormatError with the label and its index', async () => {
    const dir = makeTmpDir();
    // 10 is the first out-of-range value; 9 right before it must be accepted.
    writePair(dir, 't10k', { n: 3, pixels: new Array(12).fill(0) }, [9, 10, 3]);
    const err = await caught(() => loadMnist({ dir, split: 'test' }));
    expectOneLineError(err, DatasetFormatError, 't10k-labels-idx1-ubyte', 'label 10 at index 1');
    expect((err as DatasetFormatError).file).toBe(join(dir, 't10k-labels-idx1-ubyte'));
  });

  it('labels where images belong -> DatasetFormatError about the shape', async () => {
    const dir = makeTmpDir();
    copyFileSync(join(RAW_MNIST_DIR, 't10k-labels-idx1-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
    copyFileSync(join(RAW_MNIST_DIR, 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
    const err = await caught(() => loadMnist({ dir, split: 'test' }));
    expectOneLineError(err, DatasetFormatError, 't10k-images-idx3-ubyte', '3 dimensions', 'uint8 [10000]');
  });

  it('non-uint8 labels -> DatasetFormatError', async () => {
    const dir = makeTmpDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(0x08, [1, 2, 2], [0, 0, 0, 0]));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x0c, [1], [0, 0, 0, 1]));
    const err = await caught(() => loadMnist({ dir, split: 'train' }));
    expectOneLineError(err, DatasetFormatError, 'train-labels-idx1-ubyte', 'int32 [1]');
  });
});

describe('Fashion-MNIST and other MNIST-style sets', () => {
  it('loadFashionMnist without dir -> DatasetNotFoundError with a download hint', async () => {
    const err = await caught(() => loadFashionMnist({ split: 'train' } as FashionMnistOptions));
    expectOneLineError(err, DatasetNotFoundError, 'fashion-mnist', 'zalandoresearch/fashion-mnist');
  });

  it('loadFashionMnist reads the standard file names from dir', async () => {
    const dir = makeTmpDir();
    writePair(dir, 't10k', { n: 2, pixels: [0, 255, 51, 102, 255, 255, 0, 0] }, [9, 0]);
    const ds = await loadFashionMnist({ dir, split: 'test' });
    expect(ds.name).toBe('fashion-mnist-test');
    expect([ds.n, ds.rows, ds.cols, ds.numClasses]).toEqual([2, 2, 2, 10]);
    expect(Array.from(ds.labels)).toEqual([9, 0]);
    expect(Array.from(ds.images)).toEqual([0, 1, 0.2, 0.4, 1, 1, 0, 0].map(Math.fround));
  });

  it('loadFashionMnist with a missing dir names the directory', async () => {
    const dir = join(makeTmpDir(), 'fashion');
    const err = await caught(() => loadFashionMnist({ dir, split: 'train' }));
    expectOneLineError(err, DatasetNotFoundError, dir, 'train-images-idx3-ubyte', 'fashion-mnist');
  });

  it('loadIdxImageDataset names the result <name>-<split> and honours limit', async () => {
    const dir = makeTmpDir();
    writePair(dir, 'train', { n: 2, pixels: [1, 2, 3, 4, 5, 6, 7, 8] }, [4, 5]);
    const ds = await loadIdxImageDataset(dir, 'train', 'digits', 1);
    expect(ds.name).toBe('digits-train');
    expect(ds.n).toBe(1);
    expect(Array.from(ds.labels)).toEqual([4]);
    expect(Array.from(ds.images)).toEqual([1, 2, 3, 4].map((v) => Math.fround(v / 255)));
  });
});
