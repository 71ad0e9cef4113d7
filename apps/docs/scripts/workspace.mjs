/**
 * Where the docs scripts find things.
 *
 * TensorFlow.js and the other libraries the demo needs are not dependencies of the docs app: they
 * come through the workspace packages that use them (tfjs is a peer of `@chainzrule/trainer`).
 * Resolving them from there gives the docs the very copies the packages run, so a model built by
 * `@chainzrule/trainer` and the tensors the scripts create share one tfjs engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `apps/docs`, absolute. */
export const docsDir = fileURLToPath(new URL('..', import.meta.url));
/** The repository root, absolute. */
export const repoDir = join(docsDir, '..', '..');
/** Where `typedoc` and the demo assembly write the static site. */
export const siteDir = join(docsDir, 'site');
/** Where `train-demo-models.mjs` writes the demo models and their test-set statistics. */
export const demoModelsDir = join(docsDir, 'demo-models');

const docsRequire = createRequire(join(docsDir, 'package.json'));

/** The directory of a workspace package the docs depend on (`@chainzrule/trainer` -> packages/trainer). */
export function workspacePackageDir(workspacePackage) {
  return dirname(docsRequire.resolve(`${workspacePackage}/package.json`));
}

/** The built ES-module entry point of a workspace package, absolute (e.g. packages/trainer/dist/index.js). */
export function workspaceEntry(workspacePackage) {
  const dir = workspacePackageDir(workspacePackage);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return join(dir, manifest.exports?.['.']?.import ?? manifest.main);
}

/** A `require` that resolves as if from inside the given workspace package. */
export function requireFrom(workspacePackage) {
  return createRequire(join(workspacePackageDir(workspacePackage), 'package.json'));
}

/** Absolute directory of `pkg` as `from` (a workspace package name) sees it. */
export function packageDir(from, pkg) {
  const req = requireFrom(from);
  try {
    return dirname(req.resolve(`${pkg}/package.json`));
  } catch (e) {
    if (e?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
  }
  // The package's `exports` hide package.json: walk up from its entry point.
  for (let dir = dirname(req.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === pkg) return dir;
  }
  throw new Error(`cannot find the directory of ${pkg} (resolved from ${from})`);
}

/** The tfjs modules the workspace packages use: core, layers (which registers gradients) and the cpu backend. */
export async function loadTfjs() {
  const req = requireFrom('@chainzrule/trainer');
  const tf = await import(req.resolve('@tensorflow/tfjs-core'));
  const tfl = await import(req.resolve('@tensorflow/tfjs-layers'));
  return { tf: tf.default ?? tf, tfl: tfl.default ?? tfl };
}
