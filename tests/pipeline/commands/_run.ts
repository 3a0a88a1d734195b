/** Runs `main.ts` as a user would, in a subprocess, and captures its output. */

import { within } from "@/pipeline/within.ts";

export const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Where backtests run by tests keep their read cache (docs/data.md): not the user's, so a
 * test run never drops their entries; one folder for every test run, which it bounds.
 */
export const TEST_READ_CACHE = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/ai-gold-scalper-test-read-cache`;

/** `args` with the tests' read cache, for a command that reads through one and names none. */
export function withTestReadCache(args: readonly string[]): string[] {
  return ["backtest", "optimize", "sweep"].includes(args[0]) && !args.includes("--no-cache") &&
      !args.includes("--cache-dir")
    ? [...args, "--cache-dir", TEST_READ_CACHE]
    : [...args];
}

export async function runCli(args: string[]): Promise<CliResult> {
  const output = await finished(
    `main.ts ${args.join(" ")}`,
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net",
        MAIN,
        ...withTestReadCache(args),
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * The output of `child` (spawned with both streams piped) once it exits, within
 * `withinMs`; past that it is killed and this throws, naming it.
 */
export async function finished(
  name: string,
  child: Deno.ChildProcess,
  withinMs = 240_000,
): Promise<Deno.CommandOutput> {
  const output = await within(child.output(), withinMs);
  if (output !== null) return output;
  child.kill("SIGKILL");
  throw new Error(`${name} did not exit within ${withinMs / 1000} s`);
}

/** `deno task serve`'s permissions, so a test runs `serve` as a user would. */
const SERVE_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys=hostname",
];

/** The `deno` arguments that run `serve` on `port` (0: a free one) as `deno task serve` does. */
export function serveArgs(args: string[], port = 0): string[] {
  return ["run", ...SERVE_PERMISSIONS, MAIN, "serve", "--port", String(port), ...args];
}

/**
 * A child process a test waits for: its stderr read from the start (a pipe left full
 * would block it) and every wait bounded, so a child that hangs fails the test naming it,
 * with what it printed, instead of stalling the suite.
 */
export interface WatchedChild {
  readonly child: Deno.ChildProcess;
  /** What it printed on stderr so far. */
  errors(): string;
  /** Its exit, within `withinMs`; past that it is killed and this throws. */
  exited(withinMs?: number): Promise<Deno.CommandStatus>;
  /** Sends `signal` and waits for its exit, as `exited`. */
  stop(signal?: Deno.Signal, withinMs?: number): Promise<Deno.CommandStatus>;
}

/** Watches `child`, spawned with `stderr: "piped"`; `name` says which it is in failures. */
export function watchChild(name: string, child: Deno.ChildProcess): WatchedChild {
  let errors = "";
  const read = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) errors += text;
  })();
  const exited = async (withinMs = 120_000) => {
    const status = await within(child.status, withinMs);
    if (status === null) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`${name} did not exit within ${withinMs / 1000} s; it printed: ${errors}`);
    }
    await within(read, 5_000);
    return status;
  };
  return {
    child,
    errors: () => errors,
    exited,
    stop(signal = "SIGTERM", withinMs = 30_000) {
      child.kill(signal);
      return exited(withinMs);
    },
  };
}

/** Starts `serve` on a free port and returns its URL once it is listening (within 60 s). */
export async function startServe(args: string[], port = 0) {
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs(args, port),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const watched = watchChild(`serve ${args.join(" ")}`, child);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  const deadline = Date.now() + 60_000;
  while (!/listening on (http:\/\/\S+)/.test(printed)) {
    const chunk = await within(reader.read(), deadline - Date.now());
    if (chunk === null) {
      await watched.stop("SIGKILL").catch(() => {});
      throw new Error(`serve did not listen within 60 s: ${printed}${watched.errors()}`);
    }
    if (chunk.done) throw new Error(`serve exited before listening: ${printed}${watched.errors()}`);
    printed += chunk.value;
  }
  const url = /listening on (http:\/\/\S+)/.exec(printed)![1];
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return printed;
      printed += value;
    }
  })();
  return { ...watched, url, output: () => rest, printed: () => printed };
}

/**
 * Writes a trading config that turns the news blackout off, as live `serve` requires
 * without `--news`, and returns its path.
 */
export async function noNewsConfig(dir: string): Promise<string> {
  const path = `${dir}/no_news.json`;
  await Deno.writeTextFile(path, JSON.stringify({ risk: { news: { enabled: false } } }));
  return path;
}
