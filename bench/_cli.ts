/**
 * What the benches' command lines share: the number of runs to take the median of, and the
 * data file a bench cannot measure without. Each refuses with a sentence naming the bench
 * and exits, so nothing half-measured is ever printed.
 */

/** `--repeats` as a whole number of runs, at least 1; else the bench exits with code 2. */
export function repeatsOf(text: string, bench: string): number {
  const repeats = Number(text);
  if (!Number.isInteger(repeats) || repeats < 1) {
    console.error(`${bench}: --repeats must be a whole number >= 1, got "${text}"`);
    Deno.exit(2);
  }
  return repeats;
}

/** Exits with code 1, naming `path`, when the data file the bench reads is missing. */
export async function requireDataFile(path: string, bench: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    console.error(
      `${bench}: ${path} is missing; it needs ../shared/data beside the repo. ` +
        "Nothing was measured.",
    );
    Deno.exit(1);
  }
}
