/**
 * An in-memory stand-in for the journal's bridge-facing side, built from the batches it
 * is given as a sink: for bridge tests that need no SQLite file.
 */

import type { FillEvent, OrderEvent, TradeEvent } from "@/pipeline/events.ts";
import type { BridgeJournal } from "@/pipeline/live/bridge.ts";
import type { Sink } from "@/sinks/sink.ts";

export function memoryJournal(): BridgeJournal & { sink: Sink; orders: OrderEvent[] } {
  const orders: OrderEvent[] = [];
  const fills: FillEvent[] = [];
  const trades: TradeEvent[] = [];
  const done = new Set<string>();
  return {
    orders,
    sink: {
      name: "memory-journal",
      write(batch) {
        for (const event of batch) {
          if (event.kind === "order") orders.push(event);
          if (event.kind === "fill") fills.push(event);
          if (event.kind === "trade") trades.push(event);
        }
      },
      close() {},
    },
    openPositions(symbol) {
      const closed = new Set(trades.map((t) => t.positionId));
      return fills.filter((f) =>
        f.action === "open" && f.symbol === symbol && !closed.has(f.positionId)
      )
        .map((f) => ({ positionId: f.positionId, side: f.side, lots: f.lots }));
    },
    pendingOrders() {
      const filled = new Set(fills.map((f) => f.clientOrderId));
      return orders.filter((o) => !filled.has(o.clientOrderId) && !done.has(o.clientOrderId));
    },
    markOrderDone(id) {
      done.add(id);
    },
    fills: () => fills,
    trades: () => trades,
  };
}
