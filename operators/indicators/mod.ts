/**
 * The streaming technical indicators: plain objects fed one closed bar at a time, plus
 * session and time-of-day features as pure functions of time. This is the folder's
 * public surface; `_`-prefixed files are private helpers.
 */

export type {
  BidColumns,
  Indicator,
  PriceBar,
  PriceBarScratch,
  ValueIndicator,
} from "./indicator.ts";
export { bidBarAt } from "./indicator.ts";
export { Adx } from "./adx.ts";
export { Atr, trueRange } from "./atr.ts";
export { Bollinger, type BollingerOptions } from "./bollinger.ts";
export { CandleShape } from "./candle_shape.ts";
export { Cci } from "./cci.ts";
export { Ema } from "./ema.ts";
export { HighLowDistance } from "./high_low_distance.ts";
export { LogReturn } from "./log_return.ts";
export { Macd, type MacdOptions } from "./macd.ts";
export { Roc } from "./roc.ts";
export { RollingVolatility } from "./rolling_volatility.ts";
export { Rsi } from "./rsi.ts";
export { Sma } from "./sma.ts";
export { spreadOf, SpreadStats } from "./spread_stats.ts";
export { Stochastic, type StochasticOptions } from "./stochastic.ts";
export { WilliamsR } from "./williams_r.ts";
export { ZScore } from "./z_score.ts";
export {
  hourCos,
  hourSin,
  isAsiaSession,
  isLondonNewYorkOverlap,
  isLondonSession,
  isNewYorkSession,
  minutesSinceSessionOpen,
  minutesToDailyBreak,
  SESSION_FEATURE_COUNT,
  SESSION_FEATURE_NAMES,
  weekdayCos,
  weekdaySin,
  writeSessionFeatures,
} from "./session_features.ts";
