/**
 * `chainzrule fair-fight --dataset yelp --data DIR`: the Fair Fight on Yelp reviews (ordinal
 * regression, 1-5 stars). DIR holds `train.csv` and `test.csv` in the Yelp Full format. Both files
 * are streamed on every pass: the full 650k-row benchmark trains in flat memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';
import { join } from 'node:path';
import {
  DEFAULT_MAX_TOKENS,
  balancingKeepRates,
  hashedNgramIds,
  isValidationRow,
  keepForBalance,
  readYelpCsv,
  scanYelpCsv,
  yelpFiles,
  type ValidationSplit,
  type YelpScan,
} from '@chainzrule/datasets';
import {
  TEXT_FAIR_FIGHT_DEFAULTS,
  TEXT_HEADS,
  runTextFairFight,
  selectBackend,
  type TextExample,
  type TextFairFightConfig,
  type TextHead,
  type TextModelKind,
  type TextRunResult,
  type TextSource,
} from '@chainzrule/trainer';
import { UsageError } from '../errors.js';
import { integer, number } from '../options.js';
import { backendLine, log, withOutDir, writeNewFileAtomic } from '../output.js';
import type { FairFightOptions } from './fair-fight.js';

/** The fair-fight options the Yelp flow reads (shared ones plus the Yelp-only ones). */
export interface YelpFairFightOptions
  extends Pick<FairFightOptions, 'data' | 'epochs' | 'seeds' | 'batchSize' | 'lr' | 'lambda' | 'regularizer' | 'trainLimit' | 'out' | 'backend' | 'quiet'> {
  skipBadRows: boolean;
  head?: TextHead;
  hidden?: number;
  embeddingDim?: number;
  buckets?: number;
  validationFraction: number;
  balance: boolean;
}

const D = TEXT_FAIR_FIGHT_DEFAULTS;
/** Shared options whose MNIST default is replaced by the Yelp default when not given. */
const YELP_DEFAULTS = { epochs: D.epochs, seeds: D.seeds, batchSize: D.batchSize, lr: D.learningRate, lambda: D.lambda } as const;
/** Options that only the Yelp flow reads. */
const YELP_ONLY = ['skipBadRows', 'head', 'hidden', 'embeddingDim', 'buckets', 'validationFraction', 'balance'] as const;
/** Image-only options, with why the Yelp flow has no use for them. */
const IMAGE_ONLY = {
  models: 'the Yelp Fair Fight always trains chainzrule and baseline-relu',
  jobs: 'the Yelp Fair Fight trains its runs one after the other',
  testLimit: 'the Yelp Fair Fight measures the whole test.csv',
} as const;
const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Adds the Yelp-only options to the fair-fight command. */
export function addYelpOptions(command: Command): Command {
  return command
    .option('--skip-bad-rows', 'yelp: skip malformed CSV rows (reported with their count) instead of stopping', false)
    .addOption(new Option('--head <kind>', `yelp: output head (default ${D.head})`).choices(TEXT_HEADS))
    .option('--hidden <n>', `yelp: hidden width of both models (default ${D.hidden})`, integer('hidden', 1, 65_536))
    .option('--embedding-dim <n>', `yelp: embedding size (default ${D.embeddingDim})`, integer('embedding dim', 1, 4096))
    .option('--buckets <n>', `yelp: hash buckets for unigram and bigram ids (default ${D.buckets})`, integer('buckets', 1, 2 ** 26))
    .option('--validation-fraction <x>', 'yelp: fraction of train.csv held out for validation (by a hash of the line number)', number('validation fraction', (n) => n >= 0 && n < 1, 'a number in [0, 1)'), 0.1)
    .option('--balance', 'yelp: subsample the training part to equal class counts', false);
}

/** The MNIST flow calls this: a Yelp-only option given with another dataset is an error, not ignored. */
export function rejectYelpOnlyOptions(cmd: Command): void {
  for (const key of YELP_ONLY)
    if (cmd.getOptionValueSource(key) === 'cli') throw new UsageError(`${flag(key)} applies only to --dataset yelp`);
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** Entry point from the fair-fight action when `--dataset yelp`. */
export async function fairFightYelpCommand(raw: YelpFairFightOptions, cmd: Command): Promise<void> {
  for (const [key, why] of Object.entries(IMAGE_ONLY))
    if (cmd.getOptionValueSource(key) === 'cli') throw new UsageError(`${flag(key)} does not apply to --dataset yelp (${why}); remove it`);
  if (!raw.data) throw new UsageError('--dataset yelp needs --data DIR, a directory holding train.csv and test.csv (yelp_review_full_csv)');
  const o = { ...raw };
  for (const [key, value] of Object.entries(YELP_DEFAULTS)) if (cmd.getOptionValueSource(key) !== 'cli') (o as Record<string, unknown>)[key] = value;
  await withOutDir(o.out, ['results.json'], (dir) => fairFightYelp(o, dir));
}

async function fairFightYelp(o: YelpFairFightOptions, outDir: string): Promise<void> {
  const started = performance.now();
  const files = await yelpFiles(o.data!);
  const backend = await selectBackend({ requested: o.backend });

  const config: TextFairFightConfig = {
    ...D,
    epochs: o.epochs,
    seeds: o.seeds,
    batchSize: o.batchSize,
    learningRate: o.lr,
    lambda: o.lambda,
    regularizers: o.regularizer ?? [{ name: 'jacobian-frobenius', config: {} }],
    head: o.head ?? D.head,
    hidden: o.hidden ?? D.hidden,
    embeddingDim: o.embeddingDim ?? D.embeddingDim,
    buckets: o.buckets ?? D.buckets,
  };
  const split: ValidationSplit = { fraction: o.validationFraction, seed: 0 };
  const readOptions = { skipBadRows: o.skipBadRows, limit: o.trainLimit };

  // One validating, counting pass over each file before any training: a bad row fails in seconds.
  const reportBad = (scan: YelpScan) => {
    if (scan.badRows === 0) return;
    const first = scan.firstBadRows[0]!;
    log(o.quiet, `chainzrule: skipped ${scan.badRows} malformed row${scan.badRows === 1 ? '' : 's'} in ${scan.file} (first: line ${first.line}: ${first.reason})`);
  };
  const trainScan = await scanYelpCsv(files.train, { ...readOptions, split });
  reportBad(trainScan);
  const testScan = await scanYelpCsv(files.test, { skipBadRows: o.skipBadRows });
  reportBad(testScan);
  const trainRows = trainScan.trainCounts.reduce((a, b) => a + b, 0);
  const validationRows = trainScan.validationCounts.reduce((a, b) => a + b, 0);
  if (trainRows === 0) throw new UsageError(`${files.train}: no training rows${o.validationFraction > 0 ? ' left after the validation split' : ''}; check the file or lower --validation-fraction`);
  if (testScan.rows === 0) throw new UsageError(`${files.test}: no rows; the test file is empty`);
  // announced once the input is known to be good, so that a user error stays a single line
  log(o.quiet, backendLine(backend));

  const rates = o.balance ? balancingKeepRates(trainScan.trainCounts) : null;
  const featurise = { buckets: config.buckets };
  const examples = (file: string, keep: (line: number, label: number) => boolean, limit?: number): TextSource =>
    async function* () {
      // Bad rows were reported by the scan; later passes skip the same rows without repeating it.
      for await (const row of readYelpCsv(file, { skipBadRows: o.skipBadRows, limit }))
        if (keep(row.line, row.label - 1)) yield { ids: hashedNgramIds(row.text, featurise), label: row.label - 1 } satisfies TextExample;
    };
  let trainSeen = 0;
  const trainSource = examples(files.train, (line, cls) => !isValidationRow(line, split) && (rates === null || keepForBalance(line, cls, rates)), o.trainLimit);
  const countingTrain: TextSource = async function* () {
    let n = 0;
    for await (const ex of trainSource()) {
      n++;
      yield ex;
    }
    trainSeen = n;
  };
  const trainCounts = rates ? trainScan.trainCounts.map((n, c) => n * rates[c]!) : trainScan.trainCounts;
  const expectedTrain = Math.round(trainCounts.reduce((a, b) => a + b, 0));
  log(
    o.quiet,
    `chainzrule: yelp from ${o.data}: ${trainRows} train${rates ? ` (about ${expectedTrain} after --balance)` : ''}, ${validationRows} validation, ${testScan.rows} test; head ${config.head}`,
  );

  const useBar = !o.quiet && process.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  const stepsPerEpoch = Math.ceil(expectedTrain / config.batchSize);
  let lastLog = performance.now();
  const result = await runTextFairFight(
    {
      train: countingTrain,
      validation: validationRows > 0 ? examples(files.train, (line) => isValidationRow(line, split), o.trainLimit) : undefined,
      test: examples(files.test, () => true),
      trainCounts,
      trainSize: expectedTrain,
    },
    config,
    {
      onRunStart: (model: TextModelKind, seed: number) => {
        if (!useBar) return;
        bar = new SingleBar(
          { format: `${model.padEnd(13)} seed ${seed} {bar} epoch {epoch}/{epochs} step {step}/{steps} | mean loss {loss} | {sps} samples/s`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(config.epochs * stepsPerEpoch, 0, { epoch: 1, epochs: config.epochs, step: 0, steps: stepsPerEpoch, loss: '-', sps: '-' });
      },
      onStep: (model, seed, info) => {
        if (!bar) {
          // Without a terminal, a line a minute: an epoch of the full benchmark takes minutes.
          if (!o.quiet && performance.now() - lastLog > 60_000) {
            lastLog = performance.now();
            log(o.quiet, `${model} seed ${seed}: epoch ${info.epoch}/${info.epochs} step ${info.step}/${stepsPerEpoch} mean loss ${fmt(info.epochLoss, 4)} ${fmt(info.samplesPerSecond, 0)} samples/s`);
          }
          return;
        }
        bar.update(Math.min((info.epoch - 1) * stepsPerEpoch + info.step, config.epochs * stepsPerEpoch), {
          epoch: info.epoch,
          epochs: info.epochs,
          step: info.step,
          steps: stepsPerEpoch,
          loss: fmt(info.epochLoss, 4),
          sps: fmt(info.samplesPerSecond, 0),
        });
      },
      onEpochEnd: (model, seed, epoch, v) => {
        if (bar) return;
        log(o.quiet, `${model} seed ${seed}: epoch ${epoch}/${config.epochs}${v ? ` validation accuracy ${fmt(v.accuracy, 4)} MAE ${fmt(v.mae, 4)} QWK ${fmt(v.qwk, 4)}` : ''}`);
      },
      onRunEnd: (run: TextRunResult) => {
        bar?.stop();
        bar = null;
        log(o.quiet, `${run.model} seed ${run.seed}: test accuracy ${fmt(run.testAccuracy, 4)}, MAE ${fmt(run.mae, 4)}, QWK ${fmt(run.qwk, 4)}, ${fmt(run.trainSeconds, 1)} s`);
      },
    },
  );

  const results = {
    dataset: 'yelp',
    backend: backend.name,
    config: {
      ...config,
      heads: Object.fromEntries(config.models.map((m) => [m, config.head])),
      featurisation: { tokens: 'lower-cased words and ! ?', ngrams: 2, hash: 'fnv1a-32 mod buckets', maxTokens: DEFAULT_MAX_TOKENS },
      embeddingOptimizer: 'Adam applied lazily to the embedding rows of each batch (same lr and betas)',
      volatilityInput: 'pooled embedding (input of the dense part)',
      validationFraction: o.validationFraction,
      balance: o.balance,
      trainSamples: trainSeen,
      validationSamples: validationRows,
      testSamples: testScan.rows,
      trainClassCounts: trainScan.trainCounts,
      skippedBadRows: { train: trainScan.badRows, test: testScan.badRows },
      dataSource: o.data,
      tfjsVersion: tf.version_core,
    },
    runs: result.runs,
    summary: result.summary,
    wallSeconds: (performance.now() - started) / 1000,
  };
  const path = join(outDir, 'results.json');
  writeNewFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderYelpTable(result.runs)}\n`);
  const s = result.summary;
  process.stdout.write(
    `majority class (${s.majorityClass + 1} stars, from the training part): test accuracy ${fmt(s.majorityClassAccuracy, 4)}, MAE ${fmt(s.majorityClassMae, 4)}\n`,
  );
  if (s.paramRatio !== null) process.stdout.write(`parameter ratio (baseline-relu / chainzrule): ${fmt(s.paramRatio, 2)}x\n`);
  if (s.peakVolatilityReduction !== null)
    process.stdout.write(`peak volatility reduction (1 - peak CR / peak baseline, mean over seeds): ${fmt(100 * s.peakVolatilityReduction, 1)}%\n`);
  if (trainScan.badRows + testScan.badRows > 0) process.stdout.write(`skipped malformed rows: ${trainScan.badRows} in train.csv, ${testScan.badRows} in test.csv\n`);
  process.stdout.write(`backend: ${backend.name}; results: ${path}\n`);
}

export function renderYelpTable(runs: TextRunResult[]): string {
  const table = new Table({
    head: ['model', 'head', 'seed', 'params', 'test acc', 'MAE', 'QWK', 'g mean', 'g p99', 'g peak', 'tail p99/mean', 'train s', 'samples/s'],
    style: { head: [], border: [] },
  });
  for (const r of runs)
    table.push([
      r.model,
      r.head,
      r.seed,
      r.params,
      fmt(r.testAccuracy, 4),
      fmt(r.mae, 4),
      fmt(r.qwk, 4),
      fmt(r.volatility.mean, 3),
      fmt(r.volatility.p99, 3),
      fmt(r.volatility.peak, 3),
      fmt(r.volatility.tailRatio, 3),
      fmt(r.trainSeconds, 1),
      fmt(r.samplesPerSecond, 0),
    ]);
  return table.toString();
}
