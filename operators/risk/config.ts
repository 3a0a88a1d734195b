/**
 * The risk configuration: one zod schema whose every field has a description, bounds and
 * a default, so an empty config `{}` is the documented safe retail setup (docs/risk.md),
 * plus named consistency checks across fields. Symbol facts (contract size, lot step,
 * leverage) live in the `SymbolSpec`, not here. This module describes limits; it must
 * never enforce one.
 */

import { z } from "zod";
import { TIME_ZONES, WEEKDAYS } from "./_zones.ts";
import { NEWS_IMPACTS, type NewsImpact } from "./news.ts";

const clock = z.string().regex(
  /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/,
  "expected a time of day HH:MM from 00:00 to 24:00",
);
const zone = z.enum(TIME_ZONES, {
  error: (issue) =>
    `unknown time zone ${JSON.stringify(issue.input)}; expected one of ${TIME_ZONES.join(", ")}`,
});

const sessionWindowSchema = z.strictObject({
  name: z.string().min(1).describe("label used in reason details, such as london"),
  timeZone: zone.describe("zone whose wall clock start and end are read in, DST included"),
  start: clock.describe("local time the window opens (inclusive)"),
  end: clock.describe("local time it closes (exclusive); before start means it spans midnight"),
}).refine((w) => w.start !== w.end, {
  message: "start and end are equal: the window would be empty",
  path: ["end"],
}).refine((w) => w.start !== "24:00", {
  message: "a window cannot start at 24:00; use 00:00",
  path: ["start"],
});

const weekdayBlockSchema = z.strictObject({
  weekday: z.enum(WEEKDAYS).describe("local weekday the block applies to"),
  timeZone: zone.describe("zone the weekday and times are read in"),
  from: clock.describe("local time the block starts (inclusive)"),
  to: clock.describe("local time it ends (exclusive); 24:00 for the end of the day"),
}).refine((b) => b.from < b.to, {
  message: "from must be before to (split a block that spans midnight in two)",
  path: ["to"],
});

export type SessionWindow = z.infer<typeof sessionWindowSchema>;
export type WeekdayBlock = z.infer<typeof weekdayBlockSchema>;

const fraction = (fallback: number) => z.number().gt(0).max(1).default(fallback);

export const riskConfigSchema = z.strictObject({
  riskPercent: z.number().gt(0).max(5).default(0.5).describe(
    "percent of equity lost if the stop is hit: lots = equity x riskPercent/100 / (stop distance x value per price unit per lot)",
  ),
  minStopDistance: z.number().gt(0).max(100).default(0.5).describe(
    "smallest stop distance in price units; a closer stop sits inside normal spread noise and would size huge",
  ),
  maxMarginUsePercent: z.number().gt(0).max(100).default(50).describe(
    "margin in use after the order, as a percent of equity, may not exceed this (50 keeps the margin level at 200% or more)",
  ),
  maxDrawdownPercent: z.number().gt(0).max(50).default(10).describe(
    "kill switch: halt when equity falls this percent below its peak, until a manual reset",
  ),
  dailyLoss: z.strictObject({
    maxPercent: z.number().gt(0).max(20).default(2).describe(
      "halt for the rest of the trading day once equity is this percent below the day's start",
    ),
    maxAmount: z.number().positive().max(1e9).nullable().default(null).describe(
      "the same limit in account currency; the smaller of the two applies; null for none",
    ),
    reduceAtFraction: fraction(0.5).describe(
      "share of the daily limit lost after which the state is REDUCING and sizes are cut",
    ),
    reduceFactor: fraction(0.5).describe("size multiplier while near the daily limit"),
  }).prefault({}).describe("daily loss limit; the trading day starts at 17:00 New York"),
  positions: z.strictObject({
    maxOpen: z.number().int().min(1).max(20).default(1).describe(
      "open positions plus unfilled entry orders allowed at once",
    ),
    maxLotsPerDirection: z.number().gt(0).max(100).default(1).describe(
      "total lots allowed on one side (buy or sell), open and pending together",
    ),
    pendingOrderTtlSeconds: z.number().int().min(1).max(3600).default(300).describe(
      "an entry order without a fill stops counting as a position after this long",
    ),
  }).prefault({}).describe("exposure limits"),
  sessions: z.strictObject({
    enabled: z.boolean().default(true).describe("trade only inside one of the windows"),
    windows: z.array(sessionWindowSchema).min(1).default((): SessionWindow[] => [
      { name: "london", timeZone: "Europe/London", start: "08:00", end: "17:00" },
      { name: "new-york", timeZone: "America/New_York", start: "08:00", end: "16:00" },
    ]).describe("trading windows, each on its own city's clock"),
  }).prefault({}).describe("session filter"),
  weekdayBlocks: z.array(weekdayBlockSchema).default((): WeekdayBlock[] => [
    { weekday: "friday", timeZone: "UTC", from: "19:00", to: "24:00" },
  ]).describe("local weekday hours in which no new trade opens; empty for none"),
  spread: z.strictObject({
    maxSpread: z.number().gt(0).max(10).default(0.6).describe(
      "widest ask - bid, in price units, at which a trade may open",
    ),
    assumedSpread: z.number().min(0).max(10).nullable().default(null).describe(
      "spread to assume when the data has bids only; null rejects such signals (SPREAD_UNKNOWN)",
    ),
    maxQuoteAgeSeconds: z.number().int().min(1).max(3600).default(120).describe(
      "a quote older than this at the signal is stale",
    ),
  }).prefault({}).describe("spread filter"),
  news: z.strictObject({
    enabled: z.boolean().default(true).describe(
      "block trading around calendar events; the engine then requires a calendar",
    ),
    beforeMinutes: z.number().int().min(0).max(240).default(15).describe(
      "minutes before an event the blackout starts",
    ),
    afterMinutes: z.number().int().min(0).max(240).default(15).describe(
      "minutes after an event the blackout ends",
    ),
    currencies: z.array(z.string().regex(/^[A-Z]{3}$/, "expected an ISO currency code"))
      .min(1).default(() => ["USD"]).describe("currencies whose events count"),
    impacts: z.array(z.enum(NEWS_IMPACTS)).min(1).default((): NewsImpact[] => ["high"])
      .describe("impact levels that count"),
  }).prefault({}).describe("news blackout"),
  lossStreak: z.strictObject({
    reduceAfter: z.number().int().min(1).max(20).default(2).describe(
      "consecutive losing trades after which sizes are cut and the state is REDUCING",
    ),
    reduceFactor: fraction(0.5).describe("size multiplier during a losing streak; 1 for none"),
    cooldownAfter: z.number().int().min(1).max(20).default(3).describe(
      "consecutive losing trades after which no trade opens for cooldownMinutes",
    ),
    cooldownMinutes: z.number().int().min(0).max(1440).default(30).describe(
      "pause after the losing trade that reached cooldownAfter, from its exit; 0 for none",
    ),
  }).prefault({}).describe("losing streaks; a trade with pnl >= 0 ends a streak"),
  breakeven: z.strictObject({
    enabled: z.boolean().default(true).describe("move the stop to the entry once in profit"),
    triggerR: z.number().gt(0).max(10).default(1).describe(
      "profit, in multiples of the initial stop distance (R), that triggers it",
    ),
    offset: z.number().min(0).max(10).default(0.1).describe(
      "price units beyond the entry the stop goes, to cover commission (7 per lot round trip = 0.07)",
    ),
  }).prefault({}).describe("breakeven stop"),
  trailing: z.strictObject({
    enabled: z.boolean().default(true).describe("trail the stop behind the closing price"),
    triggerR: z.number().gt(0).max(20).default(1.5).describe("profit in R that starts trailing"),
    distanceR: z.number().gt(0).max(10).default(1).describe(
      "distance in R the stop trails behind the close",
    ),
  }).prefault({}).describe("trailing stop"),
  flattenOnKill: z.boolean().default(true).describe(
    "close every open position when the manual or the drawdown kill switch fires",
  ),
  onHalt: z.enum(["halt", "record"]).default("halt").describe(
    "halt: the drawdown and daily-loss limits stop trading (always, live); record: research " +
      "only, each breach is recorded in the run's halts and trading goes on (the drawdown " +
      "peak restarts from the breach), so a strategy can be judged over a whole period",
  ),
}).superRefine((config, ctx) => {
  for (const check of RISK_CONFIG_CHECKS) {
    if (!check.holds(config)) {
      ctx.addIssue({ code: "custom", path: [...check.path], message: check.message });
    }
  }
});

export type RiskConfig = z.output<typeof riskConfigSchema>;
export type RiskConfigInput = z.input<typeof riskConfigSchema>;

/** A rule across fields that bounds alone cannot state. */
export interface RiskConfigCheck {
  readonly name: string;
  readonly path: readonly string[];
  readonly message: string;
  holds(config: RiskConfig): boolean;
}

/** The consistency checks `parseRiskConfig` applies, by name. */
export const RISK_CONFIG_CHECKS: readonly RiskConfigCheck[] = [
  {
    name: "risk-within-daily-loss",
    path: ["riskPercent"],
    message:
      "riskPercent exceeds dailyLoss.maxPercent: one stopped trade would pass the daily limit",
    holds: (c) => c.riskPercent <= c.dailyLoss.maxPercent,
  },
  {
    name: "daily-loss-within-drawdown",
    path: ["dailyLoss", "maxPercent"],
    message:
      "dailyLoss.maxPercent exceeds maxDrawdownPercent: the daily limit could never fire first",
    holds: (c) => c.dailyLoss.maxPercent <= c.maxDrawdownPercent,
  },
  {
    name: "trailing-locks-profit",
    path: ["trailing", "distanceR"],
    message:
      "trailing.distanceR must be below trailing.triggerR, or the first trailing stop sits behind the entry",
    holds: (c) => !c.trailing.enabled || c.trailing.distanceR < c.trailing.triggerR,
  },
  {
    name: "assumed-spread-tradeable",
    path: ["spread", "assumedSpread"],
    message:
      "spread.assumedSpread exceeds spread.maxSpread: every bid-only signal would be rejected",
    holds: (c) => c.spread.assumedSpread === null || c.spread.assumedSpread <= c.spread.maxSpread,
  },
  {
    name: "cut-before-cooldown",
    path: ["lossStreak", "reduceAfter"],
    message:
      "lossStreak.reduceAfter exceeds cooldownAfter: sizes must shrink before trading pauses",
    holds: (c) => c.lossStreak.reduceAfter <= c.lossStreak.cooldownAfter,
  },
];

/** Reads a risk config (JSON value), naming every invalid field and its problem. */
export function parseRiskConfig(value: unknown, origin: string): RiskConfig {
  const result = riskConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "config"}: ${issue.message}`
    );
    throw new TypeError(`Risk config ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** Freezes a parsed config all the way down, so no caller can change a shared one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The defaults: what `{}` parses to, frozen. */
export const DEFAULT_RISK_CONFIG: RiskConfig = deepFreeze(parseRiskConfig({}, "(defaults)"));
