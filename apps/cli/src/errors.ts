/**
 * How the command reports failure: one line on stderr, no stack trace (unless --verbose), and a
 * non-zero exit code.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Formats any error as the single line a user sees. */
export function errorLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `chainzrule: error: ${message.split('\n')[0]}`;
}

/** Ends the command with a given exit code and a one-line message (e.g. 130 after Ctrl-C). */
export class CommandExit extends Error {
  override name = 'CommandExit';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
