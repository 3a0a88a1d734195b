/**
 * Errors a caller handles. Everything else is a plain `Error`, `RangeError` or
 * `TypeError` whose message names the failed action and the values involved.
 */

/** Input data that cannot be trusted: the file, the 1-based line and what is wrong with it. */
export class BadInputError extends Error {
  override readonly name = "BadInputError";
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
    readonly text?: string,
  ) {
    super(
      `${file}${line === null ? "" : `:${line}`}: ${reason}${
        text === undefined ? "" : ` (line: "${text}")`
      }`,
    );
  }
}
