/**
 * `regimes`: replays an M1 or tick file through the same pipeline as `serve`, with the
 * regime stage, and prints for each volatility label, trend label and their nine
 * combinations: share of labelled bars, episodes, mean duration and flips per trading
 * day. It only reads and counts: it never writes a file or changes a label.
 */

import { z } from "zod";
import { resampleBars } from "../../operators/bars/mod.ts";
import {
  detectRegimes,
  REGIME_DEFAULTS,
  type RegimeEvent,
  type RegimeOptions,
  type TrendLabel,
  type VolatilityLabel,
} from "../../operators/regime/mod.ts";
import type { Sink } from "../../sinks/sink.ts";
import { openSource } from "../../sources/mod.ts";
import type { Source } from "../../sources/source.ts";
import { runPipeline, type Stage } from "../build.ts";
import {
  type EventBatch,
  isoFromUs,
  type Timeframe,
  TIMEFRAME_US,
  US_PER_DAY,
  US_PER_HOUR,
} from "../events.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { utcToNyLocal } from "../tz.ts";
import { parseFlags, sourceOptions, sourceSchema, timeframe, validate } from "./args.ts";
import { REGIMES } from "./usage.ts";
import { m1Stages } from "./stages.ts";

const schema = sourceSchema.extend({
  timeframe: timeframe.refine((tf) => tf !== "M1", {
    message: "must be longer than M1, the bars the regime is built from",
  }).default("H1"),
  json: z.boolean().default(false),
});

const VOLATILITY_LABELS: readonly VolatilityLabel[] = ["low", "normal", "high"];
const TREND_LABELS: readonly TrendLabel[] = ["bear", "range", "bull"];

/** One label's line in a table. */
export interface RegimeRow {
  readonly label: string;
  /** Bars of the regime timeframe carrying the label. */
  readonly bars: number;
  /** Fraction of the labelled bars. */
  readonly share: number;
  /** Unbroken runs of the label, including ones cut by the start or end of the data. */
  readonly episodes: number;
  /** Mean run length in hours of data (bars x bar length), so weekends do not count. */
  readonly meanHours: number;
  /** Changes into the label (changes of any kind on the "any" row) per trading day. */
  readonly flipsPerDay: number;
}

export interface RegimeTables {
  readonly bars: number;
  /** Bars before the first labels. */
  readonly warmupBars: number;
  readonly labelledBars: number;
  /** Gold trading days (17:00 to 17:00 New York) holding a labelled bar. */
  readonly tradingDays: number;
  readonly volatility: readonly RegimeRow[];
  readonly trend: readonly RegimeRow[];
  /** The nine volatility/trend pairs. */
  readonly combined: readonly RegimeRow[];
}

export interface RegimesSummary extends RegimeTables {
  readonly file: string;
  readonly format: string;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly firstOpenUs: number | null;
  readonly lastCloseUs: number | null;
  readonly detector: Readonly<Required<RegimeOptions>>;
}

/** Counts runs of one labelling; `label` is null before the first labels. */
class RunTally {
  readonly bars = new Map<string, number>();
  readonly episodes = new Map<string, number>();
  readonly entries = new Map<string, number>();
  changes = 0;
  #current: string | null = null;

  add(label: string): void {
    if (label !== this.#current) {
      bump(this.episodes, label);
      if (this.#current !== null) {
        bump(this.entries, label);
        this.changes++;
      }
      this.#current = label;
    }
    bump(this.bars, label);
  }

  rows(labels: readonly string[], labelled: number, days: number, hoursPerBar: number) {
    const row = (label: string, bars: number, episodes: number, flips: number): RegimeRow => ({
      label,
      bars,
      share: labelled > 0 ? bars / labelled : 0,
      episodes,
      meanHours: episodes > 0 ? bars * hoursPerBar / episodes : 0,
      flipsPerDay: days > 0 ? flips / days : 0,
    });
    const rows = labels.map((label) =>
      row(
        label,
        this.bars.get(label) ?? 0,
        this.episodes.get(label) ?? 0,
        this.entries.get(label) ?? 0,
      )
    );
    const episodes = rows.reduce((sum, r) => sum + r.episodes, 0);
    return [...rows, row("any", labelled, episodes, this.changes)];
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * The tables for bars closing at `closesUs` (time order) labelled by `changes`: each bar
 * carries the labels of the last change at or before its close.
 */
export function tallyRegimes(
  closesUs: readonly number[],
  changes: readonly RegimeEvent[],
  timeframe: Timeframe,
): RegimeTables {
  const volatility = new RunTally();
  const trend = new RunTally();
  const combined = new RunTally();
  let next = 0;
  let current: RegimeEvent | null = null;
  let labelled = 0;
  let days = 0;
  let lastDay = NaN;
  for (const closeUs of closesUs) {
    while (next < changes.length && changes[next].timeUs <= closeUs) current = changes[next++];
    if (current === null) continue;
    labelled++;
    // The trading day opens at 17:00 New York: shift it to midnight, then count days.
    const day = Math.floor((utcToNyLocal(closeUs - 1) + 7 * US_PER_HOUR) / US_PER_DAY);
    if (day !== lastDay) days++;
    lastDay = day;
    volatility.add(current.volatility);
    trend.add(current.trend);
    combined.add(`${current.volatility}/${current.trend}`);
  }
  const hours = TIMEFRAME_US[timeframe] / US_PER_HOUR;
  const pairs = VOLATILITY_LABELS.flatMap((v) => TREND_LABELS.map((t) => `${v}/${t}`));
  return {
    bars: closesUs.length,
    warmupBars: closesUs.length - labelled,
    labelledBars: labelled,
    tradingDays: days,
    volatility: volatility.rows(VOLATILITY_LABELS, labelled, days, hours),
    trend: trend.rows(TREND_LABELS, labelled, days, hours),
    combined: combined.rows(pairs, labelled, days, hours),
  };
}

/** Keeps the regime-timeframe bar closes and the regime events of `symbol`. */
function regimeLog(symbol: string, timeframe: Timeframe) {
  const closesUs: number[] = [];
  const changes: RegimeEvent[] = [];
  let firstOpenUs: number | null = null;
  const sink = {
    name: "regime-log",
    write(batch: EventBatch) {
      for (const event of batch) {
        if (event.kind === "bar" && event.symbol === symbol && event.timeframe === timeframe) {
          firstOpenUs ??= event.openUs;
          closesUs.push(event.closeUs);
        } else if (event.kind === "regime" && event.symbol === symbol) {
          changes.push(event);
        }
      }
    },
    close() {},
  } satisfies Sink;
  return { sink, closesUs, changes, firstOpenUs: () => firstOpenUs };
}

/** The stages from `source`'s events to regime events beside the regime-timeframe bars. */
function regimeStages(source: Source, target: Timeframe): Stage[] {
  const stages = m1Stages(source, "regime labels");
  // The bars are only counted; the regime stage resamples on its own. Neither sees the
  // forming bucket at the end of the data, so both count the same bars.
  stages.push({
    name: `resample-${target}`,
    operator: resampleBars(target, { input: "M1", dayStart: "new-york-17" }),
  });
  stages.push({
    name: "regimes",
    operator: detectRegimes({ symbol: source.symbol, timeframe: target, dayStart: "new-york-17" }),
  });
  return stages;
}

export async function regimes(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, REGIMES.flags),
  );
  const source = await openSource(flags.data, sourceOptions(flags));
  const log = regimeLog(source.symbol, flags.timeframe);
  const run = runPipeline({
    sourceName: "file",
    source$: replay$(source),
    stages: regimeStages(source, flags.timeframe),
    sinks: [log.sink],
    health: createHealthRegistry(),
  });
  await run.done;
  const summary: RegimesSummary = {
    file: source.path,
    format: source.format,
    symbol: source.symbol,
    timeframe: flags.timeframe,
    firstOpenUs: log.firstOpenUs(),
    lastCloseUs: log.closesUs.at(-1) ?? null,
    detector: REGIME_DEFAULTS,
    ...tallyRegimes(log.closesUs, log.changes, flags.timeframe),
  };
  console.log(flags.json ? JSON.stringify(summary, null, 2) : formatRegimes(summary));
}

const n = (value: number) => value.toLocaleString("en-US");
const time = (us: number | null) => (us === null ? "-" : isoFromUs(us));

function table(title: string, rows: readonly RegimeRow[]): string[] {
  const head = `${title.padEnd(16)}${"share".padStart(8)}${"episodes".padStart(10)}` +
    `${"mean hours".padStart(12)}${"flips/day".padStart(11)}`;
  return [
    head,
    ...rows.map((r) =>
      `  ${r.label.padEnd(14)}${`${(100 * r.share).toFixed(1)}%`.padStart(8)}` +
      `${n(r.episodes).padStart(10)}${r.meanHours.toFixed(1).padStart(12)}` +
      `${r.flipsPerDay.toFixed(2).padStart(11)}`
    ),
  ];
}

export function formatRegimes(s: RegimesSummary): string {
  const d = s.detector;
  return [
    `regimes of ${s.symbol} on ${s.timeframe} bars, ${time(s.firstOpenUs)} to ${
      time(s.lastCloseUs)
    } (UTC)`,
    `source: ${s.file} (${s.format})`,
    `detector: volatility = std of ${d.volatilityWindow} log returns, ranked among its last ` +
    `${d.percentileLookback} values: high above ${d.highEnter} until below ${d.highLeave}, ` +
    `low below ${d.lowEnter} until above ${d.lowLeave}`,
    `  trend starts at ADX(${d.adxPeriod}) >= ${d.adxEnter} and efficiency ratio(` +
    `${d.efficiencyWindow}) >= ${d.efficiencyEnter}, in the direction of the ` +
    `${d.efficiencyWindow}-bar move; ends at ADX < ${d.adxLeave}, ratio < ${d.efficiencyLeave} ` +
    `or a move against it`,
    `  every label holds at least ${d.minDurationBars} bars`,
    `${s.timeframe} bars: ${n(s.bars)}, of which warm-up ${n(s.warmupBars)} and labelled ${
      n(s.labelledBars)
    } over ${n(s.tradingDays)} trading days (17:00 to 17:00 New York)`,
    ...(s.labelledBars === 0 ? ["no labels: the data ends before the detector is warm"] : [
      "",
      ...table("volatility", s.volatility),
      "",
      ...table("trend", s.trend),
      "",
      ...table("volatility/trend", s.combined),
    ]),
  ].join("\n");
}
