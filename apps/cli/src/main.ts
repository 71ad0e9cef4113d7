import { Command } from 'commander';
import { errorLine } from './errors.js';
import { registerFairFight } from './commands/fair-fight.js';

/** Each command lives in `commands/<name>.ts` and registers itself here. */
const COMMANDS = [registerFairFight];

export function buildProgram(): Command {
  const program = new Command('chainzrule')
    .description('ChainzRule: Polynomial Engine networks with layer-wise derivative regularization (DREG)')
    .option('--verbose', 'show stack traces on errors');
  for (const register of COMMANDS) register(program);
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
