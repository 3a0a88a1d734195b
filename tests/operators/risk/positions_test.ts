/**
 * `PositionBook` rebuilds open positions from entry orders, fills, modify orders and
 * trades, exactly as they arrive from the simulator or the terminal.
 */

import assert from "node:assert/strict";
import { PositionBook } from "@/operators/risk/mod.ts";
import { EVENT_VERSION, type FillEvent, type OrderEvent } from "@/pipeline/events.ts";
import { trade } from "./_fixtures.ts";

function order(overrides: Partial<OrderEvent>): OrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "order",
    symbol: "XAUUSD",
    timeUs: 1,
    clientOrderId: "o1",
    action: "open",
    side: "buy",
    lots: 0.2,
    stopLoss: 1997,
    takeProfit: 2006,
    positionId: null,
    reason: "SIGNAL",
    ...overrides,
  };
}

function fill(overrides: Partial<FillEvent>): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs: 2,
    clientOrderId: "o1",
    positionId: "p1",
    action: "open",
    side: "buy",
    lots: 0.2,
    price: 2000,
    commission: 0.7,
    slippage: 0,
    reason: "market",
    ...overrides,
  };
}

Deno.test("PositionBook opens a position at the fill price with the entry order's stop as 1R", () => {
  const book = new PositionBook("XAUUSD");
  book.onOrder(order({}));
  book.onFill(fill({ price: 2000.05 }));
  assert.deepEqual(book.positions, [{
    positionId: "p1",
    clientOrderId: "o1",
    symbol: "XAUUSD",
    side: "buy",
    lots: 0.2,
    entryPrice: 2000.05,
    stopLoss: 1997,
    takeProfit: 2006,
    initialStop: 1997,
  }]);
});

Deno.test("PositionBook moves the stop on a modify order but keeps the initial stop", () => {
  const book = new PositionBook("XAUUSD");
  book.onOrder(order({}));
  book.onFill(fill({}));
  book.onOrder(
    order({ action: "modify", positionId: "p1", stopLoss: 2000.1, clientOrderId: "m1" }),
  );
  assert.equal(book.positions[0].stopLoss, 2000.1);
  assert.equal(book.positions[0].initialStop, 1997);
});

Deno.test("PositionBook reduces on a partial exit fill and removes on the rest or on the trade", () => {
  const book = new PositionBook("XAUUSD");
  book.onOrder(order({}));
  book.onFill(fill({}));
  book.onFill(fill({ action: "close", lots: 0.05, reason: "manual" }));
  assert.equal(book.positions[0].lots, 0.15);
  book.onFill(fill({ action: "close", lots: 0.15, reason: "stop_loss" }));
  assert.deepEqual(book.positions, []);
  book.onOrder(order({ clientOrderId: "o2" }));
  book.onFill(fill({ clientOrderId: "o2", positionId: "p2" }));
  book.onTrade(trade(10, "2024-03-20T13:00:00Z", "p2"));
  assert.deepEqual(book.positions, []);
});

Deno.test("PositionBook adds a second entry fill to the position at the average price", () => {
  const book = new PositionBook("XAUUSD");
  book.onOrder(order({}));
  book.onFill(fill({ lots: 0.1, price: 2000 }));
  book.onFill(fill({ lots: 0.1, price: 2001 }));
  assert.equal(book.positions[0].lots, 0.2);
  assert.equal(book.positions[0].entryPrice, 2000.5);
});

Deno.test("PositionBook keeps a position opened elsewhere without a stop, and ignores other symbols", () => {
  const book = new PositionBook("XAUUSD");
  book.onFill(fill({ clientOrderId: "manual-1" }));
  book.onFill(fill({ symbol: "XAGUSD", positionId: "s1" }));
  assert.deepEqual(
    book.positions.map((p) => [p.positionId, p.clientOrderId, p.stopLoss, p.initialStop]),
    [["p1", null, null, null]],
  );
});

Deno.test("PositionBook.positions hands out a new list after a change and leaves the one read before it as it was", () => {
  const book = new PositionBook("XAUUSD");
  book.onOrder(order({}));
  book.onFill(fill({}));
  const before = book.positions;
  book.onOrder(
    order({ clientOrderId: "m1", action: "modify", positionId: "p1", stopLoss: 1999 }),
  );
  const after = book.positions;
  // The modify moved the stop from 1997 to 1999 in the new list only.
  assert.equal(before[0].stopLoss, 1997);
  assert.equal(after[0].stopLoss, 1999);
  book.onFill(fill({ clientOrderId: "c1", action: "close", side: "sell", lots: 0.2 }));
  assert.equal(book.positions.length, 0);
  assert.equal(after.length, 1);
});
