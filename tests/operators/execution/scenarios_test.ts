/**
 * The scenarios of docs/execution.md, each worked out on paper in the comments first and
 * then asserted: a fill with every cost and its margin, a weekend gap through a stop,
 * swaps over a Wednesday, a short stopped on the ask of bid-only data, the end-of-data
 * close, stop-outs, an order across a data hole, a 0.1 lot step at 1:20, a limit filled
 * on a gap, a one-cancels-other bracket touched both ways in one bar and a partial close.
 * (The breakeven move the broker refuses is in tests/operators/risk/broker_terms_test.ts:
 * it needs the risk engine.) Unless a case says otherwise: the XAUUSD contract (100 oz,
 * 1:100, 3.50 commission per lot per side, swaps -35 long / +15 short per lot per night),
 * a spread column of 0.30 on every bar, no slippage, 250 ms latency.
 */

import assert from "node:assert/strict";
import { from, lastValueFrom, toArray } from "rxjs";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_BROKER_PROFILE,
  lossPerLotAtStop,
  readBrokerProfile,
  SimulatedBroker,
  simulateExecution,
} from "@/operators/execution/mod.ts";
import { lossOverBudget } from "@/operators/backtest/mod.ts";
import { orderAuthority } from "@/operators/execution/remote.ts";
import { type EventBatch, isoFromUs, usFromIso } from "@/pipeline/events.ts";
import {
  bar,
  closeOrder,
  EXACT,
  FIXED_SPREAD_PROFILE,
  flat,
  MINUTE,
  only,
  openOrder,
  pendingOrder,
  send,
  T0,
} from "./_fixtures.ts";

const EU_RETAIL = fileURLToPath(new URL("../../../profiles/eu_retail_1_20.json", import.meta.url));

Deno.test("scenario: a fill with every cost, and the margin it takes", async (t) => {
  await t.step("3.50 per lot per side, 2 points of slippage", () => {
    const broker = new SimulatedBroker({ ...EXACT, slippagePoints: 2 });
    broker.onBar(flat(T0 - MINUTE, 1300));
    send(broker, openOrder("b", "buy", 0.5, T0));
    const opened = broker.onBar(flat(T0, 1300));
    const [fill] = only(opened, "fill");
    // Ask 1300.00 + 0.30 = 1300.30, plus 2 points of slippage: 1300.32.
    assert.equal(fill.price, 1300.32);
    assert.equal(fill.slippage, 0.02);
    assert.equal(fill.commission, 1.75); // 3.50 x 0.50
    // Margin at the ask, without slippage: 1300.30 x 100 x 0.50 / 100 = 650.15.
    // Equity: 10 000 + (1300.00 - 1300.32) x 50 - 1.75 = 10 000 - 16.00 - 1.75 = 9 982.25.
    // Free margin 9 982.25 - 650.15 = 9 332.10; margin level 9 982.25 / 650.15 = 1 535.4%.
    assert.deepEqual(broker.account(), {
      balance: 10_000,
      equity: 9982.25,
      margin: 650.15,
      freeMargin: 9332.10,
      marginLevel: 9982.25 / 650.15 * 100,
      openPositions: 1,
    });
    send(broker, closeOrder("c", "b", "sell", 0.5, T0 + MINUTE));
    const [trade] = only(broker.onBar(flat(T0 + MINUTE, 1301)), "trade");
    // Exit at the bid 1301.00 - 0.02 = 1300.98; gross (1300.98 - 1300.32) x 50 = 33.00;
    // commission 1.75 x 2 = 3.50; net 29.50. The spread took (0.15 + 0.15) x 50 = 15.00.
    assert.deepEqual(
      [trade.exitPrice, trade.commission, trade.pnl, trade.spreadCost],
      [1300.98, 3.5, 29.5, 15],
    );
    assert.equal(broker.balance, 10_029.5);
  });

  await t.step("35 per million of notional per side", () => {
    const broker = new SimulatedBroker({
      ...EXACT,
      slippagePoints: 2,
      broker: {
        ...FIXED_SPREAD_PROFILE,
        commission: { model: "per_million", perMillionPerSide: 35 },
      },
    });
    broker.onBar(flat(T0 - MINUTE, 1300));
    send(broker, openOrder("b", "buy", 0.5, T0));
    // Entry notional 1300.32 x 100 x 0.50 = 65 016.00: 65 016 / 1e6 x 35 = 2.27556 -> 2.28.
    assert.equal(only(broker.onBar(flat(T0, 1300)), "fill")[0].commission, 2.28);
    send(broker, closeOrder("c", "b", "sell", 0.5, T0 + MINUTE));
    const [exit, trade] = broker.onBar(flat(T0 + MINUTE, 1301)).filter((e) =>
      e.kind === "fill" || e.kind === "trade"
    );
    // Exit notional 1300.98 x 50 = 65 049.00: x 35 / 1e6 = 2.276715 -> 2.28; net 33.00 - 4.56.
    assert.equal(exit.kind === "fill" && exit.commission, 2.28);
    assert.equal(trade.kind === "trade" && trade.pnl, 28.44);
  });
});

Deno.test("scenario: a weekend gap through a stop fills at Sunday's open, after Friday's swap", () => {
  const broker = new SimulatedBroker(EXACT);
  // Friday 2018-02-23 16:50 New York (EST) is 21:50 UTC; the market reopens Sunday 18:00,
  // 23:00 UTC.
  const friday = usFromIso("2018-02-23T21:50:00Z");
  const sunday = usFromIso("2018-02-25T23:00:00Z");
  broker.onBar(flat(friday - MINUTE, 1320));
  send(broker, openOrder("b", "buy", 0.1, friday, { sl: 1318 }));
  broker.onBar(flat(friday, 1320)); // fills at the ask 1320.30
  broker.onBar(flat(friday + 8 * MINUTE, 1319.5));
  const out = broker.onBar(bar(sunday, [1315, 1316, 1314.5, 1315.5]));
  const [trade] = only(out, "trade");
  // Friday's 17:00 New York rollover books one night at Sunday's first price: -35 x 0.10 =
  // -3.50. Then the open 1315.00 is already below the 1318.00 stop: the exit is the open,
  // not the stop, dated at the open. Gross (1315.00 - 1320.30) x 10 = -53.00; commission
  // 0.70; swap -3.50; net -57.20.
  assert.deepEqual(
    [trade.exitPrice, isoFromUs(trade.exitTimeUs), trade.exitReason, trade.swap, trade.pnl],
    [1315, "2018-02-25T23:00:00Z", "stop_loss", -3.5, -57.2],
  );
  // Its budget: the stop 2.30 below the fill x 100 x 0.10 + 0.70 commission = 23.70. The gap
  // lost 57.20 / 23.70 = 2.41 times that, the factor the report gives.
  const budget = 0.1 * lossPerLotAtStop({ spec: broker.spec, slippage: 0 }, "buy", 1320.3, 1318);
  assert.ok(Math.abs(budget - 23.7) < 1e-9);
  assert.equal(lossOverBudget({ ...trade, initialRisk: 23.7 }), 57.2 / 23.7);
});

Deno.test("scenario: swaps over a Wednesday, three nights, for a long and a short", async (t) => {
  // Wednesday 2018-02-21 10:00 New York (15:00 UTC) to Thursday: the 17:00 New York rollover
  // (22:00 UTC) on a Wednesday books three nights. At a flat 1300.00, 1 lot loses the 0.30
  // spread (30.00) and 7.00 of commission.
  const wednesday = usFromIso("2018-02-21T15:00:00Z");
  const cases = [
    ["buy", -105, -142], // -35 x 3 = -105; -30.00 - 7.00 - 105.00 = -142.00
    ["sell", 45, 8], // +15 x 3 = +45; -30.00 - 7.00 + 45.00 = 8.00
  ] as const;
  for (const [side, swap, pnl] of cases) {
    await t.step(side, () => {
      const broker = new SimulatedBroker(EXACT);
      broker.onBar(flat(wednesday - MINUTE, 1300));
      send(broker, openOrder("o", side, 1, wednesday));
      broker.onBar(flat(wednesday, 1300));
      const thursday = wednesday + 24 * 60 * MINUTE;
      send(broker, closeOrder("c", "o", side === "buy" ? "sell" : "buy", 1, thursday));
      const [trade] = only(broker.onBar(flat(thursday, 1300)), "trade");
      assert.deepEqual([trade.swap, trade.pnl], [swap, pnl]);
    });
  }
});

Deno.test("scenario: a short on bid-only data is stopped on the ask, the bid plus the hour's spread", () => {
  // The default profile: 10:00-11:00 New York is 0.28 in the measured table, and 2018-02-21
  // 15:00 UTC is 10:00 EST.
  const broker = new SimulatedBroker({ slippagePoints: 0 });
  const at = usFromIso("2018-02-21T15:00:00Z");
  broker.onBar(flat(at - MINUTE, 1330, { spread: null }));
  send(broker, openOrder("s", "sell", 0.1, at, { sl: 1331 }));
  assert.equal(only(broker.onBar(flat(at, 1330, { spread: null })), "fill")[0].price, 1330);
  // Bid high 1330.70: ask high 1330.98, below the 1331.00 stop: still open.
  broker.onBar(bar(at + MINUTE, [1330.2, 1330.7, 1330.1, 1330.5], { spread: null }));
  assert.equal(broker.openPositions().length, 1);
  // Bid high 1330.75 never reaches 1331.00, but its ask 1330.75 + 0.28 = 1331.03 does.
  const out = broker.onBar(
    bar(at + 2 * MINUTE, [1330.4, 1330.75, 1330.3, 1330.6], { spread: null }),
  );
  const [trade] = only(out, "trade");
  // Bought back at the stop 1331.00: gross -(1331.00 - 1330.00) x 10 = -10.00; commission
  // 0.70; net -10.70. The spread at entry and at the ask high: (0.14 + 0.14) x 10 = 2.80.
  assert.deepEqual([trade.exitPrice, trade.exitReason, trade.pnl, trade.spreadCost], [
    1331,
    "stop_loss",
    -10.7,
    2.8,
  ]);
});

Deno.test("scenario: the end of the data closes at the last close and cancels what still waits", async () => {
  const broker = new SimulatedBroker({ ...EXACT, slippagePoints: 2 });
  const entry = openOrder("b", "buy", 0.1, T0);
  const waiting = pendingOrder("w", "buy", "limit", 1290, 0.1, T0);
  // The risk decisions come in the stream before their orders, as risk emits them.
  const batch: EventBatch = [
    flat(T0 - MINUTE, 1300),
    orderAuthority(entry),
    entry,
    orderAuthority(waiting),
    waiting,
    bar(T0, [1300, 1300.8, 1299.8, 1300.5]),
    bar(T0 + MINUTE, [1300.5, 1301.9, 1300.4, 1301.5]),
  ];
  const out = (await lastValueFrom(from([batch]).pipe(simulateExecution(broker), toArray())))
    .flat();
  const end = out.slice(out.findIndex((e) => e.kind === "rejection" && e.reason === "cancelled"));
  // Filled at 1300.30 + 0.02 = 1300.32. The data ends with the bar closing at T0 + 2 min:
  // the long sells at its close bid 1301.50 - 0.02 = 1301.48, dated then. Gross (1301.48 -
  // 1300.32) x 10 = 11.60; commission 0.70; net 10.90. The buy limit at 1290.00 never
  // filled: it is cancelled, an event of its own.
  const [trade] = only(end, "trade");
  assert.deepEqual(
    [trade.exitPrice, trade.exitReason, trade.exitTimeUs, trade.pnl],
    [1301.48, "end_of_data", T0 + 2 * MINUTE, 10.9],
  );
  assert.equal(only(end, "fill")[0].clientOrderId, "b:end_of_data");
  const [cancelled] = only(end, "rejection");
  assert.deepEqual([cancelled.clientOrderId, cancelled.action, cancelled.detail], [
    "w",
    "pending",
    'cancelled by closeAll("end_of_data") before it filled',
  ]);
});

Deno.test("scenario: a stop-out inside a bar closes at the price where the margin level reaches 50%", () => {
  const broker = new SimulatedBroker({ ...EXACT, initialBalance: 2000 });
  broker.onBar(flat(T0 - MINUTE, 1300));
  send(broker, openOrder("b", "buy", 1, T0));
  broker.onBar(flat(T0, 1300)); // 1 lot at the ask 1300.30; margin 1300.30 of 1 966.50 equity
  const out = broker.onBar(bar(T0 + MINUTE, [1299, 1299.5, 1280, 1285]));
  // At the open (bid 1299.00): equity 2 000 + (1299.00 - 1300.30) x 100 - 3.50 = 1 866.50,
  // margin at the ask 1299.30: level 143.7%, above 50%. Inside the bar, with b the bid:
  //   equity(b) = 2 000 + (b - 1300.30) x 100 - 3.50,  margin(b) = (b + 0.30) x 100 / 100
  //   equity = 0.5 x margin  =>  99.5 b = 128 033.50 + 0.15  =>  b = 1286.7703...
  // rounded down to the cent: 1286.77 (level 643.50 / 1 287.07 = 49.998%; at 1286.78 it is
  // 644.50 / 1 287.08 = 50.07%). The bar's low 1280.00 reaches it.
  const [fill] = only(out, "fill");
  const [trade] = only(out, "trade");
  assert.deepEqual([fill.price, fill.reason, fill.clientOrderId, fill.timeUs], [
    1286.77,
    "stop_out",
    "b:stop_out",
    T0 + 2 * MINUTE,
  ]);
  // Gross (1286.77 - 1300.30) x 100 = -1 353.00; commission 7.00; net -1 360.00.
  assert.equal(trade.pnl, -1360);
  assert.equal(broker.balance, 640);
  assert.equal(broker.stats.stopOuts, 1);
});

Deno.test("scenario: a stop-out at the open closes the largest loss first, and only as much as needed", () => {
  const broker = new SimulatedBroker({ ...EXACT, initialBalance: 4000 });
  broker.onBar(flat(T0 - MINUTE, 1300));
  send(broker, openOrder("a", "buy", 1, T0));
  broker.onBar(flat(T0, 1300)); // A: 1 lot at 1300.30
  send(broker, openOrder("b", "buy", 1, T0 + MINUTE));
  // B at the ask 1310.30. Its margin 1 310.30 against a free margin of 4 966.50 - 1 310.30:
  // accepted.
  broker.onBar(flat(T0 + MINUTE, 1310));
  assert.equal(broker.openPositions().length, 2);
  const out = broker.onBar(bar(T0 + 2 * MINUTE, [1290, 1291, 1289.5, 1290.5]));
  // At the open, bid 1290.00: equity 4 000 + (1290.00 - 1300.30) x 100 + (1290.00 -
  // 1310.30) x 100 - 7.00 = 933.00 against a margin of 2 x 1290.30 = 2 580.60: 36.2%, at or
  // below 50%. B loses more (-2 030.00 against -1 030.00): it goes first, at the open bid.
  // B nets -2 030.00 - 7.00 = -2 037.00: balance 1 963.00. Then equity 1 963.00 - 1 030.00
  // - 3.50 = 929.50 against 1 290.30 of margin: 72.0%, so A stays. Inside the bar A would
  // need b = 128 070.65 / 99.5 = 1287.14; the low is 1289.50.
  const [trade] = only(out, "trade");
  assert.deepEqual([trade.positionId, trade.exitPrice, trade.exitTimeUs, trade.pnl], [
    "b",
    1290,
    T0 + 2 * MINUTE,
    -2037,
  ]);
  assert.deepEqual(broker.openPositions().map((p) => p.id), ["a"]);
  assert.equal(broker.balance, 1963);
});

Deno.test("scenario: an order decided before a data hole expires instead of filling after it", () => {
  const broker = new SimulatedBroker(EXACT);
  broker.onBar(flat(T0 - MINUTE, 1300));
  send(broker, openOrder("b", "buy", 0.1, T0));
  // The next bar comes an hour later: 3 600 s after the decision, past the 30 s time in force.
  const out = broker.onBar(flat(T0 + 60 * MINUTE, 1310));
  assert.deepEqual(only(out, "fill"), []);
  const [expired] = only(out, "rejection");
  assert.deepEqual([expired.reason, expired.timeUs], ["expired", T0 + 60 * MINUTE]);
  assert.match(
    expired.detail,
    /first price after it came 3600 s later, past the 30 s time in force/,
  );
});

Deno.test("scenario: a lot step of 0.1 at 1:20 (EU retail profile)", async () => {
  const broker = new SimulatedBroker({ broker: await readBrokerProfile(EU_RETAIL) });
  // 0.16 lots is not a multiple of 0.1: refused on arrival, an event of its own.
  const refused = send(broker, openOrder("x", "buy", 0.16, T0));
  assert.equal(refused.status, "rejected");
  assert.equal(
    refused.status === "rejected" && refused.detail,
    "0.16 lots is not a multiple of 0.1 between 0.1 and 20",
  );
  broker.onBar(flat(T0 - MINUTE, 2000, { spread: null }));
  send(broker, openOrder("b", "buy", 0.1, T0));
  const [fill] = only(broker.onBar(flat(T0, 2000, { spread: null })), "fill");
  // The profile's 0.40 spread (10:00 New York, outside its 16:00-19:00 window) and 2 points
  // of slippage: 2000.42. No commission on this account. Margin at the ask 2000.40 at 1:20:
  // 2000.40 x 100 x 0.1 / 20 = 1 000.20.
  assert.deepEqual([fill.price, fill.commission], [2000.42, 0]);
  assert.equal(broker.account().margin, 1000.2);
});

Deno.test("scenario: a buy limit gapped through fills at the open, better than its price", () => {
  const broker = new SimulatedBroker({ ...EXACT, slippagePoints: 2 });
  broker.onBar(flat(T0 - MINUTE, 1300));
  send(broker, pendingOrder("l", "buy", "limit", 1295, 0.1, T0, { sl: 1292, tp: 1300 }));
  // Placed at the next open (ask 1300.30 above 1295.00); the bar's ask low 1299.80 misses it.
  assert.deepEqual(only(broker.onBar(bar(T0, [1300, 1300.5, 1299.5, 1300.2])), "fill"), []);
  const out = broker.onBar(bar(T0 + MINUTE, [1293, 1294, 1292.5, 1293.5]));
  const [fill] = only(out, "fill");
  // The open's ask 1293.00 + 0.30 = 1293.30 is already below the limit: the fill is there,
  // 1.70 better, dated at the open; a limit never slips.
  assert.deepEqual([fill.price, fill.reason, fill.slippage, fill.timeUs], [
    1293.3,
    "limit",
    0,
    T0 + MINUTE,
  ]);
});

Deno.test("scenario: a one-cancels-other bracket touched both ways in one bar fills the leg nearest the open", () => {
  const broker = new SimulatedBroker({ ...EXACT, slippagePoints: 2 });
  broker.onBar(flat(T0 - MINUTE, 1300));
  const group = { ocoGroup: "g", expiresUs: T0 + 15 * MINUTE };
  send(
    broker,
    pendingOrder("g-limit", "buy", "limit", 1299.5, 0.1, T0, { sl: 1296.5, tp: 1305.5 }, group),
  );
  send(broker, pendingOrder("g-stop", "buy", "stop", 1301, 0.1, T0, { sl: 1298, tp: 1307 }, group));
  const out = broker.onBar(bar(T0, [1300, 1301.5, 1299, 1300.8]));
  // Both are placed at the open (ask 1300.30). The bar's ask runs 1299.30 to 1301.80: it
  // reaches the limit (1299.50) and the stop (1301.00). The stop is 0.70 from the open's ask,
  // the limit 0.80: the stop fills, at 1301.00 + 0.02, dated at the bar's close, and the
  // limit is cancelled. The new position's stop 1298.00 is below the bid low 1299.00.
  const [fill] = only(out, "fill");
  assert.deepEqual([fill.clientOrderId, fill.price, fill.reason, fill.timeUs], [
    "g-stop",
    1301.02,
    "stop",
    T0 + MINUTE,
  ]);
  const [cancelled] = only(out, "rejection");
  assert.deepEqual([cancelled.clientOrderId, cancelled.reason], ["g-limit", "cancelled"]);
  assert.match(cancelled.detail, /one-cancels-other: g-stop of group "g" filled/);
  assert.equal(broker.openPositions()[0].stopLoss, 1298);
  assert.deepEqual(broker.workingOrders(), []);
});

Deno.test("scenario: a partial close books its share, and the trade sums both parts", () => {
  const broker = new SimulatedBroker(EXACT);
  broker.onBar(flat(T0 - MINUTE, 1300));
  send(broker, openOrder("b", "buy", 0.2, T0));
  broker.onBar(flat(T0, 1300)); // 0.20 lots at 1300.30; entry commission 0.70 owed
  send(broker, closeOrder("half", "b", "sell", 0.1, T0 + MINUTE, "scale_out"));
  const part = broker.onBar(flat(T0 + MINUTE, 1303.3));
  // 0.10 sold at 1303.30: gross 3.00 x 10 = 30.00, half the entry commission 0.35 and the
  // exit's 0.35: the balance takes 29.30. No trade yet: 0.10 lots stay open.
  assert.deepEqual(only(part, "fill").map((f) => [f.lots, f.price, f.reason]), [[
    0.1,
    1303.3,
    "scale_out",
  ]]);
  assert.deepEqual(only(part, "trade"), []);
  assert.equal(broker.balance, 10_029.3);
  send(broker, closeOrder("rest", "b", "sell", 0.1, T0 + 2 * MINUTE));
  const [trade] = only(broker.onBar(flat(T0 + 2 * MINUTE, 1302.3)), "trade");
  // The rest at 1302.30: 2.00 x 10 = 20.00 - 0.35 - 0.35 = 19.30. The trade: 0.20 lots, exit
  // (1303.30 x 0.1 + 1302.30 x 0.1) / 0.2 = 1302.80, commission 1.40, net 30.00 + 20.00 -
  // 1.40 = 48.60 = the balance's change.
  assert.deepEqual([trade.lots, trade.exitPrice, trade.commission, trade.pnl, trade.exitReason], [
    0.2,
    1302.8,
    1.4,
    48.6,
    "signal",
  ]);
  assert.equal(broker.balance, 10_000 + 48.6);
  // Only the default profile's figures were assumed: none of them changed here.
  assert.equal(broker.spec.contractSize, DEFAULT_BROKER_PROFILE.contractSize);
});
