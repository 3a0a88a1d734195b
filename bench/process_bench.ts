/**
 * What a user waits for: the wall time of whole `deno task backtest` processes (start,
 * module load, model load, the year, the JSON and HTML written, exit), each run with its
 * checkout's own task flags (permissions, V8 flags: `_task.ts`), on HistData 2018,
 * technical only (`--no-ml`) and with the default ensemble, each the median of N runs.
 * The runs alternate (no model, model, no model, ...) so both see the same load, after
 * one unmeasured warm-up of each. The 1-minute load average is read before and after.
 *
 * The trading config is `bench/trade_all_year.json`: the default with `risk.onHalt:
 * "record"` (the research setting: halts are recorded, not obeyed), so every run trades
 * the whole year and no halt shortens the work. Each is timed as the user runs it, with
 * the default chance baseline (30 random-entry runs, for this year on the main thread:
 * `defaultBaselineWorkers`), and again with `--baseline-runs 0`, the pipeline alone, so
 * the baseline's share is measured too. The model is the backtest bench's
 * (`bench/_model.ts`: the default training config on 2017-01-01 to 2017-07-01, trained
 * once into the cache registry). It never writes outside a temporary folder and that
 * registry. Heavy by design: never part of the test suite. The reference to beat is the
 * issue's figure for backtesting.py 0.6.6 running a bare SMA(10/30) cross with SL/TP on
 * the same file on this machine, about 4 s (it cannot be installed here: no PyPI).
 *
 * A checkout with the read cache (docs/data.md) reads the file through it, in a folder of
 * the bench's own that the warm-up run fills, as a user's first run of a file fills theirs;
 * one more variant of each such checkout gives each run an empty folder: the year as it
 * runs the first time its file is read (parsed, and kept).
 *
 * `--baseline DIR` also times another checkout's `main.ts` (for example the commit before a
 * change, `git archive <commit> | tar -x -C DIR`) in the same alternation, so before and
 * after are measured in the same sitting, under the same load.
 *
 * `--threads` also samples each run's threads every 20 ms (`_threads.ts`, Linux only) and
 * prints their CPU by kind: the main thread, Deno's Workers, V8's compiler and garbage
 * collection threads. Off by default: the sampling costs the machine a little CPU, and
 * Deno lets a process read another's /proc entries only with every permission (-A).
 *
 * `--v8-flags A,B` adds V8 flags after each checkout's own, to try one as users would run it.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run --allow-sys=loadavg
 *     bench/process_bench.ts [--repeats 5] [--registry out/bench-registry] [--skip-ml]
 *     [--baseline DIR] [--v8-flags A,B]
 *   deno run -A bench/process_bench.ts --threads [...]
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { benchModel, HISTDATA_2018, TRADE_ALL_YEAR } from "./_model.ts";
import { median } from "./_stats.ts";
import { commandTakesFlag, denoJsonOf, taskFlags, withV8Flags } from "./_task.ts";
import { childPid, THREAD_KINDS, type ThreadKind, ThreadSampler } from "./_threads.ts";
import { repeatsOf, requireDataFile } from "./_cli.ts";

/** The reference: backtesting.py's bare SMA cross on the same year, this machine. */
const REFERENCE_SECONDS = 4.05;
const TARGET_NO_ML_SECONDS = 1.2;
const TARGET_ML_SECONDS = 4;
const GOAL_ML_SECONDS = 2;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    registry: { type: "string", default: "out/bench-registry" },
    "skip-ml": { type: "boolean", default: false },
    baseline: { type: "string" },
    threads: { type: "boolean", default: false },
    "v8-flags": { type: "string" },
  },
  strict: true,
});
const repeats = repeatsOf(values.repeats, "process bench");
await requireDataFile(HISTDATA_2018, "process bench");

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const baselineMain = values.baseline === undefined ? null : `${values.baseline}/main.ts`;
if (baselineMain !== null) {
  try {
    await Deno.stat(baselineMain);
  } catch {
    console.error(
      `process bench: --baseline ${values.baseline} has no main.ts. Nothing was measured.`,
    );
    Deno.exit(2);
  }
}
const out = await Deno.makeTempDir({ prefix: "process-bench-" });

/** One backtest command line, as `deno task backtest` runs it. */
interface Variant {
  readonly name: string;
  /** The main.ts to run. */
  readonly main: string;
  /** Its checkout's `deno task backtest` flags: permissions and V8 flags. */
  readonly flags: readonly string[];
  readonly args: readonly string[];
  readonly target: (median: number) => string;
  /**
   * The read cache the run uses (docs/data.md), for a checkout that has one: "kept", the
   * bench's own folder, filled by the warm-up run as a user's earlier runs fill theirs;
   * "empty", a new folder each run, so the file is parsed and kept as on its first run.
   */
  readonly readCache?: "kept" | "empty";
}

/**
 * The run's wall time, its CPU time (from /usr/bin/time), its threads' CPU by kind (with
 * `--threads`), and what it traded.
 */
interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number | null;
  readonly threads: Record<ThreadKind, number> | null;
  readonly trades: number;
  readonly lastExit: string;
}

const haveTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
const sampleThreads = values.threads;
if (sampleThreads) {
  try {
    Deno.readDirSync(`/proc/${Deno.pid}/task`);
  } catch (error) {
    console.error(
      error instanceof Deno.errors.NotCapable
        ? "process bench: --threads reads other processes' /proc entries, which Deno allows " +
          "only with every permission: run it with -A."
        : `process bench: --threads reads /proc, which this system lacks (${error}).`,
    );
    Deno.exit(2);
  }
}

async function runOnce(variant: Variant, i: number): Promise<Run> {
  const json = `${out}/run-${i}.json`;
  const cacheDir = variant.readCache === "kept"
    ? `${out}/read-cache`
    : variant.readCache === "empty"
    ? `${out}/read-cache-${i}`
    : null;
  const args = [
    "run",
    ...variant.flags,
    // Each checkout's own import map: "@/" must not resolve into the other checkout.
    "--config",
    denoJsonOf(variant.main),
    variant.main,
    "backtest",
    "--data",
    HISTDATA_2018,
    "--config",
    TRADE_ALL_YEAR,
    ...variant.args,
    ...(cacheDir === null ? [] : ["--cache-dir", cacheDir]),
    "--json",
    json,
    "--report",
    `${out}/run-${i}.html`,
  ];
  const timeFile = `${out}/time-${i}.txt`;
  const command = haveTime
    ? new Deno.Command("/usr/bin/time", {
      args: ["-f", "%U %S", "-o", timeFile, Deno.execPath(), ...args],
      stdout: "null",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" });
  const started = performance.now();
  const child = command.spawn();
  const pid = !sampleThreads ? null : haveTime ? await childPid(child.pid) : child.pid;
  const sampler = pid === null ? null : new ThreadSampler(pid);
  let result: Deno.CommandOutput;
  let threads: Record<ThreadKind, number> | null;
  try {
    result = await child.output();
  } finally {
    // However the run ends, so no sampling timer outlives it.
    threads = sampler?.stop() ?? null;
  }
  const seconds = (performance.now() - started) / 1000;
  if (variant.readCache === "empty") await Deno.remove(cacheDir!, { recursive: true });
  if (!result.success) {
    console.error(new TextDecoder().decode(result.stderr));
    throw new Error(`process bench: "${variant.name}" failed (exit code ${result.code})`);
  }
  let cpuSeconds: number | null = null;
  if (haveTime) {
    const [user, system] = (await Deno.readTextFile(timeFile)).trim().split(/\s+/).map(Number);
    cpuSeconds = user + system;
  }
  const document = JSON.parse(await Deno.readTextFile(json));
  const trades = document.trades as { exit_time_utc: string }[];
  return {
    seconds,
    cpuSeconds,
    threads,
    trades: document.metrics.trades,
    lastExit: trades.length === 0 ? "-" : trades[trades.length - 1].exit_time_utc.slice(0, 10),
  };
}

const loadAverage = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

const checkouts = await Promise.all(
  (baselineMain === null ? [{ label: "", main }] : [
    { label: " (this checkout)", main },
    { label: ` (baseline ${values.baseline})`, main: baselineMain },
  ]).map(async (checkout) => {
    const denoJson = denoJsonOf(checkout.main);
    const flags = taskFlags(await Deno.readTextFile(denoJson), denoJson, "backtest");
    const extra = values["v8-flags"];
    return { ...checkout, flags: extra === undefined ? flags : withV8Flags(flags, extra) };
  }),
);
/** Does the backtest of the checkout of `main` take `flag`? */
const knowsFlag = (main: string, flag: string) =>
  commandTakesFlag(main, checkouts.find((c) => c.main === main)!.flags, "backtest", flag);
/** Does the baseline checkout know `--baseline-runs` (every commit since 13e906a)? */
const baselineKnowsRuns = baselineMain !== null && await knowsFlag(baselineMain, "--baseline-runs");
/**
 * The chance baseline on and off; a baseline checkout from before the flag is timed as it
 * runs by default.
 */
const baselineSettings = (main: string) =>
  main === baselineMain && !baselineKnowsRuns ? [[]] : [[], ["--baseline-runs", "0"]];
/** Does a checkout have the read cache (`--cache-dir`)? */
const readCaches = new Map(
  await Promise.all(
    checkouts.map(async (c) => [c.main, await knowsFlag(c.main, "--cache-dir")] as const),
  ),
);
const keptCache = (main: string) => readCaches.get(main) ? "kept" as const : undefined;
const noMlTarget = (m: number) =>
  `<= ${TARGET_NO_ML_SECONDS} s: ${m <= TARGET_NO_ML_SECONDS ? "met" : "NOT met"}`;
const variants: Variant[] = checkouts.flatMap(({ label, main, flags }) =>
  baselineSettings(main).map((extra) => ({
    name: ["backtest --no-ml", ...extra].join(" ") + label,
    main,
    flags,
    args: ["--no-ml", ...extra],
    target: noMlTarget,
    readCache: keptCache(main),
  }))
);
// What the year costs the first time its file is read, for each checkout with a read cache.
for (const { label, main: checkoutMain, flags } of checkouts.toReversed()) {
  if (!readCaches.get(checkoutMain)) continue;
  const at = variants.findIndex((v) => v.main === checkoutMain) + 1;
  variants.splice(at, 0, {
    name: "backtest --no-ml, the file's first run (empty read cache)" + label,
    main: checkoutMain,
    flags,
    args: ["--no-ml"],
    target: noMlTarget,
    readCache: "empty",
  });
}
if (values["skip-ml"]) {
  console.error("skipping the runs with the model (--skip-ml)");
} else {
  const id = await benchModel(values.registry);
  for (const { label, main, flags } of checkouts) {
    for (const extra of baselineSettings(main)) {
      variants.push({
        name: [`backtest, default ensemble (model ${id.slice(0, 12)}…)`, ...extra].join(" ") +
          label,
        main,
        flags,
        args: ["--model", id, "--registry", values.registry, ...extra],
        readCache: keptCache(main),
        target: (m) =>
          `<= ${TARGET_ML_SECONDS} s: ${
            m <= TARGET_ML_SECONDS ? "met" : "NOT met"
          }; goal ${GOAL_ML_SECONDS} s: ${m <= GOAL_ML_SECONDS ? "met" : "NOT met"}`,
      });
    }
  }
}

const loadBefore = loadAverage();
let n = 0;
for (const variant of variants) await runOnce(variant, n++); // warm-up: Deno's caches
const runs: Run[][] = variants.map(() => []);
for (let r = 1; r <= repeats; r++) {
  for (const [v, variant] of variants.entries()) {
    const run = await runOnce(variant, n++);
    runs[v].push(run);
    console.error(
      `  ${variant.name}, run ${r}/${repeats}: ${run.seconds.toFixed(2)} s wall, ${
        run.cpuSeconds?.toFixed(2) ?? "?"
      } s CPU, ${run.trades} trades, last exit ${run.lastExit}; load ${loadAverage()}`,
    );
  }
}
await Deno.remove(out, { recursive: true });

console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; whole \`deno task backtest\` ` +
    `processes (the task's flags: ${
      checkouts.map((c) => c.flags.join(" ")).join("; ")
    }) on HistData M1 2018 with --config bench/trade_all_year.json; ` +
    `median of ${repeats} runs each, alternating, after one warm-up each; ` +
    `load average (1, 5, 15 min) ${loadBefore} before, ${loadAverage()} after`,
);
console.log(
  "| process | median s | min s | max s | median CPU s | trades | last exit | target |",
);
console.log("|---|---:|---:|---:|---:|---:|---|---|");
for (const [v, variant] of variants.entries()) {
  const seconds = runs[v].map((r) => r.seconds);
  const cpu = runs[v].map((r) => r.cpuSeconds).filter((c) => c !== null);
  const m = median(seconds);
  console.log(
    `| ${variant.name} | ${m.toFixed(2)} | ${Math.min(...seconds).toFixed(2)} | ${
      Math.max(...seconds).toFixed(2)
    } | ${cpu.length === 0 ? "-" : median(cpu).toFixed(2)} | ${runs[v][0].trades} | ${
      runs[v][0].lastExit
    } | ${variant.target(m)} |`,
  );
}
if (sampleThreads) {
  console.log(
    "\nCPU by thread, median s (sampled every 20 ms from /proc: a thread's last 20 ms may be " +
      "missed): the main thread runs the pipeline and the report; Deno's Workers read the " +
      "file, score with the model and run the chance baseline's Workers; V8's threads " +
      "compile optimised code and collect garbage.",
  );
  console.log("| process | main thread | Deno Workers | V8 threads | other |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [v, variant] of variants.entries()) {
    const sampled = runs[v].flatMap((r) => r.threads === null ? [] : [r.threads]);
    const byKind = THREAD_KINDS.map((kind) =>
      sampled.length === 0 ? "-" : median(sampled.map((t) => t[kind])).toFixed(2)
    );
    console.log(`| ${variant.name} | ${byKind.join(" | ")} |`);
  }
}
console.log(
  `reference: backtesting.py 0.6.6, bare SMA(10/30) cross with SL/TP, same file, this ` +
    `machine: ${REFERENCE_SECONDS} s median of 5 (issue 16's figure; not installable here)`,
);
