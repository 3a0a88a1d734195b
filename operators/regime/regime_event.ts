/**
 * The event a regime change publishes: plain, versioned and JSON-serialisable like every
 * pipeline event. It lives here until it joins `MarketEvent` in `pipeline/events.ts`;
 * until then a batch that carries it is a `RegimeEventBatch`, and `eventTimeUs()` does
 * not know its time. It must never hold behaviour.
 */

import type { EVENT_VERSION, MarketEvent, Timeframe } from "../../pipeline/events.ts";
import type { TrendLabel, VolatilityLabel } from "./regime.ts";

/** The measures behind the labels, at the bar that changed them. */
export interface RegimeMeasures {
  /** Per-bar standard deviation of log returns, not annualised. */
  readonly realisedVolatility: number;
  /** Mid-rank percentile (0-1) of the realised volatility in its lookback. */
  readonly volatilityPercentile: number;
  readonly adx: number;
  /** Kaufman's efficiency ratio, 0 to 1. */
  readonly efficiencyRatio: number;
  /** Signed log return over the efficiency window. */
  readonly move: number;
}

/** The regime of `symbol` changed at the close of a `timeframe` bar (`timeUs`). */
export interface RegimeEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "regime";
  readonly symbol: string;
  /** The timeframe of the bars the regime is measured on. */
  readonly timeframe: Timeframe;
  /** Close of the bar that changed the labels: the moment the change became known. */
  readonly timeUs: number;
  readonly volatility: VolatilityLabel;
  readonly trend: TrendLabel;
  readonly measures: RegimeMeasures;
}

/** A time-ordered batch that may carry regime events. */
export type RegimeEventBatch = readonly (MarketEvent | RegimeEvent)[];
