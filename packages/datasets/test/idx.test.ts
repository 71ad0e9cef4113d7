import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, parseIdx, readIdx } from '../src/index.js';
import { RAW_MNIST_DIR, caught, expectOneLineError, idxBytes, makeTmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

const TRAIN_IMAGES = join(RAW_MNIST_DIR, 'train-images-idx3-ubyte');
const TRAIN_LABELS = join(RAW_MNIST_DIR, 'train-labels-idx1-ubyte');
const TEST_LABELS = join(RAW_MNIST_DIR, 't10k-labels-idx1-ubyte');

describe('readIdx on the real MNIST files', () => {
  it('the train-images header is magic 0x00000803 with dims 60000x28x28 (independent read)', () => {
    const raw = readFileSync(TRAIN_IMAGES);
    expect(raw.readUInt32BE(0)).toBe(0x00000803);
    expect([raw.readUInt32BE(4), raw.readUInt32BE(8), raw.readUInt32BE(12)]).toEqual([60000, 28, 28]);
  });

  it('decodes train-images as uint8 [60000, 28, 28] with the same pixels as the raw bytes', async () => {
    const arr = await readIdx(TRAIN_IMAGES);
    expect(arr.dtype).toBe('uint8');
    expect(arr.shape).toEqual([60000, 28, 28]);
    expect(arr.data).toBeInstanceOf(Uint8Array);
    expect(arr.data.length).toBe(60000 * 28 * 28);
    // Image 0, row 5 (values read once with readFileSync at 16 + r*28 + c).
    const at = (img: number, r: number, c: number) => arr.data[img * 784 + r * 28 + c];
    expect(at(0, 5, 12)).toBe(3);
    expect(at(0, 5, 16)).toBe(126);
    expect(at(0, 5, 21)).toBe(255);
    expect(at(0, 5, 22)).toBe(247);
    expect(at(0, 6, 8)).toBe(30);
    expect(at(0, 0, 0)).toBe(0);
    // Last pixel of the file, to catch an off-by-header offset at the end.
    const raw = readFileSync(TRAIN_IMAGES);
    expect(arr.data[arr.data.length - 1]).toBe(raw[raw.length - 1]);
    expect(arr.data[59999 * 784 + 14 * 28 + 14]).toBe(raw[16 + 59999 * 784 + 14 * 28 + 14]);
  });

  it('decodes train labels: 60000 of them, first ten 5,0,4,1,9,2,1,3,1,4', async () => {
    const arr = await readIdx(TRAIN_LABELS);
    expect(arr.dtype).toBe('uint8');
    expect(arr.shape).toEqual([60000]);
    expect(Array.from(arr.data.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  });

  it('decodes test labels: 10000 of them, the first is 7', async () => {
    const arr = await readIdx(TEST_LABELS);
    expect(arr.shape).toEqual([10000]);
    expect(arr.data[0]).toBe(7);
  });
});

describe('parseIdx decoding', () => {
  it('returns a zero-copy view for uint8', () => {
    const buf = idxBytes(0x08, [2, 2], [1, 2, 3, 4]);
    const arr = parseIdx(buf, 'mem');
    expect(arr.data.buffer).toBe(buf.buffer);
    expect(arr.data.byteOffset).toBe(buf.byteOffset + 12);
    expect(Array.from(arr.data)).toEqual([1, 2, 3, 4]);
  });

  it('decodes signed bytes', () => {
    const arr = parseIdx(idxBytes(0x09, [3], [0xff, 0x80, 0x7f]), 'mem');
    expect(arr.dtype).toBe('int8');
    expect(arr.data).toBeInstanceOf(Int8Array);
    expect(Array.from(arr.data)).toEqual([-1, -128, 127]);
  });

  it('decodes big-endian int16 with a 2-D shape', () => {
    const arr = parseIdx(idxBytes(0x0b, [2, 3], [0x01, 0x02, 0xff, 0xfe, 0x80, 0x00, 0, 0, 0, 1, 0x7f, 0xff]), 'mem');
    expect(arr.dtype).toBe('int16');
    expect(arr.shape).toEqual([2, 3]);
    expect(arr.data).toBeInstanceOf(Int16Array);
    expect(Array.from(arr.data)).toEqual([258, -2, -32768, 0, 1, 32767]);
  });

  it('decodes big-endian int32', () => {
    const arr = parseIdx(idxBytes(0x0c, [2], [0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe]), 'mem');
    expect(arr.dtype).toBe('int32');
    expect(arr.data).toBeInstanceOf(Int32Array);
    expect(Array.from(arr.data)).toEqual([16909060, -2]);
  });

  it('decodes big-endian float32', () => {
    // 1.5 = 3f c0 00 00, -2.25 = c0 10 00 00
    const arr = parseIdx(idxBytes(0x0d, [2], [0x3f, 0xc0, 0, 0, 0xc0, 0x10, 0, 0]), 'mem');
    expect(arr.dtype).toBe('float32');
    expect(arr.data).toBeInstanceOf(Float32Array);
    expect(Array.from(arr.data)).toEqual([1.5, -2.25]);
  });

  it('decodes big-endian float64', () => {
    // 1.5 = 3f f8 00.., -0.1 = bf b9 99 99 99 99 99 9a
    const arr = parseIdx(
      idxBytes(0x0e, [2], [0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xbf, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]),
      'mem',
    );
    expect(arr.dtype).toBe('float64');
    expect(arr.data).toBeInstanceOf(Float64Array);
    expect(Array.from(arr.data)).toEqual([1.5, -0.1]);
  });

  it('accepts an empty dimension (zero elements, no data)', () => {
    const arr = parseIdx(idxBytes(0x08, [0, 28, 28], []), 'mem');
    expect(arr.shape).toEqual([0, 28, 28]);
    expect(arr.data.length).toBe(0);
  });
});

describe('gzip', () => {
  it('round-trips the real labels file through gzip', async () => {
    const dir = makeTmpDir();
    const gz = join(dir, 'train-labels-idx1-ubyte.gz');
    writeFileSync(gz, gzipSync(readFileSync(TRAIN_LABELS)));
    const fromGz = await readIdx(gz);
    const fromRaw = await readIdx(TRAIN_LABELS);
    expect(fromGz.dtype).toBe('uint8');
    expect(fromGz.shape).toEqual([60000]);
    expect(Array.from(fromGz.data.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Buffer.from(fromGz.data).equals(Buffer.from(fromRaw.data))).toBe(true);
  });

  it('detects gzip by content, not by name', async () => {
    const dir = makeTmpDir();
    const file = join(dir, 'labels-without-suffix');
    writeFileSync(file, gzipSync(idxBytes(0x08, [3], [7, 8, 9])));
    const arr = await readIdx(file);
    expect(Array.from(arr.data)).toEqual([7, 8, 9]);
    expect(Array.from(parseIdx(readFileSync(file), 'in-memory').data)).toEqual([7, 8, 9]);
  });
});

describe('bad input', () => {
  const write = (name: string, bytes: Uint8Array): string => {
    const file = join(makeTmpDir(), name);
    writeFileSync(file, bytes);
    return file;
  };

  it('missing file -> DatasetNotFoundError', async () => {
    const file = join(makeTmpDir(), 'missing-idx1-ubyte');
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetNotFoundError, 'missing-idx1-ubyte', 'no such file');
    expect((err as DatasetNotFoundError).path).toBe(file);
  });

  it('file inside a missing directory -> DatasetNotFoundError', async () => {
    const file = join(makeTmpDir(), 'no-such-dir', 'x-idx1-ubyte');
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetNotFoundError, file);
  });

  it('directory where a file is expected -> DatasetNotFoundError', async () => {
    const dir = join(makeTmpDir(), 'train-images-idx3-ubyte');
    mkdirSync(dir);
    const err = await caught(() => readIdx(dir));
    expectOneLineError(err, DatasetNotFoundError, 'train-images-idx3-ubyte', 'is a directory');
  });

  it('file shorter than the magic number', async () => {
    const file = write('tiny-idx1-ubyte', Uint8Array.of(0, 0, 8));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'tiny-idx1-ubyte', 'too short for an IDX header', '3 bytes');
    expect((err as DatasetFormatError).file).toBe(file);
  });

  it('file shorter than its dimension list', async () => {
    const file = write('short-idx3-ubyte', Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1, 0, 0));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'short-idx3-ubyte', 'too short', 'need 16');
  });

  it('all-zero magic -> bad magic with the expected value from the file name', async () => {
    const file = write('train-images-idx3-ubyte', new Uint8Array(16));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'train-images-idx3-ubyte', 'bad magic number 0x00000000', '0x00000803');
  });

  it('nonzero first bytes (an HTML error page) -> bad magic', async () => {
    const file = write('t10k-labels-idx1-ubyte', Buffer.from('<!DOCTYPE html><html>404</html>'));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 't10k-labels-idx1-ubyte', 'bad magic number 0x3C21444F', '0x00000801');
  });

  it('little-endian header -> bad magic that says so', async () => {
    const err = await caught(() => parseIdx(Uint8Array.of(1, 8, 0, 0, 3, 0, 0, 0, 1, 2, 3), 'swapped.idx'));
    expectOneLineError(err, DatasetFormatError, 'swapped.idx', 'bad magic number 0x01080000', 'big-endian');
  });

  it('unknown type byte -> bad magic naming the type code', async () => {
    const file = write('odd-type.idx', idxBytes(0x0a, [2], [1, 2]));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'odd-type.idx', 'bad magic number 0x00000A01', 'unknown type code 0x0A');
  });

  it('zero dimensions', async () => {
    const file = write('nodims.idx', Uint8Array.of(0, 0, 8, 0, 1, 2, 3));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'nodims.idx', 'zero dimensions');
  });

  it('truncated data (a real labels file cut short)', async () => {
    const file = write('train-labels-idx1-ubyte', readFileSync(TRAIN_LABELS).subarray(0, 1000));
    const err = await caught(() => readIdx(file));
    expectOneLineError(
      err,
      DatasetFormatError,
      'train-labels-idx1-ubyte',
      'truncated: expected 60000 bytes of data',
      'found 992',
    );
  });

  it('truncated multi-byte data counts bytes, not elements', async () => {
    const err = await caught(() => parseIdx(idxBytes(0x0c, [3], [0, 0, 0, 1, 0, 0, 0, 2, 0, 0]), 'ints.idx'));
    expectOneLineError(err, DatasetFormatError, 'ints.idx', 'truncated: expected 12 bytes of data', 'found 10');
  });

  it('extra bytes after the data', async () => {
    const file = write('extra-idx1-ubyte', idxBytes(0x08, [3], [1, 2, 3, 4, 5]));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'extra-idx1-ubyte', '2 extra bytes');
  });

  it('.gz file that is not gzip', async () => {
    const file = write('train-labels-idx1-ubyte.gz', idxBytes(0x08, [2], [1, 2]));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 'train-labels-idx1-ubyte.gz', 'not gzip data');
  });

  it('corrupt (truncated) gzip', async () => {
    const gz = gzipSync(readFileSync(TEST_LABELS));
    const file = write('t10k-labels-idx1-ubyte.gz', gz.subarray(0, gz.length >> 1));
    const err = await caught(() => readIdx(file));
    expectOneLineError(err, DatasetFormatError, 't10k-labels-idx1-ubyte.gz', 'corrupt gzip data');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('corrupt gzip is also caught by parseIdx', async () => {
    const gz = Buffer.from(gzipSync(idxBytes(0x08, [4], [1, 2, 3, 4])));
    gz[gz.length - 6]! ^= 0xff; // break the CRC
    const err = await caught(() => parseIdx(gz, 'crc.gz'));
    expectOneLineError(err, DatasetFormatError, 'crc.gz', 'corrupt gzip data');
  });
});
