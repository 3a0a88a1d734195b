/**
 * Fusion: the technical scorer, the model's probabilities, the regime and the optional
 * LLM analyst fused into one signal per closed M1 bar, with its stop and target. This is
 * the folder's public surface; `_`-prefixed files are private. docs/fusion.md explains it.
 */

export {
  FUSION_DEFAULTS,
  type FusionConfig,
  fusionConfigSchema,
  type LevelsConfig,
  type LlmConfig,
  llmConfigSchema,
  type MlConfig,
  parseFusionConfig,
  type RegimeConfig,
  type SourceWeights,
  TECHNICAL_ONLY,
  type TechnicalConfig,
} from "./config.ts";
export {
  type DecisionQuote,
  fuseVotes,
  type FuseVotesOptions,
  type LevelSource,
  type SourceVote,
} from "./fuse.ts";
export {
  LevelAtr,
  LevelAtrRecord,
  levelAtrSeries,
  type LevelDistances,
  levelDistances,
  LevelModel,
  LevelSeries,
} from "./levels.ts";
export {
  LlmAnalyst,
  type LlmAnalystOptions,
  type LlmAnswer,
  llmAnswerSchema,
  type LlmFailure,
  type LlmStats,
} from "./llm.ts";
export { type ChatMessage, chatMessages, type MarketSummary, promptHash } from "./_prompt.ts";
export { mlVote } from "./ml.ts";
export { fuseSignals, type FuseSignalsOptions } from "./operators.ts";
export { type RegimeEffect, regimeEffect } from "./regime.ts";
export { type NewsProximity, TechnicalScorer, type TechnicalState } from "./technical.ts";
