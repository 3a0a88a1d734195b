/**
 * The simulated broker's configuration: one zod schema whose every field has a
 * description, bounds and a default, so `new SimulatedBroker()` with no settings runs the
 * documented default account (docs/execution.md), and a config file from outside is
 * checked before any bar is replayed. `resolveExecutionConfig` turns the validated input
 * into the units the broker works in (price units, microseconds, minutes of the day).
 */

import { z } from "zod";
import { TIMEFRAMES } from "../../pipeline/events.ts";
import { type SymbolSpec, symbolSpecSchema, XAUUSD } from "../../pipeline/symbols.ts";

/** "HH:MM", 24-hour, as minutes after midnight. */
const wallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (24-hour)")
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3)));

const spreadSession = z.strictObject({
  from: wallClock.describe("New York wall-clock start of the window, inclusive"),
  to: wallClock.describe("New York wall-clock end of the window, exclusive; before `from` wraps"),
  spread: z.number().nonnegative().max(100).describe("spread in price units inside the window"),
});

export const executionConfigSchema = z.strictObject({
  initialBalance: z.number().positive().finite().default(10_000)
    .describe("starting balance, account currency"),
  accountCurrency: z.literal("USD").default("USD").describe(
    "XAUUSD is quoted in USD, so P&L needs no conversion; other currencies are not supported",
  ),
  spread: z.strictObject({
    fixed: z.number().nonnegative().max(100).default(0.30).describe(
      "spread (price units) for bars with neither ask prices nor a spread column: 0.30, " +
        "the typical gold spread (OANDA's 2014 median tick spread is 0.28)",
    ),
    sessions: z.array(spreadSession).default([]).describe(
      "optional New York time-of-day windows with their own spread; the first that holds " +
        "the bar's open wins, else `fixed`",
    ),
  }).prefault({}).describe("the spread model, used only when the data carries no ask"),
  slippagePoints: z.number().nonnegative().max(10_000).default(2).describe(
    "points (0.01 for XAUUSD) every market order, stop-loss and end-of-data exit fills " +
      "beyond its quote, against the trader; take-profits are limits and never slip",
  ),
  latencyMs: z.number().nonnegative().max(3_600_000).default(250).describe(
    "decision to order arrival; an order fills at the first price at or after decision + " +
      "latency: the next tick, or the open of the first bar still running then (with M1 " +
      "bars and less than a minute, the next bar's open)",
  ),
  rolloverNy: wallClock.refine((minute) => minute < 19 * 60, {
    message: "rollover must be before 19:00 New York, so its UTC date is its New York date",
  }).prefault("17:00").describe(
    "swap rollover, New York wall clock (DST-correct), Monday to Friday: 17:00 as brokers do",
  ),
  detail: z.enum(["finest", "tick", ...TIMEFRAMES]).default("finest").describe(
    "which prices drive fills and stops: 'finest' uses the finest resolution seen so far " +
      "(ticks over M1 over H1...), so M1 bars beside H1 bars resolve stops inside the hour",
  ),
  markToMarket: z.boolean().default(true).describe(
    "emit an AccountEvent at every execution price while a position is open (the equity " +
      "curve); false emits one only when the balance or the positions change",
  ),
  requireRiskDecision: z.boolean().default(true).describe(
    "refuse an opening order unless an accepted RiskDecisionEvent with its clientOrderId, " +
      "side and at least its lots came first",
  ),
  symbol: z.strictObject(symbolSpecSchema.shape).partial().default({}).describe(
    "fields that override the XAUUSD contract (pipeline/symbols.ts)",
  ),
});

export type ExecutionConfigInput = z.input<typeof executionConfigSchema>;

/** A spread for New York times of day in [fromMinute, toMinute), wrapping past midnight. */
export interface SpreadWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly spread: number;
}

/** The validated configuration in the broker's working units. */
export interface ExecutionSettings {
  readonly initialBalance: number;
  readonly accountCurrency: "USD";
  readonly spec: SymbolSpec;
  readonly fixedSpread: number;
  readonly spreadWindows: readonly SpreadWindow[];
  /** Price units: `slippagePoints` x the symbol's point. */
  readonly slippage: number;
  readonly latencyUs: number;
  /** Minutes after New York midnight. */
  readonly rolloverMinuteNy: number;
  readonly detail: "finest" | "tick" | typeof TIMEFRAMES[number];
  readonly markToMarket: boolean;
  readonly requireRiskDecision: boolean;
}

/**
 * Validates `input` (throwing zod's error naming every bad field) and converts it to
 * working units.
 */
export function resolveExecutionConfig(input: ExecutionConfigInput = {}): ExecutionSettings {
  const c = executionConfigSchema.parse(input);
  const spec = symbolSpecSchema.parse({ ...XAUUSD, ...c.symbol });
  return {
    initialBalance: c.initialBalance,
    accountCurrency: c.accountCurrency,
    spec,
    fixedSpread: c.spread.fixed,
    spreadWindows: c.spread.sessions.map((s) => ({
      fromMinute: s.from,
      toMinute: s.to,
      spread: s.spread,
    })),
    slippage: c.slippagePoints * spec.point,
    latencyUs: Math.round(c.latencyMs * 1000),
    rolloverMinuteNy: c.rolloverNy,
    detail: c.detail,
    markToMarket: c.markToMarket,
    requireRiskDecision: c.requireRiskDecision,
  };
}
