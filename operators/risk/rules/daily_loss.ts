/**
 * DAILY_LOSS_LIMIT: once equity is the daily limit below the day's start (17:00 New York),
 * nothing opens until the next trading day. This rule must never reopen trading the same
 * day, even if equity recovers. Research runs (`onHalt: "record"`) only record the breach.
 */

import { dailyLossLimit } from "../measures.ts";
import { ALLOW, deny, fmt, type RiskRule } from "../rule.ts";

export const dailyLossRule: RiskRule = {
  name: "daily_loss",
  phase: "gate",
  check(ctx) {
    // Research runs record the breach (engine.halts) and trade on.
    if (ctx.config.onHalt === "record") return ALLOW;
    if (ctx.dailyLimitHit !== null) return { deny: ctx.dailyLimitHit };
    const limit = dailyLossLimit(ctx.config, ctx.dayStartEquity);
    const loss = ctx.dayStartEquity - ctx.account.equity;
    if (loss < limit) return ALLOW;
    return deny(
      "DAILY_LOSS_LIMIT",
      `lost ${fmt(loss)} since the day started at equity ${fmt(ctx.dayStartEquity)} (limit ${
        fmt(limit)
      })`,
    );
  },
};
