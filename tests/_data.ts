/**
 * Where the shared real market data lives, and a `Deno.test` wrapper that skips, loudly,
 * when a file is absent. The data sits beside the repository (`../shared/data`), so any
 * clone next to `shared/` finds it; a test that needs a missing file is reported as
 * ignored with the reason, never passed silently.
 */

import { fileURLToPath } from "node:url";
import { skippableTest } from "./_skip.ts";

/** The folder holding the real data files (see its README.md). */
export const DATA_DIR: URL = new URL("../../shared/data/", import.meta.url);

/** The file-system path of a data file, `rel` being relative to `DATA_DIR`. */
export function dataPath(rel: string): string {
  return fileURLToPath(new URL(rel, DATA_DIR));
}

/** Is this data file (or, without `rel`, the data folder) present and readable? */
export function haveData(rel?: string): boolean {
  try {
    Deno.statSync(rel === undefined ? DATA_DIR : new URL(rel, DATA_DIR));
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers a test that needs real data files: it runs when they are all present, and
 * is otherwise registered as ignored, with a console line naming what is missing.
 */
export function dataTest(
  name: string,
  rel: string | readonly string[],
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void {
  const missing = (typeof rel === "string" ? [rel] : rel).filter((r) => !haveData(r));
  skippableTest(
    name,
    missing.length === 0
      ? null
      : `data file(s) missing from ${fileURLToPath(DATA_DIR)}: ${missing.join(", ")}`,
    fn,
  );
}
