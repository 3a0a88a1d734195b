/**
 * Execution: broker profiles (the trader's contract terms and spread), the cost of a trade
 * before it is made, and the simulated broker of the backtest (fills at bid and ask with
 * latency, slippage and commission; pending orders; stops and targets inside the bar;
 * swaps at the rollover; margin, margin call and stop-out) with its RxJS stage. Every
 * assumption is written down in docs/execution.md.
 */

export {
  type ExecutionConfigInput,
  executionConfigSchema,
  type ExecutionSettings,
  resolveExecutionConfig,
} from "./config.ts";
export {
  barSpread,
  DEFAULT_NY_HOUR_SPREADS,
  emptyQuotes,
  quoteBar,
  type QuotedBars,
  quotedBars,
  type Quotes,
  quoteTick,
  SpreadModel,
  type SpreadWindow,
} from "./quotes.ts";
export {
  type BrokerProfile,
  type BrokerProfileInput,
  brokerProfileSchema,
  DEFAULT_BROKER_PROFILE,
  parseBrokerProfile,
  readBrokerProfile,
  specOf,
  type SpreadModelConfig,
  spreadModelOf,
} from "./profile.ts";
export {
  type CostModel,
  costModelOf,
  DEFAULT_COSTS,
  expectedFill,
  lossPerLotAtStop,
  roundTripCost,
} from "./costs.ts";
export {
  type AccountSnapshot,
  type BrokerStats,
  emptySpanMarks,
  type OpenPosition,
  type RejectReason,
  roundCents,
  SimulatedBroker,
  type SpanMarks,
  type SubmitResult,
} from "./broker.ts";
export { accountReport, brokerProcessor, simulateExecution, tradeAndExecute } from "./operators.ts";
