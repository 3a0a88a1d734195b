/**
 * Tests for bench/_task.ts: the flags a checkout's `deno task backtest` (or another
 * command's task) runs with, as the process and research benches pass them to each
 * checkout they time.
 */

import assert from "node:assert/strict";
import { taskFlags, withV8Flags } from "../../bench/_task.ts";

Deno.test("taskFlags() reads the flags between deno run and main.ts", () => {
  const denoJson = JSON.stringify({
    tasks: {
      backtest: {
        description: "replay",
        command: "deno run --allow-read --v8-flags=--x=1 main.ts backtest",
      },
    },
  });
  assert.deepEqual(taskFlags(denoJson, "deno.json", "backtest"), [
    "--allow-read",
    "--v8-flags=--x=1",
  ]);
});

Deno.test("taskFlags() reads a task written as a bare string", () => {
  const denoJson = JSON.stringify({ tasks: { backtest: "deno run -A main.ts backtest" } });
  assert.deepEqual(taskFlags(denoJson, "deno.json", "backtest"), ["-A"]);
});

Deno.test("taskFlags() names the file when the task has another shape", () => {
  for (
    const tasks of [{}, { backtest: "deno task other" }, { backtest: "deno run main.ts serve" }]
  ) {
    assert.throws(
      () => taskFlags(JSON.stringify({ tasks }), "/tmp/x/deno.json", "backtest"),
      /^Error: \/tmp\/x\/deno\.json: the backtest task is not "deno run <flags> main\.ts backtest"/,
    );
  }
});

Deno.test("the checkout's own backtest task sets V8's initial old generation", () => {
  // What bench/process_bench.ts times and users run; docs/results/bench.md, "Eighth sitting".
  const flags = taskFlags(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
    "deno.json",
    "backtest",
  );
  assert.ok(flags.includes("--v8-flags=--initial-old-space-size=128"), flags.join(" "));
});

Deno.test("withV8Flags() appends to the task's own --v8-flags", () => {
  assert.deepEqual(
    withV8Flags(["--allow-read", "--v8-flags=--a=1", "--allow-net"], "--b,--c=2"),
    ["--allow-read", "--v8-flags=--a=1,--b,--c=2", "--allow-net"],
  );
});

Deno.test("withV8Flags() adds --v8-flags to a task without them", () => {
  assert.deepEqual(withV8Flags(["-A"], "--b"), ["-A", "--v8-flags=--b"]);
});
