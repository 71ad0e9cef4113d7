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
