/**
 * The strategy, composed once for both places it runs: the backtest (fed by a file, the
 * simulated broker executing) and the live server (fed by an MT5 terminal, the terminal
 * executing). Features and the model when there is one, regimes, fusion and the risk
 * engine, all from one trading config. Keeping this in one place is what makes a
 * replayed day trade the same in both; it must never hold anything that differs between them.
 */

import { z } from "zod";
import { mergeConfig } from "../../operators/backtest/optimize.ts";
import { scoreModels, type ServingModel } from "../../operators/ensemble/mod.ts";
import {
  costModelOf,
  DEFAULT_COSTS,
  executionConfigSchema,
  type ExecutionSettings,
  readBrokerProfile,
  resolveExecutionConfig,
} from "../../operators/execution/mod.ts";
import type { Backlog } from "../backlog.ts";
import { computeFeatures, DEFAULT_FEATURE_SPEC, specHash } from "../../operators/features/mod.ts";
import {
  fuseSignals,
  FUSION_DEFAULTS,
  type FusionConfig,
  fusionConfigSchema,
  LevelAtrRecord,
  LevelModel,
  parseFusionConfig,
  TECHNICAL_ONLY,
  TechnicalScorer,
} from "../../operators/fusion/mod.ts";
import {
  gateSignals,
  type MetaServingModel,
  primaryConfigHash,
  primaryDifferences,
  primaryFusion,
} from "../../operators/meta/mod.ts";
import { detectRegimes, RegimeDetector } from "../../operators/regime/mod.ts";
import {
  emptyWarmUpRecord,
  featureWarmUpNeeds,
  type SourceName,
  tradingWindow,
  type WarmUpNeed,
  type WarmUpRecord,
} from "../../operators/warmup/mod.ts";
import {
  type NewsCalendar,
  parseRiskConfig,
  riskConfigSchema,
  RiskEngine,
} from "../../operators/risk/mod.ts";
import type { QuoteSides } from "../../sources/source.ts";
import type { Stage } from "../build.ts";
import { describeZodError } from "../issues.ts";
import { readJsonFlag, UsageError } from "./args.ts";

/** The backtest's Monte Carlo settings; runBacktest runs 1000 with seed 42 when they are left out. */
const monteCarloFields = {
  runs: z.number().int().min(10).max(100_000),
  seed: z.number().int(),
};
/** The trading config file (`--config`): each part is validated by its own module's schema. */
export const tradingConfigSchema = z.strictObject({
  fusion: z.unknown().optional(),
  risk: z.unknown().optional(),
  execution: z.record(z.string(), z.unknown()).optional(),
  monteCarlo: z.strictObject(monteCarloFields).partial().default({}),
});
export type TradingConfig = z.infer<typeof tradingConfigSchema>;

/**
 * Every part's own schema under its key: what the config reference documents
 * (docs/config-reference.md) and what names a bad value by its whole path
 * (`risk.riskPercent`). Its output is not used: each module parses its part itself.
 */
export const tradingConfigFileSchema = z.strictObject({
  fusion: fusionConfigSchema.optional().describe(
    "how the votes are combined into one signal (docs/fusion.md)",
  ),
  risk: riskConfigSchema.optional().describe("the risk engine's rules and sizing (docs/risk.md)"),
  execution: executionConfigSchema.optional().describe(
    "the simulated broker: balance, spread, slippage, latency, the contract (docs/execution.md)",
  ),
  monteCarlo: z.strictObject({
    runs: monteCarloFields.runs.default(1000).describe(
      "reshuffles and bootstraps of the backtest's trades",
    ),
    seed: monteCarloFields.seed.default(42).describe("random seed, so the bands reproduce"),
  }).prefault({}).describe("the backtest's Monte Carlo bands of the trades' order"),
});

/**
 * The config with the broker profile read from `path` (`--broker FILE`) as its
 * `execution.broker`. A profile given twice (the flag and the config) is an error: which
 * one trades must never be a guess.
 */
export async function withBrokerProfile(
  config: TradingConfig,
  path: string | undefined,
): Promise<TradingConfig> {
  if (path === undefined) return config;
  if (config.execution?.broker !== undefined) {
    throw new UsageError(
      `--broker "${path}" and the config's execution.broker both give a broker profile: keep one`,
    );
  }
  let profile;
  try {
    profile = await readBrokerProfile(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { ...config, execution: { ...config.execution, broker: profile } };
}

/** The config checked all the way down, each bad value named by its path; the input kept as is. */
export const checkedTradingConfigSchema = z.unknown().transform((value, ctx): TradingConfig => {
  const checked = tradingConfigFileSchema.safeParse(value);
  const parsed = checked.success ? tradingConfigSchema.safeParse(value) : checked;
  if (parsed.success) return parsed.data as TradingConfig;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ ...issue, input: undefined } as Parameters<typeof ctx.addIssue>[0]);
  }
  return z.NEVER;
});

/**
 * `value` as a trading config, or a usage error naming every bad value by its path inside
 * `origin` (the file), with "did you mean" for a misspelt key.
 */
export function parseTradingConfig(value: unknown, origin: string): TradingConfig {
  const parsed = checkedTradingConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(describeZodError(parsed.error, origin, tradingConfigFileSchema));
  }
  return parsed.data;
}

/** The `--config` file at `path` (JSON or JSONC), checked all the way down. */
export async function readTradingConfig(path: string): Promise<TradingConfig> {
  return parseTradingConfig(await readJsonFlag("config", path), `--config "${path}"`);
}

/**
 * Refuses live trading without a calendar unless `config` turns the blackout off
 * (`risk.news.enabled: false`): live trading must never trade blind through news.
 */
export function assertNewsCovered(
  config: Pick<TradingConfig, "risk">,
  calendar: NewsCalendar | null,
): void {
  const risk = (config.risk ?? {}) as { news?: { enabled?: unknown } };
  if (calendar !== null || risk.news?.enabled === false) return;
  throw new UsageError(
    "no news calendar: live trading refuses to trade through news it cannot see. Pass " +
      '--news FILE (docs/risk.md, "News calendar"), or set "risk": { "news": { "enabled": ' +
      "false } } in --config to trade without the blackout",
  );
}

export interface StrategyOptions {
  readonly symbol: string;
  /** What the feed quotes: bid-only data is priced with the broker profile's spread model. */
  readonly sides: QuoteSides;
  readonly config: TradingConfig;
  /** How the config is named in error messages, e.g. its file name. */
  readonly origin?: string;
  /**
   * A direction model (scored on every feature row, voting in fusion), a meta-labeling
   * model (`meta` set: fusion runs its technical-only primary and a gate after it scores
   * only the candidate trades), or null for technical signals only.
   */
  readonly model: ServingModel | null;
  readonly calendar: NewsCalendar | null;
  /**
   * Live trading: without a calendar, refuse to build unless the config turns the news
   * filter off explicitly (`risk.news.enabled: false`). Backtests leave it false: the
   * filter is then on exactly when a calendar is given, and the report says which.
   */
  readonly requireNewsCalendar?: boolean;
  /**
   * Features and model scoring already run upstream (serve --replay scores with the shadow
   * and retrains); `model` then only chooses the fusion preset.
   */
  readonly scored?: boolean;
  /** Counts the rows the model stage is scoring, for a replay to wait on (backtests). */
  readonly backlog?: Backlog;
  /** Feature rows the model stage scores together (`ScoreModelsOptions.groupRows`; default 1). */
  readonly scoringGroupRows?: number;
  /** Record the levels' ATR after each M1 bar (`Strategy.levelAtr`), for a chance baseline. */
  readonly recordLevelAtr?: boolean;
  /**
   * A run over history: trade only from `fromUs` (null: once every required source has
   * voted), with the bars before it as warm-up. Live trading has no window.
   */
  readonly window?: {
    readonly fromUs: number | null;
    readonly dataName: string;
    /**
     * False: no warm-up, trading starts at once (at `fromUs`, else the first bar) with the
     * sources joining as they warm, as a live server started fresh would. Default true.
     */
    readonly warmUp?: boolean;
  };
}

/** What the strategy needs before it can trade, and what its window saw. */
export interface StrategyWarmUp {
  /** Closed bars per source and timeframe before the first vote. */
  readonly needs: readonly WarmUpNeed[];
  /** The sources that vote on every bar once warm: the window waits for them. */
  readonly required: readonly SourceName[];
  /** Filled in by the trading window as the run goes; null without a window. */
  readonly record: WarmUpRecord | null;
}

/** The regime stage's timeframe: what it labels, and so what it needs to warm up on. */
const REGIME_TIMEFRAME = "H1";

export interface Strategy {
  /** Features (with a model), regimes and fusion: everything before risk and execution. */
  readonly stages: Stage[];
  readonly engine: RiskEngine;
  /** The fusion settings in force, resolved: what a report records. */
  readonly fusion: FusionConfig;
  readonly warmUp: StrategyWarmUp;
  /** The execution settings and broker profile every stage reads. */
  readonly execution: ExecutionSettings;
  /** Whether the news blackout is on. */
  readonly newsFilter: boolean;
  /** The levels' ATR after each M1 bar, as the run goes; null unless `recordLevelAtr`. */
  readonly levelAtr: LevelAtrRecord | null;
}

/**
 * The run's preset (the fused defaults with a direction model, the technical-only preset
 * without) with `config`'s fusion section layered over it: a config that only moves the
 * levels keeps the preset's weights and gate, rather than silently trading the fused
 * defaults' gate of 0.35 without the model they assume.
 */
function resolveFusion(config: TradingConfig, origin: string, direction: boolean): FusionConfig {
  const preset = direction ? FUSION_DEFAULTS : TECHNICAL_ONLY;
  if (config.fusion === undefined) return preset;
  return parseFusionConfig(mergeConfig(preset, config.fusion), `${origin} fusion`);
}

/** The technical-only primary of `config`, and how to name it; throws when technical is off. */
function technicalPrimary(config: TradingConfig, origin: string) {
  const named = config.fusion === undefined ? "(the technical-only preset)" : `${origin} fusion`;
  return { named, primary: primaryFusion(resolveFusion(config, origin, false), named) };
}

/**
 * The technical-only primary of `config` that `model` was trained to gate; throws when
 * the technical source is off or the primary is not the one on the model's card.
 */
function metaPrimary(config: TradingConfig, origin: string, model: MetaServingModel): FusionConfig {
  const { named, primary } = technicalPrimary(config, origin);
  const hash = primaryConfigHash(primary);
  const trained = model.meta.primary.configHash;
  if (hash !== trained) {
    throw new RangeError(
      `Cannot use meta model ${model.id.slice(0, 12)}…: it was trained on the candidate ` +
        `trades of primary ${trained.slice(0, 12)}…, but ${named} gives primary ` +
        `${hash.slice(0, 12)}… (${
          primaryDifferences(primary, model.meta.primary.fusion).join("; ")
        }); use the fusion settings on its card (meta.primary.fusion) or train a meta model ` +
        `for these`,
    );
  }
  return primary;
}

/** Builds the stages and the risk engine; throws naming the bad part of the config. */
export function buildStrategy(options: StrategyOptions): Strategy {
  const { config, model, calendar, symbol } = options;
  const origin = options.origin ?? "(defaults)";
  const meta = model?.meta === undefined ? null : model as MetaServingModel;
  const fusion = meta !== null
    ? metaPrimary(config, origin, meta)
    : resolveFusion(config, origin, model !== null);
  const execution = resolveExecutionConfig(config.execution ?? {});
  if (execution.spec.symbol !== symbol) {
    throw new UsageError(
      `the broker profile "${execution.profile.name}" trades "${execution.spec.symbol}", ` +
        `but the data is "${symbol}": use a profile for this symbol`,
    );
  }
  const riskInput = (config.risk ?? {}) as Record<string, unknown>;
  const newsInput = (riskInput.news ?? {}) as { enabled?: unknown };
  if (options.requireNewsCalendar === true) assertNewsCovered(config, calendar);
  const risk = parseRiskConfig(
    {
      ...riskInput,
      news: { enabled: calendar !== null, ...newsInput },
    },
    `${origin} risk`,
  );
  // The broker's terms: its contract, its spread for bid-only data and the slippage.
  const costs = costModelOf(execution);
  const engine = new RiskEngine({ config: risk, calendar, costs });
  const spec = DEFAULT_FEATURE_SPEC;
  const hasSpread = options.sides !== "bid";
  const levelAtr = options.recordLevelAtr === true ? new LevelAtrRecord() : null;
  const stages: Stage[] = [];
  if (model !== null && options.scored !== true) {
    stages.push(
      {
        name: "features",
        operator: computeFeatures(spec, { symbol, hasSpread }),
      },
    );
    if (meta === null) {
      stages.push({
        name: "model",
        operator: scoreModels({ production: model, shadow: null }, {
          backlog: options.backlog,
          groupRows: options.scoringGroupRows,
        }),
      });
    }
  }
  stages.push(
    {
      name: "regimes",
      operator: detectRegimes({ symbol, timeframe: REGIME_TIMEFRAME, dayStart: "new-york-17" }),
    },
    {
      name: "fusion",
      operator: fuseSignals({
        symbol,
        spec: execution.spec,
        costs,
        specHash: specHash(spec),
        config: fusion,
        levelAtr: levelAtr ?? undefined,
      }),
    },
  );
  if (meta !== null) {
    stages.push({ name: "meta-gate", operator: gateSignals({ symbol, model: meta }) });
  }
  const warmUp = strategyWarmUp(fusion, model, hasSpread, options.window !== undefined);
  if (options.window !== undefined) {
    stages.push({
      name: "trading-window",
      operator: tradingWindow({
        symbol,
        fromUs: options.window.fromUs,
        dataName: options.window.dataName,
        required: options.window.warmUp === false ? [] : warmUp.required,
      }, warmUp.record!),
    });
  }
  return {
    stages,
    engine,
    fusion,
    warmUp,
    execution,
    newsFilter: risk.news.enabled,
    levelAtr,
  };
}

/**
 * Every source's needs, from the components themselves: the technical scorer's and the
 * level model's indicators, the regime detector's bars, and the feature spec's measured
 * needs when a model votes. The LLM needs no history, and answers only now and then, so
 * the window never waits for it; nor for a meta model, which votes only when the primary
 * asks to trade.
 */
function strategyWarmUp(
  fusion: FusionConfig,
  model: ServingModel | null,
  hasSpread: boolean,
  windowed: boolean,
): StrategyWarmUp {
  const withModel = model !== null;
  const needs: WarmUpNeed[] = [
    ...new TechnicalScorer(fusion.technical).warmUp.map((n) => ({
      source: "technical" as const,
      ...n,
    })),
    { source: "levels", ...new LevelModel(fusion.levels, DEFAULT_COSTS).warmUp },
    { source: "regime", timeframe: REGIME_TIMEFRAME, bars: new RegimeDetector().requiredBars },
    ...(withModel ? featureWarmUpNeeds(DEFAULT_FEATURE_SPEC, hasSpread) : []),
  ];
  const votesEveryBar = withModel && model.meta === undefined;
  const required: SourceName[] = ["technical", "regime", ...(votesEveryBar ? ["ml" as const] : [])];
  return { needs, required, record: windowed ? emptyWarmUpRecord() : null };
}

/**
 * The primary a meta-labeling model is trained on: the strategy's stages up to fusion,
 * with `config`'s fusion made technical-only (throws when its technical source is off),
 * and the hash that names it on the model's card.
 */
export function buildPrimary(
  options: Omit<StrategyOptions, "model" | "scored" | "calendar">,
): Strategy & { readonly configHash: string } {
  const { primary } = technicalPrimary(options.config, options.origin ?? "(defaults)");
  const strategy = buildStrategy({
    ...options,
    config: { ...options.config, fusion: primary },
    model: null,
    calendar: null,
  });
  return { ...strategy, configHash: primaryConfigHash(strategy.fusion) };
}
