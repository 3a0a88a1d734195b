import assert from "node:assert/strict";
import type { Hono } from "hono";
import {
  type AiSignalAnswer,
  type AiSignalDeps,
  aiSignalRoutes,
  type LiveSignal,
  parseAiSignalConfig,
  SignalBoard,
} from "@/pipeline/control/ai_signal.ts";
import {
  EVENT_VERSION,
  type RiskDecisionEvent,
  type SignalEvent,
  usFromIso,
} from "@/pipeline/events.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";

const NOW_US = usFromIso("2026-11-25T14:30:00Z");

function app(deps: Partial<AiSignalDeps> = {}): Hono {
  return aiSignalRoutes({
    latestSignal: () => null,
    account: () => ({ equity: 10_000, marginInUse: 0 }),
    spec: (symbol) => (symbol === "XAUUSD" ? XAUUSD : null),
    defaultSymbol: "XAUUSD",
    now: () => NOW_US / 1000,
    ...deps,
  });
}

function post(to: Hono, body: unknown): Promise<Response> {
  return Promise.resolve(to.request("/ai_signal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

async function answer(to: Hono, body: unknown): Promise<AiSignalAnswer> {
  const res = await post(to, body);
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

/** The original EA's request, indicators as plain numbers. */
const ORIGINAL = {
  symbol: "XAUUSD",
  bid: 2000,
  ask: 2000.3,
  rsi: { h1: 25 },
  macd: { h1: 1.2 },
  bollinger: { upper: 2010, lower: 1990 },
  advanced_indicators: { atr_h1: 4 },
  session: "London",
  minutes_to_news: 30,
};

Deno.test("POST /ai_signal scores the original request's numbers into a sized BUY", async () => {
  const a = await answer(app(), ORIGINAL);
  // rsi (50-25)/20 -> +1 x 0.4; macd tanh(1.2 / (0.1 x 4)) = +0.995 x 0.3; mid 2000.15 sits
  // at 0.5075 of the bands -> -0.015 x 0.3: score +0.694.
  assert.equal(a.signal, "BUY");
  assert.equal(a.confidence, 69.4);
  assert.equal(a.risk_level, "MEDIUM");
  assert.deepEqual(a.signal_sources, [
    "request:rsi.h1",
    "request:macd.h1",
    "request:bollinger",
    "request:atr",
  ]);
  assert.deepEqual(a.components.map((c) => [c.source, c.side, c.confidence, c.weight]), [
    ["rsi.h1", "buy", 100, 0.4],
    ["macd.h1", "buy", 99.5, 0.3],
    ["bollinger", "sell", 1.5, 0.3],
  ]);
  assert.match(a.reasoning, /^from the request's indicators \(no live signal for XAUUSD\)/);
  assert.equal(a.symbol, "XAUUSD");
  assert.equal(a.timestamp, "2026-11-25T14:30:00Z");
});

Deno.test("POST /ai_signal gives stops as price distance, points and absolute levels, and lots from the risk budget", async () => {
  const a = await answer(app(), ORIGINAL);
  // Entry at the ask; stop 1.5 x ATR 4 = 6.00 (600 points), target 3 x 4 = 12.00.
  assert.deepEqual(
    [a.entry_price, a.sl, a.sl_points, a.sl_price, a.tp, a.tp_points, a.tp_price],
    [2000.3, 6, 600, 1994.3, 12, 1200, 2012.3],
  );
  // 0.5% of 10,000 = 50 lost over 6.00 x 100 oz per lot: 0.083 lots, rounded down.
  assert.equal(a.lot_size, 0.08);
});

Deno.test("POST /ai_signal reads series as their last value, as the original did", async (t) => {
  const expected = await answer(app(), ORIGINAL);
  const variants: Record<string, unknown> = {
    "rsi.h1 series": { ...ORIGINAL, rsi: { h1: [60, 40, 25] } },
    "rsi.h1_series": { ...ORIGINAL, rsi: { h1_series: [60, 40, 25] } },
    "macd.h1 series": { ...ORIGINAL, macd: { h1: [-0.3, 1.2] } },
    "macd.h1_series": { ...ORIGINAL, macd: { h1_series: [-0.3, 1.2] } },
    "macd.h1 main/signal series": {
      ...ORIGINAL,
      macd: { h1: { main: [0.1, 1.5], signal: [0.4, 0.3] } },
    },
    "atr number": { ...ORIGINAL, advanced_indicators: undefined, atr: 4 },
    "atr.h1 series": { ...ORIGINAL, advanced_indicators: undefined, atr: { h1: [3, 4] } },
  };
  for (const [name, body] of Object.entries(variants)) {
    await t.step(name, async () => {
      const a = await answer(app(), body);
      assert.equal(a.signal, expected.signal);
      assert.equal(a.confidence, expected.confidence);
      assert.equal(a.lot_size, expected.lot_size);
      assert.equal(a.sl_price, expected.sl_price);
    });
  }
});

Deno.test("POST /ai_signal ignores unknown fields whatever their type", async () => {
  const a = await answer(app(), {
    ...ORIGINAL,
    settings: { weights: "heavy" },
    moving_average: [1, 2],
    account: null,
  });
  assert.equal(a.signal, "BUY");
});

Deno.test("POST /ai_signal answers SELL from bearish indicators, stop above the bid", async () => {
  const a = await answer(app(), {
    bid: 2012,
    ask: 2012.3,
    rsi: { h1: 80 },
    macd: { h1: { main: -0.5, signal: 0.2 } },
    bollinger: { upper: 2010, lower: 1990 },
    atr: 4,
  });
  assert.equal(a.signal, "SELL");
  assert.equal(a.symbol, "XAUUSD", "the default symbol");
  assert.deepEqual([a.entry_price, a.sl_price, a.tp_price], [2012, 2018, 2000]);
  assert.match(a.components[1].reasons[0], /^main - signal -0.700 = -0.17 ATR$/);
});

Deno.test("POST /ai_signal refuses a wrong type with a 400 naming the field", async (t) => {
  const cases: [string, unknown, string][] = [
    ["rsi.h1 text", { ...ORIGINAL, rsi: { h1: "high" } }, "rsi.h1"],
    ["rsi.h1 out of 0-100", { ...ORIGINAL, rsi: { h1: [50, 150] } }, "rsi.h1[1]"],
    ["rsi.h1 empty series", { ...ORIGINAL, rsi: { h1: [] } }, "rsi.h1"],
    ["bid as text", { ...ORIGINAL, bid: "2000" }, "bid"],
    ["negative ask", { ...ORIGINAL, ask: -1 }, "ask"],
    ["ask below bid", { ...ORIGINAL, ask: 1999 }, "ask"],
    ["macd.h1 boolean", { ...ORIGINAL, macd: { h1: true } }, "macd.h1"],
    ["macd.h1.main text", { ...ORIGINAL, macd: { h1: { main: "x", signal: 1 } } }, "macd.h1"],
    ["bands upside down", { ...ORIGINAL, bollinger: { upper: 1990, lower: 2010 } }, "bollinger"],
    ["bollinger.upper text", { ...ORIGINAL, bollinger: { upper: "2010" } }, "bollinger.upper"],
    ["atr zero", { ...ORIGINAL, atr: 0 }, "atr"],
    ["rsi not an object", { ...ORIGINAL, rsi: 55 }, "rsi"],
    ["symbol number", { ...ORIGINAL, symbol: 7 }, "symbol"],
    ["body an array", [ORIGINAL], "body"],
  ];
  for (const [name, body, field] of cases) {
    await t.step(name, async () => {
      const res = await post(app(), body);
      assert.equal(res.status, 400);
      const json = await res.json();
      assert.equal(json.error, "invalid ai_signal request");
      assert.ok(
        json.problems.some((p: { field: string }) => p.field === field),
        JSON.stringify(json.problems),
      );
    });
  }
});

Deno.test("POST /ai_signal refuses a body that is not JSON and a symbol it does not trade", async () => {
  const bad = await post(app(), "{not json");
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: "body is not valid JSON" });
  const other = await post(app(), { ...ORIGINAL, symbol: "EURUSD" });
  assert.equal(other.status, 400);
  assert.match((await other.json()).error, /^symbol: this server trades XAUUSD only/);
});

Deno.test("POST /ai_signal holds without an ATR, with zero size and levels, saying why", async () => {
  const a = await answer(app(), { ...ORIGINAL, advanced_indicators: undefined });
  assert.equal(a.signal, "HOLD");
  assert.deepEqual(
    [a.lot_size, a.sl, a.tp, a.sl_points, a.tp_points, a.sl_price, a.tp_price, a.entry_price],
    [0, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.match(a.reasoning, /no ATR in the request: no stop can be set/);
  assert.equal(a.components.length, 3, "the votes are still shown");
});

Deno.test("POST /ai_signal holds when the account equity is unknown", async () => {
  const a = await answer(app({ account: () => null }), ORIGINAL);
  assert.equal(a.signal, "HOLD");
  assert.match(a.reasoning, /no account equity known yet/);
});

Deno.test("POST /ai_signal holds when the request carries no indicator at all", async () => {
  const a = await answer(app(), { symbol: "XAUUSD", bid: 2000 });
  assert.equal(a.signal, "HOLD");
  assert.equal(a.confidence, 0);
  assert.deepEqual(a.signal_sources, []);
  assert.match(a.reasoning, /nothing to decide on/);
});

Deno.test("POST /ai_signal holds below the gate", async () => {
  const config = parseAiSignalConfig({ gate: 0.9 });
  const a = await answer(app({ config }), ORIGINAL);
  assert.equal(a.signal, "HOLD");
  assert.match(a.reasoning, /below the gate 0.9/);
});

Deno.test("POST /ai_signal answers a test request without deciding", async () => {
  const a = await answer(app(), { test: true });
  assert.equal(a.signal, "HOLD");
  assert.equal(a.test_mode, true);
  assert.equal(a.confidence, 0);
});

function liveSignal(ageSeconds: number, side: SignalEvent["side"] = "buy"): SignalEvent {
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: "XAUUSD",
    timeUs: NOW_US - ageSeconds * 1e6,
    side,
    confidence: 0.82,
    entryPrice: 2000.3,
    stopLoss: side === "hold" ? null : 1997.3,
    takeProfit: side === "hold" ? null : 2004.3,
    stopDistance: side === "hold" ? null : 3,
    takeDistance: side === "hold" ? null : 4,
    stopPoints: side === "hold" ? null : 300,
    takePoints: side === "hold" ? null : 400,
    votes: [
      { source: "technical", side: "buy", confidence: 0.7, weight: 0.53, reasons: ["score +0.70"] },
      { source: "ml", side: "buy", confidence: 0.9, weight: 0.47, reasons: ["p_up 0.61"] },
    ],
    regime: null,
    specHash: "abc",
    modelId: "m1",
  };
}

function verdict(decision: "accept" | "reject"): RiskDecisionEvent {
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: "XAUUSD",
    timeUs: NOW_US - 10e6,
    side: "buy",
    decision,
    lots: decision === "accept" ? 0.16 : 0,
    stopLoss: 1997.3,
    takeProfit: 2004.3,
    reasons: decision === "accept"
      ? []
      : [{ code: "SESSION", detail: "outside the london and new-york windows" }],
    state: "active",
    clientOrderId: decision === "accept" ? "XAUUSD-1" : null,
    budget: decision === "accept" ? 50 : null,
  };
}

const withLive = (live: LiveSignal) => app({ latestSignal: () => live });

Deno.test("POST /ai_signal answers from a fresh live signal and the risk engine's size", async () => {
  const a = await answer(withLive({ signal: liveSignal(10), risk: verdict("accept") }), ORIGINAL);
  assert.equal(a.signal, "BUY");
  assert.equal(a.confidence, 82);
  assert.equal(a.risk_level, "LOW");
  assert.equal(a.lot_size, 0.16);
  assert.deepEqual(
    [a.entry_price, a.sl, a.sl_points, a.sl_price, a.tp, a.tp_points, a.tp_price],
    [2000.3, 3, 300, 1997.3, 4, 400, 2004.3],
  );
  assert.deepEqual(a.signal_sources, ["live:technical", "live:ml"]);
  assert.deepEqual(a.components.map((c) => [c.source, c.confidence, c.weight]), [
    ["technical", 70, 0.53],
    ["ml", 90, 0.47],
  ]);
  assert.match(a.reasoning, /^live signal at 2026-11-25T14:29:50Z \(10 s old\): BUY 0.82/);
  assert.equal(a.signal_time, "2026-11-25T14:29:50Z");
  assert.deepEqual(a.risk, { decision: "accept", reasons: [] });
});

Deno.test("POST /ai_signal sizes a live signal itself when no risk verdict came with it", async () => {
  const a = await answer(withLive({ signal: liveSignal(10), risk: null }), ORIGINAL);
  // 50 lost over 3.00 x 100 oz: 0.1666 lots, rounded down.
  assert.equal(a.lot_size, 0.16);
  assert.equal(a.risk, null);
});

Deno.test("POST /ai_signal holds on a live signal the risk engine rejected, with its reasons", async () => {
  const a = await answer(withLive({ signal: liveSignal(10), risk: verdict("reject") }), ORIGINAL);
  assert.equal(a.signal, "HOLD");
  assert.equal(a.lot_size, 0);
  assert.equal(a.risk?.decision, "reject");
  assert.match(a.reasoning, /risk rejected it \| SESSION: outside the london/);
});

Deno.test("POST /ai_signal passes a live hold on as HOLD", async () => {
  const a = await answer(withLive({ signal: liveSignal(10, "hold"), risk: null }), ORIGINAL);
  assert.equal(a.signal, "HOLD");
  assert.deepEqual(a.signal_sources, ["live:technical", "live:ml"]);
});

Deno.test("POST /ai_signal falls back to the request's indicators when the live signal is stale", async () => {
  const a = await answer(withLive({ signal: liveSignal(600), risk: verdict("accept") }), ORIGINAL);
  assert.match(
    a.reasoning,
    /^from the request's indicators \(the live signal is 600 s old \(max 90 s\)\)/,
  );
  assert.equal(a.signal_sources[0], "request:rsi.h1");
  assert.equal(a.lot_size, 0.08);
});

Deno.test("POST /ai_signal answers a live signal with the bytes a fresh encoding gives, as its inputs change", async () => {
  // One long-lived route reuses its encoding of the live answer; a new route per request
  // encodes it from scratch. They must agree to the byte at every step below.
  let nowMs = NOW_US / 1000;
  let equity = 10_000;
  const live: { signal: SignalEvent; risk: RiskDecisionEvent | null } = {
    signal: liveSignal(10),
    risk: null,
  };
  const deps: Partial<AiSignalDeps> = {
    latestSignal: () => live,
    account: () => ({ equity, marginInUse: 0 }),
    now: () => nowMs,
  };
  const kept = app(deps);
  const body = async (to: Hono) => await (await post(to, ORIGINAL)).text();
  const steps: [string, () => void][] = [
    ["first request", () => {}],
    ["0.4 s later: same age in seconds, new timestamp", () => nowMs += 400],
    ["the account changed: new size", () => equity = 20_000],
    ["the risk verdict arrived for the same signal", () => live.risk = verdict("accept")],
    ["a second later: one second older", () => nowMs += 1000],
    ["a new signal", () => live.signal = liveSignal(5)],
  ];
  const seen = new Set<string>();
  for (const [step, change] of steps) {
    change();
    const answer = await body(kept);
    assert.equal(answer, await body(app(deps)), step);
    seen.add(answer);
  }
  assert.equal(seen.size, steps.length, "every step changed the answer");
});

Deno.test("parseAiSignalConfig() names an invalid field", () => {
  assert.throws(() => parseAiSignalConfig({ stopAtr: -1 }), /stopAtr/);
  assert.throws(() => parseAiSignalConfig({ nope: 1 }), /nope|Unrecognized/);
});

Deno.test("SignalBoard keeps each symbol's latest signal with its risk verdict, and the account", () => {
  const board = new SignalBoard();
  assert.equal(board.latestSignal("XAUUSD"), null);
  assert.equal(board.account(), null);
  const older = liveSignal(70);
  const newer = liveSignal(10);
  const accept = verdict("accept");
  board.write([older, newer, accept, {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: NOW_US,
    balance: 9_900,
    equity: 10_050,
    margin: 400,
    openPositions: 1,
  }]);
  assert.deepEqual(board.latestSignal("XAUUSD"), { signal: newer, risk: accept });
  assert.deepEqual(board.account(), { equity: 10_050, marginInUse: 400 });
  board.write([liveSignal(5), verdict("reject")]);
  assert.equal(
    board.latestSignal("XAUUSD")?.risk,
    null,
    "a verdict on an older signal is not paired",
  );
});
