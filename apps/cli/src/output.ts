import { accessSync, constants, existsSync, linkSync, mkdirSync, readdirSync, rmdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** `runs/<timestamp>` under the working directory, e.g. `runs/2026-12-03T12-00-00-123`. */
export function defaultOutDir(now = new Date()): string {
  return join('runs', now.toISOString().slice(0, 23).replace(/[:.]/g, '-'));
}

/**
 * Creates (or checks) the output directory before any work starts, so a bad `--out` fails in
 * a second, not after training. Refuses to overwrite an existing result file. With no `--out`,
 * a fresh `runs/<timestamp>[-k]` directory is claimed atomically, so two runs started at once
 * never share one.
 */
export function prepareOutDir(dir: string | undefined, files: string[], flag = '--out'): { path: string; cleanup: () => void } {
  if (dir === undefined) return claimFreshDir(defaultOutDir());
  if (dir.trim() === '') throw new UsageError(`${flag} is empty; give a directory path`);
  const abs = resolve(dir);
  const created = missingAncestors(abs);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`${flag} ${dir}: exists and is not a directory; choose another ${flag}`);
  try {
    makeDirs(abs);
    accessSync(abs, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${flag} ${dir}: cannot write there (${code}); choose a writable directory`);
  }
  const cleanup = () => removeIfEmpty(created);
  for (const f of files)
    if (existsSync(join(abs, f))) {
      cleanup();
      throw new UsageError(`${flag} ${dir}: ${f} already exists; choose another ${flag} or remove it`);
    }
  return { path: abs, cleanup };
}

function claimFreshDir(base: string): { path: string; cleanup: () => void } {
  const parent = resolve(dirname(base));
  const created = missingAncestors(parent);
  try {
    makeDirs(parent);
  } catch (e) {
    throw new UsageError(`${dirname(base)}: cannot create the default output directory (${(e as NodeJS.ErrnoException).code ?? 'error'}); pass --out DIR`);
  }
  for (let k = 1; ; k++) {
    const abs = resolve(k === 1 ? base : `${base}-${k}`);
    try {
      mkdirSync(abs); // fails with EEXIST if another run took it
      return { path: abs, cleanup: () => removeIfEmpty([abs, ...created]) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`${base}: cannot create the output directory (${(e as NodeJS.ErrnoException).code}); pass --out DIR`);
    }
  }
}

/** The directories `makeDirs(abs)` would create, deepest first. */
function missingAncestors(abs: string): string[] {
  const out: string[] = [];
  for (let d = abs; !existsSync(d) && dirname(d) !== d; d = dirname(d)) out.push(d);
  return out;
}

/** Leaves no empty directory behind when a command fails before writing anything. */
function removeIfEmpty(dirs: string[]): void {
  for (const d of dirs) {
    try {
      if (readdirSync(d).length === 0) rmdirSync(d);
      else return;
    } catch {
      return;
    }
  }
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

/**
 * Writes a new file atomically and never replaces an existing one: the complete content goes
 * to a temporary file, which is then hard-linked to `path` (the link fails if `path` exists).
 */
export function writeNewFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} appeared while this run was working; not overwritten, the results are in ${tmp}`);
    throw e;
  }
  unlinkSync(tmp);
}

/** A progress or status line on stderr (stdout holds only the results), unless `quiet`. */
export function log(quiet: boolean, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

/** The line naming the backend in use, and why the ones before it were skipped. */
export function backendLine(backend: { name: string; skipped: { name: string; reason: string }[] }): string {
  const skipped = backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `chainzrule: backend ${backend.name}${skipped ? ` (skipped ${skipped})` : ''}`;
}

/** Runs `work` in a prepared output directory (see `prepareOutDir`), removing what it created if `work` fails. */
export async function withOutDir(dir: string | undefined, files: string[], work: (path: string) => Promise<void>): Promise<void> {
  const out = prepareOutDir(dir, files);
  try {
    await work(out.path);
  } catch (e) {
    out.cleanup();
    throw e;
  }
}
