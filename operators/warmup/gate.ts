/**
 * `tradingWindow`: the stage that separates warm-up from trading. Everything before the
 * window opens feeds the strategy's indicators, features, model and regimes upstream and
 * is then dropped, so risk, execution and every report downstream see only the traded
 * period; while it is closed, the stage notes when each signal source first voted. Once
 * open it passes every batch through untouched: a first vote after that is for the
 * traded period's tally to note (`SourceAttribution`).
 *
 * The window opens at the first M1 bar opening at or after `fromUs`, or, without one, at
 * the first M1 bar after a signal on which every required source voted. The regime in
 * force then goes into the record, so reports know the regime of the first trades. It
 * must never reorder events, never pass an event from before the window, and never
 * schedule per event.
 */

import { defer, map, type OperatorFunction } from "rxjs";
import { type EventBatch, isoFromUs, type RegimeEvent, US_PER_DAY } from "../../pipeline/events.ts";
import { SOURCE_NAMES, type SourceName } from "./needs.ts";

export interface TradingWindowOptions {
  readonly symbol: string;
  /** Trading starts at the first M1 bar opening here or later; null: once warm. */
  readonly fromUs: number | null;
  /** The sources that must have voted before trading starts when `fromUs` is null. */
  readonly required: readonly SourceName[];
  /** How the data is named in an error: the file(s) read. */
  readonly dataName: string;
}

/** What the window saw: filled in as the stream runs, read once it completes. */
export interface WarmUpRecord {
  /** Open of the first M1 bar read; NaN when none came. */
  firstBarUs: number;
  /** Open of the first M1 bar traded; NaN while the window is closed. */
  tradingStartUs: number;
  /** M1 bars read before the window opened. */
  warmBars: number;
  /** Close of the first bar each source voted on before the window opened; null: none did. */
  readonly firstVoteUs: Record<SourceName, number | null>;
  /** The last regime change before the window opened: the regime the first trades ran in. */
  regimeAtStart: RegimeEvent | null;
}

/** A fresh record, nothing seen. */
export function emptyWarmUpRecord(): WarmUpRecord {
  return {
    firstBarUs: NaN,
    tradingStartUs: NaN,
    warmBars: 0,
    regimeAtStart: null,
    firstVoteUs: Object.fromEntries(SOURCE_NAMES.map((s) => [s, null])) as Record<
      SourceName,
      number | null
    >,
  };
}

/** Data that starts more than this after `--from` did not reach it (a weekend and a holiday fit). */
const FROM_SLACK_US = 4 * US_PER_DAY;

/**
 * Drops every event before the trading window and records the warm-up into `record`.
 *
 * @example
 * ```ts
 * const record = emptyWarmUpRecord();
 * const stage = {
 *   name: "trading-window",
 *   operator: tradingWindow({ symbol: "XAUUSD", fromUs: null, required: ["technical"], dataName: "2018.csv" }, record),
 * };
 * ```
 */
export function tradingWindow(
  options: TradingWindowOptions,
  record: WarmUpRecord,
): OperatorFunction<EventBatch, EventBatch> {
  const { symbol, fromUs, required } = options;
  return (source) =>
    defer(() => {
      let open = false;
      /** Without `fromUs`: every required source has voted, so the next bar trades. */
      let warm = required.length === 0;
      return source.pipe(map((batch: EventBatch): EventBatch => {
        if (open) return batch;
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i];
          if (event.kind === "signal" && event.symbol === symbol) {
            for (const vote of event.votes) {
              record.firstVoteUs[vote.source as SourceName] ??= event.timeUs;
            }
            if (!warm && required.every((s) => record.firstVoteUs[s] !== null)) warm = true;
            continue;
          }
          if (event.kind === "regime" && event.symbol === symbol) {
            record.regimeAtStart = event;
            continue;
          }
          if (event.kind !== "bar" || event.symbol !== symbol || event.timeframe !== "M1") continue;
          if (Number.isNaN(record.firstBarUs)) {
            record.firstBarUs = event.openUs;
            if (fromUs !== null && event.openUs > fromUs + FROM_SLACK_US) {
              throw new RangeError(
                `--from ${isoFromUs(fromUs)} is before the data starts: the first bar of ` +
                  `${options.dataName} opens ${isoFromUs(event.openUs)}`,
              );
            }
          }
          if (fromUs !== null ? event.openUs >= fromUs : warm) {
            open = true;
            record.tradingStartUs = event.openUs;
            // The opening bar and everything after it trade.
            return batch.slice(i);
          }
          record.warmBars++;
        }
        return [];
      }));
    });
}
