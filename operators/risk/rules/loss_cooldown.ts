/**
 * LOSS_COOLDOWN: after `cooldownAfter` consecutive losing trades, nothing opens for
 * `cooldownMinutes` from the last loss's exit. Each further loss restarts the pause; a
 * trade with pnl >= 0 ends the streak. This rule must never count open positions.
 */

import { isoFromUs, US_PER_MINUTE } from "../../../pipeline/events.ts";
import { lossStreak } from "../measures.ts";
import { ALLOW, deny, type RiskRule } from "../rule.ts";

export const lossCooldownRule: RiskRule = {
  name: "loss_cooldown",
  phase: "gate",
  check(ctx) {
    const { cooldownAfter, cooldownMinutes } = ctx.config.lossStreak;
    const streak = lossStreak(ctx.recentTrades);
    if (streak.count < cooldownAfter || streak.lastExitUs === null) return ALLOW;
    const untilUs = streak.lastExitUs + cooldownMinutes * US_PER_MINUTE;
    if (ctx.nowUs >= untilUs) return ALLOW;
    return deny(
      "LOSS_COOLDOWN",
      `${streak.count} losing trades in a row; paused until ${isoFromUs(untilUs)}`,
    );
  },
};
