/**
 * `applyRisk` on the Rx spine: every input event passes through in order, each non-hold
 * signal is followed by exactly one decision and, only when accepted, its order; stop
 * moves follow the bar that caused them; kill-switch closes follow the account report;
 * the output does not depend on how events are batched. On real OANDA M1 quote bars
 * (with real spreads) every injected signal gets a decision and the spread filter agrees
 * with the bars.
 */

import assert from "node:assert/strict";
import { from, lastValueFrom, map, type Observable, startWith, toArray } from "rxjs";
import { applyRisk, RiskEngine } from "@/operators/risk/mod.ts";
import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type FillEvent,
  type MarketEvent,
  type OrderEvent,
  type RiskDecisionEvent,
  type SignalEvent,
  usFromIso,
} from "@/pipeline/events.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { bar, config, engine, sellSignal, signal, trade } from "./_fixtures.ts";

const us = usFromIso;

function accountAt(iso: string, equity: number, openPositions = 0): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: us(iso),
    balance: equity,
    equity,
    margin: 0,
    openPositions,
  };
}

function fillAt(
  iso: string,
  clientOrderId: string,
  action: "open" | "close",
  price: number,
): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs: us(iso),
    clientOrderId,
    positionId: "p1",
    action,
    side: "buy",
    lots: 0.16,
    price,
    commission: 0.56,
    slippage: 0,
    reason: action === "open" ? "market" : "stop_loss",
  };
}

/** Runs `events` through a fresh operator in batches of `size` and returns everything out. */
async function run(
  risk: RiskEngine,
  events: readonly MarketEvent[],
  size = events.length,
): Promise<MarketEvent[]> {
  const batches: EventBatch[] = [];
  for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
  const out = await lastValueFrom(from(batches).pipe(applyRisk(risk), toArray()));
  return out.flat();
}

const derived = (e: MarketEvent) => e.kind === "risk" || e.kind === "order";

/** A morning of hand-made events: an entry, its fill, breakeven, trailing, the stop-out, a re-entry. */
function morning(): MarketEvent[] {
  const entryId = `XAUUSD-${us("2024-03-20T13:00:00Z")}-buy`;
  const hold: SignalEvent = signal({ timeUs: us("2024-03-20T13:00:00Z"), side: "hold" });
  const h1: BarEvent = { ...bar("2024-03-20T13:00:00Z", 2000), timeframe: "H1" };
  return [
    accountAt("2024-03-20T12:59:00Z", 10_000),
    bar("2024-03-20T13:00:00Z", 2000, 2000.3),
    h1,
    signal({ timeUs: us("2024-03-20T13:00:00Z") }),
    hold,
    bar("2024-03-20T13:01:00Z", 2000.1, 2000.4),
    fillAt("2024-03-20T13:01:00Z", entryId, "open", 2000.3),
    accountAt("2024-03-20T13:01:00Z", 9_999, 1),
    sellSignal({ timeUs: us("2024-03-20T13:01:00Z") }),
    bar("2024-03-20T13:02:00Z", 2003.3, 2003.6), // +1R: breakeven
    bar("2024-03-20T13:03:00Z", 2003.3, 2003.6), // the same level: nothing new
    bar("2024-03-20T13:04:00Z", 2004.8, 2005.1), // +1.5R: trailing
    fillAt("2024-03-20T13:05:00Z", entryId, "close", 2001.8),
    trade(24, "2024-03-20T13:05:00Z", "p1"),
    accountAt("2024-03-20T13:05:00Z", 10_024),
    bar("2024-03-20T13:06:00Z", 2001, 2001.3),
    signal({ timeUs: us("2024-03-20T13:06:00Z"), entryPrice: 2001.3, stopLoss: 1998.3 }),
  ];
}

Deno.test("applyRisk() passes every input through in order and adds decisions, entries and stop moves", async () => {
  const input = morning();
  const out = await run(engine(), input);
  assert.deepEqual(out.filter((e) => !derived(e)), input);
  const made = out.map((e, i) => [i, e] as const).filter(([, e]) => derived(e));
  const summary = made.map(([i, e]) =>
    e.kind === "risk"
      ? `${i - 1}:${out[i - 1].kind} -> risk ${e.decision} ${
        e.reasons.map((r) => r.code).join(",")
      }`
      : `${i - 1}:${out[i - 1].kind} -> order ${(e as OrderEvent).action} ${
        (e as OrderEvent).reason
      } ${(e as OrderEvent).stopLoss}`
  );
  assert.deepEqual(summary, [
    "3:signal -> risk accept ",
    "4:risk -> order open SIGNAL 1997.3",
    "10:signal -> risk reject MAX_POSITIONS",
    "12:bar -> order modify BREAKEVEN 2000.4",
    "15:bar -> order modify TRAILING_STOP 2001.8",
    "21:signal -> risk accept ",
    "22:risk -> order open SIGNAL 1998.3",
  ]);
});

Deno.test("applyRisk() gives every non-hold signal exactly one decision and an order only when accepted", async () => {
  const out = await run(engine(), morning());
  for (const [i, event] of out.entries()) {
    if (event.kind !== "signal") continue;
    const next = out[i + 1];
    if (event.side === "hold") {
      assert.notEqual(next?.kind, "risk");
      continue;
    }
    assert.equal(next.kind, "risk");
    const decision = next as RiskDecisionEvent;
    const after = out[i + 2];
    if (decision.decision === "accept") {
      assert.equal(after.kind, "order");
      assert.equal((after as OrderEvent).clientOrderId, decision.clientOrderId);
    } else {
      assert.ok(
        after === undefined || after.kind !== "order" || (after as OrderEvent).action !== "open",
      );
    }
  }
});

Deno.test("applyRisk() output does not depend on batch boundaries", async () => {
  const input = morning();
  const whole = await run(engine(), input);
  for (const size of [1, 2, 5]) assert.deepEqual(await run(engine(), input, size), whole);
});

Deno.test("applyRisk() closes the open position right after the account report that hits max drawdown", async () => {
  const entryId = `XAUUSD-${us("2024-03-20T13:00:00Z")}-buy`;
  const out = await run(engine(), [
    accountAt("2024-03-20T12:59:00Z", 10_000),
    bar("2024-03-20T13:00:00Z", 2000, 2000.3),
    signal({ timeUs: us("2024-03-20T13:00:00Z") }),
    fillAt("2024-03-20T13:01:00Z", entryId, "open", 2000.3),
    accountAt("2024-03-20T13:30:00Z", 8_990, 1),
  ]);
  const last = out[out.length - 1] as OrderEvent;
  assert.equal(out[out.length - 2].kind, "account");
  assert.deepEqual([last.kind, last.action, last.positionId, last.reason], [
    "order",
    "close",
    "p1",
    "MAX_DRAWDOWN",
  ]);
});

Deno.test("applyRisk() reads a bid-only bar's spread column as the quote's ask", async () => {
  const bidSpread: BarEvent = { ...bar("2024-03-20T13:00:00Z", 2000, null), spread: 0.7 };
  const out = await run(engine(), [
    accountAt("2024-03-20T12:59:00Z", 10_000),
    bidSpread,
    signal({ timeUs: us("2024-03-20T13:00:00Z") }),
  ]);
  const decision = out.find((e) => e.kind === "risk") as RiskDecisionEvent;
  assert.deepEqual(decision.reasons.map((r) => r.code), ["SPREAD_TOO_WIDE"]);
});

const OANDA_M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";

/** Adds a signal after every 7th bar: alternately buy and sell, stop 3.00 from the quote. */
function withSignals(source$: Observable<EventBatch>): Observable<EventBatch> {
  let count = 0;
  return source$.pipe(map((batch) => {
    const out: MarketEvent[] = [];
    for (const event of batch) {
      out.push(event);
      if (event.kind !== "bar" || ++count % 7 !== 0) continue;
      const buy = count % 14 === 0;
      const entry = buy ? event.ask!.close : event.bid.close;
      out.push(
        (buy ? signal : sellSignal)({
          timeUs: event.closeUs,
          entryPrice: entry,
          stopLoss: buy ? entry - 3 : entry + 3,
          takeProfit: buy ? entry + 4 : entry - 4,
        }),
      );
    }
    return out;
  }));
}

dataTest(
  "applyRisk() decides every injected signal on real OANDA M1 quotes, filtering spreads as the bars show",
  OANDA_M1,
  async () => {
    const source = await openSource(dataPath(OANDA_M1), { symbol: "XAUUSD" });
    const risk = new RiskEngine({
      config: config({
        news: { enabled: false },
        positions: { maxOpen: 20, maxLotsPerDirection: 50 },
      }),
    });
    const start: EventBatch = [accountAt("2014-05-01T00:00:00Z", 10_000)];
    const out = (await lastValueFrom(
      withSignals(replay$(source)).pipe(
        startWith(start),
        applyRisk(risk),
        toArray(),
      ),
    )).flat();

    let signals = 0;
    let lastBar: BarEvent | null = null;
    const codes = new Map<string, number>();
    for (const [i, event] of out.entries()) {
      if (event.kind === "bar") lastBar = event;
      if (event.kind !== "signal") continue;
      signals++;
      const decision = out[i + 1] as RiskDecisionEvent;
      assert.equal(decision.kind, "risk");
      assert.equal(out[i + 2]?.kind === "order", decision.decision === "accept");
      for (const reason of decision.reasons) {
        codes.set(reason.code, (codes.get(reason.code) ?? 0) + 1);
      }
      const spread = lastBar!.ask!.close - lastBar!.bid.close;
      const wide = decision.reasons.some((r) => r.code === "SPREAD_TOO_WIDE");
      assert.equal(wide, spread > 0.6 + 1e-9, `spread ${spread} at ${decision.timeUs}`);
    }
    assert.ok(signals > 2_000, `only ${signals} signals`);
    // Real May 2014 quotes: the session and spread filters both fire, and some trades open.
    assert.ok((codes.get("OUTSIDE_SESSION") ?? 0) > 0);
    assert.ok((codes.get("SPREAD_TOO_WIDE") ?? 0) > 0);
    assert.ok(out.some((e) => e.kind === "order"));
  },
);
