/**
 * The risk engine: protections as one-file rules, sizing, the news calendar, the trading
 * state machine and the `applyRisk` stage. This is the folder's public surface; `_`-prefixed
 * files are private. Nothing here reads a clock or throws to reject a trade.
 */

export {
  DEFAULT_RISK_CONFIG,
  parseRiskConfig,
  RISK_CONFIG_CHECKS,
  type RiskConfig,
  type RiskConfigCheck,
  type RiskConfigInput,
  riskConfigSchema,
  type SessionWindow,
  type WeekdayBlock,
} from "./config.ts";
export {
  clientOrderId,
  type HaltRecord,
  RiskEngine,
  type RiskEngineOptions,
  type RiskInputs,
  type RiskOutcome,
  type RiskStatus,
} from "./engine.ts";
export { dailyLossLimit, drawdownPercent, lossStreak, worstCaseEquity } from "./measures.ts";
export {
  type BlackoutWindow,
  NEWS_CALENDAR_HEADER,
  NEWS_IMPACTS,
  NewsCalendar,
  type NewsEvent,
  type NewsImpact,
  parseNewsCalendar,
  readNewsCalendar,
} from "./news.ts";
export { applyRisk, type ApplyRiskOptions, riskProcessor } from "./operators.ts";
export { PositionBook } from "./positions.ts";
export {
  type AccountSnapshot,
  adjustLots,
  ALLOW,
  deny,
  type OpenPosition,
  type PendingOrder,
  type Quote,
  RISK_CODES,
  type RiskCode,
  type RiskContext,
  type RiskRule,
  type RiskRuleReason,
  type RuleVerdict,
  type TradeSignal,
} from "./rule.ts";
export * from "./rules/mod.ts";
export {
  capLots,
  type LotCaps,
  marginFor,
  maxLotsForMargin,
  riskLots,
  sizePosition,
  type SizingInput,
  type SizingResult,
} from "./sizing.ts";
export { nextStop, type StopMove } from "./stops.ts";
export {
  TIME_ZONES,
  type TimeZoneName,
  tradingDayOf,
  type WeekdayName,
  WEEKDAYS,
} from "./_zones.ts";
