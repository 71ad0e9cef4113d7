import { mkdirSync, readdirSync, rmdirSync, renameSync, writeFileSync, existsSync, accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** `runs/<timestamp>` under the working directory, e.g. `runs/2026-12-03T12-00-00`. */
export function defaultOutDir(now = new Date()): string {
  return join('runs', now.toISOString().slice(0, 19).replace(/:/g, '-'));
}

/**
 * Creates (or checks) the output directory before any work starts, so a bad `--out` fails in
 * a second, not after training. Refuses to overwrite an existing `results.json`.
 */
export function prepareOutDir(dir: string, files: string[]): { path: string; cleanup: () => void } {
  const abs = resolve(dir);
  const existed = existsSync(abs);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`--out ${dir}: exists and is not a directory; choose another --out`);
  try {
    makeDirs(abs);
    accessSync(abs, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--out ${dir}: cannot write there (${code}); choose a writable directory`);
  }
  const cleanup = () => {
    // Leave no empty directory behind when the command fails before writing anything.
    if (!existed && readdirSync(abs).length === 0) rmdirSync(abs);
  };
  for (const f of files)
    if (existsSync(join(abs, f))) {
      cleanup();
      throw new UsageError(`--out ${dir}: ${f} already exists; choose another --out or remove it`);
    }
  return { path: abs, cleanup };
}

/**
 * `mkdir -p` one level at a time: Node's recursive mkdir can spin forever on some
 * file systems (e.g. under /proc) instead of failing.
 */
function makeDirs(abs: string): void {
  if (existsSync(abs)) return;
  const parent = dirname(abs);
  if (parent !== abs) makeDirs(parent);
  mkdirSync(abs);
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
