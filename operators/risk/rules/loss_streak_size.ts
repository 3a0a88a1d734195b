/**
 * LOSS_STREAK_SIZE_CUT: after `reduceAfter` consecutive losing trades, sizes are
 * multiplied by `reduceFactor` (rounded down to the lot step) until a trade that does not
 * lose, but never below the broker's minimum lot: a streak ends only with a trade, so a cut
 * to nothing would stop the strategy for good (a 0.1-lot account at its smallest size did,
 * docs/risk.md). It must never raise a size.
 */

import { roundLotsDown } from "../../../pipeline/symbols.ts";
import { lossStreak } from "../measures.ts";
import { adjustLots, ALLOW, fmt, type RiskRule } from "../rule.ts";

export const lossStreakSizeRule: RiskRule = {
  name: "loss_streak_size",
  phase: "size",
  check(ctx) {
    const { reduceAfter, reduceFactor } = ctx.config.lossStreak;
    const { count } = lossStreak(ctx.recentTrades);
    if (count < reduceAfter || reduceFactor >= 1) return ALLOW;
    const cut = roundLotsDown(ctx.spec, ctx.lots * reduceFactor);
    const lots = Math.min(ctx.lots, Math.max(cut, ctx.spec.minLot));
    return adjustLots(
      lots,
      "LOSS_STREAK_SIZE_CUT",
      `${count} losing trades in a row: ${fmt(ctx.lots)} x ${reduceFactor} -> ${fmt(lots)} lots` +
        (lots > cut ? ` (not below the broker's minimum of ${fmt(ctx.spec.minLot)})` : ""),
    );
  },
};
