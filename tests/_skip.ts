/**
 * Skipped tests say why, in one form: `Skipping "<test name>": <reason>` on stderr, which
 * `tests/run.ts` (the `deno task test` wrapper) collects into the summary printed after
 * the run. A test that needs something absent (the data, Chromium, nats-server) registers
 * through here, so its skip is never silent and never unexplained.
 */

/** Prints why the test (or step) named `name` is skipped. */
export function reportSkip(name: string, reason: string): void {
  console.warn(`Skipping "${name}": ${reason}`);
}

/** Registers `fn` as a test, or, when `reason` is not null, as an ignored one with its reason. */
export function skippableTest(
  name: string,
  reason: string | null,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void {
  if (reason !== null) reportSkip(name, reason);
  Deno.test({ name, ignore: reason !== null, fn });
}
