import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getRegularizer, listRegularizers } from '@chainzrule/dreg';
import { BASES, DOMAIN_MAPS, ENGINE_INITS, type PolynomialEngineConfig } from '@chainzrule/polynomial';
import { accuracy, gradientVolatility } from '@chainzrule/metrics';
import {
  buildModel,
  countParams,
  FAIR_FIGHT_DEFAULTS,
  hasCheckpoint,
  loadCheckpoint,
  MODEL_KINDS,
  saveCheckpoint,
  saveModel,
  selectBackend,
  train,
  TrainingInterrupted,
  type ModelKind,
  type RegularizerSpec,
  type TrainState,
} from '@chainzrule/trainer';
import { IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from '../datasets.js';
import { CommandExit, UsageError } from '../errors.js';
import { integer, number, regularizerOption } from '../options.js';
import { backendLine, log, prepareOutDir, writeFileAtomic } from '../output.js';

/** Everything that defines a training run; stored in checkpoints and in the saved model's metadata. */
export interface TrainSettings {
  dataset: ImageDatasetName;
  data?: string;
  model: ModelKind;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  lambda: number;
  regularizers: RegularizerSpec[];
  hidden?: number;
  engine: PolynomialEngineConfig;
  trainLimit?: number;
  clipGradNorm?: number;
  checkpointEvery?: number;
}

interface TrainCliOptions extends Omit<TrainSettings, 'regularizers' | 'engine'> {
  save?: string;
  resume?: string;
  regularizer?: RegularizerSpec[];
  degree?: number;
  basis?: string;
  domain?: string;
  sharing?: string;
  init?: string;
  backend?: string;
  quiet: boolean;
}

/** The metadata file written next to model.json. */
export const METADATA = 'chainzrule.json';

async function runTrain(o: TrainCliOptions): Promise<void> {
  if (!o.save && !o.resume) throw new UsageError('train needs --save DIR (where the model and checkpoints go) or --resume DIR');
  if (o.save && o.resume) throw new UsageError('give either --save DIR for a new run or --resume DIR to continue one, not both');
  let settings: TrainSettings;
  let dir: string;
  let resumeFrom: Awaited<ReturnType<typeof loadCheckpoint<TrainSettings>>> | undefined;
  const backend = await selectBackend({ requested: o.backend });
  if (o.resume) {
    dir = resolve(o.resume);
    if (!existsSync(dir)) throw new UsageError(`--resume ${o.resume}: no such directory; pass the --save directory of the run to continue`);
    if (!hasCheckpoint(dir)) throw new UsageError(`--resume ${o.resume}: no checkpoint there (checkpoint.json is missing)`);
    resumeFrom = await loadCheckpoint<TrainSettings>(dir);
    settings = resumeFrom.settings;
    log(o.quiet, `chainzrule: resuming ${settings.model} from epoch ${resumeFrom.state.epoch + 1}, step ${resumeFrom.state.step + 1}`);
  } else {
    dir = prepareOutDir(o.save, ['model.json', 'checkpoint.json'], '--save').path;
    const engine: PolynomialEngineConfig = {};
    if (o.degree !== undefined) engine.degree = o.degree;
    if (o.basis !== undefined) engine.basis = o.basis as PolynomialEngineConfig['basis'];
    if (o.domain !== undefined) engine.domain = o.domain as PolynomialEngineConfig['domain'];
    if (o.sharing !== undefined) engine.sharing = o.sharing as PolynomialEngineConfig['sharing'];
    if (o.init !== undefined) engine.init = o.init as PolynomialEngineConfig['init'];
    settings = {
      dataset: o.dataset, data: o.data, model: o.model, seed: o.seed, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, lambda: o.lambda,
      regularizers: o.regularizer ?? (o.model === 'chainzrule' ? [{ name: 'jacobian-frobenius', config: {} }] : []),
      hidden: o.hidden, engine, trainLimit: o.trainLimit, clipGradNorm: o.clipGradNorm, checkpointEvery: o.checkpointEvery,
    };
  }

  const trainSet = await loadImageDataset(settings.dataset, 'train', settings.data, settings.trainLimit);
  // announced once the input is known to be good, so that a user error stays a single line
  log(o.quiet, backendLine(backend));
  const dim = trainSet.rows * trainSet.cols;
  const model =
    resumeFrom?.model ??
    buildModel(settings.model, { inputSize: dim, numClasses: trainSet.numClasses, seed: settings.seed, hidden: settings.hidden, engine: settings.engine });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const bar = !o.quiet && process.stderr.isTTY === true
    ? new SingleBar({ format: `${settings.model} {bar} epoch {epoch}/{epochs} step {step}/{steps} | mean loss {loss} | {sps} samples/s`, hideCursor: true, clearOnComplete: true, stream: process.stderr }, Presets.shades_classic)
    : null;
  const steps = Math.ceil(trainSet.n / Math.min(settings.batchSize, trainSet.n));
  bar?.start(settings.epochs * steps, 0, { epoch: 1, epochs: settings.epochs, step: 0, steps, loss: '-', sps: '-' });
  let lastCheckpoint = resumeFrom ? join(dir, 'checkpoint.json') : 'none';
  try {
    await train(model, { x: trainSet.images, labels: trainSet.labels, n: trainSet.n, dim, numClasses: trainSet.numClasses }, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.lr,
      seed: settings.seed,
      clipGradNorm: settings.clipGradNorm,
      checkpointEvery: settings.checkpointEvery,
      regularizers: settings.regularizers.map((r) => ({ regularizer: getRegularizer(r.name, r.config ?? {}), weight: r.weight ?? settings.lambda })),
      resume: resumeFrom?.state,
      signal: controller.signal,
      onStep: (info) => {
        const payload = { epoch: info.epoch, epochs: info.epochs, step: info.step, steps: info.stepsPerEpoch, loss: info.epochLoss.toFixed(4), sps: info.samplesPerSecond.toFixed(0) };
        if (bar) bar.update((info.epoch - 1) * info.stepsPerEpoch + info.step, payload);
        else if (info.step === info.stepsPerEpoch)
          log(o.quiet, `${settings.model}: epoch ${info.epoch}/${info.epochs} mean loss ${info.epochLoss.toFixed(4)} ${info.samplesPerSecond.toFixed(0)} samples/s`);
      },
      onCheckpoint: async (state: TrainState) => {
        lastCheckpoint = await saveCheckpoint(dir, settings, state, model);
      },
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof TrainingInterrupted) {
      throw new CommandExit(`interrupted; checkpoint saved in ${dir}; continue with: chainzrule train --resume ${dir}`, 130);
    }
    if (e instanceof Error && e.name === 'NonFiniteLossError') throw new UsageError(`${e.message}; last good checkpoint: ${lastCheckpoint}`);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    resumeFrom?.state.optimizer.weights.forEach((w) => w.tensor.dispose());
  }
  bar?.stop();

  const testSet = await loadImageDataset(settings.dataset, 'test', settings.data);
  const testX = tf.tensor2d(testSet.images, [testSet.n, dim]);
  const logits = (x: tf.Tensor) => model.apply(x) as tf.Tensor;
  const metrics = { testAccuracy: accuracy(logits, testX, testSet.labels), volatility: gradientVolatility(logits, testX, testSet.labels) };
  testX.dispose();
  await saveModel(model, dir);
  const metadata = {
    format: 'chainzrule-model/1',
    dataset: settings.dataset,
    preprocessing: { inputShape: [trainSet.rows, trainSet.cols], flatten: true, scale: '1/255' },
    numClasses: trainSet.numClasses,
    params: countParams(model),
    backend: backend.name,
    settings,
    metrics,
  };
  writeFileAtomic(join(dir, METADATA), `${JSON.stringify(metadata, null, 2)}\n`);
  process.stdout.write(
    `${settings.model}: test accuracy ${metrics.testAccuracy.toFixed(4)}, volatility mean ${metrics.volatility.mean.toFixed(3)} p99 ${metrics.volatility.p99.toFixed(3)} peak ${metrics.volatility.peak.toFixed(3)}\nsaved: ${dir}\n`,
  );
}

/** Reads a saved model's metadata (for eval and volatility). */
export function readMetadata(dir: string): { dataset?: string; preprocessing?: { inputShape: number[] } } | null {
  const path = join(dir, METADATA);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path}: damaged (not JSON); save the model again`);
  }
}

/** `chainzrule train` */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train one model on a dataset, with checkpoints; save it as model.json + weights.bin + chainzrule.json')
    .addOption(new Option('--dataset <name>', 'dataset').choices(IMAGE_DATASETS).default('mnist'))
    .option('--data <dir>', 'directory of IDX files (raw or .gz); default for mnist: the bundled copy')
    .addOption(new Option('--model <kind>', 'model to train').choices(MODEL_KINDS).default('chainzrule'))
    .option('--save <dir>', 'directory for the model and its checkpoints')
    .option('--resume <dir>', 'continue an interrupted run from its latest checkpoint (settings come from the checkpoint)')
    .option('--seed <n>', 'seed of initial weights and data order', integer('seed', 0), 0)
    .option('--epochs <n>', 'training epochs', integer('epochs', 1, 100_000), FAIR_FIGHT_DEFAULTS.epochs)
    .option('--batch-size <n>', 'mini-batch size', integer('batch size', 1, 1_000_000), FAIR_FIGHT_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', number('lr', (n) => n > 0 && n <= 10, 'a number in (0, 10]'), FAIR_FIGHT_DEFAULTS.learningRate)
    .option('--lambda <x>', 'default weight of the regularizers', number('lambda', (n) => n >= 0, 'a number >= 0'), FAIR_FIGHT_DEFAULTS.lambda)
    .option('--regularizer <spec>', `regularizer NAME[:k=v,...] (repeatable); default jacobian-frobenius for chainzrule. Names: ${listRegularizers().join(', ')}`, regularizerOption)
    .option('--hidden <n>', 'hidden width (default 32 for chainzrule, 512 for baseline-relu)', integer('hidden', 1, 100_000))
    .option('--degree <n>', 'Polynomial Engine degree', integer('degree', 1, 8))
    .addOption(new Option('--basis <name>', 'Polynomial Engine basis').choices(BASES))
    .addOption(new Option('--domain <name>', 'Polynomial Engine domain map').choices(DOMAIN_MAPS))
    .addOption(new Option('--sharing <mode>', 'coefficients per layer or per unit').choices(['shared', 'per-unit']))
    .addOption(new Option('--init <name>', 'Polynomial Engine start').choices(ENGINE_INITS))
    .option('--train-limit <n>', 'use only the first n training samples', integer('train limit', 1))
    .option('--clip-grad-norm <x>', 'rescale gradients whose global norm exceeds x', number('clip-grad-norm', (n) => n > 0, 'a positive number'))
    .option('--checkpoint-every <n>', 'also checkpoint every n steps (always at each epoch end)', integer('checkpoint-every', 1))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: CHAINZRULE_BACKEND, else auto)').choices(['auto', 'node', 'wasm', 'cpu']))
    .option('--quiet', 'no progress output', false)
    .action(async (opts: TrainCliOptions) => {
      await runTrain(opts);
    });
}
