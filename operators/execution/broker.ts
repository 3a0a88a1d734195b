/**
 * `SimulatedBroker`: the backtest's broker, a plain class with no RxJS. It takes orders
 * and prices in time order and books fills, trades and the account exactly as
 * docs/execution.md writes them down, so every figure can be checked by hand.
 *
 * For each price event (a bar, or a tick as a one-price bar) at the execution detail:
 * 1. book every swap rollover that has passed (positions open now were held through it);
 * 2. exit positions whose stop or target the open gapped through, at the open;
 * 3. fill the orders due: opens, closes and modifies, at the open (buys at the ask);
 * 4. exit positions whose stop or target the bar's range touched (stop first when both);
 * 5. track each open position's worst and best P&L, and report the account.
 * Events it returns are in time order; those dated before a bar's close happened at
 * its open, the rest at its close.
 *
 * It must never fill an order on a price from before the order's decision, never fill a
 * client order id twice, and never book cash outside a close or a swap.
 */

import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type ExitReason,
  type FillEvent,
  isoFromUs,
  type MarketEvent,
  type OrderEvent,
  type RiskDecisionEvent,
  type Side,
  type TickEvent,
  TIMEFRAME_US,
  type TradeEvent,
} from "../../pipeline/events.ts";
import type { SymbolSpec } from "../../pipeline/symbols.ts";
import {
  type ExecutionConfigInput,
  type ExecutionSettings,
  resolveExecutionConfig,
} from "./config.ts";
import { emptyQuotes, quoteBar, quoteTick, SpreadModel } from "./quotes.ts";
import { nextRolloverUs, rolloverNights } from "./_rollover.ts";

/** Why the broker refused an order; it is counted and listed, and never fills. */
export type RejectReason =
  | "wrong_symbol"
  | "invalid_lots"
  | "no_risk_decision"
  | "exceeds_risk_decision"
  | "missing_position_id"
  | "unknown_position"
  | "close_side_mismatch"
  | "partial_close"
  | "invalid_stops"
  | "insufficient_margin"
  | "cancelled";

export interface Rejection {
  readonly clientOrderId: string;
  readonly action: OrderEvent["action"];
  /** When it was refused: on arrival, or at the price it would have filled on. */
  readonly timeUs: number;
  readonly reason: RejectReason;
  readonly detail: string;
}

export type SubmitResult =
  | { readonly status: "queued" }
  | { readonly status: "duplicate" }
  | { readonly status: "rejected"; readonly reason: RejectReason; readonly detail: string };

/** An open position as the broker holds it. */
export interface OpenPosition {
  /** The clientOrderId of the order that opened it. */
  readonly id: string;
  readonly side: Side;
  readonly lots: number;
  readonly entryTimeUs: number;
  /** Fill price, slippage included. */
  readonly entryPrice: number;
  /** Account currency, owed since entry and booked to the balance at the close. */
  readonly entryCommission: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** Swap booked to the balance so far, account currency. */
  readonly swap: number;
  /** entry price x contract x lots / leverage, account currency. */
  readonly margin: number;
}

export interface AccountSnapshot {
  readonly balance: number;
  readonly equity: number;
  readonly margin: number;
  readonly freeMargin: number;
  readonly openPositions: number;
}

export interface BrokerStats {
  /** Distinct client order ids received. */
  readonly orders: number;
  /** Repeated client order ids, ignored. */
  readonly duplicates: number;
  readonly fills: number;
  readonly trades: number;
  readonly modifies: number;
  readonly rejected: number;
}

interface Position extends OpenPosition {
  /** +1 long, -1 short. */
  readonly dir: 1 | -1;
  /** Quoted spread (price units) at the entry fill. */
  readonly entrySpread: number;
  stopLoss: number | null;
  takeProfit: number | null;
  swap: number;
  /** Worst and best gross P&L while held, unrounded. */
  mae: number;
  mfe: number;
}

interface Pending {
  readonly order: OrderEvent;
  readonly dueUs: number;
}

/** How a position leaves: the fill price, the quoted spread there, when, why and by which id. */
interface Exit {
  readonly price: number;
  readonly spread: number;
  readonly timeUs: number;
  readonly reason: ExitReason;
  readonly clientOrderId: string;
  readonly slippage: number;
}

const QUEUED: SubmitResult = { status: "queued" };
const DUPLICATE: SubmitResult = { status: "duplicate" };
/**
 * The exit reason a close order books, from the order's reason: the risk engine's halt
 * codes name the halt that closed the position; anything unknown is "manual".
 */
export function exitReasonOfOrder(reason: string): ExitReason {
  switch (reason) {
    case "signal":
    case "manual":
    case "kill_switch":
    case "max_drawdown":
      return reason;
    case "KILL_SWITCH":
      return "kill_switch";
    case "MAX_DRAWDOWN":
      return "max_drawdown";
    default:
      return "manual";
  }
}
const LOT_EPSILON = 1e-9;

/** Rounds an amount to the cent, half away from zero, as brokers book cash. */
export function roundCents(amount: number): number {
  const scaled = Math.abs(amount) * 100;
  const whole = Math.floor(scaled);
  const fraction = scaled - whole;
  // Float noise (0.35000000000000003 x 100) matters only next to a half cent: there,
  // toPrecision(12) strips it before rounding. Anywhere else the side is already clear,
  // and this runs on every mark-to-market without building a string.
  const cents = Math.abs(fraction - 0.5) > 1e-10 * (scaled + 1)
    ? (fraction < 0.5 ? whole : whole + 1)
    : Math.round(Number(scaled.toPrecision(12)));
  return cents === 0 ? 0 : Math.sign(amount) * cents / 100;
}

/** A price for a message: at least two decimals, more when it has them. */
function formatPrice(value: number): string {
  return value.toFixed(5).replace(/0{1,3}$/, "");
}

/**
 * A simulated account trading one symbol on hedging terms (each open order is its own
 * position).
 *
 * @example
 * ```ts
 * const broker = new SimulatedBroker({ initialBalance: 10_000 });
 * broker.noteRiskDecision(decision);
 * broker.submit(order);
 * const events = broker.onBar(nextBar); // fills at nextBar's open
 * const last = broker.closeAll("end_of_data");
 * ```
 */
export class SimulatedBroker {
  readonly settings: ExecutionSettings;
  readonly spec: SymbolSpec;
  private readonly spreadModel: SpreadModel;
  /** The current price event: quotes, and its [start, end] in µs (equal for a tick). */
  private readonly q = emptyQuotes();
  private startUs = NaN;
  private endUs = -Infinity;
  /** The resolution (µs, 0 for ticks) whose prices drive execution. */
  private detailUs: number;
  private readonly fixedDetail: boolean;
  private nextRolloverUs = NaN;
  private balanceNow: number;
  private usedMargin = 0;
  private readonly positions: Position[] = [];
  private readonly pending: Pending[] = [];
  private readonly seen = new Set<string>();
  private readonly decisions = new Map<string, RiskDecisionEvent>();
  private readonly rejectionList: Rejection[] = [];
  private readonly counts = { orders: 0, duplicates: 0, fills: 0, trades: 0, modifies: 0 };
  /** Time of the latest event made at the open of the current price event. */
  private openStampUs = NaN;

  constructor(config: ExecutionConfigInput = {}) {
    this.settings = resolveExecutionConfig(config);
    this.spec = this.settings.spec;
    this.spreadModel = new SpreadModel(this.settings.fixedSpread, this.settings.spreadWindows);
    this.balanceNow = this.settings.initialBalance;
    const detail = this.settings.detail;
    this.fixedDetail = detail !== "finest";
    this.detailUs = detail === "finest" ? Infinity : detail === "tick" ? 0 : TIMEFRAME_US[detail];
  }

  get balance(): number {
    return this.balanceNow;
  }

  get stats(): BrokerStats {
    return { ...this.counts, rejected: this.rejectionList.length };
  }

  /** Every refused or cancelled order, in order. */
  get rejections(): readonly Rejection[] {
    return this.rejectionList;
  }

  openPositions(): readonly OpenPosition[] {
    return this.positions;
  }

  /** The account valued at the close of the latest price (at the balance before any price). */
  account(): AccountSnapshot {
    const equity = Number.isNaN(this.q.bidClose)
      ? this.balanceNow
      : this.equityAt(this.q.bidClose, this.q.askClose);
    return {
      balance: this.balanceNow,
      equity,
      margin: this.usedMargin,
      freeMargin: roundCents(equity - this.usedMargin),
      openPositions: this.positions.length,
    };
  }

  /** Remembers an accepted decision: the authority an opening order needs. */
  noteRiskDecision(decision: RiskDecisionEvent): void {
    if (decision.decision === "accept" && decision.clientOrderId !== null) {
      this.decisions.set(decision.clientOrderId, decision);
    }
  }

  /**
   * Queues an order until its first price at or after `timeUs` + latency. A repeated
   * client order id is ignored and counted; an order that can never be valid is refused now.
   */
  submit(order: OrderEvent): SubmitResult {
    if (this.seen.has(order.clientOrderId)) {
      this.counts.duplicates++;
      return DUPLICATE;
    }
    this.seen.add(order.clientOrderId);
    this.counts.orders++;
    const refusal = this.refusalOnArrival(order);
    if (refusal !== null) return this.reject(order, order.timeUs, refusal[0], refusal[1]);
    this.pending.push({ order, dueUs: order.timeUs + this.settings.latencyUs });
    return QUEUED;
  }

  /** Trades on a bar of the execution detail; other symbols and resolutions are ignored. */
  onBar(bar: BarEvent, out: MarketEvent[] = []): MarketEvent[] {
    if (bar.symbol !== this.spec.symbol || !this.drivesExecution(TIMEFRAME_US[bar.timeframe])) {
      return out;
    }
    this.advance(bar.openUs, bar.closeUs);
    quoteBar(bar, this.spreadModel, this.q);
    this.step(out);
    return out;
  }

  /** Trades on a tick when ticks are the execution detail. */
  onTick(tick: TickEvent, out: MarketEvent[] = []): MarketEvent[] {
    if (tick.symbol !== this.spec.symbol || !this.drivesExecution(0)) return out;
    this.advance(tick.timeUs, tick.timeUs);
    quoteTick(tick, this.q);
    this.step(out);
    return out;
  }

  /**
   * Closes every position at the latest close (longs at the bid, shorts at the ask, with
   * slippage) and cancels the orders still pending: the end of a replay, or a kill switch.
   * The events are stamped `timeUs`, by default the end of the latest price; a stream
   * whose last event came later passes that event's time.
   */
  closeAll(reason: ExitReason, timeUs = this.endUs, out: MarketEvent[] = []): MarketEvent[] {
    if (timeUs < this.endUs) {
      throw new RangeError(
        `Cannot close all at ${isoFromUs(timeUs)}: the latest price ended at ${
          isoFromUs(this.endUs)
        }`,
      );
    }
    for (const { order } of this.pending) {
      const at = Number.isFinite(timeUs) ? timeUs : order.timeUs;
      this.reject(order, at, "cancelled", `cancelled by closeAll("${reason}") before it filled`);
    }
    this.pending.length = 0;
    if (this.positions.length === 0) return out;
    const q = this.q;
    const slip = this.settings.slippage;
    while (this.positions.length > 0) {
      const p = this.positions[0];
      const exit = p.dir === 1 ? q.bidClose - slip : q.askClose + slip;
      const spread = q.askClose - q.bidClose;
      const clientOrderId = `${p.id}:${reason}`;
      this.close(0, { price: exit, spread, timeUs, reason, clientOrderId, slippage: slip }, out);
    }
    this.pushAccount(timeUs, q.bidClose, q.askClose, out);
    return out;
  }

  private drivesExecution(resolutionUs: number): boolean {
    if (!this.fixedDetail && resolutionUs < this.detailUs) this.detailUs = resolutionUs;
    return resolutionUs === this.detailUs;
  }

  private advance(startUs: number, endUs: number): void {
    if (startUs < this.endUs) {
      throw new RangeError(
        `Cannot simulate execution: a price at ${isoFromUs(startUs)} arrived after one ending ` +
          `${isoFromUs(this.endUs)}; prices must come in time order`,
      );
    }
    this.startUs = startUs;
    this.endUs = endUs;
  }

  private step(out: MarketEvent[]): void {
    const q = this.q;
    const tick = this.startUs === this.endUs;
    this.openStampUs = this.startUs;
    let atOpen = this.bookRollovers();
    for (let i = 0; i < this.positions.length;) {
      if (this.exitAtOpen(i, out)) atOpen = true;
      else i++;
    }
    if (this.pending.length > 0 && this.fillDue(out)) atOpen = true;
    if (atOpen && !tick) this.pushAccount(this.openStampUs, q.bidOpen, q.askOpen, out);
    let atClose = false;
    for (let i = 0; i < this.positions.length;) {
      if (this.exitInside(i, out)) atClose = true;
      else i++;
    }
    if (atClose || (atOpen && tick) || (this.settings.markToMarket && this.positions.length > 0)) {
      this.pushAccount(this.endUs, q.bidClose, q.askClose, out);
    }
  }

  /** Books every rollover up to this price's start for the positions open now. */
  private bookRollovers(): boolean {
    const minute = this.settings.rolloverMinuteNy;
    if (Number.isNaN(this.nextRolloverUs)) {
      this.nextRolloverUs = nextRolloverUs(this.startUs, minute);
    }
    let booked = false;
    while (this.nextRolloverUs <= this.startUs) {
      const nights = rolloverNights(this.nextRolloverUs, this.spec.tripleSwapWeekday);
      for (const p of this.positions) {
        const perLot = p.dir === 1 ? this.spec.swapLongPerLot : this.spec.swapShortPerLot;
        const amount = roundCents(perLot * p.lots * nights);
        if (amount === 0) continue;
        p.swap = roundCents(p.swap + amount);
        this.balanceNow = roundCents(this.balanceNow + amount);
        booked = true;
      }
      this.nextRolloverUs = nextRolloverUs(this.nextRolloverUs, minute);
    }
    return booked;
  }

  /** A stop or target the open is already through fills at the open (a gap). */
  private exitAtOpen(i: number, out: MarketEvent[]): boolean {
    const p = this.positions[i];
    const q = this.q;
    const slip = this.settings.slippage;
    const spread = q.askOpen - q.bidOpen;
    const quote = p.dir === 1 ? q.bidOpen : q.askOpen;
    if (p.stopLoss !== null && p.dir * (quote - p.stopLoss) <= 0) {
      const exit = quote - p.dir * slip;
      this.close(i, this.exit(p, exit, spread, this.startUs, "stop_loss", slip), out);
      return true;
    }
    if (p.takeProfit !== null && p.dir * (quote - p.takeProfit) >= 0) {
      this.close(i, this.exit(p, quote, spread, this.startUs, "take_profit", 0), out);
      return true;
    }
    return false;
  }

  /**
   * A stop or target the bar's range reached fills at its level; when both were reached
   * the stop is taken (the bar does not say which came first). Otherwise the bar's range
   * widens the position's excursions.
   */
  private exitInside(i: number, out: MarketEvent[]): boolean {
    const p = this.positions[i];
    const q = this.q;
    const long = p.dir === 1;
    // A long exits by selling at the bid, a short by buying at the ask.
    const adverse = long ? q.bidLow : q.askHigh;
    const favourable = long ? q.bidHigh : q.askLow;
    const adverseSpread = long ? q.askLow - q.bidLow : q.askHigh - q.bidHigh;
    const favourableSpread = long ? q.askHigh - q.bidHigh : q.askLow - q.bidLow;
    const slip = this.settings.slippage;
    const adverseValue = this.value(p, adverse);
    if (p.stopLoss !== null && p.dir * (adverse - p.stopLoss) <= 0) {
      const exit = p.stopLoss - p.dir * slip;
      this.close(i, this.exit(p, exit, adverseSpread, this.endUs, "stop_loss", slip), out);
      return true;
    }
    // Not stopped, so the adverse extreme may have come before the target: it counts.
    if (adverseValue < p.mae) p.mae = adverseValue;
    if (p.takeProfit !== null && p.dir * (favourable - p.takeProfit) >= 0) {
      const exit = this.exit(p, p.takeProfit, favourableSpread, this.endUs, "take_profit", 0);
      this.close(i, exit, out);
      return true;
    }
    const favourableValue = this.value(p, favourable);
    if (favourableValue > p.mfe) p.mfe = favourableValue;
    return false;
  }

  /** Fills, in arrival order, every pending order this price is the first valid price for. */
  private fillDue(out: MarketEvent[]): boolean {
    let changed = false;
    let n = 0;
    for (; n < this.pending.length; n++) {
      const { order, dueUs } = this.pending[n];
      // The price must come after the decision, and be running at decision + latency.
      const due = this.startUs >= order.timeUs && (this.startUs >= dueUs || this.endUs > dueUs);
      if (!due) break;
      const timeUs = Math.max(this.startUs, dueUs);
      if (order.action === "open") changed = this.open(order, timeUs, out) || changed;
      else if (order.action === "close") changed = this.closeByOrder(order, timeUs, out) || changed;
      else this.modify(order, timeUs);
    }
    if (n > 0) this.pending.splice(0, n);
    return changed;
  }

  private open(order: OrderEvent, timeUs: number, out: MarketEvent[]): boolean {
    const q = this.q;
    const dir = order.side === "buy" ? 1 : -1;
    const slip = this.settings.slippage;
    const fill = dir === 1 ? q.askOpen + slip : q.bidOpen - slip;
    const stops = this.stopsProblem(dir, order.stopLoss, order.takeProfit);
    if (stops !== null) return this.refuse(order, timeUs, "invalid_stops", stops);
    const { contractSize, leverage, commissionPerLot } = this.spec;
    const margin = roundCents(fill * contractSize * order.lots / leverage);
    const free = this.equityAt(q.bidOpen, q.askOpen) - this.usedMargin;
    if (margin > free) {
      return this.refuse(
        order,
        timeUs,
        "insufficient_margin",
        `needs margin ${margin.toFixed(2)}, free margin is ${free.toFixed(2)}`,
      );
    }
    const commission = roundCents(commissionPerLot * order.lots);
    const atEntry = dir * ((dir === 1 ? q.bidOpen : q.askOpen) - fill) * contractSize * order.lots;
    this.positions.push({
      id: order.clientOrderId,
      side: order.side,
      dir,
      lots: order.lots,
      entryTimeUs: timeUs,
      entryPrice: fill,
      entryCommission: commission,
      entrySpread: q.askOpen - q.bidOpen,
      margin,
      stopLoss: order.stopLoss,
      takeProfit: order.takeProfit,
      swap: 0,
      mae: atEntry,
      mfe: atEntry,
    });
    this.usedMargin = roundCents(this.usedMargin + margin);
    this.record({
      v: EVENT_VERSION,
      kind: "fill",
      symbol: this.spec.symbol,
      timeUs,
      clientOrderId: order.clientOrderId,
      positionId: order.clientOrderId,
      action: "open",
      side: order.side,
      lots: order.lots,
      price: fill,
      commission,
      slippage: slip,
      reason: "market",
    }, out);
    return true;
  }

  private closeByOrder(order: OrderEvent, timeUs: number, out: MarketEvent[]): boolean {
    const i = this.positions.findIndex((p) => p.id === order.positionId);
    if (i < 0) {
      return this.refuse(
        order,
        timeUs,
        "unknown_position",
        `position "${order.positionId}" is not open`,
      );
    }
    const p = this.positions[i];
    if (order.side === p.side) {
      return this.refuse(
        order,
        timeUs,
        "close_side_mismatch",
        `a ${p.side} position closes with a ${p.dir === 1 ? "sell" : "buy"}, got ${order.side}`,
      );
    }
    if (Math.abs(order.lots - p.lots) > LOT_EPSILON) {
      return this.refuse(
        order,
        timeUs,
        "partial_close",
        `close of ${order.lots} lots on a ${p.lots}-lot position; only whole closes are supported`,
      );
    }
    const q = this.q;
    const slip = this.settings.slippage;
    const exit = p.dir === 1 ? q.bidOpen - slip : q.askOpen + slip;
    const reason = exitReasonOfOrder(order.reason);
    // Closed at the open: the bar's range comes after it and is no part of this trade.
    const spread = q.askOpen - q.bidOpen;
    const clientOrderId = order.clientOrderId;
    this.close(i, { price: exit, spread, timeUs, reason, clientOrderId, slippage: slip }, out);
    return true;
  }

  private modify(order: OrderEvent, timeUs: number): void {
    const p = this.positions.find((p) => p.id === order.positionId);
    if (p === undefined) {
      this.refuse(order, timeUs, "unknown_position", `position "${order.positionId}" is not open`);
      return;
    }
    const stops = this.stopsProblem(p.dir, order.stopLoss, order.takeProfit);
    if (stops !== null) {
      this.refuse(order, timeUs, "invalid_stops", stops);
      return;
    }
    p.stopLoss = order.stopLoss;
    p.takeProfit = order.takeProfit;
    this.counts.modifies++;
  }

  /** MT5's rule: a long's stop below the bid and target above it; a short's mirrored on the ask. */
  private stopsProblem(
    dir: 1 | -1,
    stopLoss: number | null,
    takeProfit: number | null,
  ): string | null {
    const quote = dir === 1 ? this.q.bidOpen : this.q.askOpen;
    const [stopSide, takeSide] = dir === 1 ? ["below", "above"] : ["above", "below"];
    const at = `the ${dir === 1 ? "bid" : "ask"} ${formatPrice(quote)}`;
    if (stopLoss !== null && dir * (quote - stopLoss) <= 0) {
      return `stop-loss ${formatPrice(stopLoss)} is not ${stopSide} ${at}`;
    }
    if (takeProfit !== null && dir * (takeProfit - quote) <= 0) {
      return `take-profit ${formatPrice(takeProfit)} is not ${takeSide} ${at}`;
    }
    return null;
  }

  /** Gross P&L of `p` if it closed at `exitPrice`, unrounded. */
  private value(p: Position, exitPrice: number): number {
    return p.dir * (exitPrice - p.entryPrice) * this.spec.contractSize * p.lots;
  }

  /** A stop or target exit of `p`, named after its position. */
  private exit(
    p: Position,
    price: number,
    spread: number,
    timeUs: number,
    reason: "stop_loss" | "take_profit",
    slippage: number,
  ): Exit {
    const clientOrderId = `${p.id}:${reason === "stop_loss" ? "sl" : "tp"}`;
    return { price, spread, timeUs, reason, clientOrderId, slippage };
  }

  /** Closes position `i`: books its cash and emits the closing fill and the trade. */
  private close(i: number, exit: Exit, out: MarketEvent[]): void {
    const p = this.positions[i];
    const { price: exitPrice, spread: exitSpread, timeUs, reason } = exit;
    const { contractSize, commissionPerLot } = this.spec;
    const value = this.value(p, exitPrice);
    const mae = Math.min(p.mae, value);
    const mfe = Math.max(p.mfe, value);
    const gross = roundCents(value);
    const exitCommission = roundCents(commissionPerLot * p.lots);
    const commission = roundCents(p.entryCommission + exitCommission);
    this.balanceNow = roundCents(this.balanceNow + gross - commission);
    this.usedMargin = roundCents(this.usedMargin - p.margin);
    this.positions.splice(i, 1);
    const exitSide: Side = p.dir === 1 ? "sell" : "buy";
    this.record({
      v: EVENT_VERSION,
      kind: "fill",
      symbol: this.spec.symbol,
      timeUs,
      clientOrderId: exit.clientOrderId,
      positionId: p.id,
      action: "close",
      side: exitSide,
      lots: p.lots,
      price: exitPrice,
      commission: exitCommission,
      slippage: exit.slippage,
      reason,
    }, out);
    const trade: TradeEvent = {
      v: EVENT_VERSION,
      kind: "trade",
      symbol: this.spec.symbol,
      positionId: p.id,
      side: p.side,
      lots: p.lots,
      entryTimeUs: p.entryTimeUs,
      entryPrice: p.entryPrice,
      exitTimeUs: timeUs,
      exitPrice,
      exitReason: reason,
      pnl: roundCents(gross - commission + p.swap),
      commission,
      swap: p.swap,
      spreadCost: roundCents((p.entrySpread + exitSpread) / 2 * contractSize * p.lots),
      mae: roundCents(mae),
      mfe: roundCents(mfe),
    };
    out.push(trade);
    this.counts.trades++;
  }

  /** Emits a fill; one dated before the price's end moves the stamp of the account at the open. */
  private record(fill: FillEvent, out: MarketEvent[]): void {
    out.push(fill);
    this.counts.fills++;
    if (fill.timeUs < this.endUs) this.openStampUs = Math.max(this.openStampUs, fill.timeUs);
  }

  /** Balance plus every open position's P&L at the exit side, less its entry commission. */
  private equityAt(bid: number, ask: number): number {
    let open = 0;
    for (const p of this.positions) {
      open += this.value(p, p.dir === 1 ? bid : ask) - p.entryCommission;
    }
    return roundCents(this.balanceNow + open);
  }

  private pushAccount(timeUs: number, bid: number, ask: number, out: MarketEvent[]): void {
    const account: AccountEvent = {
      v: EVENT_VERSION,
      kind: "account",
      timeUs,
      balance: this.balanceNow,
      equity: this.equityAt(bid, ask),
      margin: this.usedMargin,
      openPositions: this.positions.length,
    };
    out.push(account);
  }

  /** Why `order` can never fill, checked on arrival; null when it may. */
  private refusalOnArrival(order: OrderEvent): [RejectReason, string] | null {
    const spec = this.spec;
    if (order.symbol !== spec.symbol) {
      return ["wrong_symbol", `this broker trades "${spec.symbol}", not "${order.symbol}"`];
    }
    if (order.action !== "open") {
      return order.positionId === null
        ? ["missing_position_id", `a ${order.action} order needs the position id`]
        : null;
    }
    const steps = order.lots / spec.lotStep;
    if (
      !(order.lots >= spec.minLot - LOT_EPSILON && order.lots <= spec.maxLot + LOT_EPSILON) ||
      Math.abs(steps - Math.round(steps)) > 1e-6
    ) {
      return [
        "invalid_lots",
        `${order.lots} lots is not a multiple of ${spec.lotStep} between ${spec.minLot} and ${spec.maxLot}`,
      ];
    }
    if (!this.settings.requireRiskDecision) return null;
    const decision = this.decisions.get(order.clientOrderId);
    if (decision === undefined) {
      return ["no_risk_decision", "no accepted risk decision names this client order id"];
    }
    this.decisions.delete(order.clientOrderId);
    if (
      decision.symbol !== order.symbol || decision.side !== order.side ||
      order.lots > decision.lots + LOT_EPSILON
    ) {
      return [
        "exceeds_risk_decision",
        `the risk decision accepted ${decision.side} ${decision.lots} ${decision.symbol}, ` +
        `the order is ${order.side} ${order.lots} ${order.symbol}`,
      ];
    }
    return null;
  }

  private reject(
    order: OrderEvent,
    timeUs: number,
    reason: RejectReason,
    detail: string,
  ): SubmitResult {
    this.rejectionList.push({
      clientOrderId: order.clientOrderId,
      action: order.action,
      timeUs,
      reason,
      detail,
    });
    return { status: "rejected", reason, detail };
  }

  /** Rejects at fill time; returns false (nothing booked) for the caller's change flag. */
  private refuse(order: OrderEvent, timeUs: number, reason: RejectReason, detail: string): boolean {
    this.reject(order, timeUs, reason, detail);
    return false;
  }
}
