import assert from "node:assert/strict";
import { map } from "rxjs";
import {
  EVENT_VERSION,
  type MarketEvent,
  type OrderEvent,
  US_PER_MINUTE,
} from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { type LiveOptions, startLive } from "@/pipeline/live/live.ts";
import type { EaMessage, Hello, TerminalPosition } from "@/pipeline/live/protocol.ts";
import { ProtocolError } from "@/pipeline/live/protocol.ts";
import { bar, engine, NOW_US, signal } from "../../operators/risk/_fixtures.ts";
import { memoryJournal } from "./_memory_journal.ts";

/** A stand-in for fusion: a buy signal at the close of every bar whose close is in `at`. */
function signalsAt(at: ReadonlySet<number>) {
  return {
    name: "fake-fusion",
    operator: map((batch: readonly MarketEvent[]) =>
      batch.flatMap((event) =>
        event.kind === "bar" && at.has(event.closeUs)
          ? [event, signal({ timeUs: event.closeUs })]
          : [event]
      )
    ),
  };
}

function setup(signalTimes: number[] = [NOW_US], plausibility?: LiveOptions["plausibility"]) {
  const journal = memoryJournal();
  const riskEngine = engine({ news: { enabled: false } }, { calendar: null });
  const seen: MarketEvent[] = [];
  const live = startLive({
    stages: [signalsAt(new Set(signalTimes))],
    engine: riskEngine,
    journalSink: journal.sink,
    journal,
    sinks: [{ name: "seen", write: (batch) => void seen.push(...batch), close() {} }],
    health: createHealthRegistry(),
    log: () => {},
    plausibility,
  });
  return { journal, live, bridge: live.bridge, seen, riskEngine };
}

function hello(positions: TerminalPosition[] = []): Hello {
  return {
    kind: "hello",
    ea: "test",
    account: { login: "1", server: "demo", currency: "USD", leverage: 100 },
    symbol: {
      name: "XAUUSD",
      digits: 2,
      point: 0.01,
      contractSize: 100,
      volumeMin: 0.01,
      volumeMax: 50,
      volumeStep: 0.01,
    },
    state: {
      v: EVENT_VERSION,
      kind: "account",
      timeUs: NOW_US - 10 * US_PER_MINUTE,
      balance: 10_000,
      equity: 10_000,
      margin: 0,
      openPositions: positions.length,
    },
    positions,
  };
}

const BAR = bar("2024-03-20T13:00:00Z", 2000, 2000.3);

function envelope(seq: number, messages: EaMessage[], acks: string[] = [], session = "s1") {
  return { v: 1, session, seq, sentUs: NOW_US, messages, acks };
}

Deno.test("a bar's signal becomes a command in the reply, journalled before the reply", async () => {
  const { bridge, journal, live } = setup();
  const reply = await bridge.handle(envelope(1, [hello(), BAR]));
  assert.equal(reply.commands.length, 1);
  assert.equal((reply.commands[0] as OrderEvent).action, "open");
  assert.deepEqual(journal.orders.map((o) => o.clientOrderId), [reply.commands[0].clientOrderId]);
  await live.stop();
});

Deno.test("a retried envelope gets the same reply and feeds nothing twice", async () => {
  const { bridge, seen, live } = setup();
  const first = await bridge.handle(envelope(1, [hello(), BAR]));
  const bars = seen.filter((e) => e.kind === "bar").length;
  const again = await bridge.handle(envelope(1, [hello(), BAR]));
  assert.deepEqual(again, first);
  assert.equal(seen.filter((e) => e.kind === "bar").length, bars);
  await live.stop();
});

Deno.test("a seq that skips ahead is refused with 409 naming the expected seq", async () => {
  const { bridge, live } = setup();
  await bridge.handle(envelope(1, [hello()]));
  await assert.rejects(
    bridge.handle(envelope(3, [])),
    (e) =>
      e instanceof ProtocolError && e.status === 409 && /expected seq 2, got 3/.test(e.message),
  );
  await live.stop();
});

Deno.test("an unknown session must start with a hello", async () => {
  const { bridge, live } = setup();
  await assert.rejects(
    bridge.handle(envelope(1, [BAR])),
    (e) => e instanceof ProtocolError && e.status === 409 && /^hello required/.test(e.message),
  );
  await live.stop();
});

Deno.test("a malformed envelope is refused naming the field, and nothing is fed", async () => {
  const { bridge, seen, live } = setup();
  const bad = { ...BAR, bid: { ...BAR.bid, high: BAR.bid.low - 1 } };
  assert.throws(
    () => bridge.handle(envelope(1, [hello(), bad])),
    (e) => e instanceof ProtocolError && e.status === 400 && /messages\.1\.bid/.test(e.message),
  );
  assert.equal(seen.length, 0);
  await live.stop();
});

Deno.test("a command repeats in every reply until the terminal acknowledges it", async () => {
  const { bridge, journal, live } = setup();
  const first = await bridge.handle(envelope(1, [hello(), BAR]));
  const id = first.commands[0].clientOrderId;
  const repeat = await bridge.handle(envelope(2, [bar("2024-03-20T13:01:00Z", 2000, 2000.3)]));
  assert.deepEqual(repeat.commands.map((c) => c.clientOrderId), [id]);
  const acked = await bridge.handle(envelope(3, [], [id]));
  assert.equal(acked.commands.length, 0);
  assert.equal(journal.pendingOrders().length, 0);
  await live.stop();
});

Deno.test("a fill reported twice, even in a new session, reaches the pipeline once", async () => {
  const { bridge, seen, live } = setup();
  const reply = await bridge.handle(envelope(1, [hello(), BAR]));
  const order = reply.commands[0];
  const fill = {
    v: EVENT_VERSION,
    kind: "fill" as const,
    symbol: "XAUUSD",
    timeUs: NOW_US + 1000,
    clientOrderId: order.clientOrderId,
    positionId: order.clientOrderId,
    action: "open" as const,
    side: order.side,
    lots: order.lots,
    price: 2000.3,
    commission: 0,
    slippage: 0,
    reason: "market" as const,
  };
  await bridge.handle(envelope(2, [fill], [order.clientOrderId]));
  const position = {
    positionId: order.clientOrderId,
    clientOrderId: order.clientOrderId,
    symbol: "XAUUSD",
    side: order.side,
    lots: order.lots,
    openPrice: 2000.3,
    stopLoss: order.stopLoss,
    takeProfit: order.takeProfit,
  };
  const again = await bridge.handle(envelope(1, [hello([position]), fill], [], "s2"));
  assert.equal(seen.filter((e) => e.kind === "fill").length, 1);
  assert.deepEqual(again.holds, [], "the terminal's position is the journal's: reconciled");
  await live.stop();
});

Deno.test("a position the journal does not know holds new orders until an operator accepts it", async () => {
  const next = NOW_US + US_PER_MINUTE;
  const { bridge, seen, live } = setup([NOW_US, next]);
  const stranger: TerminalPosition = {
    positionId: "manual-1",
    clientOrderId: null,
    symbol: "XAUUSD",
    side: "sell",
    lots: 1,
    openPrice: 2001,
    stopLoss: null,
    takeProfit: null,
  };
  const held = await bridge.handle(envelope(1, [hello([stranger]), BAR]));
  assert.equal(held.commands.length, 0);
  assert.equal(held.holds[0].code, "UNRECONCILED");
  assert.match(held.holds[0].detail, /manual-1 \(sell 1 XAUUSD\) is not in the journal/);
  const decision = seen.find((e) => e.kind === "risk");
  assert.equal(decision?.kind === "risk" && decision.reasons[0].code, "UNRECONCILED");

  assert.equal(bridge.acceptReconciliation("test"), true);
  const freed = await bridge.handle(envelope(2, [bar("2024-03-20T13:01:00Z", 2000, 2000.3)]));
  assert.equal(freed.holds.length, 0);
  const after = seen.filter((e) => e.kind === "risk").at(-1);
  assert.ok(after?.kind === "risk" && after.timeUs === next);
  // Decided by the ordinary rules again: the stranger still counts as an open position.
  assert.deepEqual(after.reasons.map((r) => r.code), ["MAX_POSITIONS"]);
  await live.stop();
});

Deno.test("a backlog bar's signal is rejected FEED_STALE; a fresh bar's is not", async () => {
  const { bridge, seen, live } = setup();
  const late = { ...envelope(1, [hello(), BAR]), sentUs: NOW_US + 10 * US_PER_MINUTE };
  const reply = await bridge.handle(late);
  assert.equal(reply.commands.length, 0);
  const decision = seen.find((e) => e.kind === "risk");
  assert.equal(decision?.kind === "risk" && decision.reasons[0].code, "FEED_STALE");
  assert.deepEqual(reply.holds, [], "the hold lasts only while the backlog is fed");
  await live.stop();
});

Deno.test("a bar already processed is dropped; its reports still reach the pipeline", async () => {
  const { bridge, seen, live } = setup([]);
  await bridge.handle(envelope(1, [hello(), BAR]));
  const account = { ...hello().state, timeUs: NOW_US + 1000, equity: 9_990 };
  await bridge.handle(envelope(2, [account, BAR]));
  assert.equal(seen.filter((e) => e.kind === "bar").length, 1);
  assert.ok(seen.some((e) => e.kind === "account" && e.equity === 9_990));
  await live.stop();
});

Deno.test("an envelope of bars far older than the last processed is refused with 409", async () => {
  const { bridge, seen, live } = setup([]);
  await bridge.handle(envelope(1, [hello(), BAR]));
  const before = seen.length;
  const old = bar("2024-03-19T13:00:00Z", 1990, 1990.3);
  await assert.rejects(
    bridge.handle(envelope(2, [old])),
    (e) =>
      e instanceof ProtocolError && e.status === 409 &&
      /before the last bar processed \(2024-03-20T13:00:00Z\)/.test(e.message),
  );
  assert.equal(seen.length, before);
  await live.stop();
});

Deno.test("a hello sent with the fill of a position the journal never committed reconciles", async () => {
  const { bridge, live } = setup([]);
  const fill = {
    v: EVENT_VERSION,
    kind: "fill" as const,
    symbol: "XAUUSD",
    timeUs: NOW_US - 1000,
    clientOrderId: "XAUUSD-1-buy",
    positionId: "XAUUSD-1-buy",
    action: "open" as const,
    side: "buy" as const,
    lots: 0.5,
    price: 2000.3,
    commission: 0,
    slippage: 0,
    reason: "market" as const,
  };
  const position: TerminalPosition = {
    positionId: fill.positionId,
    clientOrderId: fill.clientOrderId,
    symbol: "XAUUSD",
    side: "buy",
    lots: 0.5,
    openPrice: 2000.3,
    stopLoss: null,
    takeProfit: null,
  };
  const reply = await bridge.handle(envelope(1, [hello([position]), fill, BAR]));
  assert.deepEqual(reply.holds, []);
  await live.stop();
});

/** Refused with a 400 whose message names `field` and says `reason`. */
const refusedAt = (field: string, reason: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.status === 400 &&
  e.message.startsWith(`bad envelope at ${field}: `) && reason.test(e.message);

Deno.test("an implausible bar is refused with 400 naming its field, and nothing of the envelope is fed", async (t) => {
  const next = bar("2024-03-20T13:01:00Z", 2000.5, 2000.8);
  const cases: ReadonlyArray<readonly [string, EaMessage, string, RegExp]> = [
    [
      "a high of 1e300 (seen accepted and journalled before)",
      { ...next, bid: { ...next.bid, high: 1e300 } },
      "messages.2.bid",
      /price outside 10-100000/,
    ],
    [
      "an ask ten times the bid",
      { ...next, ask: { open: 20005, high: 20005, low: 20005, close: 20005 } },
      "messages.2.ask",
      /ask\/bid ratio above 1\.05/,
    ],
    [
      "a spread of 500 on a 2000 bid",
      { ...next, ask: null, spread: 500 },
      "messages.2.spread",
      /ask\/bid ratio above 1\.05/,
    ],
    [
      // 2000 -> 2400 in a minute: 400 / (2e-4 x 2000 = 0.4, the quiet floor) = 1,000 > 200.
      "a jump from 2000 to 2400 in a minute",
      bar("2024-03-20T13:01:00Z", 2400, 2400.3),
      "messages.2.bid",
      /price jump beyond 200x the recent move/,
    ],
    [
      // Year 9999 is past what an integer µs can hold and zod refuses it already.
      "a bar dated 2200",
      { ...next, openUs: Date.UTC(2200, 0, 6) * 1000, closeUs: Date.UTC(2200, 0, 6, 0, 1) * 1000 },
      "messages.2.openUs",
      /timestamp outside 1970-01-01 to 2100-01-01/,
    ],
  ];
  for (const [name, message, field, reason] of cases) {
    await t.step(name, async () => {
      const { bridge, seen, live } = setup();
      await assert.rejects(
        bridge.handle(envelope(1, [hello(), BAR, message])),
        refusedAt(field, reason),
      );
      assert.equal(seen.length, 0, "nothing of a refused envelope is processed");
      // The EA drops the refused message and sends the same seq again: accepted.
      const reply = await bridge.handle(envelope(1, [hello(), BAR]));
      assert.equal(reply.seq, 1);
      await live.stop();
    });
  }
});

Deno.test("a bar after an accepted one is judged against it, across envelopes", async () => {
  const { bridge, live } = setup([]);
  await bridge.handle(envelope(1, [hello(), BAR]));
  // Ten times BAR's 2000 a minute later: a slipped decimal point, refused.
  await assert.rejects(
    bridge.handle(envelope(2, [bar("2024-03-20T13:01:00Z", 20_000, 20_000.3)])),
    refusedAt("messages.0.bid", /price jump/),
  );
  // A real move of $3 is accepted.
  const reply = await bridge.handle(envelope(2, [bar("2024-03-20T13:01:00Z", 2003, 2003.3)]));
  assert.equal(reply.seq, 2);
  await live.stop();
});

Deno.test("the plausibility bounds of the EA feed come from the options", async () => {
  const { bridge, live } = setup([], { maxPrice: 1_500 });
  await assert.rejects(
    bridge.handle(envelope(1, [hello(), BAR])),
    refusedAt("messages.1.bid", /price outside 10-1500 \(--min-price, --max-price\)/),
  );
  await live.stop();
});
