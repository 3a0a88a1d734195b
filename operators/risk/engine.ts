/**
 * `RiskEngine`: every signal's verdict, sizing, the trading state and the stop management
 * of open positions, for one symbol's account. A plain class with no RxJS and no clock:
 * time comes from the events it is given, so a backtest decides exactly as live does.
 *
 * 1. `decide` observes the account, runs every gate rule (all of them, so a rejection
 *    lists every reason), sizes from the risk budget, runs the size rules in order, then
 *    the hard caps (max lot, margin, min lot), and returns the decision plus the order.
 * 2. The state is HALTED while the manual kill switch is on, after the drawdown kill switch
 *    (until `resetDrawdown`) and after the daily loss limit (until 17:00 New York);
 *    REDUCING during a losing streak or near the daily limit; otherwise ACTIVE.
 * 3. `manage` moves stops (BREAKEVEN, TRAILING_STOP) after each closed bar, and `flatten`
 *    closes every position once a kill switch fired, when `flattenOnKill` is set.
 *
 * It must never throw to reject (a denial is a decision), never raise a size after sizing,
 * and never read `Date.now()`.
 */

import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type FillEvent,
  type OrderEvent,
  type RiskDecisionEvent,
  type Side,
  type SignalEvent,
  type TradeEvent,
  type TradingState,
  US_PER_SECOND,
} from "../../pipeline/events.ts";
import {
  roundLotsDown,
  type SymbolSpec,
  valuePerPriceUnit,
  XAUUSD,
} from "../../pipeline/symbols.ts";
import { tradingDayOf, tradingDayStartUs } from "./_zones.ts";
import { DEFAULT_RISK_CONFIG, type RiskConfig } from "./config.ts";
import { dailyLossLimit, drawdownPercent, lossStreak } from "./measures.ts";
import type { NewsCalendar } from "./news.ts";
import {
  type AccountSnapshot,
  fmt,
  type OpenPosition,
  type PendingOrder,
  type Quote,
  type RiskCode,
  type RiskContext,
  type RiskRule,
  type RiskRuleReason,
  type TradeSignal,
} from "./rule.ts";
import { DEFAULT_RULES, stopRule } from "./rules/mod.ts";
import { capLots, riskLots } from "./sizing.ts";
import { nextStop } from "./stops.ts";

export interface RiskEngineOptions {
  /** A parsed config (`parseRiskConfig`); `DEFAULT_RISK_CONFIG` when absent. */
  readonly config?: RiskConfig;
  /** The traded symbol's contract; XAUUSD when absent. */
  readonly spec?: SymbolSpec;
  /** Required while `config.news.enabled`. */
  readonly calendar?: NewsCalendar | null;
  /** The protections, in order; `DEFAULT_RULES` when absent. Must include `stopRule`. */
  readonly rules?: readonly RiskRule[];
  /** Peak equity carried over from an earlier run, so a restart keeps the drawdown reference. */
  readonly peakEquity?: number;
}

/** What `decide` needs besides the signal: the latest account and quote, or null if unknown. */
export interface RiskInputs {
  readonly account: AccountSnapshot | null;
  readonly quote: Quote | null;
}

export interface RiskOutcome {
  readonly decision: RiskDecisionEvent;
  /** The entry order, only when accepted. */
  readonly order: OrderEvent | null;
}

/**
 * One halt: a limit that stopped new trades (or, with `onHalt: "record"`, would have).
 * `untilUs` is when it lifted; null while it holds or when only a human can lift it.
 */
export interface HaltRecord {
  readonly timeUs: number;
  readonly code: "MAX_DRAWDOWN" | "DAILY_LOSS_LIMIT" | "KILL_SWITCH";
  readonly detail: string;
  readonly untilUs: number | null;
  /** False when the limit was only recorded (`onHalt: "record"`) and trading went on. */
  readonly enforced: boolean;
}

export interface RiskStatus {
  readonly state: TradingState;
  /** Why the state is not ACTIVE: every halt or reduction in force. */
  readonly reasons: readonly RiskRuleReason[];
}

/** What most bars and account reports produce: no order. Shared, so that costs nothing. */
const NO_ORDERS: readonly OrderEvent[] = Object.freeze([]);

/** Closed trades kept for streaks: more than any allowed `cooldownAfter` or `reduceAfter`. */
const TRADES_KEPT = 50;

/**
 * The entry order id for a signal: the same signal always yields the same id, so a broker
 * or the engine can refuse it the second time.
 */
export function clientOrderId(symbol: string, timeUs: number, side: Side): string {
  return `${symbol}-${timeUs}-${side}`;
}

/** The id of a close or modify order for a position at an instant. */
function positionOrderId(
  symbol: string,
  timeUs: number,
  action: "close" | "modify",
  positionId: string,
): string {
  return `${symbol}-${timeUs}-${action}-${positionId}`;
}

export class RiskEngine {
  readonly config: RiskConfig;
  readonly spec: SymbolSpec;
  readonly calendar: NewsCalendar | null;
  readonly rules: readonly RiskRule[];

  #killSwitch: RiskRuleReason | null = null;
  /** Outside conditions that halt new trades without flattening, by code. */
  #holds = new Map<RiskCode, RiskRuleReason>();
  #drawdownHalt: RiskRuleReason | null = null;
  #dailyHit: { readonly day: number; readonly reason: RiskRuleReason } | null = null;
  #day: number | null = null;
  #dayStartEquity = 0;
  #peakEquity: number;
  #lastEquity: number | null = null;
  #trades: TradeEvent[] = [];
  #halts: HaltRecord[] = [];
  /** The trading day whose daily-loss breach has been recorded (`onHalt: "record"`). */
  #dailyRecordedDay: number | null = null;
  #lastTimeUs = NaN;
  #pending = new Map<string, PendingOrder>();
  #issued = new Set<string>();
  #closing = new Set<string>();

  constructor(options: RiskEngineOptions = {}) {
    this.config = options.config ?? DEFAULT_RISK_CONFIG;
    this.spec = options.spec ?? XAUUSD;
    this.calendar = options.calendar ?? null;
    this.rules = options.rules ?? DEFAULT_RULES;
    this.#peakEquity = options.peakEquity ?? 0;
    if (!this.rules.includes(stopRule)) {
      throw new TypeError(
        "Cannot start the risk engine: its rules must include stopRule, because sizing divides by the stop distance",
      );
    }
    if (this.config.news.enabled && this.calendar === null) {
      throw new TypeError(
        "Cannot start the risk engine: news.enabled is true but no calendar was given; " +
          "pass one (readNewsCalendar) or set news.enabled to false",
      );
    }
  }

  /** The verdict on one buy or sell signal, and its order when accepted. */
  decide(signal: SignalEvent, inputs: RiskInputs): RiskOutcome {
    if (signal.side === "hold") {
      throw new RangeError(
        `Cannot decide on a "hold" signal at ${signal.timeUs}: it asks for no order`,
      );
    }
    if (signal.symbol !== this.spec.symbol) {
      throw new RangeError(
        `Cannot decide on a "${signal.symbol}" signal: this engine trades "${this.spec.symbol}"`,
      );
    }
    const tradeSignal = signal as TradeSignal;
    const nowUs = signal.timeUs;
    const id = clientOrderId(signal.symbol, nowUs, signal.side);
    this.#expirePending(nowUs);
    const { account } = inputs;
    if (account === null || !(account.equity > 0) || !Number.isFinite(account.equity)) {
      return this.#reject(tradeSignal, [{
        code: "NO_ACCOUNT",
        detail: account === null
          ? "no account report yet: equity is unknown"
          : `equity "${account.equity}" is not a positive amount to size from`,
      }], this.status(nowUs).state);
    }
    this.#observe(nowUs, account.equity);
    if (this.#holds.size > 0) return this.#reject(tradeSignal, [...this.#holds.values()], "halted");
    const { state } = this.status(nowUs);
    const today = tradingDayOf(nowUs);
    const base: RiskContext = {
      nowUs,
      signal: tradeSignal,
      clientOrderId: id,
      account,
      pending: [...this.#pending.values()],
      issuedOrderIds: this.#issued,
      dayStartEquity: this.#dayStartEquity,
      peakEquity: this.#peakEquity,
      dailyLimitHit: this.#dailyHit?.day === today ? this.#dailyHit.reason : null,
      drawdownHalt: this.#drawdownHalt,
      killSwitch: this.#killSwitch,
      recentTrades: this.#trades,
      quote: inputs.quote,
      calendar: this.calendar,
      config: this.config,
      spec: this.spec,
      lots: 0,
    };

    const reasons: RiskRuleReason[] = [];
    for (const rule of this.rules) {
      if (rule.phase !== "gate") continue;
      const verdict = rule.check(base);
      if ("deny" in verdict) reasons.push(verdict.deny);
    }
    if (reasons.length > 0) return this.#reject(tradeSignal, reasons, state);

    // The stop rule passed, so the stop exists and lies on the losing side.
    const stopDistance = Math.abs(signal.entryPrice - signal.stopLoss!);
    // A meta gate's share of the size: never above 1, and 0 for anything not a number.
    const factor = signal.sizeFactor === undefined ? 1 : Math.min(1, signal.sizeFactor) || 0;
    let lots = roundLotsDown(
      this.spec,
      riskLots(account.equity, this.config.riskPercent, stopDistance, this.spec) *
        Math.max(0, factor),
    );
    for (const rule of this.rules) {
      if (rule.phase !== "size") continue;
      const verdict = rule.check({ ...base, lots });
      if ("deny" in verdict) return this.#reject(tradeSignal, [...reasons, verdict.deny], state);
      if ("adjust" in verdict) {
        reasons.push(verdict.reason);
        lots = roundLotsDown(this.spec, Math.min(lots, verdict.adjust.lots));
      }
    }
    const capped = capLots(lots, {
      spec: this.spec,
      price: signal.entryPrice,
      equity: account.equity,
      marginInUse: account.margin,
      maxMarginUsePercent: this.config.maxMarginUsePercent,
    });
    reasons.push(...capped.reasons);
    if (!capped.accepted) return this.#reject(tradeSignal, reasons, state);

    this.#issued.add(id);
    this.#pending.set(id, {
      clientOrderId: id,
      side: signal.side,
      lots: capped.lots,
      risk: capped.lots * stopDistance * valuePerPriceUnit(this.spec, 1),
      timeUs: nowUs,
    });
    const decision: RiskDecisionEvent = {
      v: EVENT_VERSION,
      kind: "risk",
      symbol: signal.symbol,
      timeUs: nowUs,
      side: signal.side,
      decision: "accept",
      lots: capped.lots,
      stopLoss: signal.stopLoss,
      takeProfit: signal.takeProfit,
      reasons,
      state,
      clientOrderId: id,
    };
    const order: OrderEvent = {
      v: EVENT_VERSION,
      kind: "order",
      symbol: signal.symbol,
      timeUs: nowUs,
      clientOrderId: id,
      action: "open",
      side: signal.side,
      lots: capped.lots,
      stopLoss: signal.stopLoss,
      takeProfit: signal.takeProfit,
      positionId: null,
      reason: "SIGNAL",
    };
    return { decision, order };
  }

  /**
   * Stop management after a closed bar of the engine's symbol: close orders when a kill
   * switch wants the book flat (see `flatten`), else a modify order per position whose
   * stop should tighten (BREAKEVEN, TRAILING_STOP).
   */
  manage(positions: readonly OpenPosition[], bar: BarEvent): readonly OrderEvent[] {
    if (bar.symbol !== this.spec.symbol) return NO_ORDERS;
    const closes = this.flatten(positions, bar.closeUs);
    // Most bars move no stop: build an array only for one that does.
    let orders: OrderEvent[] | null = closes.length > 0 ? [...closes] : null;
    const bid = bar.bid.close;
    // Without an ask, assume the widest tradeable spread: a sell's stop then trails later
    // and further from the price, never too close to it.
    const ask = bar.ask?.close ??
      bid + (bar.spread ?? this.config.spread.assumedSpread ?? this.config.spread.maxSpread);
    for (const position of positions) {
      if (position.symbol !== this.spec.symbol || this.#closing.has(position.positionId)) continue;
      const move = nextStop(position, position.side === "buy" ? bid : ask, this.config, this.spec);
      if (move === null) continue;
      (orders ??= []).push({
        v: EVENT_VERSION,
        kind: "order",
        symbol: this.spec.symbol,
        timeUs: bar.closeUs,
        clientOrderId: positionOrderId(
          this.spec.symbol,
          bar.closeUs,
          "modify",
          position.positionId,
        ),
        action: "modify",
        side: position.side,
        lots: position.lots,
        stopLoss: move.stopLoss,
        takeProfit: position.takeProfit,
        positionId: position.positionId,
        reason: move.reason.code,
      });
    }
    return orders ?? NO_ORDERS;
  }

  /**
   * Close orders for every open position of the symbol not already being closed, when the
   * manual or the drawdown kill switch is on and `flattenOnKill` is set; else none. A close
   * order's side is the deal that closes (a sell closes a buy), as in MT5 and the simulator.
   */
  flatten(positions: readonly OpenPosition[], timeUs: number): readonly OrderEvent[] {
    // Called on every account report and bar: with nothing to close, build nothing.
    if (this.#closing.size > 0) {
      for (const id of this.#closing) {
        if (!positions.some((p) => p.positionId === id)) this.#closing.delete(id);
      }
    }
    const kill = this.#killSwitch ?? this.#drawdownHalt;
    if (positions.length === 0 || kill === null || !this.config.flattenOnKill) return NO_ORDERS;
    const orders: OrderEvent[] = [];
    for (const position of positions) {
      if (position.symbol !== this.spec.symbol || this.#closing.has(position.positionId)) continue;
      this.#closing.add(position.positionId);
      orders.push({
        v: EVENT_VERSION,
        kind: "order",
        symbol: this.spec.symbol,
        timeUs,
        clientOrderId: positionOrderId(this.spec.symbol, timeUs, "close", position.positionId),
        action: "close",
        side: position.side === "buy" ? "sell" : "buy",
        lots: position.lots,
        stopLoss: null,
        takeProfit: null,
        positionId: position.positionId,
        reason: kill.code,
      });
    }
    return orders;
  }

  /** Updates equity, the day's start, the peak, and the drawdown and daily-loss halts. */
  onAccount(account: AccountEvent): void {
    this.#observe(account.timeUs, account.equity);
  }

  /** Records a closed trade for the losing-streak rules. */
  onTrade(trade: TradeEvent): void {
    this.#trades.push(trade);
    if (this.#trades.length > TRADES_KEPT) {
      this.#trades.splice(0, this.#trades.length - TRADES_KEPT);
    }
  }

  /** An entry fill ends that order's pending status (its position now counts instead). */
  onFill(fill: FillEvent): void {
    if (fill.action === "open") this.#pending.delete(fill.clientOrderId);
  }

  /** The manual kill switch: on halts every new trade (and flattens, if configured) until off. */
  killSwitch(on: boolean, reason: string): void {
    if (on && reason.trim() === "") {
      throw new RangeError("Cannot turn the kill switch on without a reason");
    }
    if (on && this.#killSwitch === null) {
      const detail = `manual kill switch: ${reason}`;
      this.#killSwitch = { code: "KILL_SWITCH", detail };
      this.#halts.push({
        timeUs: this.#lastTimeUs,
        code: "KILL_SWITCH",
        detail,
        untilUs: null,
        enforced: true,
      });
    } else if (!on && this.#killSwitch !== null) {
      this.#killSwitch = null;
      this.#lift("KILL_SWITCH");
    }
  }

  /**
   * Every halt so far, in order: when, why and until when. Kill-switch times are those of
   * the last event the engine saw before the switch.
   */
  get halts(): readonly HaltRecord[] {
    return this.#halts;
  }

  /**
   * Holds new trades for a condition outside the engine (the live feed is stale, the
   * terminal's positions disagree with the journal, the state is being rebuilt): unlike
   * the kill switch it never flattens, because the condition is about knowing, not about
   * losing. `detail` null lifts the hold.
   */
  hold(code: "FEED_STALE" | "UNRECONCILED" | "RECOVERY", detail: string | null): void {
    if (detail === null) this.#holds.delete(code);
    else this.#holds.set(code, { code, detail });
  }

  /**
   * Clears the drawdown kill switch after a human reviewed it; the peak restarts from the
   * latest equity, or else the next observation would halt again.
   */
  resetDrawdown(): void {
    if (this.#drawdownHalt !== null) this.#lift("MAX_DRAWDOWN");
    this.#drawdownHalt = null;
    this.#peakEquity = this.#lastEquity ?? 0;
  }

  /** Closes the open record of a halt a human lifted, at the last time seen. */
  #lift(code: HaltRecord["code"]): void {
    for (let i = this.#halts.length - 1; i >= 0; i--) {
      const halt = this.#halts[i];
      if (halt.code === code && halt.enforced && halt.untilUs === null) {
        this.#halts[i] = { ...halt, untilUs: this.#lastTimeUs };
        return;
      }
    }
  }

  /** The trading state at `nowUs` from what the engine has observed, with its reasons. */
  status(nowUs: number): RiskStatus {
    const halts = [
      ...this.#holds.values(),
      this.#killSwitch,
      this.#drawdownHalt,
      this.#dailyHit !== null && this.#dailyHit.day === tradingDayOf(nowUs)
        ? this.#dailyHit.reason
        : null,
    ].filter((reason) => reason !== null);
    if (halts.length > 0) return { state: "halted", reasons: halts };

    const reductions: RiskRuleReason[] = [];
    const { lossStreak: streakConfig, dailyLoss } = this.config;
    const streak = lossStreak(this.#trades).count;
    if (streak >= streakConfig.reduceAfter && streakConfig.reduceFactor < 1) {
      reductions.push({
        code: "LOSS_STREAK_SIZE_CUT",
        detail: `${streak} losing trades in a row (reduce after ${streakConfig.reduceAfter})`,
      });
    }
    if (this.#lastEquity !== null && dailyLoss.reduceFactor < 1) {
      const dayStart = this.#day === tradingDayOf(nowUs) ? this.#dayStartEquity : this.#lastEquity;
      const limit = dailyLossLimit(this.config, dayStart);
      const loss = dayStart - this.#lastEquity;
      if (loss >= dailyLoss.reduceAtFraction * limit) {
        reductions.push({
          code: "DAILY_LOSS_NEAR_LIMIT",
          detail: `lost ${fmt(loss)} of the daily limit ${fmt(limit)}`,
        });
      }
    }
    return { state: reductions.length > 0 ? "reducing" : "active", reasons: reductions };
  }

  /**
   * Takes in an equity reading. A new trading day (17:00 New York) starts from the last
   * equity seen before it, so a loss carried across the roll counts in the new day.
   */
  #observe(timeUs: number, equity: number): void {
    const day = tradingDayOf(timeUs);
    if (this.#day !== day) {
      this.#dayStartEquity = this.#lastEquity ?? equity;
      this.#day = day;
    }
    this.#lastTimeUs = timeUs;
    this.#lastEquity = equity;
    this.#peakEquity = Math.max(this.#peakEquity, equity);
    const enforced = this.config.onHalt === "halt";
    const drawdown = drawdownPercent(this.#peakEquity, equity);
    if (this.#drawdownHalt === null && drawdown >= this.config.maxDrawdownPercent) {
      const reason: RiskRuleReason = {
        code: "MAX_DRAWDOWN",
        detail: `equity ${fmt(equity)} fell ${fmt(drawdown)}% below its peak ${
          fmt(this.#peakEquity)
        } (limit ${this.config.maxDrawdownPercent}%); ${
          enforced ? "halted until a manual reset" : "recorded, trading went on"
        }`,
      };
      this.#halts.push({
        timeUs,
        code: "MAX_DRAWDOWN",
        detail: reason.detail,
        untilUs: enforced ? null : timeUs,
        enforced,
      });
      // Recording only: the next breach is measured from here.
      if (enforced) this.#drawdownHalt = reason;
      else this.#peakEquity = equity;
    }
    const limit = dailyLossLimit(this.config, this.#dayStartEquity);
    const loss = this.#dayStartEquity - equity;
    const recorded = enforced ? this.#dailyHit?.day === day : this.#dailyRecordedDay === day;
    if (!recorded && loss >= limit) {
      const reason: RiskRuleReason = {
        code: "DAILY_LOSS_LIMIT",
        detail: `lost ${fmt(loss)} since the day started at equity ${
          fmt(this.#dayStartEquity)
        } (limit ${fmt(limit)}); ${
          enforced ? "halted until 17:00 New York" : "recorded, trading went on"
        }`,
      };
      this.#halts.push({
        timeUs,
        code: "DAILY_LOSS_LIMIT",
        detail: reason.detail,
        untilUs: enforced ? tradingDayStartUs(day + 1) : timeUs,
        enforced,
      });
      if (enforced) this.#dailyHit = { day, reason };
      else this.#dailyRecordedDay = day;
    }
  }

  /** Forgets entry orders that never filled within `pendingOrderTtlSeconds`. */
  #expirePending(nowUs: number): void {
    const ttlUs = this.config.positions.pendingOrderTtlSeconds * US_PER_SECOND;
    for (const [id, order] of this.#pending) {
      if (nowUs - order.timeUs > ttlUs) this.#pending.delete(id);
    }
  }

  #reject(
    signal: TradeSignal,
    reasons: readonly RiskRuleReason[],
    state: TradingState,
  ): RiskOutcome {
    return {
      decision: {
        v: EVENT_VERSION,
        kind: "risk",
        symbol: signal.symbol,
        timeUs: signal.timeUs,
        side: signal.side,
        decision: "reject",
        lots: 0,
        stopLoss: signal.stopLoss,
        takeProfit: signal.takeProfit,
        reasons,
        state,
        clientOrderId: null,
      },
      order: null,
    };
  }
}
