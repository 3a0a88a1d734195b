/**
 * `deno task test`: runs `deno test` with the given arguments, passes its output through
 * untouched, and ends with a summary of every skipped test and why it was skipped, so a
 * green run that skipped the browser or the real-data tests says so at the bottom.
 * Reasons come from the `Skipping "<name>": <reason>` lines tests print (tests/_skip.ts);
 * an ignored test that printed none is listed as such. It exits with `deno test`'s code.
 * A run still going at `SUITE_DEADLINE_MS` is stopped, naming what had not finished.
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

/**
 * The suite takes about 2.5 minutes on this 2-core machine (4 with both cores otherwise
 * busy). A run still going after 15 is stuck on something that never comes (a child that
 * never exits, a message never delivered): it is stopped with a report of what had not
 * finished, rather than left to CI's own timeout, which names nothing.
 */
export const SUITE_DEADLINE_MS = 15 * 60_000;

/** Deno's default test file names: `*_test.ts`, `*.test.ts`, `test.ts` and the like. */
const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** Every test file under `dir`, as `deno test` names them (`./tests/x_test.ts`), sorted. */
export function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...testFiles(path));
    else if (TEST_FILE.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/**
 * What a stuck run had not finished: the test files that reported no result at all, and
 * the tests Deno itself said were running for over a minute (it names no file for them).
 */
export function stuckReport(output: string, files: readonly string[], deadlineMs: number): string {
  const reported = new Set<string>();
  const slow: string[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.replace(ANSI, "").trim();
    const file = /^(\S+) =>/.exec(line);
    if (file !== null) reported.add(file[1]);
    const running = /^'(.+)' has been running for over/.exec(line);
    if (running !== null) slow.push(running[1]);
  }
  const silent = files.filter((file) => !reported.has(file));
  return [
    "",
    `deno test had not finished after ${deadlineMs / 60_000} minutes: stopped.`,
    `test files with no result yet:${silent.length === 0 ? " none" : ""}`,
    ...silent.map((file) => `  - ${file.replace(/^\.\//, "")}`),
    `tests running for over a minute:${slow.length === 0 ? " none" : ""}`,
    ...slow.map((name) => `  - "${name}"`),
  ].join("\n");
}

/** Copies `stream` to `out` as it comes, adding it as text to `seen.text` (read any time). */
async function tee(
  stream: ReadableStream<Uint8Array>,
  out: { write(bytes: Uint8Array): Promise<number> },
  seen: { text: string },
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) written += await out.write(chunk.subarray(written));
    seen.text += decoder.decode(chunk, { stream: true });
  }
  seen.text += decoder.decode();
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...Deno.args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = { text: "" };
  const stderr = { text: "" };
  const deadline = setTimeout(() => {
    // The pipes may stay open in the tests' own children: report what came, do not wait.
    child.kill("SIGKILL");
    const output = `${stdout.text}\n${stderr.text}`;
    console.log(stuckReport(output, testFiles("./tests"), SUITE_DEADLINE_MS));
    Deno.exit(1);
  }, SUITE_DEADLINE_MS);
  await Promise.all([
    tee(child.stdout, Deno.stdout, stdout),
    tee(child.stderr, Deno.stderr, stderr),
  ]);
  const { code } = await child.status;
  clearTimeout(deadline);
  console.log(skipSummary(collectSkips(`${stdout.text}\n${stderr.text}`)));
  Deno.exit(code);
}
