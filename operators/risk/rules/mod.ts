/**
 * The default protections, in the order they run. Gate rules all run, so a rejection
 * lists every reason; size rules then cut the sized lots one after another. Adding a rule:
 * one file here exporting a `RiskRule`, its codes in `RISK_CODES`, a row in docs/risk.md
 * and an allow and a deny case in tests/operators/risk/rules_test.ts. A rule must never
 * rely on another having run, except that size rules may rely on every gate having passed.
 */

import type { RiskRule } from "../rule.ts";
import { dailyLossRule } from "./daily_loss.ts";
import { dailyLossBudgetRule } from "./daily_loss_budget.ts";
import { dailyLossNearRule } from "./daily_loss_near.ts";
import { directionExposureRule } from "./direction_exposure.ts";
import { duplicateRule } from "./duplicate.ts";
import { killSwitchRule } from "./kill_switch.ts";
import { lossCooldownRule } from "./loss_cooldown.ts";
import { lossStreakSizeRule } from "./loss_streak_size.ts";
import { maxDrawdownRule } from "./max_drawdown.ts";
import { maxPositionsRule } from "./max_positions.ts";
import { newsBlackoutRule } from "./news_blackout.ts";
import { sessionRule } from "./session.ts";
import { spreadRule } from "./spread.ts";
import { stopRule } from "./stop.ts";
import { weekdayRule } from "./weekday.ts";

export {
  dailyLossBudgetRule,
  dailyLossNearRule,
  dailyLossRule,
  directionExposureRule,
  duplicateRule,
  killSwitchRule,
  lossCooldownRule,
  lossStreakSizeRule,
  maxDrawdownRule,
  maxPositionsRule,
  newsBlackoutRule,
  sessionRule,
  spreadRule,
  stopRule,
  weekdayRule,
};

export const DEFAULT_RULES: readonly RiskRule[] = [
  killSwitchRule,
  maxDrawdownRule,
  dailyLossRule,
  sessionRule,
  weekdayRule,
  newsBlackoutRule,
  spreadRule,
  lossCooldownRule,
  stopRule,
  duplicateRule,
  maxPositionsRule,
  lossStreakSizeRule,
  dailyLossNearRule,
  dailyLossBudgetRule,
  directionExposureRule,
];
