/**
 * `detectRegimes`: the regime detector as an RxJS operator over event batches. It
 * watches one symbol's M1 bars, resamples them to the regime timeframe (default H1)
 * with the bars folder's `Resampler`, feeds each closed bucket to a `RegimeDetector`,
 * and inserts a `RegimeEvent` where a label changed.
 *
 * 1. Every input event passes through unchanged and in order.
 * 2. A regime bucket closes on the M1 bar that reaches its end, or is revealed by the
 *    first M1 bar of a later bucket (after a hole); the event goes just after the first
 *    and just before the second, so events stay in time order.
 * 3. Nothing else is emitted: no event per bar, none while warming up, and the forming
 *    bucket is never fed to the detector (not even at the end of a replay).
 *
 * It maps batch to batch and must never schedule per event or look at a later bar.
 */

import { defer, map, type OperatorFunction } from "rxjs";
import {
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type RegimeEvent,
  type Timeframe,
} from "../../pipeline/events.ts";
import { resampleBid, Resampler, type ResamplerOptions } from "../bars/mod.ts";
import { type RegimeBar, RegimeDetector, type RegimeOptions } from "./regime.ts";

export interface DetectRegimesOptions extends ResamplerOptions {
  /** The symbol whose M1 bars are watched; other events pass through. */
  readonly symbol: string;
  /** The timeframe the regime is measured on; longer than M1. Default `H1`. */
  readonly timeframe?: Timeframe;
  /** The detector's settings; see `REGIME_DEFAULTS`. */
  readonly regime?: RegimeOptions;
}

/**
 * Inserts a `RegimeEvent` for `options.symbol` each time its regime labels change.
 *
 * @example
 * ```ts
 * const stage = { name: "regimes", operator: detectRegimes({ symbol: "XAUUSD" }) };
 * ```
 */
export function detectRegimes(
  options: DetectRegimesOptions,
): OperatorFunction<EventBatch, EventBatch> {
  const { symbol } = options;
  const timeframe = options.timeframe ?? "H1";
  if (timeframe === "M1") {
    throw new RangeError(
      `Cannot detect regimes on M1: the timeframe must be longer than the M1 bars it is built from`,
    );
  }
  // Built once here so bad settings fail when the stage is made, not at subscription.
  const settings = new RegimeDetector(options.regime).options;
  return (source) =>
    defer(() => {
      const detector = new RegimeDetector(settings);
      const made: RegimeEvent[] = [];
      // One bar object, refilled per bucket: the detector keeps no reference to it.
      const bar: { -readonly [K in keyof RegimeBar]: number } = {
        open: NaN,
        high: NaN,
        low: NaN,
        close: NaN,
        closeUs: NaN,
      };
      const resampler = new Resampler(timeframe, {
        push(_openUs, closeUs, bidOpen, bidHigh, bidLow, bidClose) {
          bar.open = bidOpen;
          bar.high = bidHigh;
          bar.low = bidLow;
          bar.close = bidClose;
          bar.closeUs = closeUs;
          if (detector.update(bar)) made.push(regimeEvent(symbol, timeframe, detector));
        },
      }, options);

      const step = (batch: EventBatch): EventBatch => {
        let out: (MarketEvent | RegimeEvent)[] | null = null;
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i];
          if (event.kind !== "bar" || event.timeframe !== "M1" || event.symbol !== symbol) {
            out?.push(event);
            continue;
          }
          const { bid } = event;
          resampleBid(resampler, event.openUs, event.closeUs, bid, event.volume);
          if (made.length === 0) {
            out?.push(event);
            continue;
          }
          out ??= batch.slice(0, i);
          let k = 0;
          while (k < made.length && made[k].timeUs <= event.openUs) out.push(made[k++]);
          out.push(event);
          while (k < made.length) out.push(made[k++]);
          made.length = 0;
        }
        return out ?? batch;
      };
      return source.pipe(map(step));
    });
}

/** The event for the detector's labels, just changed at the bar closing at `sinceUs`. */
function regimeEvent(symbol: string, timeframe: Timeframe, detector: RegimeDetector): RegimeEvent {
  return {
    v: EVENT_VERSION,
    kind: "regime",
    symbol,
    timeframe,
    timeUs: detector.sinceUs,
    // update() returned true, so both labels are set.
    volatility: detector.volatility!,
    trend: detector.trend!,
    measures: {
      realisedVolatility: detector.realisedVolatility,
      volatilityPercentile: detector.volatilityPercentile,
      adx: detector.adx,
      efficiencyRatio: detector.efficiencyRatio,
      move: detector.move,
    },
  };
}
