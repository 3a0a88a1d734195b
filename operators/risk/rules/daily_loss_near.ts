/**
 * DAILY_LOSS_NEAR_LIMIT: once the day's loss reaches `reduceAtFraction` of the daily
 * limit, sizes are multiplied by `reduceFactor`, so the last part of the budget is spent
 * slowly. It must never raise a size.
 */

import { roundLotsDown } from "../../../pipeline/symbols.ts";
import { dailyLossLimit } from "../measures.ts";
import { adjustLots, ALLOW, fmt, type RiskRule } from "../rule.ts";

export const dailyLossNearRule: RiskRule = {
  name: "daily_loss_near",
  phase: "size",
  check(ctx) {
    const { reduceAtFraction, reduceFactor } = ctx.config.dailyLoss;
    const limit = dailyLossLimit(ctx.config, ctx.dayStartEquity);
    const loss = ctx.dayStartEquity - ctx.account.equity;
    if (loss < reduceAtFraction * limit || reduceFactor >= 1) return ALLOW;
    const lots = roundLotsDown(ctx.spec, ctx.lots * reduceFactor);
    return adjustLots(
      lots,
      "DAILY_LOSS_NEAR_LIMIT",
      `lost ${fmt(loss)} of the daily limit ${fmt(limit)}: ${fmt(ctx.lots)} x ${reduceFactor} -> ${
        fmt(lots)
      } lots`,
    );
  },
};
