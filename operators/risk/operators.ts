/**
 * `applyRisk`: the risk engine as an RxJS operator over event batches.
 *
 * 1. Every input event passes through unchanged and in order.
 * 2. Ticks and the symbol's bars of `timeframe` update the quote (a bid-only bar's ask is
 *    priced by the broker's spread model, as the simulator prices it); account, fill,
 *    trade, order and rejection reports update the engine and the `PositionBook`.
 * 3. Right after each buy or sell signal of the engine's symbol come its
 *    `RiskDecisionEvent` and, when accepted, its entry orders (market or pending).
 * 4. Right after each such bar come its management orders (breakeven, trailing, scale-out,
 *    closes after a refused stop or a kill switch); right after an account report, any
 *    kill-switch closes and cancels.
 *
 * Backtest and live differ only in where the reports come from (simulator or terminal);
 * the engine is the caller's, so a control plane can flip its kill switch. It maps batch
 * to batch and must never schedule per event, reorder events or drop one.
 */

import { defer, map, type OperatorFunction } from "rxjs";
import type {
  AccountEvent,
  EventBatch,
  MarketEvent,
  OrderEvent,
  Timeframe,
} from "../../pipeline/events.ts";
import { type EventProcessor, insertEvents } from "../../pipeline/event_loop.ts";
import type { RiskEngine } from "./engine.ts";
import { PositionBook } from "./positions.ts";
import type { AccountSnapshot, Quote } from "./rule.ts";

/** What most events produce: nothing. Shared, so that costs no allocation. */
const NONE: readonly MarketEvent[] = Object.freeze([]);

export interface ApplyRiskOptions {
  /** The bars whose closes set the quote and drive breakeven and trailing. Default `M1`. */
  readonly timeframe?: Timeframe;
}

/**
 * Decides every non-hold signal of `engine.spec.symbol` and manages its open positions.
 *
 * @example
 * ```ts
 * const engine = new RiskEngine({ calendar: await readNewsCalendar("calendar.csv") });
 * const stage = { name: "risk", operator: applyRisk(engine) };
 * ```
 */
export function applyRisk(
  engine: RiskEngine,
  options: ApplyRiskOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  return (source) => defer(() => source.pipe(map(insertEvents(riskProcessor(engine, options)))));
}

/**
 * The engine as a per-event processor, for `applyRisk` and for the trading event loop that
 * interleaves it with a broker (pipeline/event_loop.ts). `book` is the processor's view of
 * the positions, passed by a caller that reads it too (the random-entry baseline).
 */
export function riskProcessor(
  engine: RiskEngine,
  options: ApplyRiskOptions = {},
  book: PositionBook = new PositionBook(engine.spec.symbol),
): EventProcessor {
  const { symbol } = engine.spec;
  const timeframe = options.timeframe ?? "M1";
  // The latest quote, kept as numbers (it changes every bar) and made an object only for
  // a decision; quoteTimeUs is NaN before the first.
  let quoteTimeUs = NaN;
  let quoteBid = NaN;
  let quoteAsk: number | null = null;
  // The latest account report, made a snapshot only for a decision (reports come every
  // bar a position is open; signals are rare).
  let account: AccountEvent | null = null;

  /** Our own orders update the book at once: a stop moved now is the stop next bar. */
  const record = (orders: readonly OrderEvent[]): readonly MarketEvent[] => {
    if (orders.length === 0) return NONE;
    for (const order of orders) book.onOrder(order);
    return [...orders];
  };

  /**
   * The reports and decisions few bars bring. A function of their own: the first of each
   * kind arrives hours into a replay, and met in the function every event takes, it threw
   * V8's optimised code for that one away (four recompiles a year).
   */
  const takeOrderFlow = (event: MarketEvent): readonly MarketEvent[] => {
    switch (event.kind) {
      case "fill":
        book.onFill(event);
        engine.onFill(event);
        return NONE;
      case "trade":
        book.onTrade(event);
        engine.onTrade(event);
        return NONE;
      case "order":
      case "pending":
        book.onOrder(event);
        return NONE;
      case "rejection": {
        const refusedModify = book.onRejection(event);
        engine.onRejection(event, refusedModify?.askedStop ?? null);
        return NONE;
      }
      case "signal": {
        const snapshot: AccountSnapshot | null = account === null ? null : {
          timeUs: account.timeUs,
          balance: account.balance,
          equity: account.equity,
          margin: account.margin,
          openPositions: account.openPositions,
          positions: book.positions,
        };
        const quote: Quote | null = Number.isNaN(quoteTimeUs)
          ? null
          : { timeUs: quoteTimeUs, bid: quoteBid, ask: quoteAsk };
        const { decision, orders } = engine.decide(event, { account: snapshot, quote });
        if (orders.length === 0) return [decision];
        for (const order of orders) book.onOrder(order);
        return [decision, ...orders];
      }
      default:
        return NONE;
    }
  };

  /** Feeds one event to the engine and book; returns what it produced, in order. */
  return (event: MarketEvent): readonly MarketEvent[] => {
    switch (event.kind) {
      case "tick":
        if (event.symbol === symbol) {
          quoteTimeUs = event.timeUs;
          quoteBid = event.bid;
          quoteAsk = event.ask;
        }
        return NONE;
      case "bar": {
        if (event.symbol !== symbol || event.timeframe !== timeframe) return NONE;
        quoteTimeUs = event.closeUs;
        quoteBid = event.bid.close;
        quoteAsk = engine.closingAsk(event);
        return record(engine.manage(book.positions, event, quoteAsk));
      }
      case "account":
        engine.onAccount(event);
        account = event;
        return record(engine.flatten(book.positions, event.timeUs));
      case "signal":
        // A hold, most signals, asks nothing of the engine.
        if (event.symbol !== symbol || event.side === "hold") return NONE;
        return takeOrderFlow(event);
      default:
        return takeOrderFlow(event);
    }
  };
}
