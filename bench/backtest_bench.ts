/**
 * A full year of M1 through the whole backtest pipeline (`runBacktest`, what `deno task
 * backtest` runs) in one process: HistData 2018 with `bench/trade_all_year.json` (the
 * research setting: a halt is recorded, not obeyed, so it trades all year), without the chance
 * baseline (`baselineRuns: 0`: the pipeline alone; `bench/process_bench.ts` times the
 * baseline), technical signals only (`--no-ml`) and with the default
 * ensemble (its ONNX session on `--threads`, default 1 as in the CLI; onnxruntime allows
 * one thread count per process). The targets: at least 300 k bars/s without the
 * model, the year under 10 s with it. Prints a table: the best and the median of N runs
 * in one process by wall clock, with the process CPU time of the best run (on a shared
 * machine, a wall time far above the CPU time means the run waited for a core), and the
 * first run (cold for `--no-ml`, which goes first). What a user waits for, whole
 * processes, is `bench/process_bench.ts`. Progress: stderr.
 *
 * The model is a default-config ensemble trained once into a cache registry and reused
 * from there on later runs. It is trained on the first half of 2017 only, so the bench
 * stays in minutes: its skill is irrelevant here (2018 is out of sample for it),
 * and scoring costs the same whatever the trees learnt. It never writes outside that
 * registry and never promotes a model. Heavy by design: never part of the test suite.
 *   deno run --allow-read --allow-write --allow-env --allow-sys=loadavg bench/backtest_bench.ts
 *     [--repeats 5] [--ml-repeats 5] [--threads 1] [--registry out/bench-registry] [--skip-ml]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { runBacktest } from "../pipeline/commands/backtest.ts";
import { benchModel, HISTDATA_2018, TRADE_ALL_YEAR } from "./_model.ts";
import { median } from "./_stats.ts";
import { requireDataFile } from "./_cli.ts";

const BARS_PER_SECOND_TARGET = 300_000;
const SECONDS_TARGET = 10;

interface Timing {
  readonly name: string;
  readonly bars: number;
  /** The pipeline alone: parse, stages, risk and execution (what the CLI reports). */
  readonly pipelineSeconds: number;
  /** The first run's pipeline time: a one-off CLI run is this cold one. */
  readonly firstSeconds: number;
  /** The median of the runs' pipeline times. */
  readonly medianSeconds: number;
  /** All of `runBacktest`: also the model load, file hash, metrics and Monte Carlo. */
  readonly totalSeconds: number;
  /** Process CPU time (every thread) during the best run's `runBacktest`. */
  readonly cpuSeconds: number;
  readonly target: string;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    "ml-repeats": { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    registry: { type: "string", default: "out/bench-registry" },
    "skip-ml": { type: "boolean", default: false },
  },
  strict: true,
});
/** A whole-number flag of at least `min`; exits naming the flag otherwise. */
function countFlag(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`backtest bench: --${name} must be a whole number >= ${min}, got "${text}"`);
    Deno.exit(2);
  }
  return n;
}
const repeats = countFlag("repeats", values.repeats, 1);
const mlRepeats = countFlag("ml-repeats", values["ml-repeats"], 1);
const threads = countFlag("threads", values.threads, 1);

const config = JSON.parse(await Deno.readTextFile(TRADE_ALL_YEAR));
await requireDataFile(HISTDATA_2018, "backtest bench");

/** Best of `runs` runs of a full-year backtest, by pipeline time. */
async function timeBacktest(
  name: string,
  runs: number,
  options: { noMl: boolean; model?: string; registry?: string; threads?: number },
): Promise<Omit<Timing, "target">> {
  let best: Omit<Timing, "target" | "firstSeconds" | "medianSeconds"> | null = null;
  let firstSeconds = NaN;
  const seconds: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const run = await runBacktest({
      files: [HISTDATA_2018],
      config,
      configOrigin: TRADE_ALL_YEAR,
      progress: false,
      baselineRuns: 0,
      ...options,
    });
    seconds.push(run.seconds);
    const cpu = process.cpuUsage(cpuBefore);
    const totalSeconds = (performance.now() - started) / 1000;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.error(
      `  ${name}, run ${i}/${runs}: ${run.bars.toLocaleString("en-US")} bars, pipeline ${
        run.seconds.toFixed(2)
      } s, total ${totalSeconds.toFixed(2)} s, CPU ${
        cpuSeconds.toFixed(2)
      } s, ${run.document.metrics.trades} trades`,
    );
    if (i === 1) firstSeconds = run.seconds;
    if (best === null || run.seconds < best.pipelineSeconds) {
      best = { name, bars: run.bars, pipelineSeconds: run.seconds, totalSeconds, cpuSeconds };
    }
  }
  return { ...best!, firstSeconds, medianSeconds: median(seconds) };
}

const rate = (t: Omit<Timing, "target">) => t.bars / t.pipelineSeconds;

/** The 1-minute load average, so a reader sees how shared the machine was. */
function loadAverage(): string {
  try {
    return Deno.loadavg()[0].toFixed(2);
  } catch {
    return "unknown (run with --allow-sys=loadavg)";
  }
}
const loadBefore = loadAverage();
const timings: Timing[] = [];

console.error(`backtest bench: ${HISTDATA_2018}`);
const noMl = await timeBacktest("--no-ml (technical only)", repeats, { noMl: true });
timings.push({
  ...noMl,
  target: `>= ${BARS_PER_SECOND_TARGET / 1000} k bars/s: ${
    rate(noMl) >= BARS_PER_SECOND_TARGET ? "met" : "NOT met"
  }`,
});
if (values["skip-ml"]) {
  console.error("skipping the run with the model (--skip-ml)");
} else {
  const id = await benchModel(values.registry);
  const ml = await timeBacktest(
    `default ensemble (model ${id.slice(0, 12)}…), --threads ${threads}`,
    mlRepeats,
    { noMl: false, model: id, registry: values.registry, threads },
  );
  timings.push({
    ...ml,
    target: `< ${SECONDS_TARGET} s a year: ${
      ml.pipelineSeconds < SECONDS_TARGET ? "met" : "NOT met"
    }`,
  });
}

console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; HistData M1 2018, ` +
    `full year, bench/trade_all_year.json; best and median of ${repeats} runs without the model, ${mlRepeats} with it, in one process; ` +
    `load average ${loadBefore} before, ${loadAverage()} after`,
);
console.log(
  "| backtest | M1 bars | pipeline s (best) | pipeline s (median) | bars/s (best) | first run s | runBacktest s (best) | CPU s (best) | target (best run) |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const t of timings) {
  console.log(
    `| ${t.name} | ${t.bars.toLocaleString("en-US")} | ${t.pipelineSeconds.toFixed(2)} | ${
      t.medianSeconds.toFixed(2)
    } | ${Math.round(rate(t)).toLocaleString("en-US")} | ${t.firstSeconds.toFixed(2)} | ${
      t.totalSeconds.toFixed(2)
    } | ${t.cpuSeconds.toFixed(2)} | ${t.target} |`,
  );
}
