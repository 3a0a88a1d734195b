/**
 * `PositionBook`: the open positions of one symbol, rebuilt from the order and execution
 * reports that flow through the pipeline (entry and pending orders give the stop and
 * target, fills open and close, whole or in part, trades confirm the close, modify orders
 * move the stop, and the broker's refusal of a modify puts it back). The same reports
 * arrive from the simulator in a backtest and from the terminal live. It must never
 * invent a position or a fill, nor keep a stop the broker refused.
 */

import type {
  FillEvent,
  OrderEvent,
  PendingOrderEvent,
  RejectionEvent,
  TradeEvent,
} from "../../pipeline/events.ts";
import { cleanLots } from "../../pipeline/symbols.ts";
import type { OpenPosition } from "./rule.ts";

export class PositionBook {
  #levels = new Map<
    string,
    { readonly stopLoss: number | null; readonly takeProfit: number | null }
  >();
  #positions = new Map<string, OpenPosition>();
  /** The levels each modify replaced, by the modify's client order id, until it is refused. */
  #replaced = new Map<
    string,
    {
      readonly positionId: string;
      readonly stopLoss: number | null;
      readonly takeProfit: number | null;
      /** What the modify asked for: a later modify's levels are not undone. */
      readonly asked: number | null;
    }
  >();

  /**
   * `positions` as last built: read on every bar and account report, changed only by a
   * fill, a trade, a modify or a refusal. A change makes a new array (never edits this
   * one), so a reader holding the old one keeps what it was given.
   */
  #list: readonly OpenPosition[] | null = null;

  constructor(readonly symbol: string) {}

  /** The open positions, oldest first. */
  get positions(): readonly OpenPosition[] {
    return this.#list ??= [...this.#positions.values()];
  }

  /**
   * Entry and pending orders remember their levels for the fill; modify orders move a stop
   * or target (at once: a stop moved now is the stop next bar, unless the broker refuses).
   */
  onOrder(order: OrderEvent | PendingOrderEvent): void {
    if (order.symbol !== this.symbol) return;
    if (order.kind === "pending" || order.action === "open") {
      this.#levels.set(order.clientOrderId, {
        stopLoss: order.stopLoss,
        takeProfit: order.takeProfit,
      });
      return;
    }
    const position = order.positionId === null ? undefined : this.#positions.get(order.positionId);
    if (order.action === "modify" && position !== undefined) {
      this.#replaced.set(order.clientOrderId, {
        positionId: position.positionId,
        stopLoss: position.stopLoss,
        takeProfit: position.takeProfit,
        asked: order.stopLoss,
      });
      this.#changed().set(position.positionId, {
        ...position,
        stopLoss: order.stopLoss,
        takeProfit: order.takeProfit,
      });
    }
  }

  /**
   * A refused modify puts back the levels it replaced, so the book holds the broker's stop;
   * a refused entry forgets its levels. Returns the position a modify was refused for, as
   * restored, with the stop the modify asked for.
   */
  onRejection(
    rejection: RejectionEvent,
  ): { readonly position: OpenPosition; readonly askedStop: number | null } | null {
    if (rejection.symbol !== this.symbol) return null;
    this.#levels.delete(rejection.clientOrderId);
    const replaced = this.#replaced.get(rejection.clientOrderId);
    if (replaced === undefined) return null;
    this.#replaced.delete(rejection.clientOrderId);
    const position = this.#positions.get(replaced.positionId);
    if (position === undefined || position.stopLoss !== replaced.asked) return null;
    const restored = {
      ...position,
      stopLoss: replaced.stopLoss,
      takeProfit: replaced.takeProfit,
    };
    this.#changed().set(position.positionId, restored);
    return { position: restored, askedStop: replaced.asked };
  }

  /** An entry fill opens (or adds to) a position; an exit fill reduces or removes it. */
  onFill(fill: FillEvent): void {
    if (fill.symbol !== this.symbol) return;
    const position = this.#positions.get(fill.positionId);
    if (fill.action === "open") {
      if (position !== undefined) {
        const lots = cleanLots(position.lots + fill.lots);
        const entryPrice = (position.entryPrice * position.lots + fill.price * fill.lots) / lots;
        this.#changed().set(fill.positionId, { ...position, lots, entryPrice });
        return;
      }
      const levels = this.#levels.get(fill.clientOrderId);
      this.#levels.delete(fill.clientOrderId);
      this.#changed().set(fill.positionId, {
        positionId: fill.positionId,
        clientOrderId: levels === undefined ? null : fill.clientOrderId,
        symbol: fill.symbol,
        side: fill.side,
        lots: fill.lots,
        entryPrice: fill.price,
        stopLoss: levels?.stopLoss ?? null,
        takeProfit: levels?.takeProfit ?? null,
        initialStop: levels?.stopLoss ?? null,
      });
      return;
    }
    if (position === undefined) return;
    const lots = cleanLots(position.lots - fill.lots);
    if (lots > 0) this.#changed().set(fill.positionId, { ...position, lots });
    else this.#changed().delete(fill.positionId);
  }

  /** The positions map, about to change: the cached list goes with it. */
  #changed(): Map<string, OpenPosition> {
    this.#list = null;
    return this.#positions;
  }

  /** A closed trade removes its position, whatever fills were seen. */
  onTrade(trade: TradeEvent): void {
    if (trade.symbol !== this.symbol) return;
    this.#changed().delete(trade.positionId);
    for (const [id, replaced] of this.#replaced) {
      if (replaced.positionId === trade.positionId) this.#replaced.delete(id);
    }
  }
}
