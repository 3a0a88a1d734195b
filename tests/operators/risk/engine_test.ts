/**
 * `RiskEngine` end to end on hand-made inputs: accepted orders and their ids, rejections
 * listing every reason in order, the state machine (daily loss until 17:00 New York,
 * drawdown until reset, the manual kill switch, losing streaks), pending orders, and a
 * property that accepted sizes never exceed the risk budget.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  clientOrderId,
  DEFAULT_RISK_CONFIG,
  killSwitchRule,
  type RiskEngine,
  RiskEngine as Engine,
  type RiskInputs,
  stopRule,
} from "@/operators/risk/mod.ts";
import {
  type AccountEvent,
  EVENT_VERSION,
  type FillEvent,
  isoFromUs,
  usFromIso,
} from "@/pipeline/events.ts";
import {
  type QuotedBars,
  quotedBars,
  type SpanMarks,
  SpreadModel,
} from "@/operators/execution/mod.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import {
  account,
  calendar,
  engine,
  NOW,
  NOW_US,
  position,
  quote,
  sellSignal,
  signal,
  trade,
} from "./_fixtures.ts";

function accountEvent(iso: string, equity: number, balance = equity): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: usFromIso(iso),
    balance,
    equity,
    margin: 0,
    openPositions: 0,
  };
}

/** Inputs at `iso`: a flat account with this equity and a fresh 0.30 quote. */
function inputs(iso: string, equity = 10_000): RiskInputs {
  const timeUs = usFromIso(iso);
  return {
    account: account({ timeUs, equity, balance: equity }),
    quote: quote({ timeUs }),
  };
}

/** Decides a default buy at `iso` and returns the reason codes ("accept" first when accepted). */
function decideAt(risk: RiskEngine, iso: string, equity = 10_000): string[] {
  const { decision } = risk.decide(signal({ timeUs: usFromIso(iso) }), inputs(iso, equity));
  return [decision.decision, ...decision.reasons.map((r) => r.code)];
}

function openFill(id: string, positionId: string, iso: string): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs: usFromIso(iso),
    clientOrderId: id,
    positionId,
    action: "open",
    side: "buy",
    lots: 0.16,
    price: 2000.3,
    commission: 0.56,
    slippage: 0,
    reason: "market",
  };
}

Deno.test("RiskEngine.decide() accepts a healthy buy with 0.16 lots and an open order", () => {
  const { decision, orders: [order] } = engine().decide(signal(), inputs(NOW));
  assert.equal(decision.decision, "accept");
  // One lot loses (2000.30 - 1997.30) x 100 + 3.50 + 3.50 = 307.00 at the stop (no slippage
  // without costs given): 50 / 307 = 0.1628 -> 0.16 lots, a budget of 0.16 x 307 = 49.12.
  assert.equal(decision.lots, 0.16);
  assert.equal(decision.budget, 49.12);
  assert.equal(decision.state, "active");
  assert.deepEqual(decision.reasons, []);
  assert.equal(decision.clientOrderId, `XAUUSD-${NOW_US}-buy`);
  assert.deepEqual(order, {
    v: EVENT_VERSION,
    kind: "order",
    symbol: "XAUUSD",
    timeUs: NOW_US,
    clientOrderId: `XAUUSD-${NOW_US}-buy`,
    action: "open",
    side: "buy",
    lots: 0.16,
    stopLoss: 1997.3,
    takeProfit: 2004.3,
    positionId: null,
    reason: "SIGNAL",
  });
});

Deno.test("RiskEngine.decide() multiplies a signal's sizeFactor into the lots, rounding down, never up", async (t) => {
  // Risk 0.5% of 10,000 = 50 over a 3.00 stop x 100 oz: 0.1666 lots.
  const cases = [
    // 50 / (3.00 x 100 + 2 x 3.50) = 0.1628 lots before the factor (docs/risk.md).
    { sizeFactor: 0.5, lots: 0.08 }, // 0.1628 x 0.5 = 0.0814 -> 0.08
    { sizeFactor: 0.75, lots: 0.12 }, // 0.1628 x 0.75 = 0.1221 -> 0.12
    { sizeFactor: 1.5, lots: 0.16 }, // above 1 counts as 1: the size is never raised
    { sizeFactor: undefined, lots: 0.16 },
  ];
  for (const { sizeFactor, lots } of cases) {
    await t.step(`sizeFactor ${sizeFactor}: ${lots} lots`, () => {
      const { decision, orders } = engine().decide(signal({ sizeFactor }), inputs(NOW));
      assert.equal(decision.lots, lots);
      assert.equal(orders[0]?.lots, lots);
    });
  }
});

Deno.test("RiskEngine.decide() rejects below the minimum lot when a sizeFactor is 0 or not a number", () => {
  for (const sizeFactor of [0, NaN, -1]) {
    const { decision } = engine().decide(signal({ sizeFactor }), inputs(NOW));
    assert.deepEqual([decision.decision, ...decision.reasons.map((r) => r.code)], [
      "reject",
      "BELOW_MIN_LOT",
    ]);
  }
});

Deno.test("RiskEngine.decide() lists every gate that denied, in rule order, and sends no order", () => {
  // Friday 20:30 UTC = 16:30 EDT: after the New York session and in the weekday block.
  const iso = "2024-03-22T20:30:00Z";
  const { decision, orders } = engine({ spread: { maxSpread: 0.2 } }).decide(
    signal({ timeUs: usFromIso(iso), stopLoss: null }),
    inputs(iso),
  );
  assert.deepEqual(orders, []);
  assert.equal(decision.decision, "reject");
  assert.equal(decision.lots, 0);
  assert.equal(decision.clientOrderId, null);
  assert.deepEqual(decision.reasons.map((r) => r.code), [
    "OUTSIDE_SESSION",
    "WEEKDAY_BLOCKED",
    "SPREAD_TOO_WIDE",
    "NO_STOP",
  ]);
  assert.match(decision.reasons[2].detail, /spread 0\.30 exceeds 0\.20/);
});

Deno.test("RiskEngine.decide() rejects with NO_ACCOUNT before any account report or without equity", () => {
  const { decision } = engine().decide(signal(), { account: null, quote: quote() });
  assert.deepEqual(decision.reasons.map((r) => r.code), ["NO_ACCOUNT"]);
  for (const equity of [0, -50, NaN]) {
    const broke = engine().decide(signal(), { account: account({ equity }), quote: quote() });
    assert.deepEqual(broke.decision.reasons.map((r) => r.code), ["NO_ACCOUNT"], String(equity));
  }
});

Deno.test("RiskEngine.decide() throws on a hold signal or another symbol: wiring errors, not denials", () => {
  const risk = engine();
  assert.throws(() => risk.decide(signal({ side: "hold" }), inputs(NOW)), RangeError);
  assert.throws(() => risk.decide(signal({ symbol: "EURUSD" }), inputs(NOW)), RangeError);
});

Deno.test("RiskEngine refuses to start without stopRule among its rules", () => {
  assert.throws(
    () => new Engine({ calendar: calendar(), rules: [killSwitchRule] }),
    /must include stopRule/,
  );
  const risk = new Engine({ calendar: calendar(), rules: [killSwitchRule, stopRule] });
  assert.equal(risk.decide(signal(), inputs(NOW)).decision.lots, 0.16);
});

Deno.test("RiskEngine refuses to start with news enabled and no calendar", () => {
  assert.throws(() => new Engine(), /news\.enabled is true but no calendar/);
  new Engine({
    config: { ...DEFAULT_RISK_CONFIG, news: { ...DEFAULT_RISK_CONFIG.news, enabled: false } },
  });
});

Deno.test("clientOrderId() is the same for the same symbol, time and side, and differs otherwise", () => {
  assert.equal(clientOrderId("XAUUSD", NOW_US, "buy"), `XAUUSD-${NOW_US}-buy`);
  const a = engine().decide(signal(), inputs(NOW)).decision.clientOrderId;
  const b = engine().decide(signal(), inputs(NOW)).decision.clientOrderId;
  assert.equal(a, b);
  const ids = new Set([
    clientOrderId("XAUUSD", NOW_US, "buy"),
    clientOrderId("XAUUSD", NOW_US, "sell"),
    clientOrderId("XAUUSD", NOW_US + 1, "buy"),
    clientOrderId("XAGUSD", NOW_US, "buy"),
  ]);
  assert.equal(ids.size, 4);
});

Deno.test("RiskEngine.decide() rejects the same signal twice with DUPLICATE_ORDER", () => {
  const risk = engine({ positions: { maxOpen: 3 } });
  assert.equal(risk.decide(signal(), inputs(NOW)).decision.decision, "accept");
  const again = risk.decide(signal(), inputs(NOW)).decision;
  assert.deepEqual(again.reasons.map((r) => r.code), ["DUPLICATE_ORDER"]);
});

Deno.test("RiskEngine counts an unfilled entry as a position until its fill or its time-out", () => {
  const risk = engine();
  const first = risk.decide(signal(), inputs(NOW)).decision;
  assert.equal(first.decision, "accept");
  assert.deepEqual(decideAt(risk, "2024-03-20T13:01:00Z"), ["reject", "MAX_POSITIONS"]);
  // Never filled: after the 300 s time-to-live it no longer counts.
  assert.deepEqual(decideAt(risk, "2024-03-20T13:05:01Z"), ["accept"]);
  // Filled: the pending entry is gone; the position (in the account) counts instead.
  const filled = engine();
  const id = filled.decide(signal(), inputs(NOW)).decision.clientOrderId!;
  filled.onFill(openFill(id, "p1", "2024-03-20T13:00:01Z"));
  const later = "2024-03-20T13:02:00Z";
  assert.equal(
    filled.decide(signal({ timeUs: usFromIso(later) }), inputs(later)).decision.decision,
    "accept",
  );
});

Deno.test("RiskEngine halts at the daily loss limit and resumes at 17:00 New York (EDT)", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-03-20T14:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-20T15:00:00Z", 9_800));
  assert.equal(risk.status(usFromIso("2024-03-20T15:00:00Z")).state, "halted");
  assert.deepEqual(decideAt(risk, "2024-03-20T15:30:00Z", 9_800), [
    "reject",
    "DAILY_LOSS_LIMIT",
  ]);
  // Recovery the same day does not reopen trading.
  assert.deepEqual(decideAt(risk, "2024-03-20T16:30:00Z", 9_950), [
    "reject",
    "DAILY_LOSS_LIMIT",
  ]);
  assert.equal(risk.status(usFromIso("2024-03-20T20:59:59Z")).state, "halted");
  // 17:00 EDT = 21:00 UTC: a new day starting from the last equity seen.
  assert.equal(risk.status(usFromIso("2024-03-20T21:00:00Z")).state, "active");
  assert.deepEqual(decideAt(risk, "2024-03-20T21:00:00Z", 9_950), ["accept"]);
});

Deno.test("RiskEngine resets the daily loss limit at 22:00 UTC in winter (17:00 EST)", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-01-10T14:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-01-10T15:00:00Z", 9_790));
  assert.equal(risk.status(usFromIso("2024-01-10T21:59:59Z")).state, "halted");
  assert.equal(risk.status(usFromIso("2024-01-10T22:00:00Z")).state, "active");
});

Deno.test("RiskEngine measures the day from the last equity before 17:00 New York", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-03-20T20:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-20T20:59:00Z", 9_900)); // a loss late on the 19th's day
  // The 20th's day starts at 9,900: the late loss does not count against it.
  risk.onAccount(accountEvent("2024-03-20T22:00:00Z", 9_750));
  assert.equal(risk.status(usFromIso("2024-03-20T22:00:00Z")).state, "reducing");
  risk.onAccount(accountEvent("2024-03-20T23:00:00Z", 9_702));
  assert.equal(risk.status(usFromIso("2024-03-20T23:00:00Z")).state, "halted");
});

Deno.test("RiskEngine halts at 10% drawdown until resetDrawdown(), across days and recoveries", () => {
  // A daily limit as wide as the drawdown, so only the drawdown fires.
  const risk = engine({ sessions: { enabled: false }, dailyLoss: { maxPercent: 10 } });
  risk.onAccount(accountEvent("2024-03-18T14:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-18T15:00:00Z", 10_100));
  risk.onAccount(accountEvent("2024-03-19T14:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-19T15:00:00Z", 9_900));
  risk.onAccount(accountEvent("2024-03-20T14:00:00Z", 9_200));
  risk.onAccount(accountEvent("2024-03-20T15:00:00Z", 9_090)); // 10% below 10,100
  const status = risk.status(usFromIso("2024-03-20T15:00:00Z"));
  assert.equal(status.state, "halted");
  assert.deepEqual(status.reasons.map((r) => r.code), ["MAX_DRAWDOWN"]);
  risk.onAccount(accountEvent("2024-03-25T14:00:00Z", 10_050));
  assert.deepEqual(decideAt(risk, "2024-03-25T14:30:00Z", 10_050), ["reject", "MAX_DRAWDOWN"]);
  risk.resetDrawdown();
  assert.deepEqual(decideAt(risk, "2024-03-25T14:31:00Z", 10_050), ["accept"]);
});

Deno.test("RiskEngine.halts records each halt with its time, code and when it lifted", () => {
  const risk = engine({ sessions: { enabled: false }, dailyLoss: { maxPercent: 2 } });
  risk.onAccount(accountEvent("2024-03-20T14:00:00Z", 10_000));
  // 2% of the day's 10,000 start is 200: 9,800 hits the daily limit, which lifts at the
  // next 17:00 New York, 2024-03-20T21:00Z (EDT).
  risk.onAccount(accountEvent("2024-03-20T15:00:00Z", 9_800));
  // 10% below the peak 10,000 is 9,000: the drawdown halt, held until the reset (dated
  // at the last event seen); the same reading is 800 below the new day's 9,800 start,
  // over its 196 limit, so the daily halt fires again, after the drawdown's check.
  risk.onAccount(accountEvent("2024-03-21T15:00:00Z", 9_000));
  risk.resetDrawdown();
  assert.deepEqual(
    risk.halts.map((
      h,
    ) => [
      h.code,
      isoFromUs(h.timeUs),
      h.untilUs === null ? null : isoFromUs(h.untilUs),
      h.enforced,
    ]),
    [
      ["DAILY_LOSS_LIMIT", "2024-03-20T15:00:00Z", "2024-03-20T21:00:00Z", true],
      ["MAX_DRAWDOWN", "2024-03-21T15:00:00Z", "2024-03-21T15:00:00Z", true],
      ["DAILY_LOSS_LIMIT", "2024-03-21T15:00:00Z", "2024-03-21T21:00:00Z", true],
    ],
  );
});

Deno.test("RiskEngine with onHalt record notes each breach and keeps trading, measuring the next from there", () => {
  const risk = engine({
    sessions: { enabled: false },
    dailyLoss: { maxPercent: 10 },
    onHalt: "record",
  });
  risk.onAccount(accountEvent("2024-03-18T14:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-19T14:00:00Z", 9_000)); // 10% below 10,000
  // Not halted (the day's 10% loss only makes it REDUCING): the next signal trades.
  assert.notEqual(risk.status(usFromIso("2024-03-19T14:00:00Z")).state, "halted");
  assert.equal(decideAt(risk, "2024-03-19T14:30:00Z", 9_000)[0], "accept");
  // The peak restarted at 9,000: 8,200 is only 8.9% below it; 8,100 is 10%.
  risk.onAccount(accountEvent("2024-03-25T14:00:00Z", 8_200));
  risk.onAccount(accountEvent("2024-03-26T14:00:00Z", 8_100));
  assert.deepEqual(
    risk.halts.filter((h) => h.code === "MAX_DRAWDOWN").map((
      h,
    ) => [isoFromUs(h.timeUs), h.enforced]),
    [["2024-03-19T14:00:00Z", false], ["2024-03-26T14:00:00Z", false]],
  );
  assert.deepEqual(risk.flatten([position()], NOW_US), [], "a recorded breach never flattens");
});

Deno.test("RiskEngine keeps the drawdown reference across a restart through peakEquity", () => {
  const risk = engine({}, { peakEquity: 12_000 });
  risk.onAccount(accountEvent(NOW, 10_800));
  assert.equal(risk.status(NOW_US).state, "halted");
});

Deno.test("RiskEngine.killSwitch() halts new trades until turned off, and needs a reason", () => {
  const risk = engine({ positions: { maxOpen: 5 } });
  risk.killSwitch(true, "broker outage");
  const { decision } = risk.decide(signal(), inputs(NOW));
  assert.deepEqual(decision.reasons, [{
    code: "KILL_SWITCH",
    detail: "manual kill switch: broker outage",
  }]);
  assert.equal(decision.state, "halted");
  risk.killSwitch(false, "");
  assert.deepEqual(decideAt(risk, "2024-03-20T13:01:00Z"), ["accept"]);
  assert.throws(() => risk.killSwitch(true, "  "), RangeError);
});

Deno.test("RiskEngine.flatten() closes each open position once after a kill switch, with the opposite deal", () => {
  const risk = engine();
  const positions = [position(), position({ positionId: "p2", side: "sell" })];
  assert.deepEqual(risk.flatten(positions, NOW_US), []);
  risk.killSwitch(true, "test");
  const closes = risk.flatten(positions, NOW_US);
  assert.deepEqual(
    closes.map((o) => [o.action, o.positionId, o.side, o.lots, o.reason, o.clientOrderId]),
    [
      ["close", "p1", "sell", 0.16, "KILL_SWITCH", `XAUUSD-${NOW_US}-close-p1`],
      ["close", "p2", "buy", 0.16, "KILL_SWITCH", `XAUUSD-${NOW_US}-close-p2`],
    ],
  );
  assert.deepEqual(risk.flatten(positions, NOW_US + 60e6), []);
  const keep = engine({ flattenOnKill: false });
  keep.killSwitch(true, "test");
  assert.deepEqual(keep.flatten(positions, NOW_US), []);
});

Deno.test("RiskEngine.flatten() closes positions when the drawdown kill switch fires", () => {
  const risk = engine();
  risk.onAccount(accountEvent("2024-03-20T12:00:00Z", 10_000));
  risk.onAccount(accountEvent("2024-03-20T12:30:00Z", 8_999));
  assert.deepEqual(risk.flatten([position()], NOW_US).map((o) => o.reason), ["MAX_DRAWDOWN"]);
});

Deno.test("RiskEngine pauses 30 minutes after three losses and halves sizes from two", () => {
  const risk = engine({ positions: { maxOpen: 5, maxLotsPerDirection: 5 } });
  risk.onTrade(trade(-40, "2024-03-20T12:00:00Z"));
  assert.equal(risk.status(NOW_US).state, "active");
  risk.onTrade(trade(-40, "2024-03-20T12:20:00Z"));
  assert.equal(risk.status(NOW_US).state, "reducing");
  assert.deepEqual(decideAt(risk, "2024-03-20T12:40:00Z"), ["accept", "LOSS_STREAK_SIZE_CUT"]);
  risk.onTrade(trade(-40, "2024-03-20T12:45:00Z"));
  assert.deepEqual(decideAt(risk, "2024-03-20T13:14:59Z"), ["reject", "LOSS_COOLDOWN"]);
  const resumed = risk.decide(
    signal({ timeUs: usFromIso("2024-03-20T13:15:00Z") }),
    inputs("2024-03-20T13:15:00Z"),
  ).decision;
  assert.equal(resumed.decision, "accept");
  assert.equal(resumed.lots, 0.08);
  assert.equal(resumed.state, "reducing");
  risk.onTrade(trade(25, "2024-03-20T13:30:00Z"));
  assert.equal(risk.status(usFromIso("2024-03-20T13:31:00Z")).state, "active");
  assert.deepEqual(decideAt(risk, "2024-03-20T13:31:00Z"), ["accept"]);
});

Deno.test("RiskEngine.decide() lists size cuts in order and applies them one after another", () => {
  const risk = engine();
  risk.onAccount(accountEvent("2024-03-20T12:00:00Z", 10_000));
  risk.onTrade(trade(-50, "2024-03-20T12:10:00Z"));
  risk.onTrade(trade(-50, "2024-03-20T12:20:00Z"));
  const { decision } = risk.decide(signal(), inputs(NOW, 9_900));
  assert.equal(decision.state, "reducing");
  assert.deepEqual(decision.reasons.map((r) => r.code), [
    "LOSS_STREAK_SIZE_CUT",
    "DAILY_LOSS_NEAR_LIMIT",
  ]);
  // 9,900 x 0.5% / 300 = 0.165 -> 0.16, x 0.5 -> 0.08, x 0.5 -> 0.04.
  assert.equal(decision.lots, 0.04);
});

Deno.test("RiskEngine.decide() caps a size by the margin budget with MARGIN_LIMIT", () => {
  const risk = engine();
  const { decision } = risk.decide(signal(), {
    account: account({ margin: 4_950 }),
    quote: quote(),
  });
  // 50% of 10,000 less 4,950 leaves 50 of margin; 1 lot at 2000.30 takes 2,000.30.
  assert.deepEqual(decision.reasons.map((r) => r.code), ["MARGIN_LIMIT"]);
  assert.equal(decision.lots, 0.02);
});

Deno.test("RiskEngine.decide() sizes a sell from the bid and its stop above", () => {
  const { decision } = engine().decide(sellSignal(), inputs(NOW));
  assert.equal(decision.decision, "accept");
  assert.equal(decision.lots, 0.16);
  assert.equal(decision.clientOrderId, `XAUUSD-${NOW_US}-sell`);
});

Deno.test("RiskEngine.decide() never accepts more lots than the risk percent allows, on whole lot steps", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 100, max: 1e6, noNaN: true }),
      fc.double({ min: 0.5, max: 50, noNaN: true }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 19_000 }),
      fc.boolean(),
      (equity, stop, losses, lostPpm, sell) => {
        const risk = new Engine({
          calendar: calendar(),
          config: {
            ...DEFAULT_RISK_CONFIG,
            lossStreak: { ...DEFAULT_RISK_CONFIG.lossStreak, cooldownAfter: 5 },
          },
        });
        for (let i = 0; i < losses; i++) risk.onTrade(trade(-1, `2024-03-20T0${i}:00:00Z`));
        risk.onAccount(accountEvent("2024-03-20T12:00:00Z", equity));
        // Up to 1.9% lost today: the near-limit cut and the daily budget come into play.
        const now = equity * (1 - lostPpm / 1e6);
        const entry = sell ? 2000 : 2000.3;
        const sig = (sell ? sellSignal : signal)({
          stopLoss: sell ? entry + stop : entry - stop,
          takeProfit: null,
        });
        const { decision } = risk.decide(sig, {
          account: account({ equity: now, balance: now }),
          quote: quote(),
        });
        if (decision.decision === "reject") return;
        const budget = now * 0.5 / 100;
        assert.ok(decision.lots * stop * 100 <= budget * (1 + 1e-9));
        const steps = decision.lots / 0.01;
        assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6);
      },
    ),
    { numRuns: 500 },
  );
});

/** Bars of one minute from `fromIso` closing at `bids` (asks 0.30 above), as `quietSpan` reads them. */
function closingAt(fromIso: string, bids: readonly number[]): QuotedBars {
  const columns = new BarColumnsBuilder("M1", "bid-ask", false);
  bids.forEach((bid, k) => {
    const openUs = usFromIso(fromIso) + k * 60_000_000;
    columns.push(
      openUs,
      openUs + 60_000_000,
      bid,
      bid,
      bid,
      bid,
      bid + 0.3,
      bid + 0.3,
      bid + 0.3,
      bid + 0.3,
      NaN,
      NaN,
    );
  });
  return quotedBars(columns.take(), new SpreadModel(0.3));
}

/** The marks of a span at equity 10,000 throughout whose best bid is `bestBid`. */
function flatMarks(bestBid: number): SpanMarks {
  const lastUs = NaN; // the engine reads the span's closes from its bars
  return {
    lowEquity: 10_000,
    highEquity: 10_000,
    highUs: lastUs,
    lastEquity: 10_000,
    lastUs,
    bestBid,
    bestAsk: bestBid + 0.3,
  };
}

Deno.test("RiskEngine.quietSpan ends a span before a close that would move a position's stop", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-03-20T14:00:00Z", 10_000));
  // Entry 2000, first stop 1997: R = 3, and breakeven acts from 1R, a bid close of 2003.
  const bars = closingAt("2024-03-20T14:00:00Z", [2001, 2002.5, 2003.5]);
  assert.equal(risk.quietSpan([position()], bars, 0, 3, flatMarks(2003.5)), 2);
});

Deno.test("RiskEngine.quietSpan ends a span before the first close of the next trading day", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-03-20T20:00:00Z", 10_000));
  // Closes at 20:59, 21:00 and 21:01 UTC; 17:00 New York (EDT) = 21:00 UTC starts the next day.
  const bars = closingAt("2024-03-20T20:58:00Z", [2000, 2000, 2000]);
  assert.equal(risk.quietSpan([], bars, 0, 3, flatMarks(2000)), 1);
});

Deno.test("RiskEngine.quietSpan refuses a span whose lowest equity reaches the daily loss limit", () => {
  const risk = engine({ sessions: { enabled: false } });
  risk.onAccount(accountEvent("2024-03-20T14:00:00Z", 10_000));
  const bars = closingAt("2024-03-20T14:00:00Z", [2000, 2000]);
  // The default limit, 2% of the day's start: 200.00 lost at equity 9,800.
  assert.equal(risk.quietSpan([], bars, 0, 2, { ...flatMarks(2000), lowEquity: 9_800.01 }), 2);
  assert.equal(risk.quietSpan([], bars, 0, 2, { ...flatMarks(2000), lowEquity: 9_800 }), -1);
});
