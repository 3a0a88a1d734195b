/**
 * `SimulatedBroker`: the backtest's broker, a plain class with no RxJS. It takes orders
 * and prices in time order and books fills, trades and the account on the terms of a
 * broker profile exactly as docs/execution.md writes them down, so every figure can be
 * checked by hand.
 *
 * For each price event (a bar, or a tick as a one-price bar) at the execution detail:
 * 1. book every swap rollover that has passed (positions open now were held through it);
 * 2. exit positions whose stop or target the open gapped through, at the open;
 * 3. stop out at the open when the margin level is at or below the stop-out level;
 * 4. expire pending orders past their expiry; fill those the open gapped through;
 * 5. take the orders due at the open: market opens, closes (whole or partial), modifies,
 *    cancels and pending placements, or refuse them (late ones expire);
 * 6. fill pending orders the bar's range reached (one-cancels-other groups: the leg
 *    nearest the open), exit positions whose stop or target the range touched (stop first
 *    when both), stop out where the margin level crosses the stop-out level;
 * 7. track each open position's worst and best P&L, and report the account, its margin
 *    at the current prices.
 * Events it returns are in time order; those dated before a bar's close happened at its
 * open, the rest at its close. Every order it does not execute becomes a `RejectionEvent`.
 *
 * It must never fill an order on a price from before the order's decision, never fill a
 * client order id twice, and never book cash outside a close or a swap.
 */

import {
  type AccountEvent,
  type BarEvent,
  type EntryReason,
  EVENT_VERSION,
  EXIT_REASONS,
  type ExitReason,
  type FillEvent,
  isoFromUs,
  type MarketEvent,
  type OrderEvent,
  type PendingOrderEvent,
  type RejectionEvent,
  type RiskDecisionEvent,
  type Side,
  type TickEvent,
  TIMEFRAME_US,
  type TradeEvent,
} from "../../pipeline/events.ts";
import {
  cleanLots,
  commissionFor,
  insideStopsLevel,
  isMultipleOf,
  marginFor,
  type SymbolSpec,
} from "../../pipeline/symbols.ts";
import {
  type ExecutionConfigInput,
  type ExecutionSettings,
  resolveExecutionConfig,
} from "./config.ts";
import { emptyQuotes, quoteBar, type QuotedBars, quoteRow, quoteTick } from "./quotes.ts";
import { nextRolloverUs, rolloverNights } from "./_rollover.ts";
import {
  ASK_MAX,
  ASK_MIN,
  barExtremes,
  BID_MAX,
  BID_MIN,
  SPAN_BLOCK,
  SPAN_BLOCK_SHIFT,
  spanBlocks,
} from "./_span_blocks.ts";
import { stopOutBid } from "./_stop_out.ts";

/** Why the broker did not execute an order; each becomes a `RejectionEvent`. */
export type RejectReason =
  | "wrong_symbol"
  | "invalid_lots"
  | "no_risk_decision"
  | "exceeds_risk_decision"
  | "missing_position_id"
  | "unknown_position"
  | "unknown_order"
  | "close_side_mismatch"
  | "invalid_stops"
  | "stops_too_close"
  | "invalid_price"
  | "insufficient_margin"
  | "margin_call"
  | "expired"
  | "cancelled";

export type SubmitResult =
  | { readonly status: "queued" }
  | { readonly status: "duplicate" }
  | {
    readonly status: "rejected";
    readonly reason: RejectReason;
    readonly detail: string;
    readonly event: RejectionEvent;
  };

/** An open position as the broker holds it. */
export interface OpenPosition {
  /** The clientOrderId of the order that opened it. */
  readonly id: string;
  readonly side: Side;
  /** Lots still open (less any partial closes). */
  readonly lots: number;
  /** Lots it opened with. */
  readonly openedLots: number;
  readonly entryTimeUs: number;
  /** Fill price, slippage included. */
  readonly entryPrice: number;
  /** Entry commission still owed, account currency; each close books its share. */
  readonly entryCommission: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** Swap booked to the balance so far, account currency. */
  readonly swap: number;
  /** Margin at the latest prices: open-side quote x contract x lots / leverage. */
  readonly margin: number;
}

export interface AccountSnapshot {
  readonly balance: number;
  readonly equity: number;
  readonly margin: number;
  readonly freeMargin: number;
  /** Equity / margin x 100; null with no margin in use. */
  readonly marginLevel: number | null;
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
  /** Orders not executed: refused, expired or cancelled. */
  readonly rejected: number;
  /** Positions closed by the stop-out. */
  readonly stopOuts: number;
  /** Times the margin level fell below the margin-call level. */
  readonly marginCalls: number;
  /** Lowest equity reported (the initial balance before any report). */
  readonly minEquity: number;
  /** Highest margin in use / equity reported, in percent (0 with nothing open). */
  readonly maxMarginUsePct: number;
}

interface Position extends OpenPosition {
  /** +1 long, -1 short. */
  readonly dir: 1 | -1;
  /** Quoted spread (price units) at the entry fill. */
  readonly entrySpread: number;
  lots: number;
  entryCommission: number;
  margin: number;
  stopLoss: number | null;
  takeProfit: number | null;
  swap: number;
  /** Worst and best gross P&L while held (booked parts included), unrounded. */
  mae: number;
  mfe: number;
  /** Booked by partial closes so far. */
  realizedGross: number;
  commissionBooked: number;
  /** Sum of exit price x lots over the exit fills, for the average exit price. */
  exitNotional: number;
  /** Half the spread at each exit x contract x the lots exited, unrounded. */
  exitSpreadCost: number;
  /** The end of the price event it filled inside: its target is not tested on that event. */
  readonly filledInsideUs: number;
}

interface Queued {
  readonly order: OrderEvent | PendingOrderEvent;
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
  /** Lots to close: all when absent. */
  readonly lots?: number;
}

const QUEUED: SubmitResult = { status: "queued" };
const DUPLICATE: SubmitResult = { status: "duplicate" };
/** Exit reasons only the broker books; a close order naming one is booked as manual. */
const BROKER_EXITS: ReadonlySet<string> = new Set(["take_profit", "end_of_data", "stop_out"]);
const LOT_EPSILON = 1e-9;

/** Rounds an amount to the cent, half away from zero, as brokers book cash. */
export function roundCents(amount: number): number {
  const x = Math.abs(amount) * 100;
  // Only an amount a hair from half a cent needs its float noise stripped before rounding
  // (1.005 x 100 is 100.49999999999999): toPrecision(12) does it, but it is a string
  // conversion, too slow for every mark-to-market. Elsewhere the noise cannot matter.
  const near = Math.abs(x - Math.floor(x) - 0.5) < 1e-6 + x * 1e-11;
  const cents = Math.round(near ? Number(x.toPrecision(12)) : x);
  return cents === 0 ? 0 : Math.sign(amount) * cents / 100;
}

/** A price for a message: at least two decimals, more when it has them. */
function formatPrice(value: number): string {
  return value.toFixed(5).replace(/0{1,3}$/, "");
}

/** Has the exit-side `quote` reached `p`'s stop (a long's bid at or below it, a short's ask at or above)? */
function stopReached(p: Position, quote: number): boolean {
  return p.stopLoss !== null && p.dir * (quote - p.stopLoss) <= 0;
}

/** Has the exit-side `quote` reached `p`'s target (a long's bid at or above it, a short's ask at or below)? */
function targetReached(p: Position, quote: number): boolean {
  return p.takeProfit !== null && p.dir * (quote - p.takeProfit) >= 0;
}

/**
 * Does a price between these extremes reach a position's stop or target (a long's at the
 * lowest or the highest bid, a short's at the highest or the lowest ask)? Both tests are
 * monotone in the price, so extremes over many bars answer for all of them.
 */
function anyReached(
  positions: readonly Position[],
  bidMin: number,
  bidMax: number,
  askMin: number,
  askMax: number,
): boolean {
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k];
    const reached = p.dir === 1
      ? stopReached(p, bidMin) || targetReached(p, bidMax)
      : stopReached(p, askMax) || targetReached(p, askMin);
    if (reached) return true;
  }
  return false;
}

/** Is an account with this equity and margin in a margin call at `levelPct` (equity / margin x 100)? */
function isMarginCall(equity: number, margin: number, levelPct: number): boolean {
  return margin > 0 && equity * 100 < levelPct * margin;
}

/** Margin in use as a percent of equity: what `BrokerStats.maxMarginUsePct` is the highest of. */
function marginUsePct(margin: number, equity: number): number {
  return equity > 0 ? margin / equity * 100 : Infinity;
}

/** Has `quote` reached a pending order: a limit at or better than its price, a stop at or worse? */
function reaches(order: PendingOrderEvent, quote: number): boolean {
  const dir = order.side === "buy" ? 1 : -1;
  return order.type === "limit"
    ? dir * (quote - order.price) <= 0
    : dir * (quote - order.price) >= 0;
}

/** The exit reason a close order's `reason` books: its own when it is one, else manual. */
function orderExitReason(reason: string): ExitReason {
  const lower = reason.toLowerCase();
  return (EXIT_REASONS as readonly string[]).includes(lower) && !BROKER_EXITS.has(lower)
    ? lower as ExitReason
    : "manual";
}

/**
 * The marks of a span of quiet bars, as `SimulatedBroker.quietSpan` finds them, for the
 * risk engine's look at the same span (`RiskEngine.quietSpan`). Reused: filled, not made.
 */
export interface SpanMarks {
  /** The lowest and the highest equity marked at a close of the span, and when the highest was. */
  lowEquity: number;
  highEquity: number;
  highUs: number;
  /** The equity marked at the span's last close, and when. */
  lastEquity: number;
  lastUs: number;
  /** The best closes to exit on: the highest bid (a long's) and the lowest ask (a short's). */
  bestBid: number;
  bestAsk: number;
}

export function emptySpanMarks(): SpanMarks {
  return {
    lowEquity: NaN,
    highEquity: NaN,
    highUs: NaN,
    lastEquity: NaN,
    lastUs: NaN,
    bestBid: NaN,
    bestAsk: NaN,
  };
}

/** The extremes of a span of bars' quotes; reused. */
interface SpanExtremes {
  /**
   * The lowest and highest bid and the highest ask of every open, high and low: the
   * stop-out's look at the span's worst prices.
   */
  bidFloor: number;
  bidCeiling: number;
  askCeiling: number;
  /** The lowest low and highest high of bid and ask: what the excursions read. */
  bidLow: number;
  bidHigh: number;
  askLow: number;
  askHigh: number;
  /** The rows of the lowest and highest closes (the first of equals). */
  bidCloseMin: number;
  bidCloseMax: number;
  askCloseMin: number;
  askCloseMax: number;
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
  /** The current price event: quotes, and its [start, end] in µs (equal for a tick). */
  private readonly q = emptyQuotes();
  /** The span `quietSpan` last found quiet, at which price it was, and its marks. */
  private readonly seenSpan: {
    bars: QuotedBars | null;
    from: number;
    to: number;
    endUs: number;
    marks: SpanMarks | null;
    /** The highest margin use after its reports. */
    marginUse: number;
  } = { bars: null, from: NaN, to: NaN, endUs: NaN, marks: null, marginUse: NaN };
  /** One row's extremes, as `scanSpan` reads them (`barExtremes`); reused. */
  private readonly barScratch = new Float64Array(4);
  /** `quietSpan`'s extremes of the span it looked at last. */
  private readonly extremes: SpanExtremes = {
    bidFloor: NaN,
    bidCeiling: NaN,
    askCeiling: NaN,
    bidLow: NaN,
    bidHigh: NaN,
    askLow: NaN,
    askHigh: NaN,
    bidCloseMin: 0,
    bidCloseMax: 0,
    askCloseMin: 0,
    askCloseMax: 0,
  };
  private startUs = NaN;
  private endUs = -Infinity;
  /** The resolution (µs, 0 for ticks) whose prices drive execution. */
  private detailUs: number;
  private readonly fixedDetail: boolean;
  private nextRolloverUs = NaN;
  private balanceNow: number;
  private readonly positions: Position[] = [];
  private readonly queued: Queued[] = [];
  /** Pending limit and stop orders placed and waiting for their price, in placement order. */
  private readonly working: PendingOrderEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly decisions = new Map<string, RiskDecisionEvent>();
  private readonly rejectionList: RejectionEvent[] = [];
  private readonly counts = {
    orders: 0,
    duplicates: 0,
    fills: 0,
    trades: 0,
    modifies: 0,
    stopOuts: 0,
    marginCalls: 0,
  };
  private inMarginCall = false;
  private minEquity: number;
  private maxMarginUsePct = 0;
  /** Time of the latest event made at the open of the current price event. */
  private openStampUs = NaN;

  constructor(config: ExecutionConfigInput = {}) {
    this.settings = resolveExecutionConfig(config);
    this.spec = this.settings.spec;
    this.balanceNow = this.settings.initialBalance;
    this.minEquity = this.balanceNow;
    const detail = this.settings.detail;
    this.fixedDetail = detail !== "finest";
    this.detailUs = detail === "finest" ? Infinity : detail === "tick" ? 0 : TIMEFRAME_US[detail];
  }

  get balance(): number {
    return this.balanceNow;
  }

  get stats(): BrokerStats {
    return {
      ...this.counts,
      rejected: this.rejectionList.length,
      minEquity: this.minEquity,
      maxMarginUsePct: this.maxMarginUsePct,
    };
  }

  /** Every order not executed (refused, expired, cancelled), in order. */
  get rejections(): readonly RejectionEvent[] {
    return this.rejectionList;
  }

  openPositions(): readonly OpenPosition[] {
    return this.positions;
  }

  /** Pending limit and stop orders placed and not yet filled, expired or cancelled. */
  workingOrders(): readonly PendingOrderEvent[] {
    return this.working;
  }

  /** Orders submitted and still on their way (latency): they reach the market on a later price. */
  get queuedOrders(): number {
    return this.queued.length;
  }

  /** The account valued at the close of the latest price (at the balance before any price). */
  account(): AccountSnapshot {
    const priced = !Number.isNaN(this.q.bidClose);
    const equity = priced ? this.equityAt(this.q.bidClose, this.q.askClose) : this.balanceNow;
    // Before any price nothing can have opened: no margin in use.
    const margin = priced ? this.remargin(this.q.bidClose, this.q.askClose) : 0;
    return {
      balance: this.balanceNow,
      equity,
      margin,
      freeMargin: roundCents(equity - margin),
      marginLevel: margin > 0 ? equity / margin * 100 : null,
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
   * Queues an order (market or pending) until its first price at or after `timeUs` +
   * latency. A repeated client order id is ignored and counted; an order that can never
   * be valid is refused now.
   */
  submit(order: OrderEvent | PendingOrderEvent): SubmitResult {
    if (this.seen.has(order.clientOrderId)) {
      this.counts.duplicates++;
      return DUPLICATE;
    }
    this.seen.add(order.clientOrderId);
    this.counts.orders++;
    const refusal = this.refusalOnArrival(order);
    if (refusal !== null) {
      const event = this.reject(order, order.timeUs, refusal[0], refusal[1]);
      return { status: "rejected", reason: refusal[0], detail: refusal[1], event };
    }
    this.queued.push({ order, dueUs: order.timeUs + this.settings.latencyUs });
    return QUEUED;
  }

  /** Trades on a bar of the execution detail; other symbols and resolutions are ignored. */
  onBar(bar: BarEvent, out: MarketEvent[] = []): MarketEvent[] {
    if (bar.symbol !== this.spec.symbol || !this.drivesExecution(TIMEFRAME_US[bar.timeframe])) {
      return out;
    }
    this.advance(bar.openUs, bar.closeUs);
    quoteBar(bar, this.settings.spreadModel, this.q);
    this.step(out);
    return out;
  }

  /**
   * How far from `from` (up to `to`) are the rows of `bars` quiet: would `onBar` give
   * each of them nothing but its account report and change nothing but the marks (the
   * quotes, the positions' excursions and margins, the lowest equity)? For a caller that
   * gives the full path only to bars where something happens (the random-entry
   * baseline). The rows are read up to the first whose prices reach a stop or a target,
   * or that opens at a rollover; that row ends the span. The rest is asked of the span's
   * extremes, which asks a book of one direction, whose equity and margin then move one
   * way with the price, so their extremes come at the extreme closes: nothing queued or
   * working, marking to market on, the margin level far from the stop-out with the
   * span's worst bid and ask together, and no margin call (asked at its lowest equity with
   * its highest margin, and close by close when that is not enough; the highest margin use
   * is then taken close by close too). Returns the span's end, with its
   * marks in `marks` when it holds a row; -1 when no span can start at `from` (a book of
   * both directions, an order on its way, no marks) or its extremes refuse it. It changes
   * nothing but `marks`. `takeQuietSpan` then takes it, or any part from `from`.
   */
  quietSpan(bars: QuotedBars, from: number, to: number, marks: SpanMarks): number {
    this.seenSpan.bars = null;
    const positions = this.positions;
    if (
      positions.length === 0 || to <= from || this.queued.length > 0 ||
      this.working.length > 0 || !this.settings.markToMarket || bars.openUs[from] < this.endUs ||
      !this.drivesExecution(TIMEFRAME_US[bars.timeframe])
    ) {
      return -1;
    }
    const dir = positions[0].dir;
    for (const p of positions) if (p.dir !== dir) return -1;
    const long = dir === 1;
    const end = this.scanSpan(bars, from, to);
    if (end === from) return from;
    const x = this.extremes;
    // The lowest equity with the highest margin: a long's at the lowest bid and highest
    // ask, a short's at the highest ask and highest bid.
    if (!this.farFromStopOut(long ? x.bidFloor : x.bidCeiling, x.askCeiling)) return -1;
    const { bidClose, askClose } = bars;
    const worst = long ? x.bidCloseMin : x.askCloseMax;
    const best = long ? x.bidCloseMax : x.askCloseMin;
    const lowEquity = this.equityAt(bidClose[worst], askClose[worst]);
    if (!(lowEquity > 0) || this.inMarginCall) return -1;
    const highMargin = this.remargin(
      bidClose[long ? worst : x.bidCloseMax],
      askClose[long ? x.askCloseMax : worst],
    );
    // The highest margin use the span reports: the one so far, unless its lowest equity
    // with its highest margin could make a new one (or a margin call), and then the
    // reports' own, close by close.
    let marginUse = this.maxMarginUsePct;
    if (
      isMarginCall(lowEquity, highMargin, this.spec.marginCallLevel) ||
      marginUsePct(highMargin, lowEquity) > marginUse
    ) {
      marginUse = this.spanMarginUse(bars, from, end);
    }
    // The positions' shares back at the latest prices, where `OpenPosition.margin` has them.
    this.remargin(this.q.bidClose, this.q.askClose);
    if (Number.isNaN(marginUse)) return -1;
    this.seenSpan.marginUse = marginUse;
    const last = end - 1;
    marks.lowEquity = lowEquity;
    marks.highEquity = this.equityAt(bidClose[best], askClose[best]);
    marks.highUs = bars.closeUs[best];
    marks.lastEquity = this.equityAt(bidClose[last], askClose[last]);
    marks.lastUs = bars.closeUs[last];
    marks.bestBid = bidClose[x.bidCloseMax];
    marks.bestAsk = askClose[x.askCloseMin];
    const seen = this.seenSpan;
    seen.bars = bars;
    seen.from = from;
    seen.to = end;
    seen.endUs = this.endUs;
    seen.marks = marks;
    return end;
  }

  /**
   * The highest margin use after the account reports at the closes of rows [from, to), as
   * `pushAccount` records it (it rewrites the positions' margin shares); NaN when one of
   * them is a margin call.
   */
  private spanMarginUse(bars: QuotedBars, from: number, to: number): number {
    const { bidClose, askClose } = bars;
    let marginUse = this.maxMarginUsePct;
    for (let j = from; j < to; j++) {
      const equity = this.equityAt(bidClose[j], askClose[j]);
      const margin = this.remargin(bidClose[j], askClose[j]);
      if (isMarginCall(equity, margin, this.spec.marginCallLevel)) return NaN;
      if (margin > 0) marginUse = Math.max(marginUse, marginUsePct(margin, equity));
    }
    return marginUse;
  }

  /**
   * Reads rows from `from` up to `to` or the first whose prices reach a position's stop
   * or target (at any of its open, high and low: data need not keep the open inside the
   * range) or that opens at or after the next rollover, and keeps the extremes of those
   * before it in `extremes`. Returns where it stopped.
   */
  private scanSpan(bars: QuotedBars, from: number, to: number): number {
    const { openUs, bidClose, askClose } = bars;
    const { bidHigh: bidHighs, bidLow: bidLows, askHigh: askHighs, askLow: askLows } = bars;
    const positions = this.positions;
    const rolloverUs = this.nextRolloverUs;
    const blocks = spanBlocks(bars);
    const bar = this.barScratch;
    let bidFloor = Infinity, bidCeiling = -Infinity, askCeiling = -Infinity;
    let bidLow = Infinity, bidHigh = -Infinity, askLow = Infinity, askHigh = -Infinity;
    let bidCloseMin = from, bidCloseMax = from, askCloseMin = from, askCloseMax = from;
    let j = from;
    while (j < to) {
      // A whole block no stop or target reaches, before the rollover, is taken at once:
      // the same extremes, and the same first rows of the extreme closes, as row by row.
      const k = j >> SPAN_BLOCK_SHIFT;
      if (
        (j & (SPAN_BLOCK - 1)) === 0 && j + SPAN_BLOCK <= to && blocks.usable[k] === 1 &&
        blocks.lastOpenUs[k] < rolloverUs &&
        !anyReached(
          positions,
          blocks.bidFloor[k],
          blocks.bidCeiling[k],
          blocks.askFloor[k],
          blocks.askCeiling[k],
        )
      ) {
        if (blocks.bidFloor[k] < bidFloor) bidFloor = blocks.bidFloor[k];
        if (blocks.bidCeiling[k] > bidCeiling) bidCeiling = blocks.bidCeiling[k];
        if (blocks.askCeiling[k] > askCeiling) askCeiling = blocks.askCeiling[k];
        if (blocks.bidLow[k] < bidLow) bidLow = blocks.bidLow[k];
        if (blocks.bidHigh[k] > bidHigh) bidHigh = blocks.bidHigh[k];
        if (blocks.askLow[k] < askLow) askLow = blocks.askLow[k];
        if (blocks.askHigh[k] > askHigh) askHigh = blocks.askHigh[k];
        const bMin = blocks.bidCloseMin[k], bMax = blocks.bidCloseMax[k];
        const aMin = blocks.askCloseMin[k], aMax = blocks.askCloseMax[k];
        if (bidClose[bMin] < bidClose[bidCloseMin]) bidCloseMin = bMin;
        if (bidClose[bMax] > bidClose[bidCloseMax]) bidCloseMax = bMax;
        if (askClose[aMin] < askClose[askCloseMin]) askCloseMin = aMin;
        if (askClose[aMax] > askClose[askCloseMax]) askCloseMax = aMax;
        j += SPAN_BLOCK;
        continue;
      }
      if (!(openUs[j] < rolloverUs)) break;
      barExtremes(bars, j, bar);
      if (anyReached(positions, bar[BID_MIN], bar[BID_MAX], bar[ASK_MIN], bar[ASK_MAX])) break;
      if (bar[BID_MIN] < bidFloor) bidFloor = bar[BID_MIN];
      if (bar[BID_MAX] > bidCeiling) bidCeiling = bar[BID_MAX];
      if (bar[ASK_MAX] > askCeiling) askCeiling = bar[ASK_MAX];
      const bl = bidLows[j], bh = bidHighs[j], al = askLows[j], ah = askHighs[j];
      if (bl < bidLow) bidLow = bl;
      if (bh > bidHigh) bidHigh = bh;
      if (al < askLow) askLow = al;
      if (ah > askHigh) askHigh = ah;
      if (bidClose[j] < bidClose[bidCloseMin]) bidCloseMin = j;
      if (bidClose[j] > bidClose[bidCloseMax]) bidCloseMax = j;
      if (askClose[j] < askClose[askCloseMin]) askCloseMin = j;
      if (askClose[j] > askClose[askCloseMax]) askCloseMax = j;
      j++;
    }
    const x = this.extremes;
    x.bidFloor = bidFloor;
    x.bidCeiling = bidCeiling;
    x.askCeiling = askCeiling;
    x.bidLow = bidLow;
    x.bidHigh = bidHigh;
    x.askLow = askLow;
    x.askHigh = askHigh;
    x.bidCloseMin = bidCloseMin;
    x.bidCloseMax = bidCloseMax;
    x.askCloseMin = askCloseMin;
    x.askCloseMax = askCloseMax;
    return j;
  }

  /**
   * Takes rows [from, to) of `bars`, inside a span `quietSpan` found quiet, as `onBar`
   * would take each (the last's quotes, the positions' excursions and margins, the lowest
   * equity, the highest margin use) without their account reports; `marks` becomes theirs.
   */
  takeQuietSpan(bars: QuotedBars, from: number, to: number, marks: SpanMarks): void {
    // The span looked at last, unless the broker moved on since (then it is looked at again).
    const seen = this.seenSpan;
    const looked = seen.bars === bars && seen.from === from && seen.to === to &&
      seen.endUs === this.endUs && seen.marks === marks;
    if (!looked && this.quietSpan(bars, from, to, marks) < to) {
      throw new RangeError(`Cannot take rows ${from} to ${to} as a quiet span: they are not one`);
    }
    const x = this.extremes;
    const last = to - 1;
    this.advance(bars.openUs[last], bars.closeUs[last]);
    quoteRow(bars, last, this.q);
    this.openStampUs = this.startUs;
    for (const p of this.positions) {
      const long = p.dir === 1;
      // As exitInside widens them, bar by bar.
      const adverseValue = this.value(p, long ? x.bidLow : x.askHigh);
      if (adverseValue < p.mae) p.mae = adverseValue;
      const favourableValue = this.value(p, long ? x.bidHigh : x.askLow);
      if (favourableValue > p.mfe) p.mfe = favourableValue;
    }
    // No margin call (quietSpan): the lowest equity and the highest margin use.
    if (marks.lowEquity < this.minEquity) this.minEquity = marks.lowEquity;
    this.maxMarginUsePct = seen.marginUse;
    this.remargin(this.q.bidClose, this.q.askClose);
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
   * slippage) and cancels the orders still queued or working: the end of a replay, or a
   * kill switch. The events are stamped `timeUs`, by default the end of the latest price;
   * a stream whose last event came later passes that event's time.
   */
  closeAll(reason: ExitReason, timeUs = this.endUs, out: MarketEvent[] = []): MarketEvent[] {
    if (timeUs < this.endUs) {
      throw new RangeError(
        `Cannot close all at ${isoFromUs(timeUs)}: the latest price ended at ${
          isoFromUs(this.endUs)
        }`,
      );
    }
    const why = `cancelled by closeAll("${reason}") before it filled`;
    for (const { order } of this.queued) {
      const at = Number.isFinite(timeUs) ? timeUs : order.timeUs;
      out.push(this.reject(order, at, "cancelled", why));
    }
    this.queued.length = 0;
    for (const order of this.working) {
      out.push(
        this.reject(order, Number.isFinite(timeUs) ? timeUs : order.timeUs, "cancelled", why),
      );
    }
    this.working.length = 0;
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
    const fills = this.counts.fills;
    let atOpen = this.bookRollovers();
    for (let i = 0; i < this.positions.length;) {
      if (!this.exitAtOpen(i, out)) i++;
    }
    this.stopOutAtOpen(out);
    if (this.working.length > 0) this.triggerAtOpen(out);
    if (this.queued.length > 0) this.fillDue(out);
    atOpen ||= this.counts.fills > fills;
    if (atOpen && !tick) this.pushAccount(this.openStampUs, q.bidOpen, q.askOpen, out);
    const fillsAtOpen = this.counts.fills;
    if (!tick && this.working.length > 0) this.triggerInside(out);
    if (!tick && this.positions.length > 0) this.stopOutInside(out);
    for (let i = 0; i < this.positions.length;) {
      if (!this.exitInside(i, out)) i++;
    }
    const atClose = this.counts.fills > fillsAtOpen;
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
    if (stopReached(p, quote)) {
      const exit = quote - p.dir * slip;
      this.close(i, this.exit(p, exit, spread, this.startUs, "stop_loss", slip), out);
      return true;
    }
    if (targetReached(p, quote)) {
      this.close(i, this.exit(p, quote, spread, this.startUs, "take_profit", 0), out);
      return true;
    }
    return false;
  }

  /**
   * A stop or target the bar's range reached fills at its level; when both were reached
   * the stop is taken (the bar does not say which came first), and a position filled
   * inside this bar has only its stop tested. Otherwise the range widens its excursions.
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
    if (stopReached(p, adverse)) {
      const exit = p.stopLoss! - p.dir * slip;
      this.close(i, this.exit(p, exit, adverseSpread, this.endUs, "stop_loss", slip), out);
      return true;
    }
    // Not stopped, so the adverse extreme may have come before the target: it counts.
    if (adverseValue < p.mae) p.mae = adverseValue;
    if (p.filledInsideUs === this.endUs) return false;
    if (targetReached(p, favourable)) {
      const exit = this.exit(p, p.takeProfit!, favourableSpread, this.endUs, "take_profit", 0);
      this.close(i, exit, out);
      return true;
    }
    const favourableValue = this.value(p, favourable);
    if (favourableValue > p.mfe) p.mfe = favourableValue;
    return false;
  }

  /** Stops out at the open while the margin level there is at or below the stop-out level. */
  private stopOutAtOpen(out: MarketEvent[]): void {
    const q = this.q;
    const slip = this.settings.slippage;
    while (this.positions.length > 0 && this.belowStopOut(q.bidOpen, q.askOpen)) {
      const i = this.largestLoss(q.bidOpen, q.askOpen);
      const p = this.positions[i];
      const exit = p.dir === 1 ? q.bidOpen - slip : q.askOpen + slip;
      this.stopOut(i, exit, q.askOpen - q.bidOpen, this.startUs, out);
    }
  }

  /**
   * Stops out inside the bar: where equity / margin crosses the stop-out level on the way
   * to the bar's adverse extreme (the bid b* of `stopOutBid`, rounded to the price step
   * away from the open), the largest loss first, then again for what remains. A position
   * whose own stop lies before b* on that way is left to its stop.
   */
  private stopOutInside(out: MarketEvent[]): void {
    const q = this.q;
    const { contractSize, leverage, stopOutLevel, point, digits } = this.spec;
    const slip = this.settings.slippage;
    while (this.positions.length > 0) {
      // Far from the stop-out at both extremes of the range (the level's line is straight
      // in the price, so everywhere between): no crossing, whichever way the line falls.
      if (this.farFromStopOut(q.bidLow, q.askLow) && this.farFromStopOut(q.bidHigh, q.askHigh)) {
        return;
      }
      // The level's line in the price: which way it falls decides the extreme to test.
      const low = stopOutBid(
        this.positions,
        this.balanceNow,
        q.askLow - q.bidLow,
        contractSize,
        leverage,
        stopOutLevel,
      );
      if (low === null) return;
      const falling = low.falling;
      const spread = falling ? q.askLow - q.bidLow : q.askHigh - q.bidHigh;
      const crossing = falling ? low : stopOutBid(
        this.positions,
        this.balanceNow,
        spread,
        contractSize,
        leverage,
        stopOutLevel,
      )!;
      const at = crossing.bid;
      if (!(falling ? q.bidLow <= at : q.bidHigh >= at)) return;
      const bid = Number(
        (falling
          ? Math.max(q.bidLow, Math.floor(at / point + 1e-9) * point)
          : Math.min(q.bidHigh, Math.ceil(at / point - 1e-9) * point)).toFixed(digits),
      );
      const ask = bid + spread;
      const i = this.largestLoss(bid, ask);
      const p = this.positions[i];
      const exitQuote = p.dir === 1 ? bid : ask;
      if (p.stopLoss !== null && (falling ? p.dir === 1 : p.dir === -1)) {
        if (p.dir * (exitQuote - p.stopLoss) <= 0) return; // its stop comes first
      }
      this.stopOut(i, exitQuote - p.dir * slip, spread, this.endUs, out);
    }
  }

  private stopOut(i: number, price: number, spread: number, timeUs: number, out: MarketEvent[]) {
    const p = this.positions[i];
    const slippage = this.settings.slippage;
    const clientOrderId = `${p.id}:stop_out`;
    this.close(i, { price, spread, timeUs, reason: "stop_out", clientOrderId, slippage }, out);
    this.counts.stopOuts++;
  }

  /** Is the margin level at these quotes at or below the profile's stop-out level? */
  private belowStopOut(bid: number, ask: number): boolean {
    if (this.farFromStopOut(bid, ask)) return false;
    const booked = this.remargin(bid, ask);
    return booked > 0 && this.equityAt(bid, ask) * 100 <= this.spec.stopOutLevel * booked;
  }

  /**
   * A cheap look, unrounded: is the margin level at these quotes clearly above the
   * stop-out level (by 0.1% of it and a unit of money more than any rounding could
   * move), or no margin in use? Most prices are nowhere near the stop-out.
   */
  private farFromStopOut(bid: number, ask: number): boolean {
    const { contractSize, leverage, stopOutLevel } = this.spec;
    let equity = this.balanceNow;
    let margin = 0;
    for (const p of this.positions) {
      const units = contractSize * p.lots;
      equity += p.dir * ((p.dir === 1 ? bid : ask) - p.entryPrice) * units - p.entryCommission;
      margin += (p.dir === 1 ? ask : bid) * units / leverage;
    }
    return !(margin > 0) || equity * 100 > stopOutLevel * margin * 1.001 + 1;
  }

  /** The position with the largest floating loss at these quotes (MT5's stop-out order). */
  private largestLoss(bid: number, ask: number): number {
    let worst = 0;
    let worstValue = Infinity;
    this.positions.forEach((p, i) => {
      const value = p.dir * ((p.dir === 1 ? bid : ask) - p.entryPrice) * p.lots;
      if (value < worstValue) {
        worstValue = value;
        worst = i;
      }
    });
    return worst;
  }

  /** Expires pending orders past their expiry, then fills those the open gapped through. */
  private triggerAtOpen(out: MarketEvent[]): void {
    const q = this.q;
    const slip = this.settings.slippage;
    for (let i = 0; i < this.working.length;) {
      const order = this.working[i];
      if (order.expiresUs !== null && this.startUs >= order.expiresUs) {
        this.working.splice(i, 1);
        this.refuse(
          order,
          this.startUs,
          "expired",
          `pending ${order.side} ${order.type} at ${formatPrice(order.price)} expired at ${
            isoFromUs(order.expiresUs)
          }`,
          out,
        );
        continue;
      }
      const quote = order.side === "buy" ? q.askOpen : q.bidOpen;
      if (!reaches(order, quote)) {
        i++;
        continue;
      }
      this.working.splice(i, 1);
      const dir = order.side === "buy" ? 1 : -1;
      const price = order.type === "limit" ? quote : quote + dir * slip;
      this.fillPending(order, price, order.type === "limit" ? 0 : slip, this.startUs, out);
    }
  }

  /**
   * Fills pending orders the bar's range reached, at their price (a stop slips). Of a
   * one-cancels-other group's legs reached in one bar, the one nearest the open fills (the
   * shortest path reaches it first; the earlier placed on a tie) and the others are
   * cancelled. Fills inside a bar are dated at its close.
   */
  private triggerInside(out: MarketEvent[]): void {
    const q = this.q;
    // Most bars reach no order: build the list only for one that does.
    let reached: PendingOrderEvent[] | null = null;
    for (const order of this.working) {
      const buy = order.side === "buy";
      // A limit is reached at the range's best quote for it, a stop at the worst.
      const extreme = order.type === "limit"
        ? (buy ? q.askLow : q.bidHigh)
        : (buy ? q.askHigh : q.bidLow);
      if (reaches(order, extreme)) (reached ??= []).push(order);
    }
    if (reached === null) return;
    const distance = (o: PendingOrderEvent) =>
      Math.abs(o.price - (o.side === "buy" ? q.askOpen : q.bidOpen));
    for (const order of reached) {
      if (!this.working.includes(order)) continue; // cancelled by a sibling that filled
      let chosen = order;
      if (order.ocoGroup !== null) {
        for (const other of reached) {
          if (other.ocoGroup === order.ocoGroup && distance(other) < distance(chosen)) {
            chosen = other;
          }
        }
      }
      this.working.splice(this.working.indexOf(chosen), 1);
      const slip = chosen.type === "limit" ? 0 : this.settings.slippage;
      const dir = chosen.side === "buy" ? 1 : -1;
      this.fillPending(chosen, chosen.price + dir * slip, slip, this.endUs, out);
    }
  }

  /** Opens the position of a reached pending order (margin permitting), cancels its OCO siblings. */
  private fillPending(
    order: PendingOrderEvent,
    price: number,
    slippage: number,
    timeUs: number,
    out: MarketEvent[],
  ): void {
    if (order.ocoGroup !== null) {
      for (let i = 0; i < this.working.length;) {
        const sibling = this.working[i];
        if (sibling.ocoGroup !== order.ocoGroup) {
          i++;
          continue;
        }
        this.working.splice(i, 1);
        this.refuse(
          sibling,
          timeUs,
          "cancelled",
          `one-cancels-other: ${order.clientOrderId} of group "${order.ocoGroup}" filled`,
          out,
        );
      }
    }
    this.openPosition(order, price, slippage, order.type, timeUs, timeUs === this.endUs, out);
  }

  /** Takes, in arrival order, every queued order this price is the first valid price for. */
  private fillDue(out: MarketEvent[]): void {
    let n = 0;
    for (; n < this.queued.length; n++) {
      const { order, dueUs } = this.queued[n];
      // The price must come after the decision, and be running at decision + latency.
      const due = this.startUs >= order.timeUs && (this.startUs >= dueUs || this.endUs > dueUs);
      if (!due) break;
      const timeUs = Math.max(this.startUs, dueUs);
      const late = timeUs - order.timeUs;
      if (late > this.settings.orderTimeoutUs) {
        this.refuse(
          order,
          timeUs,
          "expired",
          `decided at ${isoFromUs(order.timeUs)}; the first price after it came ${
            (late / 1e6).toFixed(0)
          } s later, past the ${this.settings.orderTimeoutUs / 1e6} s time in force`,
          out,
        );
        continue;
      }
      if (order.kind === "pending") this.place(order, timeUs, out);
      else if (order.action === "open") this.openAtMarket(order, timeUs, out);
      else if (order.action === "close") this.closeByOrder(order, timeUs, out);
      else if (order.action === "modify") this.modify(order, timeUs, out);
      else this.cancel(order, timeUs, out);
    }
    if (n > 0) this.queued.splice(0, n);
  }

  private openAtMarket(order: OrderEvent, timeUs: number, out: MarketEvent[]): void {
    const q = this.q;
    const dir = order.side === "buy" ? 1 : -1;
    const slip = this.settings.slippage;
    const fill = dir === 1 ? q.askOpen + slip : q.bidOpen - slip;
    const stops = this.stopsProblem(dir, dir === 1 ? q.bidOpen : q.askOpen, order);
    if (stops !== null) {
      this.refuse(order, timeUs, stops[0], stops[1], out);
      return;
    }
    this.openPosition(order, fill, slip, "market", timeUs, false, out);
  }

  /**
   * Opens a position at `fill` unless the margin call is on or the margin it takes (at
   * the open-side quote: the ask for a long, the bid for a short) exceeds the free margin.
   */
  private openPosition(
    order: OrderEvent | PendingOrderEvent,
    fill: number,
    slippage: number,
    reason: EntryReason,
    timeUs: number,
    inside: boolean,
    out: MarketEvent[],
  ): void {
    const q = this.q;
    const dir = order.side === "buy" ? 1 : -1;
    const { contractSize } = this.spec;
    const equity = this.equityAt(q.bidOpen, q.askOpen);
    const inUse = this.remargin(q.bidOpen, q.askOpen);
    if (inUse > 0 && equity * 100 < this.spec.marginCallLevel * inUse) {
      this.refuse(
        order,
        timeUs,
        "margin_call",
        `margin level ${
          (equity / inUse * 100).toFixed(1)
        }% is below the margin call level ${this.spec.marginCallLevel}%: no new position`,
        out,
      );
      return;
    }
    const quote = dir === 1 ? fill - slippage : fill + slippage;
    const margin = roundCents(marginFor(this.spec, quote, order.lots));
    const free = equity - inUse;
    if (margin > free) {
      this.refuse(
        order,
        timeUs,
        "insufficient_margin",
        `needs margin ${margin.toFixed(2)}, free margin is ${free.toFixed(2)}`,
        out,
      );
      return;
    }
    const commission = roundCents(commissionFor(this.spec, fill, order.lots));
    const spread = inside ? q.askClose - q.bidClose : q.askOpen - q.bidOpen;
    const atEntry = -(spread + slippage) * contractSize * order.lots;
    this.positions.push({
      id: order.clientOrderId,
      side: order.side,
      dir,
      lots: order.lots,
      openedLots: order.lots,
      entryTimeUs: timeUs,
      entryPrice: fill,
      entryCommission: commission,
      entrySpread: spread,
      margin,
      stopLoss: order.stopLoss,
      takeProfit: order.takeProfit,
      swap: 0,
      mae: atEntry,
      mfe: atEntry,
      realizedGross: 0,
      commissionBooked: 0,
      exitNotional: 0,
      exitSpreadCost: 0,
      filledInsideUs: inside ? this.endUs : NaN,
    });
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
      slippage,
      reason,
    }, out);
  }

  /**
   * Places a pending order: a limit below the ask (buy) or above the bid (sell), a stop
   * above the ask or below the bid, at least the stops level away, with its stop and
   * target on the right side of its own price.
   */
  private place(order: PendingOrderEvent, timeUs: number, out: MarketEvent[]): void {
    const q = this.q;
    const dir = order.side === "buy" ? 1 : -1;
    const quote = dir === 1 ? q.askOpen : q.bidOpen;
    const side = order.type === "limit" ? -dir : dir;
    const at = `the ${dir === 1 ? "ask" : "bid"} ${formatPrice(quote)}`;
    const where = side === 1 ? "above" : "below";
    if (side * (order.price - quote) <= 0) {
      this.refuse(
        order,
        timeUs,
        "invalid_price",
        `a ${order.side} ${order.type} at ${formatPrice(order.price)} must be ${where} ${at}`,
        out,
      );
      return;
    }
    if (insideStopsLevel(this.spec, quote, order.price)) {
      this.refuse(order, timeUs, "invalid_price", this.tooClose(order.price, quote, at), out);
      return;
    }
    const stops = this.stopsProblem(dir, order.price, order, `the ${order.type} price`);
    if (stops !== null) {
      this.refuse(order, timeUs, stops[0], stops[1], out);
      return;
    }
    this.working.push(order);
  }

  private cancel(order: OrderEvent, timeUs: number, out: MarketEvent[]): void {
    const i = this.working.findIndex((o) => o.clientOrderId === order.positionId);
    if (i < 0) {
      this.refuse(
        order,
        timeUs,
        "unknown_order",
        `no pending order "${order.positionId}" is working (filled, expired or never placed)`,
        out,
      );
      return;
    }
    const [cancelled] = this.working.splice(i, 1);
    out.push(
      this.reject(cancelled, timeUs, "cancelled", `cancelled by order ${order.clientOrderId}`),
    );
  }

  private closeByOrder(order: OrderEvent, timeUs: number, out: MarketEvent[]): void {
    const i = this.positionFor(order, timeUs, out);
    if (i < 0) return;
    const p = this.positions[i];
    if (order.side === p.side) {
      this.refuse(
        order,
        timeUs,
        "close_side_mismatch",
        `a ${p.side} position closes with a ${p.dir === 1 ? "sell" : "buy"}, got ${order.side}`,
        out,
      );
      return;
    }
    const rest = cleanLots(p.lots - order.lots);
    if (rest < -LOT_EPSILON || (rest > LOT_EPSILON && rest < this.spec.minLot - LOT_EPSILON)) {
      this.refuse(
        order,
        timeUs,
        "invalid_lots",
        `close of ${order.lots} lots on a ${p.lots}-lot position would leave ${rest}, ` +
          `not 0 or at least the minimum ${this.spec.minLot}`,
        out,
      );
      return;
    }
    const q = this.q;
    const slip = this.settings.slippage;
    const exit = p.dir === 1 ? q.bidOpen - slip : q.askOpen + slip;
    // Closed at the open: the bar's range comes after it and is no part of this exit.
    this.close(i, {
      price: exit,
      spread: q.askOpen - q.bidOpen,
      timeUs,
      reason: orderExitReason(order.reason),
      clientOrderId: order.clientOrderId,
      slippage: slip,
      lots: rest > LOT_EPSILON ? order.lots : undefined,
    }, out);
  }

  private modify(order: OrderEvent, timeUs: number, out: MarketEvent[]): void {
    const i = this.positionFor(order, timeUs, out);
    if (i < 0) return;
    const p = this.positions[i];
    const stops = this.stopsProblem(p.dir, p.dir === 1 ? this.q.bidOpen : this.q.askOpen, order);
    if (stops !== null) {
      this.refuse(order, timeUs, stops[0], stops[1], out);
      return;
    }
    p.stopLoss = order.stopLoss;
    p.takeProfit = order.takeProfit;
    this.counts.modifies++;
  }

  /**
   * MT5's rule: a long's stop below `from` (its bid, or a pending order's price) and its
   * target above; a short's mirrored; each at least the stops level away.
   */
  private stopsProblem(
    dir: 1 | -1,
    from: number,
    levels: { readonly stopLoss: number | null; readonly takeProfit: number | null },
    what = dir === 1 ? "the bid" : "the ask",
  ): [RejectReason, string] | null {
    const [stopSide, takeSide] = dir === 1 ? ["below", "above"] : ["above", "below"];
    const at = `${what} ${formatPrice(from)}`;
    const { stopLoss, takeProfit } = levels;
    if (stopLoss !== null && dir * (from - stopLoss) <= 0) {
      return ["invalid_stops", `stop-loss ${formatPrice(stopLoss)} is not ${stopSide} ${at}`];
    }
    if (takeProfit !== null && dir * (takeProfit - from) <= 0) {
      return ["invalid_stops", `take-profit ${formatPrice(takeProfit)} is not ${takeSide} ${at}`];
    }
    for (const level of [stopLoss, takeProfit]) {
      if (level !== null && insideStopsLevel(this.spec, from, level)) {
        return ["stops_too_close", this.tooClose(level, from, at)];
      }
    }
    return null;
  }

  private tooClose(level: number, from: number, at: string): string {
    return `${formatPrice(level)} is ${formatPrice(Math.abs(from - level))} from ${at}, ` +
      `inside the stops level of ${this.spec.stopsLevelPoints} points`;
  }

  /** Gross P&L of `lots` of `p` closed at `exitPrice`, unrounded. */
  private grossAt(p: Position, exitPrice: number, lots: number): number {
    return p.dir * (exitPrice - p.entryPrice) * this.spec.contractSize * lots;
  }

  /** Gross P&L of `p` if its open lots closed at `exitPrice`, plus what it booked, unrounded. */
  private value(p: Position, exitPrice: number): number {
    return p.realizedGross + this.grossAt(p, exitPrice, p.lots);
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

  /**
   * Closes `exit.lots` of position `i` (all of it when absent): books the part's gross,
   * its share of the entry commission and its exit commission, emits the closing fill, and
   * the trade once nothing is left.
   */
  private close(i: number, exit: Exit, out: MarketEvent[]): void {
    const p = this.positions[i];
    const { price: exitPrice, spread: exitSpread, timeUs, reason } = exit;
    const { contractSize } = this.spec;
    const lots = exit.lots ?? p.lots;
    const whole = lots >= p.lots - LOT_EPSILON;
    const gross = roundCents(this.grossAt(p, exitPrice, lots));
    const entryShare = whole ? p.entryCommission : roundCents(p.entryCommission * lots / p.lots);
    const exitCommission = roundCents(commissionFor(this.spec, exitPrice, lots));
    this.balanceNow = roundCents(this.balanceNow + gross - entryShare - exitCommission);
    // The whole position's value at this price: a sample of its excursions.
    const value = this.value(p, exitPrice);
    p.mae = Math.min(p.mae, value);
    p.mfe = Math.max(p.mfe, value);
    p.realizedGross = roundCents(p.realizedGross + gross);
    p.commissionBooked = roundCents(p.commissionBooked + entryShare + exitCommission);
    p.exitNotional += exitPrice * lots;
    p.exitSpreadCost += exitSpread / 2 * contractSize * lots;
    p.entryCommission = roundCents(p.entryCommission - entryShare);
    p.lots = cleanLots(p.lots - lots);
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
      lots,
      price: exitPrice,
      commission: exitCommission,
      slippage: exit.slippage,
      reason,
    }, out);
    if (!whole) return;
    this.positions.splice(i, 1);
    const trade: TradeEvent = {
      v: EVENT_VERSION,
      kind: "trade",
      symbol: this.spec.symbol,
      positionId: p.id,
      side: p.side,
      lots: p.openedLots,
      entryTimeUs: p.entryTimeUs,
      entryPrice: p.entryPrice,
      exitTimeUs: timeUs,
      exitPrice: Number((p.exitNotional / p.openedLots).toFixed(8)),
      exitReason: reason,
      pnl: roundCents(p.realizedGross - p.commissionBooked + p.swap),
      commission: p.commissionBooked,
      swap: p.swap,
      spreadCost: roundCents(p.entrySpread / 2 * contractSize * p.openedLots + p.exitSpreadCost),
      mae: roundCents(p.mae),
      mfe: roundCents(p.mfe),
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

  /** Balance plus every open position's P&L at the exit side, less its entry commission owed. */
  private equityAt(bid: number, ask: number): number {
    let open = 0;
    for (const p of this.positions) {
      open += this.grossAt(p, p.dir === 1 ? bid : ask, p.lots) - p.entryCommission;
    }
    return roundCents(this.balanceNow + open);
  }

  /**
   * Margin of every open position at these quotes (a long at the ask, a short at the bid),
   * each position's `margin` set to its share. Margin is kept nowhere else: every check
   * calls this, and every fill is followed by an account report that does, so a partial
   * close leaves no stale share for a reader between prices.
   */
  private remargin(bid: number, ask: number): number {
    let total = 0;
    for (const p of this.positions) {
      p.margin = roundCents(marginFor(this.spec, p.dir === 1 ? ask : bid, p.lots));
      total += p.margin;
    }
    return roundCents(total);
  }

  private pushAccount(timeUs: number, bid: number, ask: number, out: MarketEvent[]): void {
    const equity = this.equityAt(bid, ask);
    const margin = this.remargin(bid, ask);
    const below = isMarginCall(equity, margin, this.spec.marginCallLevel);
    if (below && !this.inMarginCall) this.counts.marginCalls++;
    this.inMarginCall = below;
    this.minEquity = Math.min(this.minEquity, equity);
    if (margin > 0) {
      this.maxMarginUsePct = Math.max(this.maxMarginUsePct, marginUsePct(margin, equity));
    }
    const account: AccountEvent = {
      v: EVENT_VERSION,
      kind: "account",
      timeUs,
      balance: this.balanceNow,
      equity,
      margin,
      openPositions: this.positions.length,
    };
    out.push(account);
  }

  /** Why `order` can never fill, checked on arrival; null when it may. */
  private refusalOnArrival(order: OrderEvent | PendingOrderEvent): [RejectReason, string] | null {
    const spec = this.spec;
    if (order.symbol !== spec.symbol) {
      return ["wrong_symbol", `this broker trades "${spec.symbol}", not "${order.symbol}"`];
    }
    const opens = order.kind === "pending" || order.action === "open";
    if (!opens) {
      if (order.positionId === null) {
        return ["missing_position_id", `a ${order.action} order needs the position id`];
      }
      if (order.action !== "close") return null;
    }
    if (
      !(order.lots >= spec.minLot - LOT_EPSILON && order.lots <= spec.maxLot + LOT_EPSILON) ||
      !isMultipleOf(order.lots, spec.lotStep)
    ) {
      return [
        "invalid_lots",
        `${order.lots} lots is not a multiple of ${spec.lotStep} between ${spec.minLot} and ${spec.maxLot}`,
      ];
    }
    if (!opens || !this.settings.requireRiskDecision) return null;
    const group = order.kind === "pending" ? order.ocoGroup : null;
    const decision = this.decisions.get(order.clientOrderId) ??
      (group === null ? undefined : this.decisions.get(group));
    if (decision === undefined) {
      return ["no_risk_decision", "no accepted risk decision names this client order id"];
    }
    // A group's decision covers each of its legs; an order's own is used once.
    if (this.decisions.get(order.clientOrderId) === decision) {
      this.decisions.delete(order.clientOrderId);
    }
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

  /** Refuses an order at the price it would have been taken on: its event goes to `out`. */
  private refuse(
    order: OrderEvent | PendingOrderEvent,
    timeUs: number,
    reason: RejectReason,
    detail: string,
    out: MarketEvent[],
  ): void {
    out.push(this.reject(order, timeUs, reason, detail));
  }

  /** The index of the open position `order` names, or -1 after refusing it (`unknown_position`). */
  private positionFor(order: OrderEvent, timeUs: number, out: MarketEvent[]): number {
    const i = this.positions.findIndex((p) => p.id === order.positionId);
    if (i < 0) {
      this.refuse(
        order,
        timeUs,
        "unknown_position",
        `position "${order.positionId}" is not open`,
        out,
      );
    }
    return i;
  }

  /** Records an order the broker does not execute, and returns its event. */
  private reject(
    order: OrderEvent | PendingOrderEvent,
    timeUs: number,
    reason: RejectReason,
    detail: string,
  ): RejectionEvent {
    const event: RejectionEvent = {
      v: EVENT_VERSION,
      kind: "rejection",
      symbol: order.symbol,
      timeUs,
      clientOrderId: order.clientOrderId,
      action: order.kind === "pending" ? "pending" : order.action,
      positionId: order.kind === "pending" ? null : order.positionId,
      reason,
      detail,
    };
    this.rejectionList.push(event);
    return event;
  }
}
