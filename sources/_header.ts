/**
 * Reads and checks a CSV header row. A file whose header is not the one its format
 * needs is refused whole: a wrong column order would otherwise read as valid prices.
 */

import { BadInputError } from "../pipeline/errors.ts";

const decoder = new TextDecoder();

export function headerFields(buf: Uint8Array, lineStart: number, lineEnd: number): string[] {
  return decoder.decode(buf.subarray(lineStart, lineEnd)).split(",").map((name) =>
    name.trim().toLowerCase()
  );
}

/** Throws unless the header is exactly `expected`. */
export function expectHeader(path: string, actual: string[], expected: readonly string[]): void {
  if (actual.length !== expected.length || actual.some((name, i) => name !== expected[i])) {
    throw new BadInputError(
      path,
      1,
      `unexpected header "${actual.join(",")}"; this format needs "${expected.join(",")}"`,
    );
  }
}
