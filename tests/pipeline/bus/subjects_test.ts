import assert from "node:assert/strict";
import {
  eventId,
  subjectMatches,
  subjectOf,
  subjectToken,
} from "../../../pipeline/bus/subjects.ts";
import type {
  AccountEvent,
  FillEvent,
  PendingOrderEvent,
  RejectionEvent,
  SignalEvent,
} from "../../../pipeline/events.ts";
import { bar, order } from "./_events.ts";

Deno.test("events are routed per kind and symbol, orders and execution per account", () => {
  assert.equal(subjectOf(bar(0)), "md.XAUUSD.bar.M1");
  assert.equal(subjectOf({ ...bar(0), timeframe: "H1" }), "md.XAUUSD.bar.H1");
  assert.equal(subjectOf(order(0), "ACC-7"), "ord.ACC-7");
  const account: AccountEvent = {
    v: 1,
    kind: "account",
    timeUs: 1,
    balance: 10_000,
    equity: 9_990,
    margin: 0,
    openPositions: 1,
  };
  assert.equal(subjectOf(account, "ACC-7"), "exec.ACC-7");
  assert.equal(subjectOf(account), "exec.default");
});

Deno.test("a symbol with a dot or wildcard routes as one subject token", () => {
  assert.equal(subjectToken("XAUUSD.m"), "XAUUSD_m");
  assert.equal(subjectToken("a*b>c d"), "a_b_c_d");
  assert.equal(subjectOf(bar(0, "XAUUSD.m")), "md.XAUUSD_m.bar.M1");
  assert.throws(() => subjectToken(""), /empty symbol/);
});

Deno.test("ids are the events' natural keys, the same for equal events and distinct across kinds", () => {
  assert.equal(eventId(bar(3)), eventId({ ...bar(3), volume: 999 }));
  assert.notEqual(eventId(bar(3)), eventId(bar(4)));
  assert.equal(eventId(order(1)), "order|o-1");
  const fill: FillEvent = {
    v: 1,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs: 5,
    clientOrderId: "o-1",
    positionId: "p-1",
    action: "open",
    side: "buy",
    lots: 0.01,
    price: 1150,
    commission: 0,
    slippage: 0,
    reason: "market",
  };
  assert.equal(eventId(fill), "fill|o-1|open|p-1");
  const signal = { v: 1, kind: "signal", symbol: "XAUUSD", timeUs: 7 } as SignalEvent;
  assert.equal(eventId(signal), "signal|XAUUSD|7");
  assert.equal(eventId({ ...signal, kind: "risk" } as never), "risk|XAUUSD|7");
});

Deno.test("pending orders travel with orders, the broker's rejections with execution reports", () => {
  const pending: PendingOrderEvent = {
    v: 1,
    kind: "pending",
    symbol: "XAUUSD",
    timeUs: 5,
    clientOrderId: "b-limit",
    side: "buy",
    type: "limit",
    price: 1149.5,
    lots: 0.1,
    stopLoss: 1146.5,
    takeProfit: null,
    expiresUs: null,
    ocoGroup: "b",
    reason: "SIGNAL",
  };
  const rejection: RejectionEvent = {
    v: 1,
    kind: "rejection",
    symbol: "XAUUSD",
    timeUs: 6,
    clientOrderId: "b-limit",
    action: "pending",
    positionId: null,
    reason: "expired",
    detail: "x",
  };
  assert.equal(subjectOf(pending, "ACC-7"), "ord.ACC-7");
  assert.equal(subjectOf(rejection, "ACC-7"), "exec.ACC-7");
  // One order's placement and its rejection share a client order id, never an event id.
  assert.equal(eventId(pending), "pending|b-limit");
  assert.equal(eventId(rejection), "rejection|b-limit");
});

Deno.test("subject filters follow NATS wildcards", () => {
  assert.ok(subjectMatches(">", "md.XAUUSD.tick"));
  assert.ok(subjectMatches("md.>", "md.XAUUSD.bar.M1"));
  assert.ok(subjectMatches("md.*.bar.M1", "md.XAUUSD.bar.M1"));
  assert.ok(subjectMatches("sig.XAUUSD", "sig.XAUUSD"));
  assert.ok(!subjectMatches("md.>", "md"));
  assert.ok(!subjectMatches("md.*", "md.XAUUSD.tick"));
  assert.ok(!subjectMatches("md.XAUUSD.bar.M1", "md.XAUUSD.bar.M5"));
  assert.ok(!subjectMatches("sig.XAUUSD", "sig.XAUUSD.extra"));
});
