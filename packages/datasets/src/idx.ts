/*
 * Reader for the IDX format used by MNIST, Fashion-MNIST and friends
 * (http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS").
 *
 * Layout: a 4-byte magic number (two zero bytes, a type code, the number of
 * dimensions), one big-endian uint32 per dimension, then the values in
 * row-major order, big-endian.
 */

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { DatasetFormatError, DatasetNotFoundError } from './errors.js';

/** Element types an IDX file can hold. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array that holds the values for each {@link IdxDtype}. */
export interface IdxDataByDtype {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/** Any of the typed arrays in {@link IdxDataByDtype}. */
export type IdxTypedArray = IdxDataByDtype[IdxDtype];

/**
 * A decoded IDX file: a dense row-major array.
 *
 * It is a union discriminated by `dtype`, so checking `dtype === 'uint8'`
 * narrows `data` to `Uint8Array`.
 */
export type IdxArray = {
  [D in IdxDtype]: {
    /** Element type, from the magic number's type code. */
    dtype: D;
    /** Dimension sizes, outermost first (e.g. `[60000, 28, 28]`). */
    shape: number[];
    /** `product(shape)` values in row-major order, already in host byte order. */
    data: IdxDataByDtype[D];
  };
}[IdxDtype];

interface TypeInfo {
  dtype: IdxDtype;
  size: number;
  /** Spelling used in IDX file names (`idx3-ubyte`) and in messages. */
  word: string;
}

const TYPES: ReadonlyMap<number, TypeInfo> = new Map([
  [0x08, { dtype: 'uint8', size: 1, word: 'ubyte' }],
  [0x09, { dtype: 'int8', size: 1, word: 'byte' }],
  [0x0b, { dtype: 'int16', size: 2, word: 'short' }],
  [0x0c, { dtype: 'int32', size: 4, word: 'int' }],
  [0x0d, { dtype: 'float32', size: 4, word: 'float' }],
  [0x0e, { dtype: 'float64', size: 8, word: 'double' }],
]);

const TYPE_LIST = '08 ubyte, 09 byte, 0B short, 0C int, 0D float, 0E double';

const gunzipAsync = promisify(gunzip);

const hex8 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
const hex2 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Reads and decodes an IDX file, raw or gzip-compressed.
 *
 * Compression is detected from the content (gzip magic bytes `1f 8b`), not
 * from the name, because downloads are often renamed or served already
 * decompressed. Decompression runs on the libuv thread pool.
 *
 * @param path - path of the file.
 * @returns the decoded array; for `uint8`/`int8` files `data` is a view into
 *   the file's bytes rather than a copy.
 * @throws {@link DatasetNotFoundError} if `path` does not exist or is a directory.
 * @throws {@link DatasetFormatError} if the content is not a valid IDX file
 *   (see {@link parseIdx}).
 */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw asNotFound(path, err) ?? err;
  }
  if (isGzip(bytes)) {
    let raw: Buffer;
    try {
      raw = await gunzipAsync(bytes);
    } catch (err) {
      throw asCorruptGzip(path, err) ?? err;
    }
    return decode(raw, path);
  }
  rejectFakeGz(bytes, path);
  return decode(bytes, path);
}

/**
 * Decodes IDX bytes already in memory, gunzipping them first if they start
 * with the gzip magic bytes.
 *
 * @param buffer - the file contents (a Node `Buffer` works too).
 * @param file - name used in error messages and in `DatasetFormatError.file`;
 *   a name ending in `.gz` requires gzip content.
 * @returns the decoded array; for `uint8`/`int8` data `data` is a view into
 *   `buffer` (or into the decompressed copy), so do not reuse `buffer`
 *   while the result is alive.
 * @throws {@link DatasetFormatError} when the bytes are shorter than the
 *   header, the magic number is wrong (nonzero first bytes or unknown type
 *   code), there are zero dimensions, the data is shorter or longer than the
 *   dimensions say, or gzip data is corrupt or missing.
 */
export function parseIdx(buffer: Uint8Array, file: string): IdxArray {
  if (isGzip(buffer)) {
    let raw: Buffer;
    try {
      raw = gunzipSync(buffer);
    } catch (err) {
      throw asCorruptGzip(file, err) ?? err;
    }
    return decode(raw, file);
  }
  rejectFakeGz(buffer, file);
  return decode(buffer, file);
}

function isGzip(bytes: Uint8Array): boolean {
  // An IDX file always starts with two zero bytes, so this cannot misfire.
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function rejectFakeGz(bytes: Uint8Array, file: string): void {
  if (!/\.gz$/i.test(file)) return;
  const start =
    bytes.length === 0
      ? 'the file is empty'
      : `it starts with ${Array.from(bytes.subarray(0, 2), hex2).join(' ')} instead of 0x1F 0x8B`;
  throw new DatasetFormatError(
    file,
    `not gzip data (${start}); if it is an already-decompressed IDX file remove the .gz suffix, otherwise re-download it`,
  );
}

function asCorruptGzip(file: string, err: unknown): DatasetFormatError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  // Only zlib's own data errors mean "bad file"; anything else (out of
  // memory, buffer too large) is a different problem and is rethrown as is.
  if (typeof code !== 'string' || !code.startsWith('Z_')) return undefined;
  return new DatasetFormatError(
    file,
    `corrupt gzip data (${(err as Error).message}); the download is probably incomplete, re-download the file`,
    { cause: err },
  );
}

function asNotFound(path: string, err: unknown): DatasetNotFoundError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new DatasetNotFoundError(
      path,
      `${path}: no such file; check the path or download the file`,
      [basename(path)],
    );
  }
  if (code === 'EISDIR') {
    return new DatasetNotFoundError(
      path,
      `${path}: is a directory, but an IDX file is expected; pass a file inside it, or pass the directory as \`dir\` to loadMnist / loadFashionMnist`,
      [basename(path)],
    );
  }
  return undefined;
}

/** What the file name says the magic number should be, if it follows the usual naming. */
function expectedFromName(file: string): string {
  const m = /idx(\d+)-(ubyte|byte|short|int|float|double)/i.exec(basename(file));
  if (m) {
    const ndim = Number(m[1]);
    const word = m[2]!.toLowerCase();
    for (const [code, info] of TYPES) {
      if (info.word === word && ndim > 0 && ndim < 256) {
        return `expected ${hex8((code << 8) | ndim)} for ${info.dtype} data with ${ndim} dimension${ndim === 1 ? '' : 's'}, as the file name says`;
      }
    }
  }
  return `expected 0x0000TTDD with type code TT in {${TYPE_LIST}} and DD dimensions`;
}

function decode(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new DatasetFormatError(
      file,
      `too short for an IDX header (${bytes.length} bytes, need at least 4); the file is truncated or is not an IDX file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeCode = bytes[2]!;
  const ndim = bytes[3]!;
  const info = TYPES.get(typeCode);

  if (bytes[0] !== 0 || bytes[1] !== 0) {
    // A header written with the wrong byte order is a common home-made mistake.
    const swapped = bytes[2] === 0 && bytes[3] === 0 && TYPES.has(bytes[1]!);
    const detail = swapped
      ? 'the bytes look reversed: IDX headers are big-endian'
      : `the first two bytes must be zero; ${expectedFromName(file)}`;
    throw new DatasetFormatError(file, `bad magic number ${hex8(magic)} (${detail}); is this an IDX file?`);
  }
  if (info === undefined) {
    throw new DatasetFormatError(
      file,
      `bad magic number ${hex8(magic)} (unknown type code ${hex2(typeCode)}; ${expectedFromName(file)}); is this an IDX file?`,
    );
  }
  if (ndim === 0) {
    throw new DatasetFormatError(
      file,
      `header declares zero dimensions (magic number ${hex8(magic)}); an IDX file has at least one, so the file is corrupt or is not an IDX file`,
    );
  }

  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DatasetFormatError(
      file,
      `too short for an IDX header (${bytes.length} bytes, need ${headerBytes} for ${ndim} dimensions); the file is truncated or is not an IDX file`,
    );
  }
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));

  // BigInt because four uint32 dimensions can multiply past 2^53.
  const count = shape.reduce((acc, d) => acc * BigInt(d), 1n);
  const expected = count * BigInt(info.size);
  const found = BigInt(bytes.length - headerBytes);
  const what = `${info.dtype} [${shape.join(', ')}]`;
  if (found < expected) {
    throw new DatasetFormatError(
      file,
      `truncated: expected ${expected} bytes of data for ${what}, found ${found}; re-download the file`,
    );
  }
  if (found > expected) {
    throw new DatasetFormatError(
      file,
      `${found - expected} extra bytes after the ${expected} bytes of data for ${what}; the header does not match the data, re-download the file`,
    );
  }

  const n = Number(count);
  const offset = bytes.byteOffset + headerBytes;
  const body = new DataView(bytes.buffer, offset, Number(expected));
  switch (info.dtype) {
    // Single-byte types have no byte order, so a view avoids copying what can
    // be tens of megabytes.
    case 'uint8':
      return { dtype: 'uint8', shape, data: new Uint8Array(bytes.buffer, offset, n) };
    case 'int8':
      return { dtype: 'int8', shape, data: new Int8Array(bytes.buffer, offset, n) };
    // Multi-byte types are big-endian on disk; DataView converts regardless of
    // the host's byte order.
    case 'int16': {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) data[i] = body.getInt16(2 * i, false);
      return { dtype: 'int16', shape, data };
    }
    case 'int32': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = body.getInt32(4 * i, false);
      return { dtype: 'int32', shape, data };
    }
    case 'float32': {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = body.getFloat32(4 * i, false);
      return { dtype: 'float32', shape, data };
    }
    case 'float64': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = body.getFloat64(8 * i, false);
      return { dtype: 'float64', shape, data };
    }
  }
}
