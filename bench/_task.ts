/**
 * The `deno run` flags a checkout's `deno task backtest` (or `optimize`, `sweep`) runs
 * with, read from its deno.json, so a bench times each checkout's command as its users run
 * it (permissions and V8 flags alike) and not as the bench supposes. It never guesses: a
 * task of another shape is an error naming it.
 */

/** The flags between `deno run` and `main.ts` of the `task` task in `denoJson`'s text. */
export function taskFlags(denoJson: string, origin: string, task: string): string[] {
  const entry = JSON.parse(denoJson)?.tasks?.[task];
  const command: unknown = typeof entry === "string" ? entry : entry?.command;
  const words = typeof command === "string" ? command.trim().split(/\s+/) : [];
  const main = words.indexOf("main.ts");
  if (words[0] !== "deno" || words[1] !== "run" || main < 2 || words[main + 1] !== task) {
    throw new Error(
      `${origin}: the ${task} task is not "deno run <flags> main.ts ${task}" ` +
        `(it is ${JSON.stringify(command ?? null)})`,
    );
  }
  return words.slice(2, main);
}

/** The deno.json beside a checkout's `main.ts`: its tasks and its own import map. */
export const denoJsonOf = (main: string) => main.replace(/main\.ts$/, "deno.json");

/**
 * Does `command` of the checkout of `main` take `flag`? Asked of the command itself
 * (`--help`, run with the task's `flags`), so a checkout from before a flag is timed as it
 * runs, whatever its other commands take.
 */
export async function commandTakesFlag(
  main: string,
  flags: readonly string[],
  command: string,
  flag: string,
): Promise<boolean> {
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "--config", denoJsonOf(main), main, command, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(help.stdout).includes(flag);
}

/**
 * `flags` with `extra` V8 flags (comma-separated, as `--v8-flags=` takes them) after the
 * task's own: appended to its `--v8-flags=`, or added as one when it has none. For a
 * bench that tries a V8 flag on the task as users run it.
 */
export function withV8Flags(flags: readonly string[], extra: string): string[] {
  const at = flags.findIndex((flag) => flag.startsWith("--v8-flags="));
  if (at < 0) return [...flags, `--v8-flags=${extra}`];
  return flags.map((flag, i) => i === at ? `${flag},${extra}` : flag);
}
