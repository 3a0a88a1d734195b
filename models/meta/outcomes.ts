/**
 * The outcome of each of the primary's candidate trades, settled by the backtest's own
 * `SimulatedBroker`: the signal's order (its stop and target, one lot) fills at the next
 * price with the broker's spread, slippage, latency and commission, exits at its stop or
 * target as the broker decides (stop first when a bar touches both), and is closed at the
 * first price at or after `timeLimitMinutes` after its decision when neither came first.
 * Swaps are booked for positions held through a rollover. Every candidate is its own
 * position in an account too large for margin to matter, so one never affects another.
 *
 * Classes, in a meta model's slots: 0 = loss (the stop, or a target whose net P&L is not
 * positive), 1 = timeout, 2 = win (the target, with a positive net P&L).
 * It must never settle a trade on a price from before its decision.
 */

import { type ExecutionConfigInput, SimulatedBroker } from "../../operators/execution/mod.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type MarketEvent,
  type OrderEvent,
  type SignalEvent,
  US_PER_MINUTE,
} from "../../pipeline/events.ts";

export const META_LOSS = 0;
export const META_TIMEOUT = 1;
export const META_WIN = 2;

/** How one candidate trade ended. */
export interface CandidateOutcome {
  /** The id the caller opened it with. */
  readonly id: number;
  /** META_LOSS, META_TIMEOUT or META_WIN. */
  readonly outcome: number;
  /** When it left the market: the end of its label window. */
  readonly exitTimeUs: number;
  readonly exitReason: string;
  /** Net P&L of one lot in account currency: price move less commission, plus swap. */
  readonly pnl: number;
  /** The same in price units (pnl / contract size): what the trade made per unit held. */
  readonly netPrice: number;
}

/** An account balance no candidate's margin can dent. */
const UNLIMITED_BALANCE = 1e12;
const LOTS = 1;

/**
 * Settles candidate trades one bar at a time.
 *
 * @example
 * ```ts
 * const book = new CandidateBook({}, 240);
 * const outcomes: CandidateOutcome[] = [];
 * book.onBar(bar, outcomes);   // every M1 bar, in order
 * book.open(7, signal);        // a buy or sell signal at that bar's close
 * ```
 */
export class CandidateBook {
  readonly timeLimitUs: number;
  readonly #broker: SimulatedBroker;
  /** Open candidates by position id: their caller id and deadline, in decision order. */
  readonly #open = new Map<string, { readonly id: number; readonly deadlineUs: number }>();
  readonly #events: MarketEvent[] = [];
  #refusedSeen = 0;
  #refused = 0;

  constructor(execution: ExecutionConfigInput, timeLimitMinutes: number) {
    if (!(Number.isInteger(timeLimitMinutes) && timeLimitMinutes >= 1)) {
      throw new RangeError(
        `Cannot settle candidate trades: the time limit must be a whole number of minutes ` +
          `of 1 or more, got ${timeLimitMinutes}`,
      );
    }
    this.timeLimitUs = timeLimitMinutes * US_PER_MINUTE;
    this.#broker = new SimulatedBroker({
      ...execution,
      initialBalance: UNLIMITED_BALANCE,
      requireRiskDecision: false,
      markToMarket: false,
    });
  }

  /** Candidates opened and not yet settled. */
  get openCount(): number {
    return this.#open.size;
  }

  /** Candidates the broker refused to open (a stop or target already on the wrong side). */
  get refused(): number {
    return this.#refused;
  }

  /** Opens candidate `id` for a buy or sell `signal`, decided at its `timeUs`. */
  open(id: number, signal: SignalEvent): void {
    if (signal.side === "hold") {
      throw new RangeError(`Cannot open candidate ${id}: its signal is a hold`);
    }
    const positionId = `candidate-${id}`;
    const result = this.#broker.submit({
      v: EVENT_VERSION,
      kind: "order",
      symbol: signal.symbol,
      timeUs: signal.timeUs,
      clientOrderId: positionId,
      action: "open",
      side: signal.side,
      lots: LOTS,
      stopLoss: signal.stopLoss,
      takeProfit: signal.takeProfit,
      positionId: null,
      reason: "CANDIDATE",
    });
    if (result.status !== "queued") {
      throw new RangeError(
        `Cannot open candidate ${id} at ${signal.timeUs}: the broker says ${result.status}` +
          ("detail" in result ? `: ${result.detail}` : ""),
      );
    }
    this.#open.set(positionId, { id, deadlineUs: signal.timeUs + this.timeLimitUs });
  }

  /**
   * One closed M1 bar: candidates past their deadline are closed at its open, then the
   * broker trades it; every candidate it settles is appended to `out`.
   */
  onBar(bar: BarEvent, out: CandidateOutcome[]): void {
    for (const [positionId, { deadlineUs }] of this.#open) {
      if (deadlineUs > bar.openUs) continue;
      const position = this.#broker.openPositions().find((p) => p.id === positionId);
      if (position === undefined) continue; // its open is still pending: closed once it fills
      this.#broker.submit(this.#timeout(position.id, position.side, deadlineUs, bar.symbol));
    }
    const events = this.#events;
    events.length = 0;
    this.#broker.onBar(bar, events);
    for (const event of events) {
      if (event.kind !== "trade") continue;
      const candidate = this.#open.get(event.positionId)!;
      this.#open.delete(event.positionId);
      const netPrice = event.pnl / (this.#broker.spec.contractSize * event.lots);
      const outcome = event.exitReason === "stop_loss"
        ? META_LOSS
        : event.exitReason === "take_profit"
        ? (event.pnl > 0 ? META_WIN : META_LOSS)
        : META_TIMEOUT;
      out.push({
        id: candidate.id,
        outcome,
        exitTimeUs: event.exitTimeUs,
        exitReason: event.exitReason,
        pnl: event.pnl,
        netPrice,
      });
    }
    this.#forgetRefused();
  }

  /** The close order of a timed-out candidate, dated at its deadline. */
  #timeout(positionId: string, side: "buy" | "sell", deadlineUs: number, symbol: string) {
    const order: OrderEvent = {
      v: EVENT_VERSION,
      kind: "order",
      symbol,
      timeUs: deadlineUs,
      clientOrderId: `${positionId}:timeout`,
      action: "close",
      side: side === "buy" ? "sell" : "buy",
      lots: LOTS,
      stopLoss: null,
      takeProfit: null,
      positionId,
      reason: "signal",
    };
    return order;
  }

  /** Candidates whose open the broker refused are settled as nothing: no trade happened. */
  #forgetRefused(): void {
    const rejections = this.#broker.rejections;
    for (; this.#refusedSeen < rejections.length; this.#refusedSeen++) {
      const { clientOrderId, action } = rejections[this.#refusedSeen];
      if (action === "open" && this.#open.delete(clientOrderId)) this.#refused++;
    }
  }
}
