/**
 * The chance baseline in one process: HistData 2018 read once onto the baseline's bar tape
 * (warm-up from the file's start, trading from 2018-02-14T16:00Z as the default `--no-ml`
 * backtest does), then (1) the pilot and 30 seeded random-entry runs one after another on
 * this thread, each timed (CPU-bound: on a shared machine the median per run is the
 * figure to compare), and (2) `runRandomBaseline` as the backtest calls it (pilot, then
 * the runs, on as many Workers as `defaultBaselineWorkers` gives the default 2018 run,
 * or `--workers`), timed by wall clock, the median of N. Default levels (H1 ATR),
 * the default risk settings without a news calendar, the default broker, the entry rate
 * of the default 2018 run. Prints the runs' figures too, to full precision (`--figures
 * FILE` writes them), so two checkouts can be compared for identical results. Heavy:
 * never part of the test suite. Progress: stderr.
 *   deno run --allow-read --allow-write --allow-env --allow-sys=loadavg bench/baseline_bench.ts
 *     [--repeats 5] [--figures FILE] [--workers N]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { lastValueFrom } from "rxjs";
import {
  defaultBaselineWorkers,
  randomRun,
  type RandomRunSetup,
  runRandomBaseline,
} from "../operators/backtest/mod.ts";
import { recordBars } from "../operators/bars/mod.ts";
import { quotedBars, resolveExecutionConfig } from "../operators/execution/mod.ts";
import { levelAtrSeries, TECHNICAL_ONLY } from "../operators/fusion/mod.ts";
import { parseRiskConfig } from "../operators/risk/mod.ts";
import { usFromIso } from "../pipeline/events.ts";
import { replay$ } from "../pipeline/replay.ts";
import { openSources } from "../sources/mod.ts";
import { BarColumnsBuilder } from "../sources/source.ts";
import { HISTDATA_2018 } from "./_model.ts";
import { repeatsOf } from "./_cli.ts";

const RUNS = 30;
const SEED = 42;
/**
 * The default 2018 `--no-ml` run's trades, trades per decision bar with room and bars in
 * a position (what the backtest chooses the baseline's Workers by).
 */
const BARS_IN_POSITION = 71_615;
const TARGET = {
  trades: 107,
  entryRate: 0.0007,
  netProfit: -230,
  profitFactor: 0.89,
  sharpe: -0.48,
};

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    figures: { type: "string" },
    workers: { type: "string" },
  },
  strict: true,
});
const repeats = repeatsOf(values.repeats, "baseline bench");
const workers = values.workers === undefined
  ? defaultBaselineWorkers(RUNS, BARS_IN_POSITION)
  : Number(values.workers);
if (!(Number.isInteger(workers) && workers >= 0)) {
  console.error(`baseline bench: --workers must be a whole number >= 0, got "${values.workers}"`);
  Deno.exit(2);
}

const source = await openSources([HISTDATA_2018], {});
const tape = new BarColumnsBuilder("M1", source.sides, false);
await lastValueFrom(replay$(source).pipe(recordBars(source.symbol, tape)));
const bars = tape.take();
const tradingStart = bars.openUs.findIndex((us) => us >= usFromIso("2018-02-14T16:00:00Z"));
const atrStarted = performance.now();
const levelAtr = levelAtrSeries(TECHNICAL_ONLY.levels, bars);
const atrMs = performance.now() - atrStarted;
const quotedStarted = performance.now();
const quoted = quotedBars(bars, resolveExecutionConfig({}).spreadModel, tradingStart);
const quotedMs = performance.now() - quotedStarted;
const setup: Omit<RandomRunSetup, "entryRate"> = {
  symbol: source.symbol,
  bars,
  tradingStart,
  fusion: TECHNICAL_ONLY,
  risk: parseRiskConfig({ news: { enabled: false } }, "bench"),
  calendar: null,
  execution: {},
  levelAtr,
  quoted,
};
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.error(
  `${bars.length.toLocaleString("en-US")} M1 bars, trading from bar ${tradingStart}; ` +
    `the levels' ATR over them once: ${atrMs.toFixed(1)} ms; their quotes once: ${
      quotedMs.toFixed(1)
    } ms`,
);

const loadBefore = load();
const perRun: number[] = [];
const figures: unknown[] = [];
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
for (let seed = SEED - 1; seed < SEED + RUNS; seed++) {
  const started = performance.now();
  const result = randomRun({ ...setup, entryRate: TARGET.entryRate }, seed);
  perRun.push(performance.now() - started);
  figures.push({ seed, ...result });
}
const cpu = process.cpuUsage(cpuBefore);
const cpuPerRun = (cpu.user + cpu.system) / 1000 / perRun.length;
const wallPerRun = (performance.now() - wallBefore) / perRun.length;
const walls: number[] = [];
let report: unknown = null;
for (let r = 0; r < repeats; r++) {
  const started = performance.now();
  report = await runRandomBaseline(setup, TARGET, {
    runs: RUNS,
    seed: SEED,
    workers,
  });
  walls.push(performance.now() - started);
  console.error(`runRandomBaseline ${r + 1}/${repeats}: ${walls[r].toFixed(0)} ms`);
}
const text = JSON.stringify({ runs: figures, report }, null, 1);
if (values.figures !== undefined) await Deno.writeTextFile(values.figures, text + "\n");
console.log(`load (1-minute average) ${loadBefore} before, ${load()} after`);
console.log(
  `one run on this thread: process CPU ${cpuPerRun.toFixed(1)} ms per run (wall ${
    wallPerRun.toFixed(1)
  } ms)`,
);
console.log(
  `one run on this thread: median ${median(perRun).toFixed(1)} ms, first ${
    perRun[0].toFixed(1)
  } ms, min ${Math.min(...perRun).toFixed(1)} ms (${perRun.length} runs)`,
);
console.log(
  `runRandomBaseline (pilot + ${RUNS} runs, ${workers} Workers): median ${
    median(walls).toFixed(0)
  } ms, ` +
    `min ${Math.min(...walls).toFixed(0)} ms (${repeats} repeats)`,
);
