/**
 * The fusion configuration: one zod schema whose every field has a description, bounds
 * and a default, so `parseFusionConfig({})` is the documented default and a config file
 * from outside is checked before any bar is scored. `TECHNICAL_ONLY` is the preset that
 * trades on the technical scorer alone. docs/fusion.md explains each number.
 */

import { z } from "zod";

const unit = z.number().min(0).max(1);
const period = (fallback: number, what: string) =>
  z.number().int().min(2).max(1000).default(fallback).describe(what);

/** How much each source counts before absent sources are renormalised away. */
const weightsSchema = z.strictObject({
  technical: unit.default(0.45).describe("weight of the technical scorer's vote"),
  ml: unit.default(0.4).describe("weight of the production model's vote"),
  llm: unit.default(0.15).describe("weight of the LLM analyst's vote"),
}).prefault({}).refine((w) => w.technical + w.ml + w.llm > 0, {
  message: "at least one source needs a positive weight",
});

/** The weight of each technical component inside the technical score (they need not sum to 1). */
const componentWeightsSchema = z.strictObject({
  rsiM1: unit.default(0.1).describe("RSI(14) on M1, read as overbought / oversold"),
  rsiM15: unit.default(0.08).describe("RSI(14) on M15, read as momentum (above 50 bullish)"),
  rsiH1: unit.default(0.07).describe("RSI(14) on H1, read as momentum (above 50 bullish)"),
  macdCross: unit.default(0.1).describe("M5 MACD crossing its signal line, fading"),
  macdHistogram: unit.default(0.15).describe("M5 MACD histogram in M5 ATR (momentum)"),
  emaCross: unit.default(0.1).describe("M1 fast EMA crossing the slow one, fading"),
  emaAlignment: unit.default(0.2).describe("fast minus slow EMA on M5, M15 and H1, in ATR"),
  stochastic: unit.default(0.1).describe("M1 stochastic %D zone, confirmed by %K turning"),
  supportResistance: unit.default(0.1).describe("closeness to M15 rolling support/resistance"),
}).prefault({}).refine((w) => Object.values(w).some((v) => v > 0), {
  message: "at least one technical component needs a positive weight",
});

const technicalSchema = z.strictObject({
  weights: componentWeightsSchema.describe(
    "weight of each component inside the technical score (they need not sum to 1)",
  ),
  rsiPeriod: period(14, "RSI period on every timeframe"),
  rsiBand: z.number().min(5).max(50).default(20)
    .describe("RSI distance from 50 that scores a full +-1 (M1: 30 oversold, 70 overbought)"),
  emaFast: period(9, "fast EMA period on every timeframe"),
  emaSlow: period(21, "slow EMA period on every timeframe; greater than emaFast"),
  macdFast: period(12, "M5 MACD fast EMA"),
  macdSlow: period(26, "M5 MACD slow EMA; greater than macdFast"),
  macdSignal: period(9, "M5 MACD signal EMA"),
  stochasticK: period(14, "M1 stochastic %K look-back"),
  stochasticD: period(3, "M1 stochastic %D average"),
  atrPeriod: period(14, "ATR period that scales distances on every timeframe"),
  levelsLookback: period(96, "M15 bars of the rolling support (lowest low) and resistance"),
  levelsNearAtr: z.number().gt(0).max(50).default(3)
    .describe("M1 ATRs from a level within which it starts to count"),
  histogramAtr: z.number().gt(0).max(10).default(0.1)
    .describe("M5 MACD histogram, in M5 ATR, that scores tanh(1) = 0.76"),
  alignmentAtr: z.number().gt(0).max(10).default(0.5)
    .describe("fast minus slow EMA, in the timeframe's ATR, that scores tanh(1) = 0.76"),
  crossFadeBars: z.number().int().min(1).max(240).default(10)
    .describe("M1 bars over which a cross's score fades linearly from 1 to 0"),
  flatBelow: unit.default(0.1)
    .describe("technical score magnitude below which the vote is flat"),
}).prefault({}).refine((t) => t.emaFast < t.emaSlow && t.macdFast < t.macdSlow, {
  message: "emaFast must be below emaSlow and macdFast below macdSlow",
});

const mlSchema = z.strictObject({
  priors: z.tuple([unit, unit, unit]).default([1 / 3, 1 / 3, 1 / 3])
    .describe("class shares (down, flat, up) of the model's training labels, from its card"),
  margin: z.number().min(0).max(1).default(0.02)
    .describe("how far above its prior the side's probability must be to vote that side"),
}).prefault({});

const factor = (fallback: number, what: string) =>
  z.number().min(0).max(2).default(fallback).describe(what);

const regimeSchema = z.strictObject({
  withTrend: factor(1.1, "confidence factor for a side that agrees with a bull/bear trend"),
  againstTrend: factor(0.7, "confidence factor for a side against a bull/bear trend"),
  range: factor(0.9, "confidence factor for either side in a range"),
  highVolatility: factor(0.8, "extra confidence factor when volatility is high"),
  lowVolatility: factor(0.9, "extra confidence factor when volatility is low"),
}).prefault({});

const levelsSchema = z.strictObject({
  atrTimeframe: z.enum(["M1", "M5", "M15", "M30", "H1", "H4"]).default("H1")
    .describe("timeframe of the ATR the stop and target are measured in (closed bars only)"),
  atrPeriod: period(14, "period of that ATR"),
  stopAtr: z.number().gt(0).max(20).default(2).describe("stop-loss distance in ATRs"),
  takeAtr: z.number().gt(0).max(40).default(3).describe("take-profit distance in ATRs"),
  minTakeCosts: z.number().min(0).max(100).default(8).describe(
    "the target is at least this many round-trip costs (spread + slippage + commission); " +
      "when the floor binds, stop and target widen together; 0 for no floor",
  ),
}).prefault({});

export const llmConfigSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("ask the LLM analyst at all"),
  mode: z.enum(["live", "replay"]).default("live").describe(
    "live: answer from the cache or call the server and record; replay: the cache only",
  ),
  baseUrl: z.url().default("http://127.0.0.1:8080/v1")
    .describe("OpenAI-compatible API root; POST {baseUrl}/chat/completions"),
  model: z.string().min(1).max(200).default("gpt-4o-mini").describe("model name sent and cached"),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default("OPENAI_API_KEY")
    .describe("environment variable holding the API key; unset sends no Authorization"),
  timeoutMs: z.number().int().min(50).max(30_000).default(5_000)
    .describe("hard limit on one call, below one M1 bar so live and replay agree"),
  requestEveryMinutes: z.number().int().min(1).max(1440).default(5)
    .describe("decision-time minutes between two questions"),
  maxAgeMinutes: z.number().int().min(1).max(1440).default(10)
    .describe("decision-time minutes after its question that an answer still counts"),
  jsonResponseFormat: z.boolean().default(true)
    .describe("send response_format json_object (turn off for servers that reject it)"),
  temperature: z.number().min(0).max(2).default(0).describe("sampling temperature"),
  maxTokens: z.number().int().min(16).max(4096).default(300).describe("answer length limit"),
  cachePath: z.string().min(1).default("data/llm/answers.sqlite")
    .describe("SQLite file of recorded answers (':memory:' for none kept)"),
}).prefault({});

export const fusionConfigSchema = z.strictObject({
  weights: weightsSchema.describe(
    "how much each source's vote counts; absent sources are renormalised away",
  ),
  gate: unit.default(0.35)
    .describe("fused confidence below which the decision is hold"),
  technical: technicalSchema.describe("the technical scorer: indicators on M1 to H1"),
  ml: mlSchema.describe("how the production model's probabilities become a vote"),
  regime: regimeSchema.describe("confidence factors by the H1 trend and volatility regime"),
  levels: levelsSchema.describe("stop-loss and take-profit distances of a signal"),
  llm: llmConfigSchema.describe("the optional LLM analyst (off by default)"),
});

export type FusionConfig = z.infer<typeof fusionConfigSchema>;
export type SourceWeights = FusionConfig["weights"];
export type TechnicalConfig = FusionConfig["technical"];
export type MlConfig = FusionConfig["ml"];
export type RegimeConfig = FusionConfig["regime"];
export type LevelsConfig = FusionConfig["levels"];
export type LlmConfig = z.infer<typeof llmConfigSchema>;

/** Validates a config from outside (a file, the control API), naming every problem. */
export function parseFusionConfig(value: unknown, origin = "config"): FusionConfig {
  const result = fusionConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "config"}: ${issue.message}`
    );
    throw new TypeError(`Fusion ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** Every default. */
export const FUSION_DEFAULTS: FusionConfig = parseFusionConfig({}, "defaults");

/** The technical scorer alone: no model, no LLM, so a fresh install can trade and be tested. */
export const TECHNICAL_ONLY: FusionConfig = parseFusionConfig(
  { weights: { technical: 1, ml: 0, llm: 0 }, gate: 0.5, llm: { enabled: false } },
  "preset technical-only",
);
