/**
 * Tests for bench/_threads.ts: a process's CPU by kind of thread, read from /proc, as the
 * process bench prints it with `--threads`.
 */

import assert from "node:assert/strict";
import { parseTaskStat, threadKind } from "../../bench/_threads.ts";

Deno.test("parseTaskStat() reads a thread's name and its user plus system ticks", () => {
  // A V8 thread's line as Linux writes it: pid, (comm), state, then fields 4-52. utime is
  // field 14 (here 153) and stime field 15 (here 12): 153 + 12 = 165 ticks.
  const line = "3318 (V8 DefaultWorke) S 3300 3300 12 0 -1 4194368 1210 0 0 0 153 12 0 0 " +
    "20 0 9 0 51021 1284157440 75108 18446744073709551615 1 1 0 0 0 0 0 16781312 17920 " +
    "0 0 0 -1 1 0 0 0 0 0 0 0 0 0 0 0 0 0";
  assert.deepEqual(parseTaskStat(line), { comm: "V8 DefaultWorke", ticks: 165 });
});

Deno.test("parseTaskStat() takes a name holding spaces and parentheses whole", () => {
  // The name ends at the last ")": "a) (b"; utime 7 + stime 2 = 9.
  const line = "7 (a) (b) R 1 7 7 0 -1 0 0 0 0 0 7 2 0 0 20 0 1 0 1 1 1";
  assert.deepEqual(parseTaskStat(line), { comm: "a) (b", ticks: 9 });
});

Deno.test("parseTaskStat() names a line that is not a stat line", () => {
  assert.throws(() => parseTaskStat("no parentheses here"), /^Error: not a \/proc task stat line/);
  assert.throws(() => parseTaskStat("1 (x) S 2"), /^Error: not a \/proc task stat line/);
});

Deno.test("threadKind() sorts the main thread, Deno's Workers and V8's threads", () => {
  assert.equal(threadKind("deno"), "main");
  assert.equal(threadKind("worker-2"), "workers");
  assert.equal(threadKind("V8 DefaultWorke"), "v8");
  assert.equal(threadKind("tokio-runtime-w"), "other");
  // Names that only look alike are not taken for a Deno Worker or the main thread.
  assert.equal(threadKind("worker-x"), "other");
  assert.equal(threadKind("deno-test-watch"), "other");
});

/**
 * The child that keeps its main thread busy for 400 ms of CPU (not of wall time: a busy
 * machine may take it off its core), says so, then waits to be sampled once more.
 */
const BUSY = "import process from 'node:process';" +
  "const used = () => process.cpuUsage().user + process.cpuUsage().system;" +
  "const start = used(); let x = 0; while (used() - start < 400_000) x += Math.sqrt(x + 1);" +
  "console.log(x > 0 ? 'busy' : ''); await new Promise((r) => setTimeout(r, 300));";

/**
 * Samples the busy child from a `deno eval` (Deno lets only a process with every
 * permission read another's /proc entries, and `eval` has them all): its CPU by kind.
 */
const SAMPLE = `import { ThreadSampler } from ${
  JSON.stringify(import.meta.resolve("../../bench/_threads.ts"))
};
const child = new Deno.Command(Deno.execPath(), { args: ["eval", ${
  JSON.stringify(BUSY)
}], stdout: "piped" }).spawn();
const sampler = new ThreadSampler(child.pid, 10);
const reader = child.stdout.getReader();
const said = new TextDecoder().decode((await reader.read()).value).trim();
sampler.sample();
console.log(JSON.stringify({ said, seconds: sampler.stop() }));
reader.releaseLock();
await child.stdout.cancel();
await child.status;`;

Deno.test(
  "ThreadSampler counts a busy deno process's CPU on its main thread",
  { ignore: Deno.build.os !== "linux" },
  async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", SAMPLE],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const { said, seconds } = JSON.parse(new TextDecoder().decode(output.stdout));
    // The last sample was taken once the child had spent its 400 ms.
    assert.equal(said, "busy");
    // At least those 0.4 s, less a tick (10 ms) of rounding at either end.
    assert.ok(seconds.main >= 0.38, `main thread ${JSON.stringify(seconds)}`);
    // Nearly all of the child's CPU was that loop, on that thread.
    assert.ok(seconds.main > seconds.workers + seconds.v8 + seconds.other, JSON.stringify(seconds));
  },
);
