/**
 * Hand-computed cases for `SimulatedBroker`: every expected figure is worked out in the
 * comment beside it from the prices written in the test (docs/execution.md has the
 * formulas). Contract 100 oz, commission 3.50 per lot per side, swaps -35 long / +15
 * short per lot per night, unless a test says otherwise.
 */

import { orderAuthority } from "@/operators/execution/remote.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { roundLotsDown, XAUUSD } from "@/pipeline/symbols.ts";
import { usFromIso } from "@/pipeline/events.ts";
import {
  emptySpanMarks,
  lossPerLotAtStop,
  quotedBars,
  roundCents,
  SimulatedBroker,
} from "@/operators/execution/mod.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import {
  bar,
  closeOrder,
  EXACT,
  flat,
  HOUR,
  MINUTE,
  modifyOrder,
  only,
  openOrder,
  type Prices,
  send,
  T0,
  tick,
} from "./_fixtures.ts";

Deno.test("SimulatedBroker books the worked example of docs/execution.md to the cent", () => {
  const broker = new SimulatedBroker(EXACT);
  broker.onBar(bar(T0 - MINUTE, [1299.9, 1300.1, 1299.8, 1300.0]));
  send(broker, openOrder("b1", "buy", 0.10, T0));
  // Opens at the next bar's open: ask = bid 1300.00 + spread 0.30 = 1300.30.
  const opened = broker.onBar(bar(T0, [1300.0, 1300.5, 1299.8, 1300.2]));
  const [fill] = only(opened, "fill");
  assert.equal(fill.price, 1300.30);
  assert.equal(fill.timeUs, T0 + 250_000);
  assert.equal(fill.commission, 0.35); // 3.50 x 0.10
  const accounts = only(opened, "account");
  // At the open: equity = 10 000 + (1300.00 - 1300.30) x 100 x 0.10 - 0.35 = 9 996.65;
  // margin = 1300.30 x 100 x 0.10 / 100 = 130.03.
  assert.deepEqual(
    accounts.map((a) => [a.timeUs, a.balance, a.equity, a.margin, a.openPositions]),
    [
      [T0 + 250_000, 10_000, 9996.65, 130.03, 1],
      // At the close (bid 1300.20): 10 000 + (1300.20 - 1300.30) x 10 - 0.35 = 9 998.65;
      // margin moves with the ask: 1300.50 x 100 x 0.10 / 100 = 130.05.
      [T0 + MINUTE, 10_000, 9998.65, 130.05, 1],
    ],
  );
  send(broker, closeOrder("c1", "b1", "sell", 0.10, T0 + MINUTE));
  const closed = broker.onBar(bar(T0 + MINUTE, [1302.0, 1302.4, 1301.9, 1302.1]));
  const [trade] = only(closed, "trade");
  // Gross (1302.00 - 1300.30) x 100 x 0.10 = 17.00; commission 2 x 0.35 = 0.70; net 16.30.
  assert.deepEqual(
    {
      entry: trade.entryPrice,
      exit: trade.exitPrice,
      pnl: trade.pnl,
      commission: trade.commission,
      swap: trade.swap,
      // Half the spread at entry plus half at exit: (0.15 + 0.15) x 100 x 0.10 = 3.00.
      spreadCost: trade.spreadCost,
      // Worst: the bid low 1299.80 -> -5.00; best: the exit 1302.00 -> 17.00.
      mae: trade.mae,
      mfe: trade.mfe,
      reason: trade.exitReason,
    },
    {
      entry: 1300.30,
      exit: 1302.00,
      pnl: 16.30,
      commission: 0.70,
      swap: 0,
      spreadCost: 3.00,
      mae: -5.00,
      mfe: 17.00,
      reason: "signal",
    },
  );
  assert.equal(broker.balance, 10_016.30);
  assert.deepEqual(broker.account(), {
    balance: 10_016.30,
    equity: 10_016.30,
    margin: 0,
    freeMargin: 10_016.30,
    marginLevel: null,
    openPositions: 0,
  });
});

Deno.test("SimulatedBroker at a flat price loses exactly the spread and commission (plus swap)", async (t) => {
  // Bid-only bars at 1300.00, configured spread 0.30: 1 lot buys at 1300.30 and sells at
  // 1300.00 (or sells at 1300.00 and buys back at 1300.30). Gross -0.30 x 100 = -30.00 =
  // -spread cost; commission 2 x 3.50 = 7.00. Held through Tuesday's 22:00 UTC rollover,
  // swap -35 (long) or +15 (short).
  const cases = [
    { side: "buy", overnight: false, swap: 0 },
    { side: "sell", overnight: false, swap: 0 },
    { side: "buy", overnight: true, swap: -35 },
    { side: "sell", overnight: true, swap: 15 },
  ] as const;
  for (const c of cases) {
    await t.step(`${c.side}${c.overnight ? " held overnight" : ""}`, () => {
      const broker = new SimulatedBroker(EXACT);
      const price = (openUs: number) => broker.onBar(flat(openUs, 1300, { spread: null }));
      price(T0 - MINUTE);
      send(broker, openOrder("o", c.side, 1, T0));
      const opened = price(T0);
      // Right after the open, equity is already down by the spread and the entry commission.
      assert.equal(only(opened, "account")[0].equity, 10_000 - 30 - 3.5);
      const closeAt = c.overnight ? T0 + 24 * HOUR : T0 + MINUTE;
      if (c.overnight) price(closeAt - MINUTE);
      send(broker, closeOrder("c", "o", c.side === "buy" ? "sell" : "buy", 1, closeAt));
      const [trade] = only(price(closeAt), "trade");
      assert.equal(trade.spreadCost, 30);
      assert.equal(trade.commission, 7);
      assert.equal(trade.swap, c.swap);
      assert.equal(trade.pnl, -(trade.spreadCost + trade.commission) + c.swap);
      assert.equal(broker.balance, 10_000 + trade.pnl);
    });
  }
});

Deno.test("SimulatedBroker fills a touched stop at its level, inside the bar, at the bar's close", async (t) => {
  for (const points of [0, 2]) {
    await t.step(`${points} points of slippage`, () => {
      const broker = new SimulatedBroker({ slippagePoints: points });
      const s = points * 0.01;
      broker.onBar(bar(T0 - MINUTE, [1300, 1300, 1300, 1300]));
      send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1298, tp: 1305 }));
      broker.onBar(bar(T0, [1300.0, 1300.4, 1299.6, 1299.9]));
      // Opens at the bar's open, 1299.50, above the stop; its low 1297.50 reaches it.
      const out = broker.onBar(bar(T0 + MINUTE, [1299.5, 1299.6, 1297.5, 1297.8]));
      const [fill] = only(out, "fill");
      const [trade] = only(out, "trade");
      assert.equal(fill.reason, "stop_loss");
      assert.equal(fill.price, 1298 - s);
      assert.equal(fill.slippage, s);
      assert.equal(fill.timeUs, T0 + 2 * MINUTE);
      // Entry 1300.30 + s; exit 1298.00 - s: (1298.00 - 1300.30 - 2s) x 10 - 0.70.
      // s = 0: -23.00 - 0.70 = -23.70; s = 0.02: -23.40 - 0.70 = -24.10.
      assert.equal(trade.pnl, points === 0 ? -23.70 : -24.10);
      assert.equal(trade.exitReason, "stop_loss");
    });
  }
});

Deno.test("SimulatedBroker fills a gap through a stop or target at the open, not at the level", async (t) => {
  const cases = [
    // The bar opens at 1296.00, below the stop 1298.00: (1296.00 - 1300.30) x 10 - 0.70.
    { name: "stop", open: 1296, reason: "stop_loss", pnl: -43.70 },
    // It opens at 1306.00, above the target 1305.00: the better open price is taken.
    { name: "target", open: 1306, reason: "take_profit", pnl: 56.30 },
  ] as const;
  for (const c of cases) {
    await t.step(c.name, () => {
      const broker = new SimulatedBroker(EXACT);
      broker.onBar(bar(T0 - MINUTE, [1300, 1300, 1300, 1300]));
      send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1298, tp: 1305 }));
      broker.onBar(bar(T0, [1300.0, 1300.4, 1299.6, 1299.9]));
      const gapAt = T0 + 2 * HOUR;
      const out = broker.onBar(bar(gapAt, [c.open, c.open + 0.5, c.open - 1, c.open]));
      const [fill] = only(out, "fill");
      assert.equal(fill.price, c.open);
      assert.equal(fill.timeUs, gapAt);
      assert.equal(fill.reason, c.reason);
      assert.equal(only(out, "trade")[0].pnl, c.pnl);
    });
  }
});

Deno.test("SimulatedBroker triggers a short's stop on the ask, not the bid", () => {
  const broker = new SimulatedBroker(EXACT);
  broker.onBar(bar(T0 - MINUTE, [1300, 1300, 1300, 1300]));
  send(broker, openOrder("s", "sell", 0.10, T0, { sl: 1301 }));
  const opened = broker.onBar(bar(T0, [1300.0, 1300.2, 1299.9, 1300.0]));
  assert.equal(only(opened, "fill")[0].price, 1300.0); // sold at the bid
  // The bid high 1300.80 stays below 1301.00, but the ask high 1301.10 reaches it.
  const out = broker.onBar(bar(T0 + MINUTE, [1300.1, 1300.8, 1300.0, 1300.5]));
  const [trade] = only(out, "trade");
  assert.equal(trade.exitPrice, 1301.0);
  assert.equal(trade.pnl, -10.70); // (1300.00 - 1301.00) x 10 - 0.70
});

Deno.test("SimulatedBroker takes the stop when one bar touches both, unless M1 bars show the target came first", async (t) => {
  // A long bought at 1300.30 (bid 1300.00) with a stop at 1298.00 and a target at 1302.00.
  // In the hour both are touched: the target at minute 10, the stop at minute 40.
  const hourBid = [1300.0, 1302.5, 1297.5, 1299.0] as const;
  const start = (broker: SimulatedBroker) => {
    broker.onBar(bar(T0 - HOUR, [1300, 1300, 1300, 1300], { timeframe: "H1" }));
    send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1298, tp: 1302 }));
  };
  const hourOfM1 = () =>
    Array.from({ length: 60 }, (_, m) =>
      bar(
        T0 + m * MINUTE,
        m === 10
          ? [1301.0, 1302.5, 1300.9, 1301.5]
          : m === 40
          ? [1299.0, 1299.1, 1297.5, 1299.0]
          : [1300.0, 1300.2, 1299.9, 1300.0],
      ));

  await t.step("on H1 bars alone: stop first (pessimistic)", () => {
    const broker = new SimulatedBroker(EXACT);
    start(broker);
    const out = broker.onBar(bar(T0, hourBid, { timeframe: "H1" }));
    const [trade] = only(out, "trade");
    assert.equal(trade.exitReason, "stop_loss");
    assert.equal(trade.exitPrice, 1298);
    assert.equal(trade.exitTimeUs, T0 + HOUR);
    assert.equal(trade.pnl, -23.70); // (1298.00 - 1300.30) x 10 - 0.70
  });

  await t.step("with the hour's M1 bars: target first, and the H1 bar is not traded on", () => {
    const broker = new SimulatedBroker(EXACT);
    start(broker);
    const events = hourOfM1().flatMap((m1) => broker.onBar(m1));
    assert.deepEqual(broker.onBar(bar(T0, hourBid, { timeframe: "H1" })), []);
    const [trade] = only(events, "trade");
    assert.equal(trade.exitReason, "take_profit");
    assert.equal(trade.exitPrice, 1302);
    assert.equal(trade.exitTimeUs, T0 + 11 * MINUTE);
    assert.equal(trade.pnl, 16.30); // (1302.00 - 1300.30) x 10 - 0.70
  });

  await t.step("on one M1 bar touching both: stop first again", () => {
    const broker = new SimulatedBroker(EXACT);
    start(broker);
    broker.onBar(bar(T0, [1300.0, 1300.2, 1299.9, 1300.0]));
    const [trade] = only(broker.onBar(bar(T0 + MINUTE, [1300, 1302.5, 1297.5, 1300])), "trade");
    assert.equal(trade.exitReason, "stop_loss");
  });

  await t.step("with detail fixed to H1: the M1 bars are ignored, stop first", () => {
    const broker = new SimulatedBroker({ ...EXACT, detail: "H1" });
    start(broker);
    assert.deepEqual(hourOfM1().flatMap((m1) => broker.onBar(m1)), []);
    const [trade] = only(broker.onBar(bar(T0, hourBid, { timeframe: "H1" })), "trade");
    assert.equal(trade.exitReason, "stop_loss");
  });
});

Deno.test("SimulatedBroker books swap at each 17:00 New York rollover held through, three nights on Wednesday", async (t) => {
  const cases = [
    // Wednesday 2017-03-08 10:00 New York (EST) to Thursday: Wednesday's rollover, 3 nights.
    {
      name: "Wednesday to Thursday, long",
      open: "2017-03-08T15:00:00Z",
      close: "2017-03-09T15:00:00Z",
      side: "buy",
      swap: -105,
    },
    {
      name: "Wednesday to Thursday, short",
      open: "2017-03-08T15:00:00Z",
      close: "2017-03-09T15:00:00Z",
      side: "sell",
      swap: 45,
    },
    {
      name: "Tuesday to Wednesday",
      open: "2017-03-07T15:00:00Z",
      close: "2017-03-08T15:00:00Z",
      side: "buy",
      swap: -35,
    },
    // Friday's rollover only: none on Saturday or Sunday (Wednesday's triple paid for them).
    {
      name: "Friday to Monday",
      open: "2017-03-10T15:00:00Z",
      close: "2017-03-13T14:00:00Z",
      side: "buy",
      swap: -35,
    },
    {
      name: "Monday to Monday",
      open: "2017-03-13T14:00:00Z",
      close: "2017-03-20T14:00:00Z",
      side: "buy",
      swap: -35 * 7,
    },
    // 20:00 to 21:30 UTC: past 17:00 New York in July (EDT, 21:00 UTC) ...
    {
      name: "summer, 21:00 UTC",
      open: "2017-07-11T20:00:00Z",
      close: "2017-07-11T21:30:00Z",
      side: "buy",
      swap: -35,
    },
    // ... but not in January (EST, 22:00 UTC).
    {
      name: "winter, 22:00 UTC",
      open: "2017-01-10T20:00:00Z",
      close: "2017-01-10T21:30:00Z",
      side: "buy",
      swap: 0,
    },
  ] as const;
  for (const c of cases) {
    await t.step(`${c.name}: ${c.swap}`, () => {
      const broker = new SimulatedBroker(EXACT);
      const openUs = usFromIso(c.open);
      const closeUs = usFromIso(c.close);
      broker.onBar(flat(openUs - MINUTE, 1300));
      send(broker, openOrder("p", c.side, 1, openUs));
      broker.onBar(flat(openUs, 1300));
      // The first price after the rollover books it, before anything else on that price.
      const booked = broker.onBar(flat(closeUs - MINUTE, 1300));
      assert.equal(broker.balance, 10_000 + c.swap);
      if (c.swap !== 0) assert.equal(only(booked, "account")[0].timeUs, closeUs - MINUTE);
      send(broker, closeOrder("c", "p", c.side === "buy" ? "sell" : "buy", 1, closeUs));
      const [trade] = only(broker.onBar(flat(closeUs, 1300)), "trade");
      assert.equal(trade.swap, c.swap);
      assert.equal(trade.pnl, -37 + c.swap); // spread 30 + commission 7, then the swap
    });
  }
});

Deno.test("SimulatedBroker's loss at the stop equals the risk budget a position was sized for", () => {
  // Risk 1% of 10 000 = 100.00 with the stop 5.00 below the 1300.30 fill, no slippage: a lot
  // loses 5.00 x 100 + 3.50 + 3.50 = 507.00 there, so lots = 100 / 507 = 0.197 -> 0.19, a
  // budget of 0.19 x 507 = 96.33. At the stop: gross -95.00, and each side's commission
  // 3.50 x 0.19 = 0.665 is booked as 0.67: -96.34, the budget but for that rounding.
  const broker = new SimulatedBroker(EXACT);
  const equity = broker.account().equity;
  const entry = 1300.30;
  const stop = 1295.30;
  const lossPerLot = lossPerLotAtStop({ spec: XAUUSD, slippage: 0 }, "buy", entry, stop);
  assert.equal(lossPerLot, 507);
  const lots = roundLotsDown(XAUUSD, equity * 0.01 / lossPerLot);
  assert.equal(lots, 0.19);
  broker.onBar(bar(T0 - MINUTE, [1300, 1300, 1300, 1300]));
  send(broker, openOrder("b", "buy", lots, T0, { sl: stop }));
  broker.onBar(bar(T0, [1300.0, 1300.1, 1299.9, 1300.0]));
  const [trade] = only(broker.onBar(bar(T0 + MINUTE, [1299, 1299, 1295, 1295.5])), "trade");
  assert.equal(trade.entryPrice, entry);
  assert.equal(roundCents(lots * lossPerLot), 96.33);
  assert.equal(trade.pnl, -96.34);
});

Deno.test("SimulatedBroker fills a decision at a bar's close at the next price after the latency", async (t) => {
  await t.step("M1, 250 ms: the next bar's open, not the decision bar's close", () => {
    const broker = new SimulatedBroker(EXACT);
    send(broker, openOrder("b", "buy", 0.10, T0));
    // A bar that began before the decision is never a fill price, even if it comes later.
    assert.deepEqual(broker.onBar(bar(T0 - MINUTE, [1300.3, 1300.6, 1300.2, 1300.5])), []);
    const [fill] = only(broker.onBar(bar(T0, [1300.0, 1300.1, 1299.9, 1300.0])), "fill");
    assert.equal(fill.price, 1300.30); // not the decision bar's close ask, 1300.80
    assert.equal(fill.timeUs, T0 + 250_000);
  });

  await t.step("M1, decided inside a bar (on a tick): that bar's earlier open is no fill", () => {
    // The next bar opens 50 s after the decision: a time in force of 120 s lets it fill.
    const broker = new SimulatedBroker({ ...EXACT, orderTimeoutSeconds: 120 });
    send(broker, openOrder("b", "buy", 0.10, T0 + 10_000_000));
    assert.deepEqual(broker.onBar(bar(T0, [1300.0, 1300.1, 1299.9, 1300.0])), []);
    const [fill] = only(broker.onBar(bar(T0 + MINUTE, [1301, 1301.1, 1300.9, 1301])), "fill");
    assert.equal(fill.price, 1301.30);
    assert.equal(fill.timeUs, T0 + MINUTE);
  });

  await t.step("M1, 90 s: the open of the bar running at decision + 90 s", () => {
    const broker = new SimulatedBroker({ ...EXACT, latencyMs: 90_000, orderTimeoutSeconds: 120 });
    send(broker, openOrder("b", "buy", 0.10, T0));
    assert.deepEqual(broker.onBar(bar(T0, [1300.0, 1300.1, 1299.9, 1300.0])), []);
    const [fill] = only(broker.onBar(bar(T0 + MINUTE, [1301, 1301.1, 1300.9, 1301])), "fill");
    assert.equal(fill.price, 1301.30);
    assert.equal(fill.timeUs, T0 + 90_000_000);
  });

  await t.step("ticks, 250 ms: the first tick at or after decision + 250 ms", () => {
    const broker = new SimulatedBroker(EXACT);
    send(broker, openOrder("b", "buy", 0.10, T0));
    assert.deepEqual(broker.onTick(tick(T0 + 100_000, 1300.0, 1300.3)), []);
    const [fill] = only(broker.onTick(tick(T0 + 300_000, 1300.1, 1300.4)), "fill");
    assert.equal(fill.price, 1300.4);
    assert.equal(fill.timeUs, T0 + 300_000);
  });
});

Deno.test("SimulatedBroker.submit() ignores a repeated clientOrderId and never fills it twice", () => {
  const broker = new SimulatedBroker(EXACT);
  const order = openOrder("same", "buy", 0.10, T0);
  assert.deepEqual(send(broker, order), { status: "queued" });
  assert.deepEqual(send(broker, order), { status: "duplicate" });
  broker.onBar(bar(T0, [1300, 1300, 1300, 1300]));
  assert.deepEqual(send(broker, { ...order, timeUs: T0 + MINUTE }), { status: "duplicate" });
  broker.onBar(bar(T0 + MINUTE, [1300, 1300, 1300, 1300]));
  assert.equal(broker.openPositions().length, 1);
  assert.deepEqual(broker.stats, {
    orders: 1,
    duplicates: 2,
    fills: 1,
    trades: 0,
    modifies: 0,
    rejected: 0,
    stopOuts: 0,
    marginCalls: 0,
    // Equity 10 000 - 0.30 x 10 - 0.35 = 9 996.65 against margin 1300.30 x 10 / 100 = 130.03.
    minEquity: 9996.65,
    maxMarginUsePct: 130.03 / 9996.65 * 100,
  });
});

Deno.test("SimulatedBroker applies a modify after the latency and closes only a whole position on the opposite side", async (t) => {
  /** A long of 0.10 from 1300.30 with a stop at 1298.00, opened on the bar at T0. */
  const opened = () => {
    const broker = new SimulatedBroker(EXACT);
    send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1298 }));
    broker.onBar(bar(T0, [1300, 1300.5, 1299.9, 1300.4]));
    return broker;
  };

  await t.step("a tighter stop is hit where the old one would not have been", () => {
    const broker = opened();
    send(broker, modifyOrder("m", "b", "buy", T0 + MINUTE, { sl: 1299.5, tp: 1303 }));
    const out = broker.onBar(bar(T0 + MINUTE, [1300.2, 1300.3, 1299.4, 1299.8]));
    const [trade] = only(out, "trade");
    assert.equal(trade.exitPrice, 1299.5);
    assert.equal(trade.pnl, -8.70); // (1299.50 - 1300.30) x 10 - 0.70
    assert.equal(broker.stats.modifies, 1);
  });

  await t.step("a stop above the bid is refused and the old levels stay", () => {
    const broker = opened();
    send(broker, modifyOrder("m", "b", "buy", T0 + MINUTE, { sl: 1300.5 }));
    broker.onBar(bar(T0 + MINUTE, [1300.2, 1300.3, 1299.4, 1299.8]));
    assert.equal(broker.openPositions()[0].stopLoss, 1298);
    assert.equal(broker.rejections[0].reason, "invalid_stops");
  });

  await t.step(
    "wrong side, too many lots and unknown closes are refused; the position stays open",
    () => {
      const broker = opened();
      send(broker, closeOrder("c1", "b", "buy", 0.10, T0 + MINUTE));
      send(broker, closeOrder("c2", "b", "sell", 0.20, T0 + MINUTE));
      send(broker, closeOrder("c3", "nope", "sell", 0.10, T0 + MINUTE));
      const out = broker.onBar(bar(T0 + MINUTE, [1300.2, 1300.3, 1299.9, 1300.1]));
      assert.deepEqual(
        only(out, "rejection").map((r) => [r.clientOrderId, r.reason]),
        [["c1", "close_side_mismatch"], ["c2", "invalid_lots"], ["c3", "unknown_position"]],
      );
      assert.equal(broker.openPositions().length, 1);
    },
  );

  await t.step("a close's reason becomes the exit reason; free text becomes manual", () => {
    for (const [reason, expected] of [["kill_switch", "kill_switch"], ["oops", "manual"]]) {
      const broker = opened();
      send(broker, closeOrder("c", "b", "sell", 0.10, T0 + MINUTE, reason));
      const out = broker.onBar(bar(T0 + MINUTE, [1301, 1301, 1301, 1301]));
      assert.equal(only(out, "trade")[0].exitReason, expected);
      assert.equal(only(out, "fill")[0].clientOrderId, "c");
    }
  });
});

Deno.test("SimulatedBroker refuses an opening order without an accepted risk decision for it", async (t) => {
  await t.step("no decision", () => {
    const broker = new SimulatedBroker(EXACT);
    const result = broker.submit(openOrder("b", "buy", 0.10, T0));
    assert.equal(result.status === "rejected" && result.reason, "no_risk_decision");
    broker.onBar(bar(T0, [1300, 1300, 1300, 1300]));
    assert.equal(broker.stats.fills, 0);
  });

  await t.step("more lots, or the other side, than accepted", () => {
    const broker = new SimulatedBroker(EXACT);
    const order = openOrder("b", "buy", 0.10, T0);
    broker.noteRiskDecision({ ...orderAuthority(order), lots: 0.05 });
    const result = broker.submit(order);
    assert.equal(result.status === "rejected" && result.reason, "exceeds_risk_decision");
    const sell = openOrder("s", "sell", 0.10, T0);
    broker.noteRiskDecision({ ...orderAuthority(sell), side: "buy" });
    const other = broker.submit(sell);
    assert.equal(other.status === "rejected" && other.reason, "exceeds_risk_decision");
  });

  await t.step("unless the config turns the gate off", () => {
    const broker = new SimulatedBroker({ ...EXACT, requireRiskDecision: false });
    assert.deepEqual(broker.submit(openOrder("b", "buy", 0.10, T0)), { status: "queued" });
  });

  await t.step("lots off the 0.01 step or outside 0.01-50 are refused", () => {
    const broker = new SimulatedBroker({ ...EXACT, requireRiskDecision: false });
    for (const lots of [0.015, 0, 51]) {
      const result = broker.submit(openOrder(`b${lots}`, "buy", lots, T0));
      assert.equal(result.status === "rejected" && result.reason, "invalid_lots");
    }
  });
});

Deno.test("SimulatedBroker refuses, at the fill, stops the price has already passed and orders without margin", async (t) => {
  await t.step("the open is below the long's stop", () => {
    const broker = new SimulatedBroker(EXACT);
    send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1298 }));
    const out = broker.onBar(bar(T0, [1297.5, 1298, 1297, 1297.8]));
    // Only the refusal, an event of its own, dated when the order would have filled.
    assert.deepEqual(out, [{
      v: 1,
      kind: "rejection",
      symbol: "XAUUSD",
      timeUs: T0 + 250_000,
      clientOrderId: "b",
      action: "open",
      positionId: null,
      reason: "invalid_stops",
      detail: "stop-loss 1298.00 is not below the bid 1297.50",
    }]);
    assert.deepEqual(broker.rejections, out);
  });

  await t.step("1 lot at 1300.30 needs 1 300.30 margin at 1:100; the account has 1 000", () => {
    const broker = new SimulatedBroker({ ...EXACT, initialBalance: 1000 });
    send(broker, openOrder("b", "buy", 1, T0));
    broker.onBar(bar(T0, [1300, 1300, 1300, 1300]));
    assert.equal(broker.rejections[0].reason, "insufficient_margin");
    assert.equal(broker.balance, 1000);
  });
});

Deno.test("SimulatedBroker values a long at the bid and a short at the ask when both are open", () => {
  const broker = new SimulatedBroker(EXACT);
  send(broker, openOrder("l", "buy", 0.10, T0));
  send(broker, openOrder("s", "sell", 0.10, T0));
  const out = broker.onBar(bar(T0, [1300, 1301, 1299, 1300.5]));
  // Long 1300.30 marked at bid 1300.50: +2.00; short 1300.00 marked at ask 1300.80: -8.00;
  // less two entry commissions of 0.35: 10 000 + 2.00 - 8.00 - 0.70 = 9 993.30.
  const last = only(out, "account").at(-1)!;
  assert.equal(last.equity, 9993.30);
  assert.equal(last.openPositions, 2);
  // Margin at the close's prices: the long at the ask 1300.80 x 10 / 100 = 130.08, the short
  // at the bid 1300.50 x 10 / 100 = 130.05.
  assert.equal(last.margin, 260.13);
});

Deno.test("SimulatedBroker reports a partly closed position's margin as that of the lots left", () => {
  const broker = new SimulatedBroker(EXACT);
  send(broker, openOrder("b", "buy", 0.10, T0));
  broker.onBar(flat(T0, 1300));
  send(broker, closeOrder("c", "b", "sell", 0.04, T0 + MINUTE));
  const out = broker.onBar(flat(T0 + MINUTE, 1310));
  // 0.06 lot left, a long margined at the ask 1310.30: 1310.30 x 100 x 0.06 / 100 = 78.618,
  // booked to the cent 78.62, in the position and in the account at the close.
  const [position] = broker.openPositions();
  assert.equal(position.lots, 0.06);
  assert.equal(position.margin, 78.62);
  assert.equal(only(out, "account").at(-1)!.margin, 78.62);
  assert.equal(broker.account().margin, 78.62);
});

Deno.test("SimulatedBroker counts a take-profit bar's low in the trade's worst excursion", () => {
  const broker = new SimulatedBroker(EXACT);
  send(broker, openOrder("b", "buy", 0.10, T0, { sl: 1297, tp: 1302 }));
  broker.onBar(bar(T0, [1300, 1300.3, 1299.9, 1300.2]));
  // The exit bar dips to 1298.00 (above the stop) and reaches the target: the dip may have
  // come first, so MAE = (1298.00 - 1300.30) x 10 = -23.00; MFE stops at the target, 17.00.
  const [trade] = only(broker.onBar(bar(T0 + MINUTE, [1300, 1302.8, 1298, 1302.5])), "trade");
  assert.equal(trade.mae, -23);
  assert.equal(trade.mfe, 17);
});

Deno.test("SimulatedBroker.closeAll() closes at the last close and cancels pending orders", () => {
  const broker = new SimulatedBroker({ slippagePoints: 2 });
  send(broker, openOrder("b", "buy", 0.10, T0));
  broker.onBar(bar(T0, [1300, 1300.5, 1299.5, 1301]));
  send(broker, openOrder("late", "buy", 0.10, T0 + MINUTE));
  const out = broker.closeAll("end_of_data");
  const [fill] = only(out, "fill");
  const [trade] = only(out, "trade");
  // Sold at the close bid 1301.00 less 0.02; bought at 1300.30 plus 0.02:
  // (1300.98 - 1300.32) x 10 - 0.70 = 5.90.
  assert.equal(fill.price, 1300.98);
  assert.equal(fill.timeUs, T0 + MINUTE);
  assert.equal(trade.exitReason, "end_of_data");
  assert.equal(trade.pnl, 5.90);
  assert.equal(only(out, "account").at(-1)!.balance, 10_005.90);
  assert.deepEqual(broker.rejections.map((r) => [r.clientOrderId, r.reason]), [[
    "late",
    "cancelled",
  ]]);
});

Deno.test("SimulatedBroker without markToMarket reports the account only when it changes", () => {
  const broker = new SimulatedBroker({ ...EXACT, markToMarket: false });
  send(broker, openOrder("b", "buy", 0.10, T0));
  assert.deepEqual(
    broker.onBar(bar(T0, [1300, 1301, 1299, 1300.5])).map((e) => e.kind),
    ["fill", "account"],
  );
  assert.deepEqual(broker.onBar(bar(T0 + MINUTE, [1300, 1301, 1299, 1300.5])), []);
});

Deno.test("SimulatedBroker refuses prices out of time order", () => {
  const broker = new SimulatedBroker(EXACT);
  broker.onBar(bar(T0, [1300, 1300, 1300, 1300]));
  assert.throws(() => broker.onBar(bar(T0 - MINUTE, [1300, 1300, 1300, 1300])), RangeError);
});

Deno.test("roundCents() rounds half a cent away from zero, float noise stripped", async (t) => {
  await t.step("by hand", () => {
    // 1.005 x 100 is 100.49999999999999 in binary: still half a cent, up to 1.01.
    assert.equal(roundCents(1.005), 1.01);
    assert.equal(roundCents(-1.005), -1.01);
    assert.equal(roundCents(0.665), 0.67); // 3.50 x 0.19, a commission
    assert.equal(roundCents(0.35000000000000003), 0.35);
    assert.equal(roundCents(-0.004), 0);
    assert.equal(roundCents(12_345_678.125), 12_345_678.13);
  });
  await t.step("as stripping every amount to 12 significant digits first would", () => {
    const reference = (amount: number) => {
      const cents = Math.round(Number((Math.abs(amount) * 100).toPrecision(12)));
      return cents === 0 ? 0 : Math.sign(amount) * cents / 100;
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -1e7, max: 1e7, noNaN: true }),
          // Amounts on the half cent, where the rounding is decided.
          fc.integer({ min: -2e9, max: 2e9 }).map((n) => (n + 0.5) / 100),
          fc.integer({ min: -1e6, max: 1e6 }).map((n) => n * 0.005),
        ),
        (amount) => assert.equal(roundCents(amount), reference(amount)),
      ),
      { numRuns: 20_000 },
    );
  });
});

/**
 * A long of 0.10 bought at 1300.30 (the worked example's fill; stop 1270, target 1320)
 * whose first bar closes at 1280 (its margin use then, 1280.30 x 0.10 = 128.03 over
 * equity 10 000 - 203.00 - 0.35 = 9 796.65, is 1.30689%, above any the span comes to),
 * then four bars inside the stop and target (rows 2-5), then one through the target: as
 * bar events and as the columns `quietSpan` reads (the spread column 0.30, as `bar` gives).
 */
function quietSpanCase() {
  const events = [
    bar(T0 - MINUTE, [1299.9, 1300.1, 1299.8, 1300.0]),
    bar(T0, [1300.0, 1300.5, 1279.5, 1280.0]),
    bar(T0 + MINUTE, [1280.0, 1301.0, 1279.9, 1300.8]),
    bar(T0 + 2 * MINUTE, [1300.8, 1302.0, 1300.6, 1301.9]),
    bar(T0 + 3 * MINUTE, [1301.9, 1302.2, 1298.9, 1299.1]),
    bar(T0 + 4 * MINUTE, [1299.1, 1300.0, 1298.5, 1299.6]),
    bar(T0 + 5 * MINUTE, [1299.6, 1320.5, 1299.0, 1320.2]),
  ];
  const columns = new BarColumnsBuilder("M1", "bid-spread", false);
  for (const e of events) {
    columns.push(
      e.openUs,
      e.closeUs,
      e.bid.open,
      e.bid.high,
      e.bid.low,
      e.bid.close,
      NaN,
      NaN,
      NaN,
      NaN,
      e.spread!,
      NaN,
    );
  }
  const opened = () => {
    const broker = new SimulatedBroker(EXACT);
    broker.onBar(events[0]);
    send(broker, openOrder("b1", "buy", 0.10, T0, { sl: 1270, tp: 1320 }));
    broker.onBar(events[1]);
    return broker;
  };
  const quoted = quotedBars(columns.take(), opened().settings.spreadModel);
  return { events, quoted, opened };
}

Deno.test("SimulatedBroker.quietSpan gives a quiet span's lowest, highest and last equity", () => {
  const { quoted, opened } = quietSpanCase();
  const marks = emptySpanMarks();
  assert.equal(opened().quietSpan(quoted, 2, 6, marks), 6);
  // Equity at a close c: 10 000 + (c - 1300.30) x 100 x 0.10 - commission 0.35. The
  // highest margin use it bounds: ask 1301.90 + 0.30 -> 130.22 over 9 987.65 = 1.30382%,
  // under the 1.30689% of row 1.
  assert.deepEqual(marks, {
    lowEquity: 9987.65, // close 1299.10: -12.00 - 0.35
    highEquity: 10015.65, // close 1301.90: +16.00 - 0.35
    highUs: T0 + 3 * MINUTE, // the close of row 3
    lastEquity: 9992.65, // close 1299.60: -7.00 - 0.35
    lastUs: T0 + 5 * MINUTE,
    bestBid: 1301.9,
    bestAsk: 1299.1 + 0.3, // the lowest close 1299.10 + spread 0.30, as quoteBar adds them
  });
});

Deno.test("SimulatedBroker.quietSpan leaves the positions' margin at the latest prices", () => {
  const { quoted, opened } = quietSpanCase();
  const broker = opened();
  // Row 1's closing ask 1280.30: 1280.30 x 100 x 0.10 / 100 = 128.03.
  assert.equal(broker.openPositions()[0].margin, 128.03);
  broker.quietSpan(quoted, 2, 6, emptySpanMarks());
  assert.equal(broker.openPositions()[0].margin, 128.03);
});

Deno.test("SimulatedBroker.takeQuietSpan records a new high of margin use as onBar does", () => {
  const { events, quoted } = quietSpanCase();
  // The same long opened on a bar closing at 1300.20: margin use 130.05 / 9 998.65 =
  // 1.30068%. The span's closes then use 130.11 / 10 004.65 (1300.80), 130.22 / 10 015.65
  // (1301.90), 129.94 / 9 987.65 (1299.10) and 129.99 / 9 992.65 (1299.60): the third,
  // 1.30101%, is a new high.
  const opened = () => {
    const broker = new SimulatedBroker(EXACT);
    broker.onBar(events[0]);
    send(broker, openOrder("b1", "buy", 0.10, T0, { sl: 1270, tp: 1320 }));
    broker.onBar(bar(T0, [1300.0, 1300.5, 1299.8, 1300.2]));
    return broker;
  };
  const stepped = opened();
  for (const e of events.slice(2, 6)) stepped.onBar(e);
  const spanned = opened();
  assert.equal(spanned.quietSpan(quoted, 2, 6, emptySpanMarks()), 6);
  spanned.takeQuietSpan(quoted, 2, 6, emptySpanMarks());
  assert.equal(spanned.stats.maxMarginUsePct, 129.94 / 9987.65 * 100);
  assert.deepEqual(spanned.stats, stepped.stats);
});

Deno.test("SimulatedBroker.quietSpan ends a span before the first bar that reaches a target", () => {
  const { quoted, opened } = quietSpanCase();
  // Row 6's bid high 1320.50 passes the target 1320: asked up to row 7, the span is 2-5.
  assert.equal(opened().quietSpan(quoted, 2, 7, emptySpanMarks()), 6);
  assert.equal(opened().quietSpan(quoted, 6, 7, emptySpanMarks()), 6);
});

Deno.test("SimulatedBroker.takeQuietSpan leaves the broker where onBar bar by bar leaves it", () => {
  const { events, quoted, opened } = quietSpanCase();
  const stepped = opened();
  for (const e of events.slice(2, 6)) stepped.onBar(e);
  const spanned = opened();
  spanned.takeQuietSpan(quoted, 2, 6, emptySpanMarks());
  assert.deepEqual(spanned.account(), stepped.account());
  assert.deepEqual(spanned.stats, stepped.stats);
  // A close at the next open then books both alike, with the excursions the span took in:
  // best, row 4's bid high 1302.20 -> (1302.20 - 1300.30) x 10 = 19.00.
  const close = closeOrder("c1", "b1", "sell", 0.10, T0 + 5 * MINUTE);
  send(spanned, close);
  send(stepped, close);
  const [trade] = only(spanned.onBar(events[6]), "trade");
  assert.deepEqual(trade, only(stepped.onBar(events[6]), "trade")[0]);
  assert.equal(trade.mfe, 19);
});

/**
 * A position of `lots` opened as in `quietSpanCase` (at row 1's open, ask 1300.30 for a
 * buy, bid 1300.00 for a sell), then `rows` as rows 2 on: as events and as the columns
 * `quietSpan` reads. Rows 2-401 end by 21:41 UTC, before the 22:00 rollover (EST).
 */
function longSpanCase(
  side: "buy" | "sell",
  rows: readonly Prices[],
  stops: { readonly sl: number; readonly tp: number; readonly lots?: number },
) {
  const events = [
    bar(T0 - MINUTE, [1299.9, 1300.1, 1299.8, 1300.0]),
    bar(T0, [1300.0, 1300.1, 1299.9, 1300.0]),
    ...rows.map((prices, i) => bar(T0 + (i + 1) * MINUTE, prices)),
  ];
  const columns = new BarColumnsBuilder("M1", "bid-spread", false);
  for (const e of events) {
    const { open, high, low, close } = e.bid;
    columns.push(e.openUs, e.closeUs, open, high, low, close, NaN, NaN, NaN, NaN, e.spread!, NaN);
  }
  const opened = () => {
    const broker = new SimulatedBroker(EXACT);
    broker.onBar(events[0]);
    send(broker, openOrder("p1", side, stops.lots ?? 0.10, T0, stops));
    broker.onBar(events[1]);
    return broker;
  };
  return { events, quoted: quotedBars(columns.take(), opened().settings.spreadModel), opened };
}

/** Bars through `closes`, each opening at the close before and reaching 0.10 past both. */
function walk(closes: readonly number[]): Prices[] {
  let open = 1300;
  return closes.map((close) => {
    const prices: Prices = [open, Math.max(open, close) + 0.1, Math.min(open, close) - 0.1, close];
    open = close;
    return prices;
  });
}

/**
 * `quietSpan` from row 2 ends at the row where the position exits bar by bar, and
 * `takeQuietSpan` of the rows before it leaves the account, the broker's statistics and
 * the trade's excursions as `onBar` bar by bar leaves them.
 */
function checkLongSpan(side: "buy" | "sell", closes: readonly number[], sl: number, tp: number) {
  const { events, quoted, opened } = longSpanCase(side, walk(closes), { sl, tp });
  const stepped = opened();
  let exitRow = events.length;
  for (let i = 2; i < events.length; i++) {
    if (only(stepped.onBar(events[i]), "trade").length > 0) {
      exitRow = i;
      break;
    }
  }
  const marks = emptySpanMarks();
  const end = opened().quietSpan(quoted, 2, events.length, marks);
  assert.equal(end, exitRow);
  const spanned = opened();
  const walked = opened();
  if (end > 2) spanned.takeQuietSpan(quoted, 2, end, emptySpanMarks());
  // The marks as the account reports of the same bars give them, the first of equals.
  const expected = { ...emptySpanMarks(), bestBid: -Infinity, bestAsk: Infinity };
  for (let i = 2; i < end; i++) {
    walked.onBar(events[i]);
    const { equity } = walked.account();
    const { closeUs, bid } = events[i];
    if (!(equity >= expected.lowEquity)) expected.lowEquity = equity;
    if (!(equity <= expected.highEquity)) {
      expected.highEquity = equity;
      expected.highUs = closeUs;
    }
    expected.lastEquity = equity;
    expected.lastUs = closeUs;
    expected.bestBid = Math.max(expected.bestBid, bid.close);
    expected.bestAsk = Math.min(expected.bestAsk, bid.close + 0.3);
  }
  if (end > 2) assert.deepEqual(marks, expected);
  assert.deepEqual(spanned.account(), walked.account());
  assert.deepEqual(spanned.stats, walked.stats);
  if (end < events.length) {
    // The exit's trade carries the excursions taken in by the span.
    const exitSide = side === "buy" ? "sell" : "buy";
    const close = closeOrder("c1", "p1", exitSide, 0.10, events[end].openUs);
    send(spanned, close);
    send(walked, close);
    assert.deepEqual(spanned.onBar(events[end]), walked.onBar(events[end]));
  }
  return end;
}

Deno.test("SimulatedBroker.quietSpan takes whole blocks of quiet rows as row by row", () => {
  // 400 rows drifting up 0.01 a row, never near a stop 30 below or a target 30 above.
  const drift = Array.from({ length: 400 }, (_, i) => 1300 + (i + 1) * 0.01);
  assert.equal(checkLongSpan("buy", drift, 1270, 1330), 402);
  assert.equal(checkLongSpan("sell", drift, 1330, 1270), 402);
  // Row r closes at 1300 + (r - 1) x 0.01 and its bid high is 0.10 above: the target
  // 1302.955 is first reached by row 287 (high 1302.96; row 286's is 1302.95).
  assert.equal(checkLongSpan("buy", drift, 1270, 1302.955), 287);
  // Up 0.01 a row to 1302.00 at row 201 (bid high 1302.10: the trade's best, inside a
  // block), then down 0.05 a row: row 201 + m closes at 1302 - 0.05m, low 0.10 below, so
  // the stop 1299.02 is first reached at m = 58 (low 1299.00; m = 57's is 1299.05).
  const peak = [
    ...Array.from({ length: 200 }, (_, k) => (130_000 + k + 1) / 100),
    ...Array.from({ length: 100 }, (_, m) => (130_200 - 5 * (m + 1)) / 100),
  ];
  assert.equal(checkLongSpan("buy", peak, 1299.02, 1330), 259);
});

Deno.test("SimulatedBroker.quietSpan refuses a span whose one deep bar inside a block nears the stop-out", () => {
  // 5 lots at 1:100: a margin of about 1300 x 100 x 5 / 100 = 6 500, so the stop-out's
  // 50% (with its 0.1% and 1.00 of room) is an equity of about 3 254. A long bought at
  // 1300.30 (commission 17.50) is there at a bid of 1300.30 - (10 000 - 17.50 - 3 254) /
  // 500 = 1286.84, a short sold at 1300.00 at an ask of about 1313.46. Row 101 alone
  // (inside the block of rows 96-127) reaches 1286.50 below, or 1313.50 (ask 1313.80)
  // above; the stops are beyond it.
  const flatRows = Array.from({ length: 200 }, (): Prices => [1300, 1300.1, 1299.9, 1300]);
  const dipped = flatRows.map((p, i): Prices => i === 99 ? [1300, 1300.1, 1286.5, 1300] : p);
  const spiked = flatRows.map((p, i): Prices => i === 99 ? [1300, 1313.5, 1299.9, 1300] : p);
  const quiet = (side: "buy" | "sell", rows: Prices[], sl: number, tp: number) => {
    const { quoted, opened } = longSpanCase(side, rows, { sl, tp, lots: 5 });
    return opened().quietSpan(quoted, 2, rows.length + 2, emptySpanMarks());
  };
  assert.equal(quiet("buy", flatRows, 1280, 1330), 202);
  assert.equal(quiet("buy", dipped, 1280, 1330), -1);
  assert.equal(quiet("sell", flatRows, 1320, 1270), 202);
  assert.equal(quiet("sell", spiked, 1320, 1270), -1);
  // A short's margin is read at the highest bid. At row 101's 1313.125 (ask 1313.425) its
  // equity, 10 000 - 13.425 x 500 - 17.50 = 3 270, is not clear of the stop-out: 327 000 is
  // not above 50 x (5 x 1313.125) x 1.001 + 1 = 328 610.5. At the other rows' highest bid,
  // 1300.10, it would be (325 351.0).
  const nearStopOut = flatRows.map((p, i): Prices => i === 99 ? [1300, 1313.125, 1299.9, 1300] : p);
  assert.equal(quiet("sell", nearStopOut, 1320, 1270), -1);
});

Deno.test("SimulatedBroker.quietSpan ends where bar by bar the position exits, over random walks", () => {
  fc.assert(
    fc.property(
      // Steps of up to 0.10: most spans cross several whole blocks before an exit.
      fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 1, maxLength: 400, size: "max" }),
      fc.constantFrom("buy" as const, "sell" as const),
      fc.integer({ min: 50, max: 3000 }),
      fc.integer({ min: 50, max: 3000 }),
      (steps, side, stopCents, targetCents) => {
        let price = 1300;
        const closes = steps.map((step) => (price = Math.round(price * 100 + step) / 100));
        const dir = side === "buy" ? 1 : -1;
        checkLongSpan(side, closes, 1300 - dir * stopCents / 100, 1300 + dir * targetCents / 100);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("SimulatedBroker.takeQuietSpan refuses rows that are not a quiet span", () => {
  const { quoted, opened } = quietSpanCase();
  assert.throws(
    () => opened().takeQuietSpan(quoted, 2, 7, emptySpanMarks()),
    /Cannot take rows 2 to 7 as a quiet span/,
  );
});
