/**
 * The risk engine on the broker's terms: sizing from the expected fill with the stop's
 * slippage and both commissions (the decision's budget), a 0.1 lot step at 1:20, the
 * profile's spread on bid-only bars, pending entries (limit, stop, bracket) counted
 * against positions and margin, the broker's refusals taken in, scale-out, and the
 * breakeven move the broker refuses, end to end with the simulated broker. Every figure is
 * worked out in the comment beside it.
 */

import assert from "node:assert/strict";
import { from, lastValueFrom, toArray } from "rxjs";
import { fileURLToPath } from "node:url";
import {
  costModelOf,
  readBrokerProfile,
  resolveExecutionConfig,
  SimulatedBroker,
  tradeAndExecute,
} from "@/operators/execution/mod.ts";
import { applyRisk } from "@/operators/risk/mod.ts";
import {
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type PendingOrderEvent,
  type RejectionEvent,
  usFromIso,
} from "@/pipeline/events.ts";
import { account, bar, engine, NOW, NOW_US, position, quote, signal } from "./_fixtures.ts";
import * as exec from "../execution/_fixtures.ts";

const EU_RETAIL = fileURLToPath(new URL("../../../profiles/eu_retail_1_20.json", import.meta.url));
const inputs = (iso = NOW) => ({ account: account(), quote: quote({ timeUs: usFromIso(iso) }) });

function rejection(clientOrderId: string, extra: Partial<RejectionEvent> = {}): RejectionEvent {
  return {
    v: EVENT_VERSION,
    kind: "rejection",
    symbol: "XAUUSD",
    timeUs: NOW_US + 1_000_000,
    clientOrderId,
    action: "open",
    positionId: null,
    reason: "expired",
    detail: "test",
    ...extra,
  };
}

Deno.test("RiskEngine.decide() sizes on the expected fill, the stop's slippage and both commissions", () => {
  const costs = costModelOf(resolveExecutionConfig({ slippagePoints: 2 }));
  const { decision, orders } = engine({}, { costs }).decide(signal(), inputs());
  // Buy at the ask 2000.30 + 0.02 slippage = 2000.32; the stop 1997.30 fills 0.02 worse:
  // (2000.32 - 1997.30 + 0.02) x 100 = 304.00, + 3.50 + 3.50 commission = 311.00 a lot.
  // 10 000 x 0.5% = 50 / 311 = 0.1607 -> 0.16 lots; budget 0.16 x 311 = 49.76.
  assert.equal(decision.lots, 0.16);
  assert.equal(decision.budget, 49.76);
  assert.equal(orders.length, 1);
});

Deno.test("RiskEngine.decide() on the EU retail profile rounds down to its 0.1 lot step at 1:20", async () => {
  const costs = costModelOf(resolveExecutionConfig({ broker: await readBrokerProfile(EU_RETAIL) }));
  const eu = engine({}, { costs });
  const buy = signal({ entryPrice: 2000.4, stopLoss: 1997.4, takeProfit: 2004.4 });
  // Fill 2000.40 + 0.02 = 2000.42; stop 1997.40 - 0.02: (3.02 + 0.02) x 100 = 304.00 a lot,
  // no commission on this account. 50 / 304 = 0.1645 -> 0.1 lots (not 0.16); budget 30.40.
  const small = eu.decide(buy, inputs());
  assert.deepEqual([small.decision.lots, small.decision.budget], [0.1, 30.4]);
  // Equity 30 000: 150 / 304 = 0.4934 -> 0.4 lots. Margin at 1:20: 2000.40 x 100 x 0.4 /
  // 20 = 4 000.80, inside 50% of equity.
  const large = engine({}, { costs }).decide(buy, {
    account: account({ equity: 30_000, balance: 30_000 }),
    quote: quote(),
  });
  assert.equal(large.decision.lots, 0.4);
});

Deno.test("applyRisk() prices a bid-only bar's ask with the broker's session spread", async () => {
  const costs = costModelOf(resolveExecutionConfig({ broker: await readBrokerProfile(EU_RETAIL) }));
  const decide = async (closeIso: string) => {
    const risk = engine({ sessions: { enabled: false }, weekdayBlocks: [] }, { costs });
    const timeUs = usFromIso(closeIso);
    const batch: EventBatch = [
      { ...exec.flat(timeUs - 60_000_000, 2000, { spread: null }) },
      {
        v: EVENT_VERSION,
        kind: "account",
        timeUs,
        balance: 1e4,
        equity: 1e4,
        margin: 0,
        openPositions: 0,
      },
      signal({ timeUs, entryPrice: 2000.4, stopLoss: 1997.4, takeProfit: 2004.4 }),
    ];
    const out = (await lastValueFrom(from([batch]).pipe(applyRisk(risk), toArray()))).flat();
    return out.find((e) => e.kind === "risk")!;
  };
  // 2024-03-20 is EDT: 14:00 UTC is 10:00 New York, the profile's 0.40: tradeable.
  const calm = await decide("2024-03-20T14:00:00Z");
  assert.equal(calm.kind === "risk" && calm.decision, "accept");
  // 20:30 UTC is 16:30 New York, inside the 16:00-19:00 window: 0.80 > the 0.60 limit.
  const wide = await decide("2024-03-20T20:30:00Z");
  assert.deepEqual(wide.kind === "risk" && wide.reasons, [{
    code: "SPREAD_TOO_WIDE",
    detail: "spread 0.80 exceeds 0.60",
  }]);
});

Deno.test("RiskEngine.onRejection() stops counting an entry the broker refused or let expire", () => {
  const risk = engine();
  const first = risk.decide(signal(), inputs());
  assert.equal(first.decision.decision, "accept");
  const later = (minutes: number) => signal({ timeUs: NOW_US + minutes * 60_000_000 });
  const laterInputs = (minutes: number) => ({
    account: account(),
    quote: quote({ timeUs: NOW_US + minutes * 60_000_000 }),
  });
  // The unfilled entry still counts: one position allowed.
  assert.deepEqual(risk.decide(later(1), laterInputs(1)).decision.reasons.map((r) => r.code), [
    "MAX_POSITIONS",
  ]);
  risk.onRejection(rejection(first.decision.clientOrderId!));
  assert.equal(risk.decide(later(2), laterInputs(2)).decision.decision, "accept");
});

Deno.test("RiskEngine.decide() counts a pending entry's margin against the margin budget", () => {
  // 5% of 10 000 = 500 of margin. The first 0.16 lots take 2000.30 x 100 x 0.16 / 100 =
  // 320.05 while they wait for their fill; 179.95 is left: 179.95 / 2 000.30 a lot = 0.0899
  // -> 0.08 lots (MARGIN_LIMIT). Without counting the first, 0.16 would fit.
  const risk = engine({ maxMarginUsePercent: 5, positions: { maxOpen: 2 } });
  assert.equal(risk.decide(signal(), inputs()).decision.lots, 0.16);
  const second = risk.decide(signal({ timeUs: NOW_US + 60_000_000 }), {
    account: account(),
    quote: quote({ timeUs: NOW_US + 60_000_000 }),
  });
  assert.equal(second.decision.lots, 0.08);
  assert.deepEqual(second.decision.reasons.map((r) => r.code), ["MARGIN_LIMIT"]);
});

Deno.test("RiskEngine.decide() enters with limit, stop or bracket orders at the configured offset", async (t) => {
  const id = `XAUUSD-${NOW_US}-buy`;
  const expiresUs = NOW_US + 15 * 60_000_000;
  // The signal: buy at 2000.30, stop 3.00 below, target 4.00 above; offset 0.50.
  await t.step("limit: 0.50 better, stop and target moved with it", () => {
    const { decision, orders } = engine({ entry: { type: "limit" } }).decide(signal(), inputs());
    const [limit] = orders as PendingOrderEvent[];
    assert.deepEqual(
      [limit.kind, limit.type, limit.price, limit.stopLoss, limit.takeProfit, limit.expiresUs],
      ["pending", "limit", 1999.8, 1996.8, 2003.8, expiresUs],
    );
    // A limit fills at its price: (1999.80 - 1996.80) x 100 + 7.00 = 307 a lot -> 0.16.
    assert.deepEqual([decision.lots, decision.budget, decision.clientOrderId], [0.16, 49.12, id]);
  });
  await t.step("stop: 0.50 worse", () => {
    const { orders } = engine({ entry: { type: "stop" } }).decide(signal(), inputs());
    const [stop] = orders as PendingOrderEvent[];
    assert.deepEqual([stop.type, stop.price, stop.stopLoss, stop.takeProfit], [
      "stop",
      2000.8,
      1997.8,
      2004.8,
    ]);
  });
  await t.step("bracket: both, one-cancels-other, counted as one entry", () => {
    const risk = engine({ entry: { type: "bracket" } });
    const { orders } = risk.decide(signal(), inputs());
    assert.deepEqual(
      (orders as PendingOrderEvent[]).map((o) => [o.clientOrderId, o.type, o.price, o.ocoGroup]),
      [[`${id}-limit`, "limit", 1999.8, id], [`${id}-stop`, "stop", 2000.8, id]],
    );
    const next = risk.decide(signal({ timeUs: NOW_US + 60_000_000 }), {
      account: account(),
      quote: quote({ timeUs: NOW_US + 60_000_000 }),
    });
    assert.deepEqual(next.decision.reasons, [{
      code: "MAX_POSITIONS",
      detail: "0 open and 1 pending of 1 allowed",
    }]);
    // The limit filled: the bracket's entry is a position now; the stop's cancellation
    // changes nothing more.
    risk.onFill({
      v: EVENT_VERSION,
      kind: "fill",
      symbol: "XAUUSD",
      timeUs: NOW_US + 2_000_000,
      clientOrderId: `${id}-limit`,
      positionId: `${id}-limit`,
      action: "open",
      side: "buy",
      lots: 0.16,
      price: 1999.8,
      commission: 0.56,
      slippage: 0,
      reason: "limit",
    });
    risk.onRejection(rejection(`${id}-stop`, { action: "pending", reason: "cancelled" }));
    assert.equal(risk.status(NOW_US).state, "active");
  });
  await t.step("a kill switch cancels the resting legs", () => {
    const risk = engine({ entry: { type: "bracket" } });
    risk.decide(signal(), inputs());
    risk.killSwitch(true, "test");
    const cancels = risk.flatten([], NOW_US + 1);
    assert.deepEqual(cancels.map((o) => [o.action, o.positionId, o.reason]), [
      ["cancel", `${id}-limit`, "KILL_SWITCH"],
      ["cancel", `${id}-stop`, "KILL_SWITCH"],
    ]);
    assert.deepEqual(risk.flatten([], NOW_US + 2), [], "each cancel is sent once");
  });
});

Deno.test("RiskEngine.manage() scales out half the lots once, at 1R", () => {
  const risk = engine({
    scaleOut: { enabled: true },
    breakeven: { enabled: false },
    trailing: { enabled: false },
  });
  // Long 0.16 from 2000.00, opened with its stop at 1997.00: 1R is 3.00. At bid 2003.00
  // it is 1R in profit: close 0.16 x 0.5 = 0.08 lots at market, once.
  const open = position({ lots: 0.16 });
  const [order] = risk.manage([open], bar("2024-03-20T13:01:00Z", 2003));
  assert.deepEqual([order.action, order.side, order.lots, order.reason, order.positionId], [
    "close",
    "sell",
    0.08,
    "SCALE_OUT",
    "p1",
  ]);
  assert.deepEqual(risk.manage([{ ...open, lots: 0.08 }], bar("2024-03-20T13:02:00Z", 2004)), []);
  // 0.01 lots cannot be split into two minimum lots: no scale-out.
  assert.deepEqual(
    risk.manage([position({ positionId: "p2", lots: 0.01 })], bar("2024-03-20T13:03:00Z", 2003)),
    [],
  );
});

Deno.test("RiskEngine.manage() leaves a position to its stop when the price is back above a refused stop", () => {
  const risk = engine({ trailing: { enabled: false } });
  // The broker refused a move to 2000.10; the price 2001.00 is still above it: no close,
  // and breakeven asks again (2001.00 is 0.33R: below the 1R trigger, so not yet).
  risk.onRejection(
    rejection("m", { action: "modify", positionId: "p1", reason: "invalid_stops" }),
    2000.1,
  );
  assert.deepEqual(risk.manage([position()], bar("2024-03-20T13:01:00Z", 2001)), []);
});

Deno.test("scenario: a breakeven move the broker refuses is undone, and the position closed once the price has passed it", async () => {
  const costs = costModelOf(resolveExecutionConfig(exec.EXACT));
  const risk = engine({
    sessions: { enabled: false },
    weekdayBlocks: [],
    news: { enabled: false },
    trailing: { enabled: false },
  }, { costs });
  const broker = new SimulatedBroker(exec.EXACT);
  const T0 = exec.T0;
  const M = exec.MINUTE;
  // The engine sees a bar before the broker's reports of that bar's open (they follow the
  // bar in the stream), so management runs a bar behind the fills it reacts to.
  const batch: MarketEvent[] = [
    exec.bar(T0 - M, [1300, 1300.1, 1299.9, 1300]),
    signal({ timeUs: T0, entryPrice: 1300.3, stopLoss: 1297.3, takeProfit: 1310.3 }),
    // Opens at the ask 1300.30 (spread 0.30): 0.16 lots (50 / 307).
    exec.bar(T0, [1300, 1300.5, 1299.9, 1300.4]),
    // Closes at 1303.35, 3.05 = 1.02R up: the engine moves the stop to breakeven, 1300.30 +
    // 0.10 = 1300.40.
    exec.bar(T0 + M, [1300.4, 1303.4, 1300.3, 1303.35]),
    // Opens at 1300.20, below 1300.40: the broker refuses the move (a long's stop must be
    // below the bid). The engine's book takes the stop back to 1297.30.
    exec.bar(T0 + 2 * M, [1300.2, 1300.3, 1299, 1299.5]),
    // At this close, 1299.20, the price has passed the 1300.40 it wanted: close at market.
    exec.bar(T0 + 3 * M, [1299.4, 1299.6, 1298.9, 1299.2]),
    // The close fills at this open, before the bar falls to the old stop: (1299.00 -
    // 1300.30) x 16 = -20.80, commission 2 x 0.56: -21.92, booked as a stop-loss exit. Had
    // the engine kept believing in its 1300.40 stop, the old stop 1297.30 would have been
    // hit here: -3.00 x 16 - 1.12 = -49.12.
    exec.bar(T0 + 4 * M, [1299, 1299.2, 1297, 1297.5]),
  ];
  const out = (await lastValueFrom(from([batch]).pipe(tradeAndExecute(risk, broker), toArray())))
    .flat();
  const [refused] = exec.only(out, "rejection");
  assert.deepEqual([refused.action, refused.reason, refused.detail], [
    "modify",
    "invalid_stops",
    "stop-loss 1300.40 is not below the bid 1300.20",
  ]);
  const trades = exec.only(out, "trade");
  assert.equal(trades.length, 1);
  assert.deepEqual(
    [
      trades[0].lots,
      trades[0].exitPrice,
      trades[0].exitReason,
      trades[0].exitTimeUs,
      trades[0].pnl,
    ],
    [0.16, 1299, "stop_loss", T0 + 4 * M + 250_000, -21.92],
  );
  const [decision] = exec.only(out, "risk");
  assert.equal(decision.budget, 49.12); // 0.16 x 307
});
