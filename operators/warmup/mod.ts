/**
 * Warm-up: how much history before `--from` a strategy needs (computed from what its
 * sources declare and, for a feature spec, measured on the real engine), and the stage
 * that lets a run trade only from `--from` while recording when each source first voted.
 * This is the folder's public surface.
 */

export {
  featureWarmUpNeeds,
  historyStartUs,
  SOURCE_NAMES,
  type SourceName,
  type WarmUpNeed,
} from "./needs.ts";
export {
  emptyWarmUpRecord,
  tradingWindow,
  type TradingWindowOptions,
  type WarmUpRecord,
} from "./gate.ts";
