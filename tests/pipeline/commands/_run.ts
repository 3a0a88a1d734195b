/** Runs `main.ts` as a user would, in a subprocess, and captures its output. */

export const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** `deno task serve`'s permissions, so a test runs `serve` as a user would. */
export const SERVE_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys=hostname",
];

/** Starts `serve` on a free port and returns its URL once it is listening. */
export async function startServe(args: string[], port = 0) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SERVE_PERMISSIONS, MAIN, "serve", "--port", String(port), ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!/listening on (http:\/\/\S+)/.test(printed)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited before listening: ${printed}`);
    printed += value;
  }
  const url = /listening on (http:\/\/\S+)/.exec(printed)![1];
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return printed;
      printed += value;
    }
  })();
  return { child, url, output: () => rest, printed: () => printed };
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
