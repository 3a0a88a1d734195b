/**
 * How much history a strategy needs before `--from`, computed from what its sources
 * declare, never guessed: each source states the closed bars of each timeframe it needs
 * before its first vote (`WarmUpNeed`), and `historyStartUs` turns those needs into the
 * instant reading must start, by walking the gold session calendar back from the trading
 * start. The feature spec is data, so its needs are measured by feeding the real
 * `FeatureEngine` one timeframe at a time until it is ready (`featureWarmUpNeeds`).
 *
 * Real files miss holidays and the odd hour, so the span gets a holiday allowance, and
 * the run checks afterwards when each source really first voted (gate.ts). This module
 * must never read market data or a clock.
 */

import { type Timeframe, TIMEFRAME_US, US_PER_DAY, US_PER_MINUTE } from "../../pipeline/events.ts";
import { isInSession } from "../../pipeline/session.ts";
import { type DayStart, Resampler } from "../bars/resample.ts";
import { FeatureEngine } from "../features/engine.ts";
import { type FeatureSpec, parseFeatureSpec } from "../features/spec.ts";

/** The signal sources, in the order reports list them. */
export const SOURCE_NAMES = ["technical", "ml", "regime", "llm"] as const;
export type SourceName = typeof SOURCE_NAMES[number];

/** Closed bars of one timeframe a source needs before its first vote. */
export interface WarmUpNeed {
  readonly source: SourceName | "levels";
  readonly timeframe: Timeframe;
  readonly bars: number;
}

/** In-session M1 bars per traded day, the D1 bar's length in minutes (23 h). */
const SESSION_MINUTES_PER_DAY = 23 * 60;

/**
 * The instant reading must start so that, with complete data, every need is met by the
 * closed bars before `tradeFromUs`: for each need, the open of the `bars`-th complete
 * bucket of its timeframe before `tradeFromUs` on the session calendar (buckets as the
 * pipeline's `Resampler` cuts them, H4 and D1 from `dayStart`), less a holiday allowance
 * of one calendar day per 20 in the span, plus one.
 */
export function historyStartUs(
  tradeFromUs: number,
  needs: readonly WarmUpNeed[],
  dayStart: DayStart,
): number {
  let startUs = tradeFromUs;
  for (const need of needs) {
    if (need.bars <= 0) continue;
    startUs = Math.min(startUs, needStartUs(tradeFromUs, need, dayStart));
  }
  const spanDays = Math.ceil((tradeFromUs - startUs) / US_PER_DAY);
  if (spanDays === 0) return tradeFromUs;
  return startUs - (Math.ceil(spanDays / 20) + 1) * US_PER_DAY;
}

/** The open of the `need.bars`-th complete bucket of its timeframe before `endUs`. */
function needStartUs(endUs: number, need: WarmUpNeed, dayStart: DayStart): number {
  // A traded day has 23 session hours; weekends and a margin make the calendar span
  // larger, and the search widens until enough buckets are found.
  const perDay = SESSION_MINUTES_PER_DAY * US_PER_MINUTE / TIMEFRAME_US[need.timeframe];
  let spanDays = Math.ceil((need.bars / Math.min(perDay, SESSION_MINUTES_PER_DAY)) * 7 / 5) + 7;
  for (;;) {
    const opens = sessionBucketOpens(endUs - spanDays * US_PER_DAY, endUs, need, dayStart);
    if (opens.length >= need.bars) return opens[opens.length - need.bars];
    spanDays *= 2;
  }
}

/**
 * Opens of the complete `need.timeframe` buckets of session minutes in [fromUs, toUs).
 * The resampler hands a bucket over once its last minute has closed, so the one still
 * forming at `toUs` is never counted.
 */
function sessionBucketOpens(
  fromUs: number,
  toUs: number,
  need: WarmUpNeed,
  dayStart: DayStart,
): number[] {
  const opens: number[] = [];
  const resampler = new Resampler(need.timeframe, {
    push(openUs) {
      opens.push(openUs);
    },
  }, { dayStart });
  const first = Math.ceil(fromUs / US_PER_MINUTE) * US_PER_MINUTE;
  for (let t = first; t + US_PER_MINUTE <= toUs; t += US_PER_MINUTE) {
    if (!isInSession(t)) continue;
    if (need.timeframe === "M1") opens.push(t);
    else resampler.update(t, t + US_PER_MINUTE, 1, 1, 1, 1, NaN, NaN, NaN, NaN, NaN, 0);
  }
  return opens;
}

/**
 * The closed bars of each timeframe the spec's features need before its first full row,
 * measured by feeding a `FeatureEngine` built from that timeframe's features alone with
 * synthetic bars on the session calendar, counting that timeframe's closed buckets until
 * every feature is ready. Exact for the engine as it is, whatever the kinds and periods.
 */
export function featureWarmUpNeeds(
  spec: FeatureSpec,
  hasSpread: boolean,
  source: SourceName = "ml",
): WarmUpNeed[] {
  const needs: WarmUpNeed[] = [];
  const timeframes = [...new Set(spec.features.map((f) => f.timeframe))];
  for (const timeframe of timeframes) {
    const part = parseFeatureSpec({
      ...spec,
      features: spec.features.filter((f) => f.timeframe === timeframe),
    }, `the ${timeframe} part of spec "${spec.name}"`);
    needs.push({ source, timeframe, bars: barsUntilReady(part, timeframe, hasSpread) });
  }
  return needs;
}

/** A Sunday 18:00 New York (2017-01-01 23:00 UTC): the probe's synthetic week opens here. */
const PROBE_START_US = Date.UTC(2017, 0, 1, 23) * 1000;
/** No default feature needs more than a year of any timeframe; a spec that does is refused. */
const PROBE_LIMIT_US = 400 * US_PER_DAY;

function barsUntilReady(spec: FeatureSpec, timeframe: Timeframe, hasSpread: boolean): number {
  const engine = new FeatureEngine(spec, { hasSpread });
  const row = new Float64Array(spec.features.length);
  let closed = 0;
  const counter = new Resampler(timeframe, {
    push() {
      closed++;
    },
  }, { dayStart: spec.dayStart });
  let minute = 0;
  for (let t = PROBE_START_US; t < PROBE_START_US + PROBE_LIMIT_US; t += US_PER_MINUTE) {
    if (!isInSession(t)) continue;
    // A deterministic wobble: prices that move, so no indicator sits on a zero range.
    const close = 1000 + 3 * Math.sin(minute / 37) + Math.sin(minute / 5.3);
    const open = 1000 + 3 * Math.sin((minute - 1) / 37) + Math.sin((minute - 1) / 5.3);
    const high = Math.max(open, close) + 0.2;
    const low = Math.min(open, close) - 0.2;
    minute++;
    if (timeframe === "M1") closed++;
    else counter.update(t, t + US_PER_MINUTE, open, high, low, close, NaN, NaN, NaN, NaN, NaN, 0);
    const spread = hasSpread ? 0.3 + 0.05 * Math.sin(minute / 7) : NaN;
    if (engine.update(t, t + US_PER_MINUTE, open, high, low, close, spread, row)) return closed;
  }
  throw new RangeError(
    `Cannot measure the warm-up of feature spec "${spec.name}": its ${timeframe} features ` +
      `are not ready after 400 days of bars`,
  );
}
