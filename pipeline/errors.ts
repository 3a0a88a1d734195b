/**
 * Errors a caller handles. Everything else is a plain `Error`, `RangeError` or
 * `TypeError` whose message names the failed action and the values involved.
 * Text quoted from a file goes through `printable`, so a binary file passed by mistake
 * is named as such and never dumps its bytes on a terminal.
 */

/** Control characters (but tab and newline) and the replacement character a bad decode leaves. */
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/g;

/**
 * `text` safe to print: each control character as `\xNN`, an undecodable byte's
 * replacement character as `\u{FFFD}`.
 *
 * @example
 * printable("ok\u0000"); // "ok\\x00"
 */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) =>
      c === "\uFFFD"
        ? "\\u{FFFD}"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`,
  );
}

/** More than a few control bytes or undecodable characters: not a text line. */
export function looksBinary(text: string): boolean {
  return (text.match(UNPRINTABLE)?.length ?? 0) > 2;
}

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
        text === undefined
          ? ""
          : looksBinary(text)
          ? " (the line holds binary bytes: this is not a text data file)"
          : ` (line: "${printable(text)}")`
      }`,
    );
  }
}
