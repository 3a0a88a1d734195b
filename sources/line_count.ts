/**
 * How many lines a data file holds (gzip inflated), counted in one byte scan: the total a
 * progress line measures a long job against. A year of HistData (352 k lines, gzip) counts
 * in well under a second. It reads only; a file it cannot read counts as unknown (null),
 * since a progress line must never fail the job it reports on.
 */

import { rawChunks } from "./_lines.ts";

const NEWLINE = 10;

/** Lines in `path` (a last line without a newline counts), or null when it cannot be read. */
export async function countLines(path: string): Promise<number | null> {
  try {
    // An empty file holds no lines (the reader refuses it, with its own message).
    if ((await Deno.stat(path)).size === 0) return 0;
    let lines = 0;
    let last = NEWLINE;
    // Inflated on this thread: a worker gains nothing on a scan this light.
    for await (const chunk of rawChunks(path, false)) {
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      if (chunk.length > 0) last = chunk[chunk.length - 1];
    }
    return last === NEWLINE ? lines : lines + 1;
  } catch {
    return null;
  }
}

/** Lines in every file together, or null when any cannot be read. */
export async function countAllLines(paths: readonly string[]): Promise<number | null> {
  let total = 0;
  for (const path of paths) {
    const lines = await countLines(path);
    if (lines === null) return null;
    total += lines;
  }
  return total;
}
