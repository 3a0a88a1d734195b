/**
 * The feature engine's oracle, built without any of its parts: higher-timeframe bars by
 * a plain group-by of the M1 history (UTC buckets for M5 to H1; 17:00 New York days for
 * H4 and D1, with New York time read from the platform's time-zone database through
 * `Intl`, not `pipeline/tz.ts`), indicators by the textbook batch formulas of
 * `../indicators/_batch.ts`, session features from `Intl` wall clocks, and the spec's
 * scaling. Nothing here streams, and nothing from `operators/` is used but the spec's
 * type.
 */

import type { FeatureSpec } from "@/operators/features/spec.ts";
import { type Timeframe, TIMEFRAME_US } from "@/pipeline/events.ts";
import {
  batchAdx,
  batchAtr,
  batchBollinger,
  batchCandleShape,
  batchCci,
  batchEma,
  batchHighLowDistance,
  batchLogReturn,
  batchMacd,
  batchRoc,
  batchRsi,
  batchSma,
  batchStochastic,
  batchVolatility,
  batchWilliamsR,
  batchZScore,
} from "../indicators/_batch.ts";
import type { PriceBarArrays } from "../indicators/_real_bars.ts";
import type { M1Bars } from "./_history.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// ---- Wall clocks by Intl -------------------------------------------------------------

/**
 * A zone's offset from UTC by `Intl`, cached per UTC hour: New York, London and Tokyo
 * change offset only on whole UTC hours.
 */
class Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #byHour = new Map<number, number>();

  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
  }

  /** Local wall-clock time written as if it were UTC, in ms. */
  local(utcMs: number): number {
    const hour = Math.floor(utcMs / HOUR_MS);
    let offset = this.#byHour.get(hour);
    if (offset === undefined) {
      const p: Record<string, number> = {};
      for (const part of this.#format.formatToParts(new Date(hour * HOUR_MS))) {
        p[part.type] = Number(part.value);
      }
      offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - hour * HOUR_MS;
      this.#byHour.set(hour, offset);
    }
    return utcMs + offset;
  }

  /** The UTC instant of a local wall-clock time that exists once (no DST gap or overlap). */
  utc(localMs: number): number {
    let candidate = localMs;
    for (let attempt = 0; attempt < 3; attempt++) {
      candidate = localMs - (this.local(candidate) - candidate);
      if (this.local(candidate) === localMs) return candidate;
    }
    throw new RangeError(`No UTC instant for local ${new Date(localMs).toISOString()}`);
  }
}

const NEW_YORK = new Zone("America/New_York");
const LONDON = new Zone("Europe/London");
const TOKYO = new Zone("Asia/Tokyo");

/** New York's offset from UTC at an instant, in hours, by Intl. */
export function newYorkOffsetHours(utcUs: number): number {
  const ms = utcUs / 1000;
  return (NEW_YORK.local(ms) - ms) / HOUR_MS;
}

/** London's offset from UTC at an instant, in hours, by Intl: EU summer time or not. */
export function londonOffsetHours(utcUs: number): number {
  const ms = utcUs / 1000;
  return (LONDON.local(ms) - ms) / HOUR_MS;
}

const weekdayOfDay = (day: number) => new Date(day * DAY_MS).getUTCDay();

// ---- Higher-timeframe bars by group-by -----------------------------------------------

/** Bid bars with the spread at each bar's close, when the data has one. */
interface SpreadBars extends PriceBarArrays {
  readonly spread: Float64Array | null;
}

/** Bars of one timeframe; `endUs` is the bucket's nominal end, when it counts as closed. */
export interface TimeframeBars extends SpreadBars {
  readonly openUs: Float64Array;
  readonly endUs: Float64Array;
}

/** The bucket [start, end) in UTC ms holding the M1 bar opening at `openMs`. */
function bucketOf(openMs: number, timeframe: Timeframe, dayStart: string): [number, number] {
  const step = TIMEFRAME_US[timeframe] / 1000;
  if (!(dayStart === "new-york-17" && (timeframe === "H4" || timeframe === "D1"))) {
    const start = Math.floor(openMs / step) * step;
    return [start, start + step];
  }
  // The gold day runs from 17:00 New York to 17:00 the next day; H4 counts from it.
  const day = Math.floor((NEW_YORK.local(openMs) - 17 * HOUR_MS) / DAY_MS);
  const dayOpen = NEW_YORK.utc(day * DAY_MS + 17 * HOUR_MS);
  const dayClose = NEW_YORK.utc((day + 1) * DAY_MS + 17 * HOUR_MS);
  if (timeframe === "D1") return [dayOpen, dayClose];
  const start = dayOpen + Math.floor((openMs - dayOpen) / step) * step;
  return [start, Math.min(start + step, dayClose)];
}

/**
 * Groups M1 bars into `timeframe` buckets: open first, high max, low min, close and
 * spread last (the spread at the bucket's close). The
 * bars closed by an M1 bar's close are a prefix of these: a bucket ending by then holds
 * only bars up to it, and the forming bucket ends later.
 */
export function groupBars(m1: M1Bars, timeframe: Timeframe, dayStart: string): TimeframeBars {
  if (timeframe === "M1") {
    return { ...m1, endUs: m1.closeUs };
  }
  const n = m1.length;
  const openUs = new Float64Array(n);
  const endUs = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const spread = m1.spread === null ? null : new Float64Array(n);
  let k = -1;
  let bucketEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    const openMs = m1.openUs[i] / 1000;
    if (openMs >= bucketEnd) {
      const [start, end] = bucketOf(openMs, timeframe, dayStart);
      k++;
      openUs[k] = start * 1000;
      endUs[k] = end * 1000;
      open[k] = m1.open[i];
      high[k] = m1.high[i];
      low[k] = m1.low[i];
      bucketEnd = end;
    } else {
      high[k] = Math.max(high[k], m1.high[i]);
      low[k] = Math.min(low[k], m1.low[i]);
    }
    close[k] = m1.close[i];
    if (spread !== null) spread[k] = m1.spread![i];
  }
  const length = k + 1;
  return {
    length,
    openUs: openUs.slice(0, length),
    endUs: endUs.slice(0, length),
    open: open.slice(0, length),
    high: high.slice(0, length),
    low: low.slice(0, length),
    close: close.slice(0, length),
    spread: spread?.slice(0, length) ?? null,
  };
}

/** The index of the last bar closed at `timeUs` (its end at or before it), or -1. */
function lastClosed(bars: TimeframeBars, timeUs: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bars.endUs[mid] <= timeUs) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function tail(bars: SpreadBars, from: number, to: number): SpreadBars {
  return {
    length: to - from,
    open: bars.open.subarray(from, to),
    high: bars.high.subarray(from, to),
    low: bars.low.subarray(from, to),
    close: bars.close.subarray(from, to),
    spread: bars.spread?.subarray(from, to) ?? null,
  };
}

// ---- Indicators by batch formulas ----------------------------------------------------

/** Each kind's parameters when a spec leaves them out, as docs/features.md lists them. */
export const DOCUMENTED_DEFAULTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  log_return: { period: 1 },
  rsi: { period: 14 },
  ema_gap: { period: 20 },
  sma_gap: { period: 20 },
  macd: { fast: 12, slow: 26, signal: 9 },
  bollinger: { period: 20, multiplier: 2 },
  atr: { period: 14 },
  adx: { period: 14 },
  stochastic: { k_period: 14, d_period: 3 },
  williams_r: { period: 14 },
  cci: { period: 20 },
  roc: { period: 10 },
  volatility: { period: 30 },
  zscore: { period: 50 },
  high_low: { period: 60 },
  candle: {},
  spread: { period: 60 },
  regime: { percentile_lookback: 720, min_duration_bars: 8 },
  session: {},
};

type Params = Readonly<Record<string, number>>;

/** The output a feature reads when its spec names none, where it is not `value`. */
const FIRST_OUTPUT: Readonly<Record<string, string>> = {
  macd: "line",
  bollinger: "percent_b",
  adx: "adx",
  stochastic: "k",
  high_low: "to_high",
  candle: "body",
  spread: "current",
  session: "hour_sin",
};

/**
 * How many of the latest bars a kind's value depends on, or Infinity for the recursive
 * (EMA and Wilder) ones, whose value depends on every bar since the start.
 */
export function memoryOf(kind: string, p: Params): number {
  switch (kind) {
    case "log_return":
    case "roc":
    case "volatility":
      return p.period + 1;
    case "sma_gap":
    case "bollinger":
    case "williams_r":
    case "cci":
    case "zscore":
    case "high_low":
    case "spread":
      return p.period;
    case "stochastic":
      return p.k_period + p.d_period - 1;
    case "candle":
    case "session":
      return 1;
    default:
      return Infinity;
  }
}

function gap(close: Float64Array, average: Float64Array): Float64Array {
  return close.map((c, i) => c - average[i]);
}

/** Every output of a bar-fed kind over `b`, by the textbook batch formulas. */
function batchOutputs(kind: string, p: Params, b: SpreadBars): Record<string, Float64Array> {
  switch (kind) {
    case "log_return":
      return { value: batchLogReturn(b.close, p.period) };
    case "rsi":
      return { value: batchRsi(b.close, p.period) };
    case "ema_gap":
      return { value: gap(b.close, batchEma(b.close, p.period)) };
    case "sma_gap":
      return { value: gap(b.close, batchSma(b.close, p.period)) };
    case "macd": {
      const m = batchMacd(b.close, p.fast, p.slow, p.signal);
      return { line: m.value, signal: m.signal, histogram: m.histogram };
    }
    case "bollinger": {
      const bb = batchBollinger(b.close, p.period, p.multiplier);
      return { percent_b: bb.percentB, width: bb.width };
    }
    case "atr":
      return { value: batchAtr(b, p.period) };
    case "adx": {
      const a = batchAdx(b, p.period);
      return { adx: a.value, plus_di: a.plusDi, minus_di: a.minusDi };
    }
    case "stochastic": {
      const s = batchStochastic(b, p.k_period, p.d_period);
      return { k: s.value, d: s.d };
    }
    case "williams_r":
      return { value: batchWilliamsR(b, p.period) };
    case "cci":
      return { value: batchCci(b, p.period) };
    case "roc":
      return { value: batchRoc(b.close, p.period) };
    case "volatility":
      return { value: batchVolatility(b.close, p.period) };
    case "zscore":
      return { value: batchZScore(b.close, p.period) };
    case "high_low": {
      const h = batchHighLowDistance(b, p.period);
      return { to_high: h.value, to_low: h.toLow };
    }
    case "candle": {
      const c = batchCandleShape(b);
      return {
        body: c.value,
        upper_wick: c.upperWick,
        lower_wick: c.lowerWick,
        range: c.range,
      };
    }
    case "spread": {
      if (b.spread === null) throw new TypeError("The spread kind needs bars with a spread");
      const spread = b.spread;
      return {
        current: spread.map((s, i) => (i + 1 >= p.period ? s : NaN)),
        mean: batchSma(spread, p.period),
      };
    }
    default:
      throw new TypeError(`No batch reference for kind "${kind}"`);
  }
}

// ---- Session features by Intl --------------------------------------------------------

/** Is this local time (ms, as if UTC) Monday to Friday within [from, to) minutes? */
function weekdayBetween(localMs: number, fromMinute: number, toMinute: number): boolean {
  const day = Math.floor(localMs / DAY_MS);
  const weekday = weekdayOfDay(day);
  const minute = (localMs - day * DAY_MS) / MINUTE_MS;
  return weekday >= 1 && weekday <= 5 && minute >= fromMinute && minute < toMinute;
}

/** One session feature at a UTC instant, from the definitions in docs/features.md. */
function sessionReference(output: string, timeUs: number): number {
  const ms = timeUs / 1000;
  const dayFraction = (ms - Math.floor(ms / DAY_MS) * DAY_MS) / DAY_MS;
  const weekday = new Date(ms).getUTCDay();
  const london = weekdayBetween(LONDON.local(ms), 8 * 60, 16 * 60 + 30);
  const newYork = weekdayBetween(NEW_YORK.local(ms), 8 * 60, 17 * 60);
  // The latest 18:00 New York open on a Sunday to Thursday, and the 17:00 break after it.
  const local = NEW_YORK.local(ms);
  let day = Math.floor(local / DAY_MS);
  if (local - day * DAY_MS < 18 * HOUR_MS) day--;
  while (weekdayOfDay(day) === 5 || weekdayOfDay(day) === 6) day--;
  const sessionOpen = NEW_YORK.utc(day * DAY_MS + 18 * HOUR_MS);
  const dailyBreak = NEW_YORK.utc((day + 1) * DAY_MS + 17 * HOUR_MS);
  switch (output) {
    case "hour_sin":
      return Math.sin(2 * Math.PI * dayFraction);
    case "hour_cos":
      return Math.cos(2 * Math.PI * dayFraction);
    case "weekday_sin":
      return Math.sin(2 * Math.PI * weekday / 7);
    case "weekday_cos":
      return Math.cos(2 * Math.PI * weekday / 7);
    case "london":
      return london ? 1 : 0;
    case "new_york":
      return newYork ? 1 : 0;
    case "asia":
      return weekdayBetween(TOKYO.local(ms), 9 * 60, 18 * 60) ? 1 : 0;
    case "london_new_york_overlap":
      return london && newYork ? 1 : 0;
    case "minutes_since_session_open":
      return (ms - sessionOpen) / MINUTE_MS;
    case "minutes_to_daily_break":
      return Math.max(0, (dailyBreak - ms) / MINUTE_MS);
    default:
      throw new TypeError(`Unknown session output "${output}"`);
  }
}

// ---- Features ------------------------------------------------------------------------

/** Divides by the close or the ATR; 0 in ATRs when the ATR is 0, NaN while either is. */
function scaled(raw: number, scale: string, close: number, atr: number): number {
  if (scale === "none") return raw;
  if (scale === "close") return raw / close;
  if (Number.isNaN(raw) || Number.isNaN(atr)) return NaN;
  return atr === 0 ? 0 : raw / atr;
}

/**
 * A spec's features at any M1 bar of a history, recomputed from scratch: the bars of
 * each timeframe closed by that bar's close, then the kind's batch formula over them.
 * Recursive kinds are computed once over the whole history and indexed (their value at
 * bar k depends on bars 0..k only); finite-window kinds over just their window.
 */
export class FeatureReference {
  readonly #timeframes = new Map<Timeframe, TimeframeBars>();
  readonly #series = new Map<string, Record<string, Float64Array>>();

  constructor(readonly spec: FeatureSpec, readonly m1: M1Bars) {}

  bars(timeframe: Timeframe): TimeframeBars {
    let bars = this.#timeframes.get(timeframe);
    if (bars === undefined) {
      bars = groupBars(this.m1, timeframe, this.spec.dayStart);
      this.#timeframes.set(timeframe, bars);
    }
    return bars;
  }

  #full(timeframe: Timeframe, kind: string, p: Params, output: string): Float64Array {
    const key = `${timeframe} ${kind} ${JSON.stringify(p)}`;
    let outputs = this.#series.get(key);
    if (outputs === undefined) {
      outputs = batchOutputs(kind, p, this.bars(timeframe));
      this.#series.set(key, outputs);
    }
    return outputs[output];
  }

  /** Feature `j` of the spec at M1 bar `i`. */
  valueAt(j: number, i: number): number {
    const def = this.spec.features[j];
    const p = { ...DOCUMENTED_DEFAULTS[def.kind], ...def.params };
    const output = def.output ?? FIRST_OUTPUT[def.kind] ?? "value";
    const bars = this.bars(def.timeframe);
    const k = lastClosed(bars, this.m1.closeUs[i]);
    if (k < 0) return NaN;
    let raw: number;
    if (def.kind === "session") {
      raw = sessionReference(output, bars.openUs[k]);
    } else {
      const memory = memoryOf(def.kind, p);
      raw = memory === Infinity
        ? this.#full(def.timeframe, def.kind, p, output)[k]
        : last(batchOutputs(def.kind, p, tail(bars, Math.max(0, k + 1 - memory), k + 1))[output]);
    }
    const atr = def.scale === "atr"
      ? this.#full(def.timeframe, "atr", { period: 14 }, "value")[k]
      : NaN;
    return scaled(raw, def.scale, bars.close[k], atr);
  }
}

function last(series: Float64Array): number {
  return series[series.length - 1];
}
