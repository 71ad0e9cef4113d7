// Type-checked (never run) in a fresh project against the packed @chainzrule/cli.
import { buildProgram, main } from '@chainzrule/cli';

const code: Promise<number> = main(['--version']);
const commands: string[] = buildProgram().commands.map((c) => c.name());
// @ts-expect-error main takes the argument list, not a string
void main('--help');

export { code, commands };
