import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { trainingGradientVolatility, type TrainingGradientSummary } from '@chainzrule/metrics';
import { countParams, loadModel, MEASURE_DEFAULTS, measureModel, selectBackend, type MeasureSettings, type ModelMeasurements } from '@chainzrule/trainer';
import { IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from '../datasets.js';
import { UsageError } from '../errors.js';
import { integer, number } from '../options.js';
import { readMetadata } from './train.js';

interface VolatilityOptions {
  model: string;
  dataset: ImageDatasetName;
  data?: string;
  json: boolean;
  backend?: string;
  fgsmEps: number[];
  radius: number;
  directions: number;
  sensitivitySamples: number;
  testLimit?: number;
}

/** What `chainzrule volatility --json` prints. */
export interface VolatilityReport extends ModelMeasurements {
  model: string;
  dataset: string;
  backend: string;
  params: number;
  testSamples: number;
  /** from the training run (chainzrule.json or the last checkpoint), null when the directory has none */
  trainingGradient: TrainingGradientSummary | null;
}

/** `--fgsm-eps 0.05,0.1`: step sizes in [0, 1]. */
function epsilonList(value: string): number[] {
  const parse = number('fgsm-eps', (n) => n >= 0 && n <= 1, 'comma-separated numbers in [0, 1]');
  const list = value.split(',').map((s) => parse(s.trim()));
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('fgsm-eps lists a value twice.');
  return list;
}

/**
 * The per-step gradient norms of the run that produced the model: `trainingGradient` in
 * chainzrule.json if present, else the `gradNorms` of the latest checkpoint's state.
 */
function trainingGradientOf(dir: string): TrainingGradientSummary | null {
  const meta = readMetadata(dir) as { trainingGradient?: TrainingGradientSummary } | null;
  if (meta?.trainingGradient) return meta.trainingGradient;
  try {
    const pointer = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { latest?: string };
    if (!pointer.latest) return null;
    const state = JSON.parse(readFileSync(join(dir, pointer.latest, 'state.json'), 'utf8')) as { state?: { gradNorms?: number[] } };
    const norms = state.state?.gradNorms;
    return norms?.length ? trainingGradientVolatility(norms) : null;
  } catch {
    return null;
  }
}

async function runVolatility(o: VolatilityOptions): Promise<void> {
  const dir = resolve(o.model);
  if (!existsSync(dir)) throw new UsageError(`--model ${o.model}: no such directory; pass a directory holding model.json and weights.bin`);
  const meta = readMetadata(dir);
  if (meta?.dataset && meta.dataset !== o.dataset)
    throw new UsageError(`--model ${o.model} was trained on ${meta.dataset}, not ${o.dataset}; pass --dataset ${meta.dataset}`);
  const backend = await selectBackend({ requested: o.backend });
  const model = await loadModel(dir);
  try {
    const test = await loadImageDataset(o.dataset, 'test', o.data, o.testLimit);
    const dim = test.rows * test.cols;
    // Any model whose input holds one image: flat [784] or shaped like [28, 28, 1].
    const inputShape = model.inputs[0]!.shape.slice(1);
    const size = inputShape.reduce<number>((a, b) => a * (b ?? Number.NaN), 1);
    if (size !== dim)
      throw new UsageError(`--model ${o.model} expects inputs of shape [${inputShape.join(', ')}] but ${o.dataset} images have ${dim} pixels`);
    const settings: MeasureSettings = {
      ...MEASURE_DEFAULTS,
      fgsmEpsilons: o.fgsmEps,
      sensitivity: { ...MEASURE_DEFAULTS.sensitivity, radius: o.radius, directions: o.directions, samples: o.sensitivitySamples },
    };
    const x = tf.tensor(test.images, [test.n, ...(inputShape as number[])]);
    let measured: ModelMeasurements;
    try {
      measured = measureModel(model, x, test.labels, settings);
    } finally {
      x.dispose();
    }
    const report: VolatilityReport = {
      model: dir,
      dataset: o.dataset,
      backend: backend.name,
      params: countParams(model),
      testSamples: test.n,
      ...measured,
      trainingGradient: trainingGradientOf(dir),
    };
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : renderVolatility(report));
  } finally {
    model.dispose();
  }
}

const f = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

export function renderVolatility(r: VolatilityReport): string {
  const s = r.localSensitivity;
  const lines = [
    `${r.model}: ${r.params.toLocaleString('en-US')} parameters; ${r.dataset} test set, ${r.testSamples} images; backend ${r.backend}`,
    `test accuracy            ${r.testAccuracy.toFixed(4)}`,
    `g(x) = |grad_x f_y|      mean ${f(r.volatility.mean)}  p50 ${f(r.volatility.p50)}  p99 ${f(r.volatility.p99)}  peak ${f(r.volatility.peak)}  tail p99/mean ${f(r.volatility.tailRatio)}`,
    `|grad_x loss|            mean ${f(r.lossVolatility.mean)}  p50 ${f(r.lossVolatility.p50)}  p99 ${f(r.lossVolatility.p99)}  peak ${f(r.lossVolatility.peak)}  tail p99/mean ${f(r.lossVolatility.tailRatio)}`,
    `local sensitivity        mean ${f(s.mean)}  p50 ${f(s.p50)}  p99 ${f(s.p99)}  peak ${f(s.peak)}  (radius ${s.radius}, ${s.directions} directions, first ${s.samples} images)`,
    r.lipschitzBound === null
      ? `Lipschitz bound          n/a: ${r.lipschitzUnavailable}`
      : `Lipschitz bound          ${f(r.lipschitzBound)} = ${r.lipschitzLayers.map((l) => `${f(l.factor)} (${l.name})`).join(' x ')}`,
    `FGSM accuracy            ${r.fgsm.map((p) => `eps ${p.epsilon}: ${p.accuracy.toFixed(4)}`).join(', ') || 'no epsilon given'}`,
    r.trainingGradient
      ? `training |grad_theta L|  mean ${f(r.trainingGradient.mean)}  std ${f(r.trainingGradient.std)}  p99 ${f(r.trainingGradient.p99)}  peak ${f(r.trainingGradient.peak)} over ${r.trainingGradient.steps} steps`
      : 'training |grad_theta L|  n/a: the model directory has no training history (chainzrule.json trainingGradient or a checkpoint)',
  ];
  return `${lines.join('\n')}\n`;
}

/** `chainzrule volatility` */
export function registerVolatility(program: Command): void {
  const d = MEASURE_DEFAULTS;
  program
    .command('volatility')
    .description(
      'measure a saved model on a test set: accuracy, input-gradient volatility (logit and loss), local sensitivity, certified Lipschitz bound, FGSM accuracy and (when recorded) training gradient volatility',
    )
    .requiredOption('--model <dir>', 'model directory (model.json + weights.bin), e.g. from chainzrule train --save')
    .addOption(new Option('--dataset <name>', 'dataset').choices(IMAGE_DATASETS).default('mnist'))
    .option('--data <dir>', 'directory of IDX files (raw or .gz); default for mnist: the bundled copy')
    .option('--fgsm-eps <list>', 'FGSM step sizes, comma-separated, pixels in [0, 1]', epsilonList, d.fgsmEpsilons)
    .option('--radius <x>', 'L2 radius of the local-sensitivity perturbations', number('radius', (n) => n > 0, 'a number > 0'), d.sensitivity.radius)
    .option('--directions <k>', 'random directions per image for local sensitivity', integer('directions', 1, 10_000), d.sensitivity.directions)
    .option('--sensitivity-samples <n>', 'local sensitivity on the first n test images', integer('sensitivity samples', 1), d.sensitivity.samples)
    .option('--test-limit <n>', 'use only the first n test images', integer('test limit', 1))
    .option('--json', 'print one JSON object instead of text', false)
    .addOption(new Option('--backend <name>', 'tfjs backend (default: CHAINZRULE_BACKEND, else auto)').choices(['auto', 'node', 'wasm', 'cpu']))
    .action(async (opts: VolatilityOptions) => {
      await runVolatility(opts);
    });
}
