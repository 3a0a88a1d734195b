/**
 * Execution: the simulated broker of the backtest (fills at bid and ask with latency,
 * slippage and commission; stops and targets inside the bar; swaps at the rollover; the
 * account) and its RxJS stage. Every assumption is written down in docs/execution.md.
 */

export {
  type ExecutionConfigInput,
  executionConfigSchema,
  type ExecutionSettings,
  resolveExecutionConfig,
  type SpreadWindow,
} from "./config.ts";
export { emptyQuotes, quoteBar, type Quotes, quoteTick, SpreadModel } from "./quotes.ts";
export {
  type AccountSnapshot,
  type BrokerStats,
  type OpenPosition,
  type Rejection,
  type RejectReason,
  roundCents,
  SimulatedBroker,
  type SubmitResult,
} from "./broker.ts";
export { accountReport, brokerProcessor, simulateExecution, tradeAndExecute } from "./operators.ts";
