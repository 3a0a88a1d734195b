/**
 * `PositionBook`: the open positions of one symbol, rebuilt from the order and execution
 * reports that flow through the pipeline (entry orders give the stop and target, fills
 * open and close, trades confirm the close, modify orders move the stop). The same
 * reports arrive from the simulator in a backtest and from the terminal live. It must
 * never invent a position or a fill.
 */

import type { FillEvent, OrderEvent, TradeEvent } from "../../pipeline/events.ts";
import type { OpenPosition } from "./rule.ts";

/** Lots to 8 decimals, so partial fills leave no float dust (0.2 - 0.05 is 0.15, not 0.150...02). */
function cleanLots(lots: number): number {
  return Number(lots.toFixed(8));
}

export class PositionBook {
  #levels = new Map<
    string,
    { readonly stopLoss: number | null; readonly takeProfit: number | null }
  >();
  #positions = new Map<string, OpenPosition>();

  constructor(readonly symbol: string) {}

  /** The open positions, oldest first. */
  get positions(): readonly OpenPosition[] {
    return [...this.#positions.values()];
  }

  /** Entry orders remember their levels for the fill; modify orders move a stop or target. */
  onOrder(order: OrderEvent): void {
    if (order.symbol !== this.symbol) return;
    if (order.action === "open") {
      this.#levels.set(order.clientOrderId, {
        stopLoss: order.stopLoss,
        takeProfit: order.takeProfit,
      });
      return;
    }
    const position = order.positionId === null ? undefined : this.#positions.get(order.positionId);
    if (order.action === "modify" && position !== undefined) {
      this.#positions.set(position.positionId, {
        ...position,
        stopLoss: order.stopLoss,
        takeProfit: order.takeProfit,
      });
    }
  }

  /** An entry fill opens (or adds to) a position; an exit fill reduces or removes it. */
  onFill(fill: FillEvent): void {
    if (fill.symbol !== this.symbol) return;
    const position = this.#positions.get(fill.positionId);
    if (fill.action === "open") {
      if (position !== undefined) {
        const lots = cleanLots(position.lots + fill.lots);
        const entryPrice = (position.entryPrice * position.lots + fill.price * fill.lots) / lots;
        this.#positions.set(fill.positionId, { ...position, lots, entryPrice });
        return;
      }
      const levels = this.#levels.get(fill.clientOrderId);
      this.#levels.delete(fill.clientOrderId);
      this.#positions.set(fill.positionId, {
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
    if (lots > 0) this.#positions.set(fill.positionId, { ...position, lots });
    else this.#positions.delete(fill.positionId);
  }

  /** A closed trade removes its position, whatever fills were seen. */
  onTrade(trade: TradeEvent): void {
    if (trade.symbol === this.symbol) this.#positions.delete(trade.positionId);
  }
}
