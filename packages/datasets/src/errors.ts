/*
 * Errors thrown by the dataset loaders.
 *
 * Both classes keep their message on a single line so it stays readable in
 * log lines, test reporters and CLI output, and both carry the offending path
 * as a property so callers can react without parsing the message.
 */

// A path or a zlib message could in principle contain a line break; collapsing
// it keeps the one-line promise unconditional.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * A file exists but its contents are not what the loader needs: not IDX, not
 * gzip although named `.gz`, truncated, the wrong shape or type, or
 * inconsistent with its companion file.
 *
 * The message has the form `<file>: <problem>; <what to do>`.
 */
export class DatasetFormatError extends Error {
  override readonly name = 'DatasetFormatError';
  /** The file the problem was found in, exactly as it was passed in. */
  readonly file: string;

  /**
   * @param file - path (or label) of the offending file; it starts the message.
   * @param problem - what is wrong and how to fix it, without the file name.
   * @param options - standard error options; `cause` keeps e.g. the zlib error.
   */
  constructor(file: string, problem: string, options?: ErrorOptions) {
    super(oneLine(`${file}: ${problem}`), options);
    this.file = file;
  }
}

/**
 * A file or directory the loader needs is missing, or a directory was given
 * where a file is expected (or the other way round).
 */
export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
  /** The path that was missing or of the wrong kind (file vs directory). */
  readonly path: string;
  /** File names that were tried, in order; empty when a single path was given. */
  readonly lookedFor: readonly string[];

  /**
   * @param path - the missing or wrong-kind path.
   * @param message - complete one-line message, including the path.
   * @param lookedFor - file names that were tried.
   */
  constructor(path: string, message: string, lookedFor: readonly string[] = []) {
    super(oneLine(message));
    this.path = path;
    this.lookedFor = lookedFor;
  }
}
