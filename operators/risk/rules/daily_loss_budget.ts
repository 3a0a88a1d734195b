/**
 * DAILY_LOSS_BUDGET: the order is cut so that, if it and every open position and pending
 * entry hit their stops, the day's loss stays within the daily limit. A position without a
 * stop has an unbounded worst case and blocks new risk. It must never raise a size; gaps
 * and slippage through a stop can still exceed the limit.
 */

import { roundLotsDown, valuePerPriceUnit } from "../../../pipeline/symbols.ts";
import { dailyLossLimit, worstCaseEquity } from "../measures.ts";
import { adjustLots, ALLOW, deny, fmt, type RiskRule } from "../rule.ts";

export const dailyLossBudgetRule: RiskRule = {
  name: "daily_loss_budget",
  phase: "size",
  check(ctx) {
    // Research runs record daily breaches (engine.halts) instead of budgeting against them.
    if (ctx.config.onHalt === "record") return ALLOW;
    const { spec, signal } = ctx;
    const worst = worstCaseEquity(ctx.account, ctx.pending, spec);
    if (worst === null) {
      return deny("DAILY_LOSS_BUDGET", "an open position has no stop: its worst case is unbounded");
    }
    const limit = dailyLossLimit(ctx.config, ctx.dayStartEquity);
    const budget = limit - (ctx.dayStartEquity - worst);
    // The stop rule ran first, so the signal has a stop on the losing side.
    const stopDistance = Math.abs(signal.entryPrice - signal.stopLoss!);
    const allowed = budget > 0
      ? roundLotsDown(spec, budget / (stopDistance * valuePerPriceUnit(spec, 1)))
      : 0;
    if (ctx.lots <= allowed) return ALLOW;
    const detail = `daily limit ${fmt(limit)} leaves ${
      fmt(Math.max(0, budget))
    } of risk if every stop is hit`;
    if (allowed < spec.minLot) return deny("DAILY_LOSS_BUDGET", `${detail}: not one min lot`);
    return adjustLots(
      allowed,
      "DAILY_LOSS_BUDGET",
      `${detail}: ${fmt(ctx.lots)} -> ${fmt(allowed)} lots`,
    );
  },
};
