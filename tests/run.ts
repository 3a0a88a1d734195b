/**
 * `deno task test`: runs `deno test` with the given arguments, passes its output through
 * untouched, and ends with a summary of every skipped test and why it was skipped, so a
 * green run that skipped the browser or the real-data tests says so at the bottom.
 * Reasons come from the `Skipping "<name>": <reason>` lines tests print (tests/_skip.ts);
 * an ignored test that printed none is listed as such. It exits with `deno test`'s code.
 */

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** One skipped test: the file it is in (when known), its name, and why. */
export interface Skip {
  readonly file: string | null;
  readonly name: string;
  readonly reason: string | null;
}

/**
 * The skipped tests a `deno test` output shows: every `... ignored` result, with the
 * reason a `Skipping "<name>": <reason>` line gave for that name.
 */
export function collectSkips(output: string): Skip[] {
  const reasons = new Map<string, string>();
  const skips: Skip[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.replace(ANSI, "").trimEnd();
    const reason = /^Skipping "(.+)": (.+)$/.exec(line);
    if (reason !== null) {
      reasons.set(reason[1], reason[2]);
      continue;
    }
    // "./tests/x_test.ts => name ... ignored (0ms)", or "name ... step ... ignored" for a step.
    const ignored = /^(?:(\S+) =>\s*)?(.*?) \.\.\. ignored(?: \(|$)/.exec(line.trim());
    if (ignored !== null) {
      const name = ignored[2].split(" ... ").at(-1)!.trim();
      skips.push({ file: ignored[1] ?? null, name, reason: null });
    }
  }
  return skips.map((skip) => ({ ...skip, reason: reasons.get(skip.name) ?? null }));
}

/** The summary printed after the run. */
export function skipSummary(skips: readonly Skip[]): string {
  if (skips.length === 0) return "\nskipped: none";
  return [
    "",
    `skipped: ${skips.length} test${skips.length === 1 ? "" : "s"}`,
    ...skips.map((s) =>
      `  - ${s.file === null ? "" : `${s.file.replace(/^\.\//, "")}: `}"${s.name}": ${
        s.reason ?? "no reason printed (a test must say why it skips: tests/_skip.ts)"
      }`
    ),
  ].join("\n");
}

/** Copies `stream` to `out` as it comes, and returns all of it as text. */
async function tee(
  stream: ReadableStream<Uint8Array>,
  out: { write(bytes: Uint8Array): Promise<number> },
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) written += await out.write(chunk.subarray(written));
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...Deno.args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [stdout, stderr] = await Promise.all([
    tee(child.stdout, Deno.stdout),
    tee(child.stderr, Deno.stderr),
  ]);
  const { code } = await child.status;
  console.log(skipSummary(collectSkips(`${stdout}\n${stderr}`)));
  Deno.exit(code);
}
