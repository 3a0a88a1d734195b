/**
 * LOSS_STREAK_SIZE_CUT: after `reduceAfter` consecutive losing trades, sizes are
 * multiplied by `reduceFactor` (rounded down to the lot step) until a trade that does not
 * lose. It must never raise a size.
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
    const lots = roundLotsDown(ctx.spec, ctx.lots * reduceFactor);
    return adjustLots(
      lots,
      "LOSS_STREAK_SIZE_CUT",
      `${count} losing trades in a row: ${fmt(ctx.lots)} x ${reduceFactor} -> ${fmt(lots)} lots`,
    );
  },
};
