/** Small, valid events for bus tests: M1 bars, a signal and an order, in time order. */

import type { BarEvent, MarketEvent, OrderEvent } from "../../../pipeline/events.ts";

const T0 = Date.UTC(2017, 0, 3) * 1000;

export function bar(i: number, symbol = "XAUUSD"): BarEvent {
  const open = 1150 + i * 0.01;
  return {
    v: 1,
    kind: "bar",
    symbol,
    timeframe: "M1",
    openUs: T0 + i * 60_000_000,
    closeUs: T0 + (i + 1) * 60_000_000,
    bid: { open, high: open + 0.5, low: open - 0.25, close: open + 0.125 },
    ask: null,
    spread: 0.3,
    volume: i,
  };
}

export function order(i: number): OrderEvent {
  return {
    v: 1,
    kind: "order",
    symbol: "XAUUSD",
    timeUs: T0 + i * 60_000_000,
    clientOrderId: `o-${i}`,
    action: "open",
    side: i % 2 === 0 ? "buy" : "sell",
    lots: 0.01,
    stopLoss: 1140,
    takeProfit: null,
    positionId: null,
    reason: "signal",
  };
}

/** `n` bars with an order after every tenth. */
export function mixed(n: number): MarketEvent[] {
  const out: MarketEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(bar(i));
    if (i % 10 === 9) out.push(order(i));
  }
  return out;
}
