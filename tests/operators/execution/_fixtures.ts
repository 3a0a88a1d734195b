/**
 * Builders for the execution tests: bars with exact prices, orders with the risk decision
 * that authorises them, and a tolerance check. Every price in a hand-computed case is
 * written out at its call site, so each expected figure can be redone on paper.
 */

import { orderAuthority } from "@/operators/execution/remote.ts";
import assert from "node:assert/strict";
import {
  type BarEvent,
  EVENT_VERSION,
  type MarketEvent,
  type OrderEvent,
  type PendingOrderEvent,
  type Side,
  type TickEvent,
  type Timeframe,
  TIMEFRAME_US,
  usFromIso,
} from "@/pipeline/events.ts";
import type {
  BrokerProfileInput,
  SimulatedBroker,
  SubmitResult,
} from "@/operators/execution/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";

export const SYMBOL = "XAUUSD";

/**
 * The default XAUUSD contract (1:100, 3.50 commission per lot per side, margin call 100%,
 * stop-out 50%) with one fixed 0.30 spread for bid-only bars, so hand cases need no
 * hour-of-day table.
 */
export const FIXED_SPREAD_PROFILE: BrokerProfileInput = {
  ...XAUUSD,
  name: "test: XAUUSD at 1:100, fixed 0.30 spread",
  spread: { model: "fixed", spread: 0.30 },
};

/** No slippage, 250 ms latency, the fixed 0.30 spread: the figures of the hand cases. */
export const EXACT = { slippagePoints: 0, broker: FIXED_SPREAD_PROFILE } as const;

/** A Tuesday in March 2017 (New York on EST): the 17:00 New York rollover is 22:00 UTC. */
export const T0 = usFromIso("2017-03-07T15:00:00Z");

export type Prices = readonly [open: number, high: number, low: number, close: number];

export interface BarOptions {
  readonly timeframe?: Timeframe;
  /** Spread column (price units); default 0.30. Ignored when `ask` is given. */
  readonly spread?: number | null;
  readonly ask?: Prices;
}

/** A bar opening at `openUs` with bid OHLC `bid`: by default a spread column of 0.30. */
export function bar(openUs: number, bid: Prices, options: BarOptions = {}): BarEvent {
  const timeframe = options.timeframe ?? "M1";
  const ohlc = (p: Prices) => ({ open: p[0], high: p[1], low: p[2], close: p[3] });
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol: SYMBOL,
    timeframe,
    openUs,
    closeUs: openUs + TIMEFRAME_US[timeframe],
    bid: ohlc(bid),
    ask: options.ask ? ohlc(options.ask) : null,
    spread: options.ask ? null : options.spread === undefined ? 0.30 : options.spread,
    volume: 0,
  };
}

/** A bar whose four bid prices are `price`. */
export function flat(openUs: number, price: number, options: BarOptions = {}): BarEvent {
  return bar(openUs, [price, price, price, price], options);
}

export function tick(timeUs: number, bid: number, ask: number): TickEvent {
  return { v: EVENT_VERSION, kind: "tick", symbol: SYMBOL, timeUs, bid, ask };
}

export interface Levels {
  readonly sl?: number | null;
  readonly tp?: number | null;
}

export function openOrder(
  id: string,
  side: Side,
  lots: number,
  timeUs: number,
  levels: Levels = {},
): OrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "order",
    symbol: SYMBOL,
    timeUs,
    clientOrderId: id,
    action: "open",
    side,
    lots,
    stopLoss: levels.sl ?? null,
    takeProfit: levels.tp ?? null,
    positionId: null,
    reason: "signal",
  };
}

export function closeOrder(
  id: string,
  positionId: string,
  side: Side,
  lots: number,
  timeUs: number,
  reason = "signal",
): OrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "order",
    symbol: SYMBOL,
    timeUs,
    clientOrderId: id,
    action: "close",
    side,
    lots,
    stopLoss: null,
    takeProfit: null,
    positionId,
    reason,
  };
}

export function modifyOrder(
  id: string,
  positionId: string,
  side: Side,
  timeUs: number,
  levels: Levels,
): OrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "order",
    symbol: SYMBOL,
    timeUs,
    clientOrderId: id,
    action: "modify",
    side,
    lots: 0,
    stopLoss: levels.sl ?? null,
    takeProfit: levels.tp ?? null,
    positionId,
    reason: "trail",
  };
}

export function pendingOrder(
  id: string,
  side: Side,
  type: "limit" | "stop",
  price: number,
  lots: number,
  timeUs: number,
  levels: Levels = {},
  extra: Partial<PendingOrderEvent> = {},
): PendingOrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "pending",
    symbol: SYMBOL,
    timeUs,
    clientOrderId: id,
    side,
    type,
    price,
    lots,
    stopLoss: levels.sl ?? null,
    takeProfit: levels.tp ?? null,
    expiresUs: null,
    ocoGroup: null,
    reason: "signal",
    ...extra,
  };
}

/** Submits `order`, preceded by its risk decision when it opens a position. */
export function send(broker: SimulatedBroker, order: OrderEvent | PendingOrderEvent): SubmitResult {
  if (order.kind === "pending" || order.action === "open") {
    broker.noteRiskDecision(orderAuthority(order));
  }
  return broker.submit(order);
}

/** The events of one kind, typed. */
export function only<K extends MarketEvent["kind"]>(
  events: readonly MarketEvent[],
  kind: K,
): Extract<MarketEvent, { kind: K }>[] {
  return events.filter((e): e is Extract<MarketEvent, { kind: K }> => e.kind === kind);
}

export function near(actual: number, expected: number, tolerance = 1e-9, what = "value"): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected}, got ${actual} (tolerance ${tolerance})`,
  );
}

export const MINUTE = TIMEFRAME_US.M1;
export const HOUR = TIMEFRAME_US.H1;
