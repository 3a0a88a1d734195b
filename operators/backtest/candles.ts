/**
 * The candles under the report's price chart: a run's M1 bars resampled (bid prices) to
 * H1, H4 and D1 at once, with the bars folder's `ResamplerCascade` (H4 and D1 counted from
 * 17:00 New York, the gold trading day), and at the end the finest of them that keeps
 * the chart to at most `MAX_REPORT_CANDLES`: H1 for weeks, H4 for a year, D1 beyond.
 * Memory is one candle per H1 hour of the run (about 6,000 a year).
 * It must never emit a forming candle before the end, nor invent one for an empty hour.
 */

import type { BarEvent, Timeframe } from "../../pipeline/events.ts";
import { resampleBid, ResamplerCascade } from "../bars/mod.ts";

/** One candle: bid OHLC from the bucket's open time. */
export interface Candle {
  readonly openUs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** Candles of one timeframe, oldest first. */
export interface CandleSeries {
  readonly timeframe: Timeframe;
  readonly candles: readonly Candle[];
}

/** The timeframes collected, finest first. */
export const REPORT_TIMEFRAMES = ["H1", "H4", "D1"] as const satisfies readonly Timeframe[];

/**
 * Most candles the chart gets: a year of H4 (about 1,560) fits, a year of H1 (about
 * 6,000) does not; each candle is about 60 bytes of the page.
 */
export const MAX_REPORT_CANDLES = 2000;

/** Collects the candles of a run, one M1 bar at a time. */
export class ReportCandles {
  readonly #series = REPORT_TIMEFRAMES.map((timeframe) => ({
    timeframe,
    candles: [] as Candle[],
  }));
  /** H1 from the M1 bars, H4 and D1 from the closed H1 candles (the buckets nest). */
  readonly #cascade = new ResamplerCascade(
    this.#series.map(({ timeframe, candles }) => [timeframe, {
      push(openUs, _closeUs, open, high, low, close) {
        candles.push({ openUs, open, high, low, close });
      },
    }]),
    { dayStart: "new-york-17" },
  );

  /** Takes one M1 bar of the run, in time order. */
  update(bar: BarEvent): void {
    resampleBid(this.#cascade, bar.openUs, bar.closeUs, bar.bid, bar.volume);
  }

  /**
   * Ends the run (the last, possibly partial, candles are emitted) and returns the finest
   * series with at most `MAX_REPORT_CANDLES` candles, else the coarsest.
   */
  finish(): CandleSeries {
    this.#cascade.flush();
    const fitting = this.#series.find((s) => s.candles.length <= MAX_REPORT_CANDLES) ??
      this.#series[this.#series.length - 1];
    return { timeframe: fitting.timeframe, candles: fitting.candles };
  }
}
