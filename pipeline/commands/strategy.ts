/**
 * The strategy, composed once for both places it runs: the backtest (fed by a file, the
 * simulated broker executing) and the live server (fed by an MT5 terminal, the terminal
 * executing). Features and the model when there is one, regimes, fusion and the risk
 * engine, all from one trading config. Keeping this in one place is what makes a
 * replayed day trade the same in both; it must never hold anything that differs between them.
 */

import { z } from "zod";
import { scoreModels, type ServingModel } from "../../operators/ensemble/mod.ts";
import type { Backlog } from "../backlog.ts";
import { resolveExecutionConfig } from "../../operators/execution/mod.ts";
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
import { XAUUSD } from "../symbols.ts";

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

export interface StrategyOptions {
  readonly symbol: string;
  /** What the feed quotes: bid-only data makes risk assume the simulated broker's spread. */
  readonly sides: QuoteSides;
  readonly config: TradingConfig;
  /** How the config is named in error messages, e.g. its file name. */
  readonly origin?: string;
  readonly model: ServingModel | null;
  readonly calendar: NewsCalendar | null;
  /**
   * Features and model scoring already run upstream (serve --replay scores with the shadow
   * and retrains); `model` then only chooses the fusion preset.
   */
  readonly scored?: boolean;
  /** Counts the rows the model stage is scoring, for a replay to wait on (backtests). */
  readonly backlog?: Backlog;
}

export interface Strategy {
  /** Features (with a model), regimes and fusion: everything before risk and execution. */
  readonly stages: Stage[];
  readonly engine: RiskEngine;
  /** The fusion settings in force, resolved: what a report records. */
  readonly fusion: FusionConfig;
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
  const riskInput = (config.risk ?? {}) as Record<string, unknown>;
  const risk = parseRiskConfig(
    {
      ...riskInput,
      // Bid-only data: risk sees the same spread the simulated broker charges.
      spread: {
        assumedSpread: options.sides === "bid" ? execution.fixedSpread : null,
        ...(riskInput.spread as object ?? {}),
      },
      news: { enabled: calendar !== null, ...(riskInput.news as object ?? {}) },
    },
    `${origin} risk`,
  );
  const engine = new RiskEngine({ config: risk, calendar });
  const spec = DEFAULT_FEATURE_SPEC;
  const stages: Stage[] = [];
  if (model !== null && options.scored !== true) {
    stages.push(
      {
        name: "features",
        operator: computeFeatures(spec, { symbol, hasSpread: options.sides !== "bid" }),
      },
      {
        name: "model",
        operator: scoreModels({ production: model, shadow: null }, { backlog: options.backlog }),
      },
    );
  }
  stages.push(
    {
      name: "regimes",
      operator: detectRegimes({ symbol, timeframe: "H1", dayStart: "new-york-17" }),
    },
    {
      name: "fusion",
      operator: fuseSignals({ symbol, spec: XAUUSD, specHash: specHash(spec), config: fusion }),
    },
  );
  return { stages, engine, fusion };
}
