/**
 * The regime as a modifier, not a weighted vote: it scales the fused confidence of the
 * side the other sources chose and never picks a side itself, so a bull trend alone can
 * never open a buy. With the trend x `withTrend`, against it x `againstTrend`, in a
 * range x `range`; then high or low volatility x its own factor. The result is capped
 * at 1 by the fusion.
 *
 * It is still recorded among the signal's votes (weight 0) so the journal shows what it
 * thought: bull -> buy, bear -> sell, range -> flat, with Kaufman's efficiency ratio as
 * the confidence (1 - ratio for a range).
 */

import type { RegimeEvent, Side } from "../../pipeline/events.ts";
import type { RegimeConfig } from "./config.ts";
import type { SourceVote } from "./fuse.ts";

/** What the regime does to a fused decision. */
export interface RegimeEffect {
  /** Factor on a buy's confidence. */
  readonly buy: number;
  /** Factor on a sell's confidence. */
  readonly sell: number;
  /** Its record among the votes (it carries no weight). */
  readonly vote: SourceVote;
}

const clamp01 = (x: number) => (x > 1 ? 1 : x < 0 ? 0 : x);

/** The effect of the latest regime; none (null) before the first regime event. */
export function regimeEffect(
  regime: RegimeEvent | null,
  config: RegimeConfig,
): RegimeEffect | null {
  if (regime === null) return null;
  const { trend, volatility, measures } = regime;
  const volatilityFactor = volatility === "high"
    ? config.highVolatility
    : volatility === "low"
    ? config.lowVolatility
    : 1;
  const [buyTrend, sellTrend] = trend === "bull"
    ? [config.withTrend, config.againstTrend]
    : trend === "bear"
    ? [config.againstTrend, config.withTrend]
    : [config.range, config.range];
  const buy = buyTrend * volatilityFactor;
  const sell = sellTrend * volatilityFactor;
  const efficiency = clamp01(measures.efficiencyRatio);
  const side: Side | "flat" = trend === "bull" ? "buy" : trend === "bear" ? "sell" : "flat";
  return {
    buy,
    sell,
    vote: {
      source: "regime",
      side,
      confidence: trend === "range" ? 1 - efficiency : efficiency,
      reasons: [
        `${regime.timeframe} trend ${trend} (ADX ${measures.adx.toFixed(1)}, efficiency ${
          efficiency.toFixed(2)
        })`,
        `${regime.timeframe} volatility ${volatility} (percentile ${
          measures.volatilityPercentile.toFixed(2)
        })`,
        `modifier: buy x ${buy.toFixed(2)}, sell x ${sell.toFixed(2)}`,
      ],
    },
  };
}
