/**
 * `RiskEngine`: every signal's verdict, sizing, the trading state and the stop management
 * of open positions, for one symbol's account. A plain class with no RxJS and no clock:
 * time comes from the events it is given, so a backtest decides exactly as live does.
 *
 * 1. `decide` observes the account, runs every gate rule (all of them, so a rejection
 *    lists every reason), sizes from the risk budget on the broker's terms (the expected
 *    fill, the stop's slippage and both commissions), runs the size rules in order, then
 *    the hard caps (max lot, margin with pending entries, min lot), and returns the
 *    decision plus its orders: one at market, or pending limit / stop orders (a
 *    one-cancels-other bracket is two).
 * 2. The state is HALTED while the manual kill switch is on, after the drawdown kill switch
 *    (until `resetDrawdown`) and after the daily loss limit (until 17:00 New York);
 *    REDUCING during a losing streak or near the daily limit; otherwise ACTIVE.
 * 3. `manage` moves stops (BREAKEVEN, TRAILING_STOP) and scales out (SCALE_OUT) after each
 *    closed bar, closes at market a position whose refused stop move the price has passed
 *    (STOP_LOSS), and `flatten` closes every position and cancels every pending entry once
 *    a kill switch fired, when `flattenOnKill` is set.
 * 4. The broker's refusals (`onRejection`) keep its view the broker's: a refused entry
 *    stops counting, a refused close is sent again, a refused stop move is undone.
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
  type PendingOrderEvent,
  type RejectionEvent,
  type RiskDecisionEvent,
  type Side,
  type SignalEvent,
  type TradeEvent,
  type TradingState,
  US_PER_MINUTE,
  US_PER_SECOND,
} from "../../pipeline/events.ts";
import { marginFor, roundLotsDown, type SymbolSpec, XAUUSD } from "../../pipeline/symbols.ts";
import {
  type CostModel,
  expectedFill,
  type FillCosts,
  lossPerLotAtStop,
} from "../execution/costs.ts";
import type { SpanMarks } from "../execution/broker.ts";
import { barSpread, type QuotedBars, type SpreadModel } from "../execution/quotes.ts";
import { tradingDayOf, tradingDayStartUs } from "./_zones.ts";
import { DEFAULT_RISK_CONFIG, type RiskConfig } from "./config.ts";
import { dailyLossLimit, drawdownPercent, lossStreak } from "./measures.ts";
import type { NewsCalendar } from "./news.ts";
import {
  type AccountSnapshot,
  direction,
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
import { nextStop, profitR } from "./stops.ts";

/**
 * How near the drawdown limit a quiet span's bound may come (percentage points): the
 * bound is a ratio of rounded numbers, so a bar inside the span could round a hair above it.
 */
const DRAWDOWN_SPARE_PCT = 1e-9;

export interface RiskEngineOptions {
  /** A parsed config (`parseRiskConfig`); `DEFAULT_RISK_CONFIG` when absent. */
  readonly config?: RiskConfig;
  /** The traded symbol's contract; XAUUSD when absent (ignored when `costs` is given). */
  readonly spec?: SymbolSpec;
  /**
   * The broker's terms (its profile's contract and spread model, the simulator's
   * slippage): what sizing counts and what bid-only quotes are priced with. Absent: the
   * spec's commission only, no slippage, and bid-only quotes need `spread.assumedSpread`.
   */
  readonly costs?: CostModel;
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
  /** The entry orders when accepted (one, or a bracket's two legs); none when rejected. */
  readonly orders: readonly (OrderEvent | PendingOrderEvent)[];
}

/** One order of an entry: where it is placed, where it should fill, and its levels. */
interface EntryLeg {
  readonly clientOrderId: string;
  readonly type: "market" | "limit" | "stop";
  /** The quote it is decided on (market) or its trigger price (pending). */
  readonly price: number;
  /** Where it is expected to fill: a market or stop order slips, a limit does not. */
  readonly fill: number;
  readonly stopLoss: number;
  readonly takeProfit: number | null;
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

/** The id of a close, modify or cancel order for a position (or pending order) at an instant. */
function positionOrderId(
  symbol: string,
  timeUs: number,
  action: "close" | "modify" | "cancel",
  positionId: string,
): string {
  return `${symbol}-${timeUs}-${action}-${positionId}`;
}

export class RiskEngine {
  readonly config: RiskConfig;
  readonly spec: SymbolSpec;
  /** The broker's spread for bid-only data; null when the engine was given no costs. */
  readonly spreadModel: SpreadModel | null;
  readonly calendar: NewsCalendar | null;
  readonly rules: readonly RiskRule[];
  readonly #fillCosts: FillCosts;

  #killSwitch: RiskRuleReason | null = null;
  /** Outside conditions that halt new trades without flattening, by code. */
  #holds = new Map<RiskCode, RiskRuleReason>();
  #drawdownHalt: RiskRuleReason | null = null;
  #dailyHit: { readonly day: number; readonly reason: RiskRuleReason } | null = null;
  #day: number | null = null;
  /**
   * The last trading day `#dayOf` computed and the UTC bounds it runs between: every
   * account report asks, and nearly all fall inside the day before.
   */
  #knownDay = NaN;
  #knownDayFromUs = Infinity;
  #knownDayToUs = -Infinity;
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
  /** Pending orders a cancel was sent for. */
  #cancelling = new Set<string>();
  /** Positions partly closed by the scale-out already. */
  #scaled = new Set<string>();
  /** Positions whose last stop move the broker refused, with the stop asked for. */
  #refusedStops = new Map<string, number>();

  constructor(options: RiskEngineOptions = {}) {
    this.config = options.config ?? DEFAULT_RISK_CONFIG;
    this.spec = options.costs?.spec ?? options.spec ?? XAUUSD;
    this.spreadModel = options.costs?.spreadModel ?? null;
    this.#fillCosts = { spec: this.spec, slippage: options.costs?.slippage ?? 0 };
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
      lossPerLot: 0,
    };

    const reasons: RiskRuleReason[] = [];
    for (const rule of this.rules) {
      if (rule.phase !== "gate") continue;
      const verdict = rule.check(base);
      if ("deny" in verdict) reasons.push(verdict.deny);
    }
    if (reasons.length > 0) return this.#reject(tradeSignal, reasons, state);

    // The stop rule passed, so the stop exists and lies on the losing side.
    const legs = this.#entryLegs(tradeSignal, id);
    let lossPerLot = 0;
    let price = 0;
    for (const leg of legs) {
      const loss = lossPerLotAtStop(this.#fillCosts, signal.side, leg.fill, leg.stopLoss);
      lossPerLot = Math.max(lossPerLot, loss);
      price = Math.max(price, leg.price);
    }
    // A meta gate's share of the size: never above 1, and 0 for anything not a number.
    const factor = signal.sizeFactor === undefined ? 1 : Math.min(1, signal.sizeFactor) || 0;
    let lots = roundLotsDown(
      this.spec,
      riskLots(account.equity, this.config.riskPercent, lossPerLot) * Math.max(0, factor),
    );
    for (const rule of this.rules) {
      if (rule.phase !== "size") continue;
      const verdict = rule.check({ ...base, lots, lossPerLot });
      if ("deny" in verdict) return this.#reject(tradeSignal, [...reasons, verdict.deny], state);
      if ("adjust" in verdict) {
        reasons.push(verdict.reason);
        lots = roundLotsDown(this.spec, Math.min(lots, verdict.adjust.lots));
      }
    }
    let pendingMargin = 0;
    for (const entry of this.#pending.values()) pendingMargin += entry.margin;
    const capped = capLots(lots, {
      spec: this.spec,
      price,
      equity: account.equity,
      marginInUse: account.margin + pendingMargin,
      maxMarginUsePercent: this.config.maxMarginUsePercent,
    });
    reasons.push(...capped.reasons);
    if (!capped.accepted) return this.#reject(tradeSignal, reasons, state);

    const budget = Math.round(capped.lots * lossPerLot * 100) / 100;
    const market = legs[0].type === "market";
    const expiresUs = market
      ? nowUs + this.config.positions.pendingOrderTtlSeconds * US_PER_SECOND
      : nowUs + this.config.entry.expiryMinutes * US_PER_MINUTE;
    this.#issued.add(id);
    this.#pending.set(id, {
      clientOrderId: id,
      side: signal.side,
      lots: capped.lots,
      risk: budget,
      margin: marginFor(this.spec, price, capped.lots),
      timeUs: nowUs,
      expiresUs,
      legs: legs.map((leg) => leg.clientOrderId),
      resting: !market,
    });
    const decision: RiskDecisionEvent = {
      v: EVENT_VERSION,
      kind: "risk",
      symbol: signal.symbol,
      timeUs: nowUs,
      side: signal.side,
      decision: "accept",
      lots: capped.lots,
      stopLoss: legs[0].stopLoss,
      takeProfit: legs[0].takeProfit,
      reasons,
      state,
      clientOrderId: id,
      budget,
    };
    const ocoGroup = legs.length > 1 ? id : null;
    const orders = legs.map((leg): OrderEvent | PendingOrderEvent =>
      leg.type === "market"
        ? {
          v: EVENT_VERSION,
          kind: "order",
          symbol: signal.symbol,
          timeUs: nowUs,
          clientOrderId: leg.clientOrderId,
          action: "open",
          side: tradeSignal.side,
          lots: capped.lots,
          stopLoss: leg.stopLoss,
          takeProfit: leg.takeProfit,
          positionId: null,
          reason: "SIGNAL",
        }
        : {
          v: EVENT_VERSION,
          kind: "pending",
          symbol: signal.symbol,
          timeUs: nowUs,
          clientOrderId: leg.clientOrderId,
          side: tradeSignal.side,
          type: leg.type,
          price: leg.price,
          lots: capped.lots,
          stopLoss: leg.stopLoss,
          takeProfit: leg.takeProfit,
          expiresUs,
          ocoGroup,
          reason: "SIGNAL",
        }
    );
    return { decision, orders };
  }

  /**
   * The orders `config.entry` asks for: at market at the signal's price, or pending at
   * `offset` better (limit) or worse (stop) than it, or both one-cancels-other (bracket),
   * each keeping the signal's stop and target distances from its own price.
   */
  #entryLegs(signal: TradeSignal, id: string): EntryLeg[] {
    const { type, offset } = this.config.entry;
    const stopLoss = signal.stopLoss!;
    if (type === "market") {
      return [{
        clientOrderId: id,
        type: "market",
        price: signal.entryPrice,
        fill: expectedFill(this.#fillCosts, signal.side, signal.entryPrice),
        stopLoss,
        takeProfit: signal.takeProfit,
      }];
    }
    const dir = signal.side === "buy" ? 1 : -1;
    const { digits } = this.spec;
    const onGrid = (x: number) => Number(x.toFixed(digits));
    const stopDistance = signal.entryPrice - stopLoss;
    const takeDistance = signal.takeProfit === null ? null : signal.takeProfit - signal.entryPrice;
    const leg = (kind: "limit" | "stop", legId: string): EntryLeg => {
      const price = onGrid(signal.entryPrice + (kind === "limit" ? -dir : dir) * offset);
      return {
        clientOrderId: legId,
        type: kind,
        price,
        fill: expectedFill(this.#fillCosts, signal.side, price, kind !== "limit"),
        stopLoss: onGrid(price - stopDistance),
        takeProfit: takeDistance === null ? null : onGrid(price + takeDistance),
      };
    };
    if (type === "bracket") return [leg("limit", `${id}-limit`), leg("stop", `${id}-stop`)];
    return [leg(type, id)];
  }

  /**
   * The closing ask of a bar of the engine's symbol, as the simulated broker prices it: its
   * ask, else bid + its spread column, else bid + the broker's spread model at the bar's
   * open; null for bid-only data without a model.
   */
  closingAsk(bar: BarEvent): number | null {
    if (bar.ask !== null) return bar.ask.close;
    const spread = barSpread(bar, this.spreadModel);
    return spread === null ? null : bar.bid.close + spread;
  }

  /**
   * Management after a closed bar of the engine's symbol: close and cancel orders when a
   * kill switch wants the book flat (see `flatten`); else, per position, a close at market
   * when the price has passed a stop move the broker refused (STOP_LOSS), a partial close
   * at `scaleOut.triggerR` (SCALE_OUT), and a modify order when its stop should tighten
   * (BREAKEVEN, TRAILING_STOP). `closingAsk` is `this.closingAsk(bar)`, passed in by a
   * caller that has it already.
   */
  manage(
    positions: readonly OpenPosition[],
    bar: BarEvent,
    closingAsk: number | null = this.closingAsk(bar),
  ): readonly OrderEvent[] {
    if (bar.symbol !== this.spec.symbol) return NO_ORDERS;
    const closes = this.flatten(positions, bar.closeUs);
    // Most bars change no order: build an array only for one that does.
    let orders: OrderEvent[] | null = closes.length > 0 ? [...closes] : null;
    const bid = bar.bid.close;
    // Without an ask, assume the widest tradeable spread: a sell's stop then trails later
    // and further from the price, never too close to it.
    const ask = closingAsk ??
      bid + (this.config.spread.assumedSpread ?? this.config.spread.maxSpread);
    const timeUs = bar.closeUs;
    for (const position of positions) {
      const id = position.positionId;
      if (position.symbol !== this.spec.symbol || this.#closing.has(id)) continue;
      const exitPrice = position.side === "buy" ? bid : ask;
      const refused = this.#refusedStops.get(id);
      this.#refusedStops.delete(id);
      if (refused !== undefined && direction(position.side) * (exitPrice - refused) <= 0) {
        this.#closing.add(id);
        (orders ??= []).push(this.#closeOrder(position, position.lots, timeUs, {
          code: "STOP_LOSS",
          detail: `the broker refused the stop move to ${fmt(refused)} and the price ${
            fmt(exitPrice)
          } has passed it`,
        }));
        continue;
      }
      const scaleOut = this.#scaleOut(position, exitPrice, timeUs);
      if (scaleOut !== null) (orders ??= []).push(scaleOut);
      const move = nextStop(position, exitPrice, this.config, this.spec);
      if (move === null) continue;
      (orders ??= []).push({
        v: EVENT_VERSION,
        kind: "order",
        symbol: this.spec.symbol,
        timeUs,
        clientOrderId: positionOrderId(this.spec.symbol, timeUs, "modify", id),
        action: "modify",
        side: position.side,
        lots: position.lots,
        stopLoss: move.stopLoss,
        takeProfit: position.takeProfit,
        positionId: id,
        reason: move.reason.code,
      });
    }
    return orders ?? NO_ORDERS;
  }

  /** A close of `scaleOut.fraction` of the lots at `scaleOut.triggerR`, once per position. */
  #scaleOut(position: OpenPosition, exitPrice: number, timeUs: number): OrderEvent | null {
    const inProfit = this.#scaleOutReached(position, exitPrice);
    if (inProfit === null) return null;
    const { triggerR, fraction } = this.config.scaleOut;
    const part = roundLotsDown(this.spec, position.lots * fraction);
    const rest = roundLotsDown(this.spec, position.lots - part);
    if (part < this.spec.minLot || rest < this.spec.minLot) return null;
    this.#scaled.add(position.positionId);
    return this.#closeOrder(position, part, timeUs, {
      code: "SCALE_OUT",
      detail: `profit ${fmt(inProfit)}R >= ${triggerR}R: close ${part} of ${position.lots} lots`,
    });
  }

  /** `position`'s profit in R when it is due its scale-out at `exitPrice`, else null. */
  #scaleOutReached(position: OpenPosition, exitPrice: number): number | null {
    const { enabled, triggerR } = this.config.scaleOut;
    if (!enabled || this.#scaled.has(position.positionId)) return null;
    const inProfit = profitR(position, exitPrice);
    return inProfit === null || inProfit < triggerR - 1e-9 ? null : inProfit;
  }

  /**
   * How far from `from` (up to `to`) would the rows of `bars`, a span of quiet bars by
   * the broker's look (`SimulatedBroker.quietSpan`, whose marks are `marks`), change
   * nothing this engine decides on: `manage` ordering nothing at any close, and
   * `onAccount` taking each reading without a halt or a new trading day? The span ends
   * at the first close of the next trading day, and at the first close where a stop
   * would move or a position scale out (asked close by close only of a position whose
   * profit at the span's best close reaches the lowest R at which `manage` acts on it,
   * `#manageFromR`). Returns that end; -1 when nothing can be said for the span: a
   * position being closed or with a refused stop move, a kill switch to flatten for, no
   * reading yet, or its lowest equity against its highest peak coming to a limit (the
   * drawdown with a hair to spare: it is a ratio, its rounding not monotone). `bars`
   * must be quoted with this engine's spread model. Pure.
   */
  quietSpan(
    positions: readonly OpenPosition[],
    bars: QuotedBars,
    from: number,
    to: number,
    marks: SpanMarks,
  ): number {
    const day = this.#day;
    if (
      day === null || this.#closing.size > 0 || this.#refusedStops.size > 0 ||
      ((this.#killSwitch ?? this.#drawdownHalt) !== null && this.config.flattenOnKill) ||
      !(marks.lowEquity > 0) ||
      this.#drawdownBreached(
        Math.max(this.#peakEquity, marks.highEquity),
        marks.lowEquity,
        DRAWDOWN_SPARE_PCT,
      ) ||
      this.#dailyLossBreached(day, marks.lowEquity)
    ) {
      return -1;
    }
    // The day's end from the bounds `#dayOf` keeps: a quiet span is asked for again and
    // again within one day.
    const nextDayUs = day === this.#knownDay ? this.#knownDayToUs : tradingDayStartUs(day + 1);
    const { closeUs } = bars;
    let end = from;
    while (end < to && closeUs[end] < nextDayUs) end++;
    for (const position of positions) {
      if (position.symbol !== this.spec.symbol) continue;
      const buy = position.side === "buy";
      const inProfit = profitR(position, buy ? marks.bestBid : marks.bestAsk);
      // A margin wider than the rules' own 1e-9: below it, no close of the span can come
      // to a trigger whatever the rounding of R; near it, every close is asked.
      if (inProfit === null || inProfit < this.#manageFromR(position) - 1e-6) continue;
      const closes = buy ? bars.bidClose : bars.askClose;
      for (let j = from; j < end; j++) {
        if (
          this.#scaleOutReached(position, closes[j]) !== null ||
          nextStop(position, closes[j], this.config, this.spec) !== null
        ) {
          end = j;
          break;
        }
      }
    }
    return end;
  }

  /** Takes in a span `quietSpan` found quiet: its readings, as `onAccount` takes each. */
  takeQuietSpan(marks: SpanMarks): void {
    if (marks.highUs < marks.lastUs) this.#observe(marks.highUs, marks.highEquity);
    this.#observe(marks.lastUs, marks.lastEquity);
  }

  /**
   * The lowest profit in R from which `manage` may act on `position`: a stop move
   * (`nextStop` moves none below its rule's `triggerR`) or its scale-out; Infinity when
   * none is on.
   */
  #manageFromR(position: OpenPosition): number {
    const { breakeven, trailing, scaleOut } = this.config;
    let from = Infinity;
    if (breakeven.enabled) from = Math.min(from, breakeven.triggerR);
    if (trailing.enabled) from = Math.min(from, trailing.triggerR);
    if (scaleOut.enabled && !this.#scaled.has(position.positionId)) {
      from = Math.min(from, scaleOut.triggerR);
    }
    return from;
  }

  /** A market close of `lots` of `position`; its side is the deal that closes (a sell closes a buy). */
  #closeOrder(
    position: OpenPosition,
    lots: number,
    timeUs: number,
    why: RiskRuleReason,
  ): OrderEvent {
    return {
      v: EVENT_VERSION,
      kind: "order",
      symbol: this.spec.symbol,
      timeUs,
      clientOrderId: positionOrderId(this.spec.symbol, timeUs, "close", position.positionId),
      action: "close",
      side: position.side === "buy" ? "sell" : "buy",
      lots,
      stopLoss: null,
      takeProfit: null,
      positionId: position.positionId,
      reason: why.code,
    };
  }

  /**
   * Close orders for every open position of the symbol not already being closed, and
   * cancel orders for every pending entry resting at the broker, when the manual or the
   * drawdown kill switch is on and `flattenOnKill` is set; else none. A close order's side
   * is the deal that closes (a sell closes a buy), as in MT5 and the simulator.
   */
  flatten(positions: readonly OpenPosition[], timeUs: number): readonly OrderEvent[] {
    // Called on every account report and bar: with nothing to close, build nothing.
    if (this.#closing.size > 0) {
      for (const id of this.#closing) {
        if (!positions.some((p) => p.positionId === id)) this.#closing.delete(id);
      }
    }
    const kill = this.#killSwitch ?? this.#drawdownHalt;
    if (kill === null || !this.config.flattenOnKill) return NO_ORDERS;
    if (positions.length === 0 && this.#pending.size === 0) return NO_ORDERS;
    const orders: OrderEvent[] = [];
    for (const position of positions) {
      if (position.symbol !== this.spec.symbol || this.#closing.has(position.positionId)) continue;
      this.#closing.add(position.positionId);
      orders.push(this.#closeOrder(position, position.lots, timeUs, kill));
    }
    for (const entry of this.#pending.values()) {
      if (!entry.resting) continue;
      for (const leg of entry.legs) {
        if (this.#cancelling.has(leg)) continue;
        this.#cancelling.add(leg);
        orders.push({
          v: EVENT_VERSION,
          kind: "order",
          symbol: this.spec.symbol,
          timeUs,
          clientOrderId: positionOrderId(this.spec.symbol, timeUs, "cancel", leg),
          action: "cancel",
          side: entry.side,
          lots: entry.lots,
          stopLoss: null,
          takeProfit: null,
          positionId: leg,
          reason: kill.code,
        });
      }
    }
    return orders;
  }

  /** Updates equity, the day's start, the peak, and the drawdown and daily-loss halts. */
  onAccount(account: AccountEvent): void {
    this.#observe(account.timeUs, account.equity);
  }

  /** Records a closed trade for the losing-streak rules. */
  onTrade(trade: TradeEvent): void {
    this.#scaled.delete(trade.positionId);
    this.#refusedStops.delete(trade.positionId);
    this.#trades.push(trade);
    if (this.#trades.length > TRADES_KEPT) {
      this.#trades.splice(0, this.#trades.length - TRADES_KEPT);
    }
  }

  /** An entry fill ends that entry's pending status (its position now counts instead). */
  onFill(fill: FillEvent): void {
    if (fill.action !== "open") return;
    const entry = this.#entryOf(fill.clientOrderId);
    if (entry !== null) this.#pending.delete(entry);
  }

  /**
   * An order the broker did not execute: a refused, expired or cancelled entry order stops
   * counting (a bracket once both legs are gone), a refused close may be sent again, and
   * a refused stop move is remembered (the `PositionBook` puts the broker's stop back;
   * `manage` closes the position if the price has passed the stop it wanted).
   */
  onRejection(rejection: RejectionEvent, askedStop: number | null = null): void {
    if (rejection.symbol !== this.spec.symbol) return;
    const id = rejection.clientOrderId;
    this.#cancelling.delete(id);
    const entry = this.#entryOf(id);
    if (entry !== null) {
      const pending = this.#pending.get(entry)!;
      const legs = pending.legs.filter((leg) => leg !== id);
      if (legs.length === 0) this.#pending.delete(entry);
      else this.#pending.set(entry, { ...pending, legs });
      return;
    }
    const positionId = rejection.positionId;
    if (positionId === null) return;
    if (rejection.action === "close") this.#closing.delete(positionId);
    if (rejection.action === "modify" && askedStop !== null) {
      this.#refusedStops.set(positionId, askedStop);
    }
  }

  /** The pending entry one of whose orders is `clientOrderId`, by the entry's id. */
  #entryOf(clientOrderId: string): string | null {
    if (this.#pending.has(clientOrderId)) return clientOrderId;
    for (const [id, entry] of this.#pending) {
      if (entry.legs.includes(clientOrderId)) return id;
    }
    return null;
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
    const day = this.#dayOf(timeUs);
    if (this.#day !== day) {
      this.#dayStartEquity = this.#lastEquity ?? equity;
      this.#day = day;
    }
    this.#lastTimeUs = timeUs;
    this.#lastEquity = equity;
    this.#peakEquity = Math.max(this.#peakEquity, equity);
    const enforced = this.config.onHalt === "halt";
    if (this.#drawdownBreached(this.#peakEquity, equity)) {
      const drawdown = drawdownPercent(this.#peakEquity, equity);
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
    if (this.#dailyLossBreached(day, equity)) {
      const limit = dailyLossLimit(this.config, this.#dayStartEquity);
      const loss = this.#dayStartEquity - equity;
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

  /**
   * Does `equity`, `peak` the highest so far, newly breach the drawdown limit (or come
   * within `sparePct` of it)?
   */
  #drawdownBreached(peak: number, equity: number, sparePct = 0): boolean {
    return this.#drawdownHalt === null &&
      drawdownPercent(peak, equity) + sparePct >= this.config.maxDrawdownPercent;
  }

  /** Does `equity` on trading day `day` (the day of the last reading) newly breach its loss limit? */
  #dailyLossBreached(day: number, equity: number): boolean {
    const recorded = this.config.onHalt === "halt"
      ? this.#dailyHit?.day === day
      : this.#dailyRecordedDay === day;
    return !recorded &&
      this.#dayStartEquity - equity >= dailyLossLimit(this.config, this.#dayStartEquity);
  }

  /**
   * `tradingDayOf(timeUs)`, answered from the bounds of the day last computed when it falls
   * inside them: a trading day is every instant from its 17:00 New York start to the next
   * one's (tests/operators/risk/windows_test.ts checks the bounds against `tradingDayOf`).
   */
  #dayOf(timeUs: number): number {
    if (timeUs >= this.#knownDayFromUs && timeUs < this.#knownDayToUs) return this.#knownDay;
    const day = tradingDayOf(timeUs);
    this.#knownDay = day;
    this.#knownDayFromUs = tradingDayStartUs(day);
    this.#knownDayToUs = tradingDayStartUs(day + 1);
    return day;
  }

  /**
   * Forgets entries past their time: market orders never filled within
   * `pendingOrderTtlSeconds`, pending orders past their expiry (the broker's refusal or
   * expiry report usually comes first).
   */
  #expirePending(nowUs: number): void {
    for (const [id, entry] of this.#pending) {
      if (nowUs > entry.expiresUs) this.#pending.delete(id);
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
        budget: null,
      },
      orders: [],
    };
  }
}
