/**
 * The backtest report's shape as zod schemas: the one definition of every field's name,
 * unit and nullability. `computeMetrics()` and `monteCarlo()` return the types inferred
 * here, so the code cannot drift from the schema, and `backtestJson()` parses its own
 * output with them, so a NaN or an Infinity can never reach a file (zod 4 rejects both).
 * Keys are snake_case because they are the JSON file's keys. Money is account currency;
 * a `_pct` field is in percent (12.5 means 12.5 %); times are ISO-8601 UTC strings.
 * See docs/backtest-metrics.md for every formula.
 */

import { z } from "zod";
import { EXIT_REASONS } from "../../pipeline/events.ts";

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const isoTime = z.string().regex(ISO_UTC, "ISO-8601 UTC");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex SHA-256");
const count = z.number().int().nonnegative();
/** A share, in percent: 0 to 100. */
const share = z.number().min(0).max(100);

/** The sessions a trade is filed under by its entry time, exclusive, in this priority. */
export const SESSIONS = ["overlap", "london", "new_york", "asia", "off_hours"] as const;
export type SessionName = typeof SESSIONS[number];

/** The exit reasons the document reports, the events' own. */
export { EXIT_REASONS };

/** Counts and P&L of a set of trades; the ratios are null where they are undefined. */
export const tradeStatsSchema = z.strictObject({
  trades: count,
  wins: count,
  losses: count,
  net_profit: z.number(),
  gross_profit: z.number().nonnegative(),
  /** Sum of the losing trades' P&L: zero or negative. */
  gross_loss: z.number().nonpositive(),
  win_rate_pct: share.nullable(),
  /** Null when there is no losing trade (the ratio is undefined, not infinite). */
  profit_factor: z.number().nonnegative().nullable(),
  expectancy: z.number().nullable(),
  average_win: z.number().nullable(),
  average_loss: z.number().nullable(),
});
export type TradeStats = z.infer<typeof tradeStatsSchema>;

/** The 5th, 25th, 50th, 75th and 95th percentiles of one quantity. */
export const bandsSchema = z.strictObject({
  p5: z.number(),
  p25: z.number(),
  p50: z.number(),
  p75: z.number(),
  p95: z.number(),
});
export type Bands = z.infer<typeof bandsSchema>;

const bySession = z.strictObject(
  Object.fromEntries(SESSIONS.map((s) => [s, tradeStatsSchema])) as Record<
    SessionName,
    typeof tradeStatsSchema
  >,
);

export const metricsSchema = z.strictObject({
  period: z.strictObject({
    start_utc: isoTime,
    end_utc: isoTime,
    calendar_days: z.number().nonnegative(),
    /** Weekdays (by the New York date of their 17:00 close) in the daily return series. */
    trading_days: count,
  }),
  initial_balance: z.number().positive(),
  final_balance: z.number(),
  final_equity: z.number(),
  total_return_pct: z.number(),
  ...tradeStatsSchema.shape,
  cagr_pct: z.number(),
  sharpe: z.number().nullable(),
  sortino: z.number().nullable(),
  calmar: z.number().nullable(),
  max_drawdown: z.strictObject({
    /** Largest fall of equity from its running peak, in currency. */
    amount: z.number().nonnegative(),
    /** Largest fall from the running peak as a share of that peak (may be another episode). */
    pct: z.number().nonnegative(),
    /** Peak and trough of the largest `amount`; null when equity never fell. */
    peak_time_utc: isoTime.nullable(),
    trough_time_utc: isoTime.nullable(),
  }),
  max_drawdown_duration_days: z.number().nonnegative(),
  average_r: z.number().nullable(),
  /** Trades that had an initial risk, the ones `average_r` averages. */
  r_trades: count,
  exposure_pct: share,
  costs: z.strictObject({
    commission: z.number(),
    /** As booked: negative is a cost, positive a credit. */
    swap: z.number(),
    spread: z.number(),
    /** commission - swap + spread: what trading cost in all, already inside net P&L. */
    total: z.number(),
  }),
  by_session: bySession,
  by_regime: z.record(z.string(), tradeStatsSchema),
  by_exit_reason: z.record(z.string(), tradeStatsSchema),
  risk_decisions: z.strictObject({ accepted: count, rejected: count }),
  /** A rejection with several reasons counts under each of them. */
  risk_rejections_by_reason: z.record(z.string(), count),
  /**
   * Orders the broker did not execute after risk accepted them: refused (invalid lots,
   * no margin, stops too close...), expired (time in force, a pending order's expiry) or
   * cancelled (one-cancels-other, the end of the data). Accepted decisions less these are
   * what traded.
   */
  broker_refusals: count,
  broker_refusals_by_reason: z.record(z.string(), count),
  /**
   * Trades that lost more than their budget (realised R below -1 by more than a cent): a
   * gap through the stop, or a fill far from the decision. `worst_factor` is the largest
   * loss / budget; null without such a trade.
   */
  over_budget: z.strictObject({ trades: count, worst_factor: z.number().positive().nullable() }),
  buy_and_hold: z.strictObject({
    entry_time_utc: isoTime,
    entry_price: z.number().positive(),
    exit_time_utc: isoTime,
    exit_price: z.number().positive(),
    return_pct: z.number(),
    pnl: z.number(),
  }).nullable(),
  /** Why a figure is null, and caveats a reader needs (short period, unrecovered drawdown). */
  notes: z.array(z.string()),
});
export type BacktestMetrics = z.infer<typeof metricsSchema>;

export const monteCarloSchema = z.strictObject({
  method: z.enum(["reshuffle", "bootstrap"]),
  runs: z.number().int().positive(),
  seed: z.number().int(),
  trades: count,
  initial_balance: z.number().positive(),
  final_equity: bandsSchema,
  max_drawdown: bandsSchema,
  max_drawdown_pct: bandsSchema,
  /** Share of runs that end below the initial balance. */
  loss_probability_pct: share,
  /** Closed-trade equity bands after `trade_index[i]` trades. */
  path: z.strictObject({
    trade_index: z.array(count),
    p5: z.array(z.number()),
    p25: z.array(z.number()),
    p50: z.array(z.number()),
    p75: z.array(z.number()),
    p95: z.array(z.number()),
  }),
});
export type MonteCarloResult = z.infer<typeof monteCarloSchema>;

export const tradeRowSchema = z.strictObject({
  id: z.string(),
  symbol: z.string(),
  side: z.enum(["buy", "sell"]),
  lots: z.number().positive(),
  entry_time_utc: isoTime,
  entry_price: z.number().positive(),
  exit_time_utc: isoTime,
  exit_price: z.number().positive(),
  exit_reason: z.enum(EXIT_REASONS),
  pnl: z.number(),
  commission: z.number(),
  swap: z.number(),
  spread_cost: z.number(),
  mae: z.number(),
  mfe: z.number(),
  /** The decision's budget: what the stop loses if hit without a gap, costs included. */
  initial_risk: z.number().positive().nullable(),
  /** Realised R: pnl / initial_risk. */
  r_multiple: z.number().nullable(),
  /** Loss / budget when the trade lost more than its budget (a gap through the stop); else null. */
  loss_over_budget: z.number().positive().nullable(),
  session: z.enum(SESSIONS),
  regime: z.string(),
});
export type TradeRow = z.infer<typeof tradeRowSchema>;

export const dataFileSchema = z.strictObject({
  name: z.string().min(1),
  sha256,
  rows: count,
});
export type DataFile = z.infer<typeof dataFileSchema>;

/** A share of something, as a 0-1 fraction. */
const fraction = z.number().min(0).max(1);
const tradesAndNet = z.strictObject({ trades: count, net_profit: z.number() });

/** The history read before trading, and when each source first voted. */
export const warmUpSchema = z.strictObject({
  /** `--from`, or null when trading started once every source was warm. */
  requested_from_utc: isoTime.nullable(),
  /** The first M1 bar read, warm-up included. */
  history_start_utc: isoTime,
  /** The first M1 bar traded: the period every figure covers. */
  trading_start_utc: isoTime,
  /** M1 bars read before the first traded bar. */
  warm_bars: count,
  /** Closed bars each source needs before its first vote, computed from its components. */
  required: z.array(z.strictObject({ source: z.string(), timeframe: z.string(), bars: count })),
  /** Had every required source voted by the first traded bar? */
  complete: z.boolean(),
  notes: z.array(z.string()),
});
export type WarmUpReport = z.infer<typeof warmUpSchema>;

/** One signal source's part in the traded period's decisions. */
export const sourceReportSchema = z.strictObject({
  /** Part of this run's strategy (a model loaded, the LLM enabled...). */
  configured: z.boolean(),
  /** Its fusion weight (0 for the regime, which scales confidence instead). */
  weight: z.number().min(0).max(1),
  /**
   * Decision bars of the traded period: the denominator of `coverage`. For a meta model,
   * the bars where the primary asked to trade (the only ones it is asked about).
   */
  decision_bars: count,
  voted_bars: count,
  coverage: fraction,
  first_vote_utc: isoTime.nullable(),
  /** Buy or sell decisions where its vote had the same side. */
  agreed: count,
  /** Buy or sell decisions where its vote had the other side. */
  opposed: count,
  agreement_rate: fraction.nullable(),
  /** Trades whose opening signal had its vote on the trade's side. */
  trades_supported: tradesAndNet,
  /** Trades whose opening signal had its vote on the other side. */
  trades_opposed: tradesAndNet,
  /** Trades where it voted flat or not at all. */
  trades_neutral: tradesAndNet,
});
export type SourceReport = z.infer<typeof sourceReportSchema>;

/** A limit that halted (or, recording only, would have halted) new trades. */
export const haltSchema = z.strictObject({
  time_utc: isoTime,
  code: z.string(),
  detail: z.string(),
  /** When it lifted; null when it held to the end of the run. */
  until_utc: isoTime.nullable(),
  /** False when only recorded (`risk.onHalt: "record"`): trading went on. */
  enforced: z.boolean(),
  /** Share of the traded period it kept closed. */
  untraded_share: fraction,
});
export type HaltReport = z.infer<typeof haltSchema>;

/** What trading cost per trade against the distances it traded for. */
export const costsSchema = z.strictObject({
  trades: count,
  /** Averages per trade in price units (currency / (contract size x lots)). */
  per_trade: z.strictObject({
    spread: z.number(),
    slippage: z.number(),
    commission: z.number(),
    /** As a cost: positive when swaps cost, negative when they paid. */
    swap: z.number(),
    total: z.number(),
  }),
  average_stop_distance: z.number().nonnegative().nullable(),
  average_take_distance: z.number().nonnegative().nullable(),
  /** Negative when swaps paid more than the trades cost otherwise. */
  cost_share_of_stop: z.number().nullable(),
  cost_share_of_take: z.number().nullable(),
  /** (stop + cost) / (stop + take): the win rate at which these levels break even. */
  breakeven_win_rate: fraction.nullable(),
});
export type CostsReport = z.infer<typeof costsSchema>;

/** Seeded random entries through the same levels, risk engine and broker. */
export const randomBaselineSchema = z.strictObject({
  runs: z.number().int().positive(),
  seed: z.number().int(),
  /**
   * Probability with which each decision bar with room for a trade asked for one,
   * calibrated so the runs trade about as often as the strategy did.
   */
  entry_rate: fraction,
  trades: bandsSchema,
  net_profit: bandsSchema,
  profit_factor: bandsSchema.nullable(),
  sharpe: bandsSchema.nullable(),
  /** The strategy's percentile among the random runs, 0-100 (ties count half). */
  percentile: z.strictObject({
    net_profit: share,
    profit_factor: share.nullable(),
    sharpe: share.nullable(),
  }),
});
export type RandomBaseline = z.infer<typeof randomBaselineSchema>;

/** Whether the news blackout ran, and on which calendar. */
export const newsSchema = z.strictObject({
  enabled: z.boolean(),
  /** The calendar file's name; null without one (the filter is then off). */
  calendar: z.string().nullable(),
  calendar_sha256: sha256.nullable(),
});
export type NewsSummary = z.infer<typeof newsSchema>;

/** The broker profile the run traded on, and what its margin did. */
export const brokerSchema = z.strictObject({
  name: z.string().min(1),
  /** The profile file's name (--broker), or null for the config's or the default profile. */
  file: z.string().nullable(),
  symbol: z.string().min(1),
  contract_size: z.number().positive(),
  digits: count,
  point: z.number().positive(),
  min_lot: z.number().positive(),
  lot_step: z.number().positive(),
  max_lot: z.number().positive(),
  leverage: z.number().positive(),
  margin_call_level_pct: z.number().positive(),
  stop_out_level_pct: z.number().nonnegative(),
  stops_level_points: count,
  commission: z.record(z.string(), z.union([z.string(), z.number()])),
  swap_long_per_lot: z.number(),
  swap_short_per_lot: z.number(),
  triple_swap_weekday: z.number().int().min(0).max(6),
  spread_model: z.string().min(1),
  margin: z.strictObject({
    /**
     * Highest margin in use / equity over the account reports, percent (0 with nothing
     * open); null when equity reached zero with margin in use.
     */
    max_used_pct_of_equity: z.number().nonnegative().nullable(),
    /** Times the margin level fell below the margin-call level. */
    margin_calls: count,
    /** Positions the stop-out closed. */
    stop_outs: count,
    min_equity: z.number(),
  }),
});
export type BrokerSummary = z.infer<typeof brokerSchema>;

/** The whole `--json` document. */
/** One point of the equity curve. */
export interface EquityRow {
  readonly time_utc: string;
  readonly equity: number;
  readonly balance: number;
}

/** What is wrong with an equity point, or null: exactly an ISO-8601 UTC time and two finite numbers. */
function equityRowProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "expected an object { time_utc, equity, balance }";
  }
  const row = value as Record<string, unknown>;
  // A loop, not a filtered copy of the keys: this runs for every point of the curve.
  for (const key in row) {
    if (key !== "time_utc" && key !== "equity" && key !== "balance" && Object.hasOwn(row, key)) {
      return `unknown key ${JSON.stringify(key)}`;
    }
  }
  if (typeof row.time_utc !== "string" || !ISO_UTC.test(row.time_utc)) {
    return "time_utc: expected ISO-8601 UTC";
  }
  if (typeof row.equity !== "number" || !Number.isFinite(row.equity)) {
    return "equity: expected a finite number";
  }
  if (typeof row.balance !== "number" || !Number.isFinite(row.balance)) {
    return "balance: expected a finite number";
  }
  return null;
}

/**
 * The equity curve, its points checked by hand rather than by an object schema each: a
 * year's curve has tens of thousands of points, and a schema per point was most of the
 * time a backtest spent validating its document. The same rules as the other rows (exact
 * keys, ISO-8601 UTC, finite numbers); the first bad point is named by its index.
 */
const equityCurveSchema = z.custom<readonly EquityRow[]>(
  (value) => Array.isArray(value),
  "expected an array of equity points",
).superRefine((points, ctx) => {
  let bad = 0;
  for (let i = 0; i < points.length; i++) {
    const problem = equityRowProblem(points[i]);
    if (problem === null) continue;
    if (bad++ === 0) ctx.addIssue({ code: "custom", message: problem, path: [i] });
  }
  if (bad > 1) ctx.addIssue({ code: "custom", message: `and ${bad - 1} more bad points` });
});

export const backtestJsonSchema = z.strictObject({
  schema_version: z.literal(2),
  symbol: z.string().min(1),
  period: z.strictObject({ start_utc: isoTime, end_utc: isoTime }),
  data_files: z.array(dataFileSchema),
  news: newsSchema,
  broker: brokerSchema,
  /** The configuration after defaults and overrides: what actually ran. */
  config: z.record(z.string(), z.unknown()),
  metrics: metricsSchema,
  trades: z.array(tradeRowSchema),
  equity_curve: equityCurveSchema,
  monte_carlo: z.array(monteCarloSchema),
  warmup: warmUpSchema,
  sources: z.strictObject({
    technical: sourceReportSchema,
    ml: sourceReportSchema,
    regime: sourceReportSchema,
    llm: sourceReportSchema,
  }),
  halts: z.array(haltSchema),
  costs: costsSchema,
  /** Chance beside the strategy (buy-and-hold is `metrics.buy_and_hold`); null when turned off. */
  baseline: z.strictObject({ random: randomBaselineSchema.nullable() }),
});
export type BacktestJson = z.infer<typeof backtestJsonSchema>;
