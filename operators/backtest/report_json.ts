/**
 * The `--json` document of a backtest: metrics, every trade (snake_case, ISO-8601 UTC
 * times, tagged with the session and regime the breakdowns used), the equity curve, the
 * resolved config, the data files with their SHA-256 and row counts, and Monte Carlo
 * bands. The document is parsed with `backtestJsonSchema` before it is returned, so
 * nothing that fails the schema (a NaN, a missing field) is ever written.
 */

import { isoFromUs } from "../../pipeline/events.ts";
import type { BrokerStats } from "../execution/broker.ts";
import type { BrokerProfile } from "../execution/profile.ts";
import { computeMetrics, lossOverBudget, type MetricsInput } from "./metrics.ts";
import {
  type BacktestJson,
  backtestJsonSchema,
  type BacktestMetrics,
  type BrokerSummary,
  type CostsReport,
  type DataFile,
  type HaltReport,
  type MonteCarloResult,
  type NewsSummary,
  type RandomBaseline,
  type WarmUpReport,
} from "./schema.ts";
import { regimeTagger, sessionOf } from "./tags.ts";

export { type BacktestJson, backtestJsonSchema } from "./schema.ts";

/** What `backtestJson()` assembles; the metrics are computed from `run`. */
export interface BacktestJsonInput {
  readonly symbol: string;
  readonly run: MetricsInput;
  /** The configuration that ran, after defaults and overrides; plain JSON values. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly dataFiles: readonly DataFile[];
  /** Whether the news filter ran, and on which calendar. */
  readonly news: NewsSummary;
  /** The broker profile traded on and what its margin did. */
  readonly broker: BrokerSummary;
  /** Zero or more results of `monteCarlo()` on the run's trade P&Ls. */
  readonly monteCarlo: readonly MonteCarloResult[];
  /** Caveats beyond those the metrics find themselves (a model that sat out decisions). */
  readonly notes?: readonly string[];
  readonly warmup: WarmUpReport;
  readonly sources: BacktestJson["sources"];
  readonly halts: readonly HaltReport[];
  readonly costs: CostsReport;
  /** The random-entry baseline ranked against this run's metrics; null when off. */
  readonly baseline: RandomBaseline | null;
  /** `computeMetrics(run)`, when the caller needed it first (to rank against chance). */
  readonly metrics?: BacktestMetrics;
}

/** Builds and validates the document; throws a TypeError naming every problem. */
export function backtestJson(input: BacktestJsonInput): BacktestJson {
  const { run } = input;
  checkJsonValues(input.config, "config");
  const regimeAt = regimeTagger(run.regimes);
  const computed = input.metrics ?? computeMetrics(run);
  const metrics = { ...computed, notes: [...computed.notes, ...(input.notes ?? [])] };
  const document = {
    schema_version: 2,
    symbol: input.symbol,
    period: { start_utc: isoFromUs(run.periodStartUs), end_utc: isoFromUs(run.periodEndUs) },
    data_files: input.dataFiles,
    news: input.news,
    broker: input.broker,
    config: input.config,
    metrics,
    trades: run.trades.map((t) => {
      const risk = t.initialRisk ?? null;
      return {
        id: t.positionId,
        symbol: t.symbol,
        side: t.side,
        lots: t.lots,
        entry_time_utc: isoFromUs(t.entryTimeUs),
        entry_price: t.entryPrice,
        exit_time_utc: isoFromUs(t.exitTimeUs),
        exit_price: t.exitPrice,
        exit_reason: t.exitReason,
        pnl: t.pnl,
        commission: t.commission,
        swap: t.swap,
        spread_cost: t.spreadCost,
        mae: t.mae,
        mfe: t.mfe,
        initial_risk: risk,
        r_multiple: risk === null ? null : t.pnl / risk,
        loss_over_budget: lossOverBudget(t),
        session: sessionOf(t.entryTimeUs),
        regime: regimeAt(t.symbol, t.entryTimeUs),
      };
    }),
    equity_curve: run.equity.map((p) => ({
      time_utc: isoFromUs(p.timeUs),
      equity: p.equity,
      balance: p.balance,
    })),
    monte_carlo: input.monteCarlo,
    warmup: input.warmup,
    sources: input.sources,
    halts: input.halts,
    costs: input.costs,
    baseline: { random: input.baseline },
  };
  return parseBacktestJson(document, `for ${input.symbol}`);
}

/** The document's `broker` section: the profile traded on and what its margin did. */
export function brokerSummary(
  profile: BrokerProfile,
  file: string | null,
  stats: BrokerStats,
): BrokerSummary {
  const { commission, spread } = profile;
  return {
    name: profile.name,
    file,
    symbol: profile.symbol,
    contract_size: profile.contractSize,
    digits: profile.digits,
    point: profile.point,
    min_lot: profile.minLot,
    lot_step: profile.lotStep,
    max_lot: profile.maxLot,
    leverage: profile.leverage,
    margin_call_level_pct: profile.marginCallLevel,
    stop_out_level_pct: profile.stopOutLevel,
    stops_level_points: profile.stopsLevelPoints,
    commission: commission.model === "per_lot"
      ? { model: commission.model, per_lot_per_side: commission.perLotPerSide }
      : { model: commission.model, per_million_per_side: commission.perMillionPerSide },
    swap_long_per_lot: profile.swapLongPerLot,
    swap_short_per_lot: profile.swapShortPerLot,
    triple_swap_weekday: profile.tripleSwapWeekday,
    spread_model: (spread.model === "fixed" ? `fixed ${spread.spread}` : spread.model) +
      (spread.sessions.length > 0 ? ` + ${spread.sessions.length} session windows` : ""),
    margin: {
      max_used_pct_of_equity: Number.isFinite(stats.maxMarginUsePct) ? stats.maxMarginUsePct : null,
      margin_calls: stats.marginCalls,
      stop_outs: stats.stopOuts,
      min_equity: stats.minEquity,
    },
  };
}

/** Validates a backtest document, one built here or read back from a file. */
export function parseBacktestJson(value: unknown, origin: string): BacktestJson {
  const result = backtestJsonSchema.safeParse(value);
  if (!result.success) throw invalid(origin, result.error.issues, []);
  return result.data;
}

/**
 * `doc` with the chance baseline `random` in it (null: none ran), the baseline validated
 * as `parseBacktestJson` validates it: for a document built before its baseline's runs
 * ended, without validating the rest of it twice.
 */
export function withBaseline(doc: BacktestJson, random: RandomBaseline | null): BacktestJson {
  const result = backtestJsonSchema.shape.baseline.safeParse({ random });
  if (!result.success) throw invalid(`for ${doc.symbol}`, result.error.issues, ["baseline"]);
  return { ...doc, baseline: result.data };
}

/** The error naming every problem found at `under` in a document. */
function invalid(
  origin: string,
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
  under: readonly string[],
): TypeError {
  const problems = issues.map((issue) =>
    `${[...under, ...issue.path.map(String)].join(".") || "document"}: ${issue.message}`
  );
  return new TypeError(`Backtest JSON ${origin} is invalid: ${problems.join("; ")}`);
}

/**
 * Refuses values JSON would silently change: NaN and Infinity (written as null),
 * undefined, functions and bigints, so the config in the file is the config that ran.
 */
function checkJsonValues(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number" && Number.isFinite(value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJsonValues(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) checkJsonValues(item, `${path}.${key}`);
    return;
  }
  throw new TypeError(
    `Cannot write backtest JSON: ${path} is ${String(value)}, which JSON cannot hold as it is`,
  );
}
