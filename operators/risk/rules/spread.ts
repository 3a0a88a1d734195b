/**
 * NO_QUOTE, QUOTE_STALE, SPREAD_UNKNOWN and SPREAD_TOO_WIDE: trade only on a fresh quote
 * whose spread is known and at most `maxSpread`. Bid-only data has no spread; it trades
 * only with an explicit `assumedSpread`. This rule must never guess a spread.
 */

import { US_PER_SECOND } from "../../../pipeline/events.ts";
import { ALLOW, deny, fmt, type RiskRule } from "../rule.ts";

/** Tolerance for the float noise of ask - bid (0.60 may come out as 0.6000000000001). */
const EPSILON = 1e-9;

export const spreadRule: RiskRule = {
  name: "spread",
  phase: "gate",
  check(ctx) {
    const { quote } = ctx;
    const { maxSpread, assumedSpread, maxQuoteAgeSeconds } = ctx.config.spread;
    if (quote === null) return deny("NO_QUOTE", `no price seen for ${ctx.signal.symbol} yet`);
    const ageSeconds = (ctx.nowUs - quote.timeUs) / US_PER_SECOND;
    if (ageSeconds > maxQuoteAgeSeconds) {
      return deny(
        "QUOTE_STALE",
        `last quote is ${fmt(ageSeconds, 0)} s old (limit ${maxQuoteAgeSeconds} s)`,
      );
    }
    const spread = quote.ask !== null ? quote.ask - quote.bid : assumedSpread;
    if (spread === null) {
      return deny("SPREAD_UNKNOWN", "the data has bids only and spread.assumedSpread is null");
    }
    if (spread <= maxSpread + EPSILON) return ALLOW;
    return deny("SPREAD_TOO_WIDE", `spread ${fmt(spread)} exceeds ${fmt(maxSpread)}`);
  },
};
