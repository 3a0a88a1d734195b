/**
 * The strategy, composed once for both places it runs: the backtest (fed by a file, the
 * simulated broker executing) and the live server (fed by an MT5 terminal, the terminal
 * executing). Features and the model when there is one, regimes, fusion and the risk
 * engine, all from one trading config. Keeping this in one place is what makes a
 * replayed day trade the same in both; it must never hold anything that differs between them.
 */

import { z } from "zod";
import { scoreModels, type ServingModel } from "../../operators/ensemble/mod.ts";
import {
  costModelOf,
  type ExecutionSettings,
  readBrokerProfile,
  resolveExecutionConfig,
} from "../../operators/execution/mod.ts";
import { computeFeatures, DEFAULT_FEATURE_SPEC, specHash } from "../../operators/features/mod.ts";
import {
  fuseSignals,
  FUSION_DEFAULTS,
  type FusionConfig,
  parseFusionConfig,
  TECHNICAL_ONLY,
} from "../../operators/fusion/mod.ts";
import { detectRegimes } from "../../operators/regime/mod.ts";
import { type NewsCalendar, parseRiskConfig, RiskEngine } from "../../operators/risk/mod.ts";
import type { QuoteSides } from "../../sources/source.ts";
import type { Stage } from "../build.ts";
import { UsageError } from "./args.ts";

/** The trading config file (`--config`): each part is validated by its own module's schema. */
export const tradingConfigSchema = z.strictObject({
  fusion: z.unknown().optional(),
  risk: z.unknown().optional(),
  execution: z.record(z.string(), z.unknown()).optional(),
  monteCarlo: z.strictObject({
    runs: z.number().int().min(10).max(100_000),
    seed: z.number().int(),
  })
    .partial().default({}),
});
export type TradingConfig = z.infer<typeof tradingConfigSchema>;

/** The config checked all the way down: each part by its own module's parser. */
export const checkedTradingConfigSchema = tradingConfigSchema.superRefine((config, ctx) => {
  try {
    if (config.fusion !== undefined) parseFusionConfig(config.fusion, "fusion");
    if (config.risk !== undefined) parseRiskConfig(config.risk, "risk");
    resolveExecutionConfig(config.execution ?? {});
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
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

export interface StrategyOptions {
  readonly symbol: string;
  /** What the feed quotes: bid-only data is priced with the broker profile's spread model. */
  readonly sides: QuoteSides;
  readonly config: TradingConfig;
  /** How the config is named in error messages, e.g. its file name. */
  readonly origin?: string;
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
}

export interface Strategy {
  /** Features (with a model), regimes and fusion: everything before risk and execution. */
  readonly stages: Stage[];
  readonly engine: RiskEngine;
  /** The fusion settings in force, resolved: what a report records. */
  readonly fusion: FusionConfig;
  /** The execution settings and broker profile every stage reads. */
  readonly execution: ExecutionSettings;
  /** Whether the news blackout is on. */
  readonly newsFilter: boolean;
}

/** Builds the stages and the risk engine; throws naming the bad part of the config. */
export function buildStrategy(options: StrategyOptions): Strategy {
  const { config, model, calendar, symbol } = options;
  const origin = options.origin ?? "(defaults)";
  const fusion = config.fusion !== undefined
    ? parseFusionConfig(config.fusion, `${origin} fusion`)
    : model === null
    ? TECHNICAL_ONLY
    : FUSION_DEFAULTS;
  const execution = resolveExecutionConfig(config.execution ?? {});
  if (execution.spec.symbol !== symbol) {
    throw new UsageError(
      `the broker profile "${execution.profile.name}" trades "${execution.spec.symbol}", ` +
        `but the data is "${symbol}": use a profile for this symbol`,
    );
  }
  const riskInput = (config.risk ?? {}) as Record<string, unknown>;
  const newsInput = (riskInput.news ?? {}) as { enabled?: unknown };
  if (options.requireNewsCalendar === true && calendar === null && newsInput.enabled !== false) {
    throw new UsageError(
      "no news calendar: live trading refuses to trade through news it cannot see. Pass " +
        '--news FILE (docs/risk.md, "News calendar"), or set "risk": { "news": { "enabled": ' +
        "false } } in --config to trade without the blackout",
    );
  }
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
  const stages: Stage[] = [];
  if (model !== null && options.scored !== true) {
    stages.push(
      {
        name: "features",
        operator: computeFeatures(spec, { symbol, hasSpread: options.sides !== "bid" }),
      },
      { name: "model", operator: scoreModels({ production: model, shadow: null }) },
    );
  }
  stages.push(
    {
      name: "regimes",
      operator: detectRegimes({ symbol, timeframe: "H1", dayStart: "new-york-17" }),
    },
    {
      name: "fusion",
      operator: fuseSignals({
        symbol,
        spec: execution.spec,
        costs,
        specHash: specHash(spec),
        config: fusion,
      }),
    },
  );
  return { stages, engine, fusion, execution, newsFilter: risk.news.enabled };
}
