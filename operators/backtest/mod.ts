/**
 * Backtest results as figures and files: metrics, Monte Carlo, the `--json` document and
 * the `--report` HTML page. Pure functions of a finished run's data (trades, equity
 * curve, risk decisions, regimes, first and last bars): no RxJS, no clock, no I/O.
 * This is the folder's public surface; `_`-prefixed files are private.
 */

export {
  type BacktestTrade,
  computeMetrics,
  DAYS_PER_YEAR,
  equityCurve,
  type EquityPoint,
  lossOverBudget,
  type MetricsInput,
  TRADING_DAYS_PER_YEAR,
} from "./metrics.ts";
export {
  MONTE_CARLO_DEFAULTS,
  monteCarlo,
  type MonteCarloMethod,
  type MonteCarloOptions,
  percentileBands,
} from "./monte_carlo.ts";
export { type CostedTrade, costsReport } from "./costs.ts";
export {
  coverageTooLow,
  type EntrySides,
  entrySides,
  type FirstVotes,
  MIN_COVERAGE,
  modelCoverageWarning,
  SourceAttribution,
  type SourceSetup,
} from "./attribution.ts";
export { haltsReport } from "./halts.ts";
export {
  baselineReport,
  type BaselineTarget,
  calibratedEntryRate,
  percentileOf,
  randomRun,
  type RandomRunResult,
  type RandomRunSetup,
  type StrategyFigures,
} from "./random_baseline.ts";
export {
  type BaselineCalibration,
  type BaselineOptions,
  defaultBaselineWorkers,
  runRandomBaseline,
  type StartedBaseline,
  startRandomBaseline,
} from "./random_baseline_parallel.ts";
export {
  backtestJson,
  type BacktestJsonInput,
  brokerSummary,
  parseBacktestJson,
  withBaseline,
} from "./report_json.ts";
export { backtestHtml, backtestHtmlAround, type BacktestHtmlOptions } from "./report_html.ts";
export {
  type Candle,
  type CandleSeries,
  MAX_REPORT_CANDLES,
  REPORT_TIMEFRAMES,
  ReportCandles,
} from "./candles.ts";
export { regimeTagger, sessionOf, WARMING_UP_REGIME } from "./tags.ts";
export { backtestSummary } from "./summary_text.ts";
export { tradingDayCloseUs, tradingDayOf } from "./trading_days.ts";
export {
  type BacktestJson,
  backtestJsonSchema,
  type BacktestMetrics,
  type Bands,
  type BrokerSummary,
  type CostsReport,
  type DataFile,
  EXIT_REASONS,
  type HaltReport,
  metricsSchema,
  type MonteCarloResult,
  monteCarloSchema,
  type NewsSummary,
  type RandomBaseline,
  type SessionName,
  SESSIONS,
  type SourceReport,
  type TradeRow,
  type TradeStats,
  type WarmUpReport,
} from "./schema.ts";
export {
  applyCandidate,
  type Candidate,
  canonicalJson,
  type FoldResult,
  gridCandidates,
  mergeConfig,
  type Objective,
  OBJECTIVES,
  objectiveScore,
  type ParamsFile,
  paramsFileSchema,
  paramsId,
  parseParamsFile,
  parseSearchSpace,
  randomCandidates,
  type Range,
  type RunRequest,
  type RunSummary,
  type SearchSpace,
  searchSpaceSchema,
  setPath,
  splitBlocks,
  walkForward,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./optimize.ts";
export { heatColor, optimizeHtml, type OptimizeHtmlInput } from "./optimize_html.ts";
