import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { CommandExit, errorLine } from './errors.js';
import { registerFairFight } from './commands/fair-fight.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerVolatility } from './commands/volatility.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Each command lives in `commands/<name>.ts` and registers itself here. */
const COMMANDS = [registerFairFight, registerTrain, registerEval, registerVolatility];

export function buildProgram(): Command {
  const program = new Command('chainzrule')
    .description('ChainzRule: Polynomial Engine networks with layer-wise derivative regularization (DREG)')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--verbose', 'show stack traces on errors')
    .configureHelp({ showGlobalOptions: true });
  for (const register of COMMANDS) register(program);
  // Parse errors come back to main() as exceptions (printed as one line there), not process.exit.
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
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
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1.
      if (e.exitCode === 0) return 0;
      if (e.code === 'commander.help') {
        // No command given: show what there is.
        process.stderr.write(program.helpInformation());
        return 1;
      }
      process.stderr.write(`chainzrule: ${e.message.replace(/^error: /, 'error: ')} (see chainzrule --help)\n`);
      return e.exitCode || 1;
    }
    if (e instanceof CommandExit) {
      process.stderr.write(`chainzrule: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`${verbose && e instanceof Error && e.stack ? e.stack : errorLine(e)}\n`);
    return 1;
  }
}
