import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { accuracy, gradientVolatility } from '@chainzrule/metrics';
import { loadModel, selectBackend } from '@chainzrule/trainer';
import { IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from '../datasets.js';
import { UsageError } from '../errors.js';
import { readMetadata } from './train.js';

interface EvalOptions {
  model: string;
  dataset: ImageDatasetName;
  data?: string;
  json: boolean;
  backend?: string;
}

async function runEval(o: EvalOptions): Promise<void> {
  const dir = resolve(o.model);
  const meta = readMetadata(dir);
  if (meta?.dataset && meta.dataset !== o.dataset)
    throw new UsageError(`--model ${o.model} was trained on ${meta.dataset}, not ${o.dataset}; pass --dataset ${meta.dataset}`);
  await selectBackend({ requested: o.backend });
  const model = await loadModel(dir);
  const test = await loadImageDataset(o.dataset, 'test', o.data);
  const dim = test.rows * test.cols;
  const expected = model.inputs[0]?.shape[1];
  if (expected !== dim) throw new UsageError(`--model ${o.model} expects ${expected} inputs but ${o.dataset} images have ${dim} pixels`);
  const x = tf.tensor2d(test.images, [test.n, dim]);
  const logits = (t: tf.Tensor) => model.apply(t) as tf.Tensor;
  const result = { testAccuracy: accuracy(logits, x, test.labels), volatility: gradientVolatility(logits, x, test.labels), testSamples: test.n };
  x.dispose();
  model.dispose();
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    process.stdout.write(
      `test accuracy ${result.testAccuracy.toFixed(4)} on ${test.n} images\nvolatility g(x): mean ${result.volatility.mean.toFixed(3)}, p50 ${result.volatility.p50.toFixed(3)}, p99 ${result.volatility.p99.toFixed(3)}, peak ${result.volatility.peak.toFixed(3)}, tail p99/mean ${result.volatility.tailRatio.toFixed(3)}\n`,
    );
}

/** `chainzrule eval` */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a saved model: test accuracy and input-gradient volatility')
    .requiredOption('--model <dir>', 'directory written by chainzrule train --save')
    .addOption(new Option('--dataset <name>', 'dataset').choices(IMAGE_DATASETS).default('mnist'))
    .option('--data <dir>', 'directory of IDX files (raw or .gz)')
    .option('--json', 'print JSON: { testAccuracy, volatility, testSamples }', false)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'node', 'wasm', 'cpu']))
    .action(async (opts: EvalOptions) => {
      await runEval(opts);
    });
}
