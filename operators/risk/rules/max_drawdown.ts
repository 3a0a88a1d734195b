/**
 * MAX_DRAWDOWN: the drawdown kill switch. Equity `maxDrawdownPercent` below its peak halts
 * trading until a manual reset; this rule must never let a recovery reopen trading.
 */

import { drawdownPercent } from "../measures.ts";
import { ALLOW, deny, fmt, type RiskRule } from "../rule.ts";

export const maxDrawdownRule: RiskRule = {
  name: "max_drawdown",
  phase: "gate",
  check(ctx) {
    if (ctx.drawdownHalt !== null) return { deny: ctx.drawdownHalt };
    const limit = ctx.config.maxDrawdownPercent;
    const drawdown = drawdownPercent(ctx.peakEquity, ctx.account.equity);
    if (drawdown < limit) return ALLOW;
    return deny(
      "MAX_DRAWDOWN",
      `equity ${fmt(ctx.account.equity)} is ${fmt(drawdown)}% below its peak ${
        fmt(ctx.peakEquity)
      } (limit ${limit}%)`,
    );
  },
};
