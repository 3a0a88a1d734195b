/**
 * The simulated broker's configuration: one zod schema whose every field has a
 * description, bounds and a default, so `new SimulatedBroker()` with no settings runs the
 * documented default account (docs/execution.md), and a config file from outside is
 * checked before any bar is replayed. The trader's contract terms are the broker profile
 * (`broker`, profile.ts); the rest are the simulator's own assumptions (latency, slippage,
 * time in force). `resolveExecutionConfig` turns the validated input into the units the
 * broker works in (price units, microseconds, minutes of the day).
 */

import { z } from "zod";
import { TIMEFRAMES } from "../../pipeline/events.ts";
import type { SymbolSpec } from "../../pipeline/symbols.ts";
import {
  type BrokerProfile,
  brokerProfileSchema,
  DEFAULT_BROKER_PROFILE,
  specOf,
  spreadModelOf,
  wallClock,
} from "./profile.ts";
import type { SpreadModel } from "./quotes.ts";

const MOVED =
  "moved into the broker profile: give execution.broker (a whole profile, see profiles/) or --broker FILE";

export const executionConfigSchema = z.strictObject({
  initialBalance: z.number().positive().finite().default(10_000)
    .describe("starting balance, account currency"),
  accountCurrency: z.literal("USD").default("USD").describe(
    "XAUUSD is quoted in USD, so P&L needs no conversion; other currencies are not supported",
  ),
  broker: brokerProfileSchema.optional().describe(
    "the broker profile: contract, lots, leverage, margin levels, swaps, commission and the " +
      "spread for bid-only data; the documented default profile when absent",
  ),
  slippagePoints: z.number().nonnegative().max(10_000).default(2).describe(
    "points (0.01 for XAUUSD) every market order, stop-loss, stop entry and forced exit fills " +
      "beyond its quote, against the trader; take-profits and limits never slip",
  ),
  latencyMs: z.number().nonnegative().max(3_600_000).default(250).describe(
    "decision to order arrival; an order fills at the first price at or after decision + " +
      "latency: the next tick, or the open of the first bar still running then (with M1 " +
      "bars and less than a minute, the next bar's open)",
  ),
  orderTimeoutSeconds: z.number().positive().max(86_400).default(30).describe(
    "an order whose first tradeable price comes later than this after its decision is " +
      "refused as expired (a data hole, a closed market): 30 s, as the EA's stale-command " +
      "limit; pending limit and stop orders keep their own expiry",
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
  symbol: z.never({ error: `execution.symbol ${MOVED}` }).optional(),
  spread: z.never({ error: `execution.spread ${MOVED}` }).optional(),
}).refine((c) => c.orderTimeoutSeconds * 1000 > c.latencyMs, {
  message: "orderTimeoutSeconds must exceed latencyMs, or every order would expire",
  path: ["orderTimeoutSeconds"],
});

export type ExecutionConfigInput = z.input<typeof executionConfigSchema>;

/** The validated configuration in the broker's working units. */
export interface ExecutionSettings {
  readonly initialBalance: number;
  readonly accountCurrency: "USD";
  readonly profile: BrokerProfile;
  readonly spec: SymbolSpec;
  /** The profile's spread for bid-only data. */
  readonly spreadModel: SpreadModel;
  /** Price units: `slippagePoints` x the symbol's point. */
  readonly slippage: number;
  readonly latencyUs: number;
  readonly orderTimeoutUs: number;
  /** Minutes after New York midnight. */
  readonly rolloverMinuteNy: number;
  readonly detail: "finest" | "tick" | typeof TIMEFRAMES[number];
  readonly markToMarket: boolean;
  readonly requireRiskDecision: boolean;
}

/**
 * Validates `input` (throwing a TypeError naming every bad field) and converts it to
 * working units.
 */
export function resolveExecutionConfig(input: ExecutionConfigInput = {}): ExecutionSettings {
  const parsed = executionConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `execution.${issue.path.join(".")}: ${issue.message}`
    );
    throw new TypeError(`Execution config is invalid: ${problems.join("; ")}`);
  }
  const c = parsed.data;
  const profile = c.broker ?? DEFAULT_BROKER_PROFILE;
  const spec = specOf(profile);
  return {
    initialBalance: c.initialBalance,
    accountCurrency: c.accountCurrency,
    profile,
    spec,
    spreadModel: spreadModelOf(profile),
    slippage: c.slippagePoints * spec.point,
    latencyUs: Math.round(c.latencyMs * 1000),
    orderTimeoutUs: Math.round(c.orderTimeoutSeconds * 1_000_000),
    rolloverMinuteNy: c.rolloverNy,
    detail: c.detail,
    markToMarket: c.markToMarket,
    requireRiskDecision: c.requireRiskDecision,
  };
}
