/**
 * The risk rule contract: what a rule sees (`RiskContext`), what it answers
 * (`RuleVerdict`), and the stable reason codes every rejection and adjustment carries.
 * A rule is a one-file plug-in in `rules/`, a pure function of its context: it must never
 * read a clock, keep state, perform I/O or throw to reject (a denial is an answer that
 * the engine journals in the decision).
 */

import type { RiskReason, Side, SignalEvent, TradeEvent } from "../../pipeline/events.ts";
import type { SymbolSpec } from "../../pipeline/symbols.ts";
import type { RiskConfig } from "./config.ts";
import type { NewsCalendar } from "./news.ts";

/**
 * Every reason code the risk engine can write, in the order docs/risk.md explains them.
 * Codes are stable: journals, dashboards and tests match on them, so never rename one.
 */
export const RISK_CODES = [
  "NO_ACCOUNT",
  "KILL_SWITCH",
  "FEED_STALE",
  "UNRECONCILED",
  "RECOVERY",
  "MAX_DRAWDOWN",
  "DAILY_LOSS_LIMIT",
  "OUTSIDE_SESSION",
  "WEEKDAY_BLOCKED",
  "NEWS_BLACKOUT",
  "NEWS_CALENDAR_GAP",
  "NO_QUOTE",
  "QUOTE_STALE",
  "SPREAD_UNKNOWN",
  "SPREAD_TOO_WIDE",
  "LOSS_COOLDOWN",
  "NO_STOP",
  "INVALID_STOP",
  "STOP_TOO_CLOSE",
  "INVALID_TARGET",
  "DUPLICATE_ORDER",
  "MAX_POSITIONS",
  "LOSS_STREAK_SIZE_CUT",
  "DAILY_LOSS_NEAR_LIMIT",
  "DAILY_LOSS_BUDGET",
  "DIRECTION_EXPOSURE",
  "MAX_LOT",
  "MARGIN_LIMIT",
  "BELOW_MIN_LOT",
  "BREAKEVEN",
  "TRAILING_STOP",
  "SCALE_OUT",
  "STOP_LOSS",
] as const;

export type RiskCode = typeof RISK_CODES[number];

/** A `RiskReason` whose code is one of `RISK_CODES`. */
export interface RiskRuleReason extends RiskReason {
  readonly code: RiskCode;
}

/** The latest prices of the traded symbol. `ask` is null when the data has bids only. */
export interface Quote {
  readonly timeUs: number;
  readonly bid: number;
  readonly ask: number | null;
}

/** A position the broker holds, as the risk engine needs it. */
export interface OpenPosition {
  readonly positionId: string;
  /** The order that opened it; null for a position opened outside this engine. */
  readonly clientOrderId: string | null;
  readonly symbol: string;
  readonly side: Side;
  readonly lots: number;
  readonly entryPrice: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** The stop it was opened with: its distance from the entry is 1R for breakeven and trailing. */
  readonly initialStop: number | null;
}

/** The account as last reported, with the positions it holds. */
export interface AccountSnapshot {
  readonly timeUs: number;
  readonly balance: number;
  readonly equity: number;
  /** Margin in use, account currency. */
  readonly margin: number;
  /** The broker's count of open positions, which may include some `positions` lacks. */
  readonly openPositions: number;
  readonly positions: readonly OpenPosition[];
}

/**
 * An entry the engine sent that has not filled yet (a market order on its way, or pending
 * limit and stop orders): it counts as a position, against exposure and margin. A
 * one-cancels-other bracket is one entry: only one of its legs can fill.
 */
export interface PendingOrder {
  /** The decision's client order id (a bracket's group). */
  readonly clientOrderId: string;
  readonly side: Side;
  readonly lots: number;
  /** Account currency lost if it fills and its stop is hit (the decision's budget). */
  readonly risk: number;
  /** Margin it will take when it fills, at its price. */
  readonly margin: number;
  readonly timeUs: number;
  /** When it stops counting: its expiry, or the decision + `pendingOrderTtlSeconds`. */
  readonly expiresUs: number;
  /** The client order ids of its orders: one, or a bracket's two legs. */
  readonly legs: readonly string[];
  /** Limit or stop orders resting at the broker (a kill switch cancels them); false at market. */
  readonly resting: boolean;
}

/** A signal that asks to trade (the engine never sees "hold"). */
export type TradeSignal = SignalEvent & { readonly side: Side };

/** Everything a rule may look at; built fresh by the engine for each decision. */
export interface RiskContext {
  /** Decision time: the signal's time, never the wall clock. */
  readonly nowUs: number;
  readonly signal: TradeSignal;
  /** The id the order will carry if accepted. */
  readonly clientOrderId: string;
  readonly account: AccountSnapshot;
  readonly pending: readonly PendingOrder[];
  /** Every client order id the engine has issued, so a replayed signal is not traded twice. */
  readonly issuedOrderIds: ReadonlySet<string>;
  /** Equity at the start of the trading day (17:00 New York). */
  readonly dayStartEquity: number;
  /** Highest equity seen since start or since the last drawdown reset. */
  readonly peakEquity: number;
  /** Set once the daily loss limit was reached this trading day. */
  readonly dailyLimitHit: RiskRuleReason | null;
  /** Set once the drawdown kill switch fired, until a manual reset. */
  readonly drawdownHalt: RiskRuleReason | null;
  /** Set while the manual kill switch is on. */
  readonly killSwitch: RiskRuleReason | null;
  /** Closed trades, oldest first, the latest last. */
  readonly recentTrades: readonly TradeEvent[];
  readonly quote: Quote | null;
  readonly calendar: NewsCalendar | null;
  readonly config: RiskConfig;
  readonly spec: SymbolSpec;
  /** Lots proposed so far: 0 for gate rules, the sized lots for size rules. */
  readonly lots: number;
  /**
   * What one lot of this order loses if it fills as expected and its stop is hit,
   * slippage and commissions included (0 for gate rules): the unit sizes are cut in.
   */
  readonly lossPerLot: number;
}

/** A rule's answer: let it through, reject it, or reduce its size. */
export type RuleVerdict =
  | { readonly allow: true }
  | { readonly deny: RiskRuleReason }
  | { readonly adjust: { readonly lots: number }; readonly reason: RiskRuleReason };

/**
 * One protection. `gate` rules decide whether to trade at all and all run, so a rejection
 * lists every reason; `size` rules run in order on the sized lots, after every gate passed.
 */
export interface RiskRule {
  readonly name: string;
  readonly phase: "gate" | "size";
  check(ctx: RiskContext): RuleVerdict;
}

/** The shared `allow` answer. */
export const ALLOW: RuleVerdict = Object.freeze({ allow: true });

/** A denial with its code and detail. */
export function deny(code: RiskCode, detail: string): RuleVerdict {
  return { deny: { code, detail } };
}

/** A size reduction to `lots`, with its code and detail. */
export function adjustLots(lots: number, code: RiskCode, detail: string): RuleVerdict {
  return { adjust: { lots }, reason: { code, detail } };
}

/** +1 for a buy, -1 for a sell: profit per price unit moved up. */
export function direction(side: Side): 1 | -1 {
  return side === "buy" ? 1 : -1;
}

/** A number as a trader reads it in a reason detail: fixed decimals, no exponent. */
export function fmt(value: number, decimals = 2): string {
  return value.toFixed(decimals);
}
