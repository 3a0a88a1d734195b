import assert from "node:assert/strict";
import {
  type AccountEvent,
  EVENT_VERSION,
  type EventBatch,
  type FillEvent,
  type MarketEvent,
  type RiskDecisionEvent,
  usFromIso,
} from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { type DashboardSnapshot, SseHub } from "@/sinks/sse.ts";
import { bar, NOW_US, signal, trade } from "../operators/risk/_fixtures.ts";
import { openOrder, tick } from "../operators/execution/_fixtures.ts";

const MINUTE_US = 60_000_000;

function fill(positionId: string, action: "open" | "close", timeUs = NOW_US): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs,
    clientOrderId: `order-${positionId}`,
    positionId,
    action,
    side: "buy",
    lots: 0.1,
    price: 2000.3,
    commission: 0,
    slippage: 0,
    reason: "market",
  };
}

function accountAt(timeUs: number, equity: number): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs,
    balance: 10_000,
    equity,
    margin: 0,
    openPositions: 0,
  };
}

function barsFrom(count: number): MarketEvent[] {
  return Array.from(
    { length: count },
    (_, i) => ({ ...bar("2024-03-20T13:00:00Z", 2000 + i), closeUs: NOW_US + i * MINUTE_US }),
  );
}

interface Frame {
  readonly event: string;
  readonly id: string | null;
  readonly data: unknown;
}

function parseFrames(text: string): Frame[] {
  return text.split("\n\n").filter((block) => block !== "").map((block) => {
    const fields = new Map(
      block.split("\n").map((line) => {
        const colon = line.indexOf(": ");
        return [line.slice(0, colon), line.slice(colon + 2)] as const;
      }),
    );
    return {
      event: fields.get("event") ?? "message",
      id: fields.get("id") ?? null,
      data: JSON.parse(fields.get("data") ?? "null"),
    };
  });
}

/** Reads one chunk (one write by the hub) and parses its frames. */
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Frame[]> {
  const { value, done } = await reader.read();
  assert.equal(done, false, "the stream ended early");
  return parseFrames(new TextDecoder().decode(value));
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Frame[]> {
  return parseFrames(await new Response(stream).text());
}

Deno.test("SseHub keeps only the newest events of each kind, up to its limits", () => {
  const hub = new SseHub({ limits: { bars: 3, trades: 2 } });
  hub.write(barsFrom(5));
  hub.write([
    trade(10, "2024-03-20T14:00:00Z"),
    trade(-5, "2024-03-20T14:01:00Z"),
    trade(7, "2024-03-20T14:02:00Z"),
  ]);
  const snapshot = hub.snapshot();
  assert.deepEqual(snapshot.bars.map((b) => b.bid.close), [2002, 2003, 2004]);
  assert.deepEqual(snapshot.trades.map((t) => t.pnl), [-5, 7]);
  assert.equal(snapshot.limits.bars, 3);
  assert.equal(snapshot.seq, 2);
});

Deno.test("SseHub tallies every trade and rejection, also those past its limits", () => {
  const hub = new SseHub({ limits: { trades: 1, risk: 1 } });
  const reject = (codes: string[]): RiskDecisionEvent => ({
    v: EVENT_VERSION,
    kind: "risk",
    symbol: "XAUUSD",
    timeUs: NOW_US,
    side: "buy",
    decision: "reject",
    lots: 0,
    stopLoss: null,
    takeProfit: null,
    reasons: codes.map((code) => ({ code, detail: code })),
    state: "active",
    clientOrderId: null,
  });
  hub.write([trade(10, "2024-03-20T14:00:00Z"), trade(-5, "2024-03-20T14:01:00Z")]);
  hub.write([
    reject(["MAX_SPREAD", "MAX_SPREAD", "DAILY_LOSS"]),
    reject(["MAX_SPREAD"]),
    reject([]),
    trade(0, "2024-03-20T14:02:00Z"),
  ]);
  const { tally, trades } = hub.snapshot();
  assert.equal(trades.length, 1);
  // Three trades, one win (10; the 0 is not a win), net 10 - 5 + 0 = 5.
  assert.deepEqual([tally.trades, tally.wins, tally.netProfit], [3, 1, 5]);
  // A code listed twice in one decision counts once; a decision without codes as "unspecified".
  assert.deepEqual(tally.rejectionsByReason, { MAX_SPREAD: 2, DAILY_LOSS: 1, unspecified: 1 });
});

Deno.test("SseHub carries the equity into each trading day from the day before", () => {
  const hub = new SseHub();
  // 2024-03-20 is a Wednesday; the gold day turns at 17:00 New York = 21:00 UTC (EDT).
  hub.write([accountAt(usFromIso("2024-03-20T12:00:00Z"), 10_050)]);
  // The first point of all: the day starts from it.
  assert.equal(hub.snapshot().tally.dayStartEquity, 10_050);
  hub.write([accountAt(usFromIso("2024-03-20T20:59:00Z"), 10_120)]);
  assert.equal(hub.snapshot().tally.dayStartEquity, 10_050);
  // After 21:00 UTC: Thursday's day, which starts from Wednesday's last equity.
  hub.write([accountAt(usFromIso("2024-03-20T21:01:00Z"), 10_100)]);
  assert.equal(hub.snapshot().tally.dayStartEquity, 10_120);
});

Deno.test("SseHub derives open positions from orders, fills and trades", () => {
  const hub = new SseHub();
  hub.write([
    openOrder("order-p1", "buy", 0.1, NOW_US, { sl: 1997, tp: 2006 }),
    fill("p1", "open"),
    fill("p2", "open"),
  ]);
  assert.deepEqual(
    hub.snapshot().positions.map((p) => [p.positionId, p.stopLoss, p.takeProfit]),
    [["p1", 1997, 2006], ["p2", null, null]],
  );
  hub.write([fill("p1", "close"), { ...trade(3, "2024-03-20T13:30:00Z"), positionId: "p2" }]);
  assert.deepEqual(hub.snapshot().positions, []);
});

Deno.test("SseHub keeps buy and sell signals but not holds, and bars of its timeframe only", () => {
  const hub = new SseHub();
  const m5 = { ...bar("2024-03-20T13:00:00Z", 2000), timeframe: "M5" as const };
  hub.write([signal(), signal({ side: "hold" }), m5, tick(NOW_US, 2000, 2000.3)]);
  const snapshot = hub.snapshot();
  assert.equal(snapshot.signals.length, 1);
  assert.equal(snapshot.bars.length, 0);
});

Deno.test("SseHub starts a stream with a snapshot frame", async () => {
  const hub = new SseHub({ status: () => ({ production: { id: "abc" }, shadow: null }) });
  hub.write(barsFrom(2));
  const reader = hub.connect().getReader();
  const [first] = await readChunk(reader);
  assert.equal(first.event, "snapshot");
  const snapshot = first.data as DashboardSnapshot;
  assert.equal(snapshot.bars.length, 2);
  assert.equal(snapshot.status?.production?.id, "abc");
  await reader.cancel();
});

Deno.test("SseHub sends each batch as one write holding one frame", async () => {
  const hub = new SseHub();
  const reader = hub.connect().getReader();
  await readChunk(reader);
  const batches: EventBatch[] = [
    [...barsFrom(3), signal(), accountAt(NOW_US, 10_050)],
    [trade(12, "2024-03-20T14:00:00Z")],
  ];
  for (const batch of batches) hub.write(batch);

  const first = await readChunk(reader);
  assert.equal(first.length, 1);
  assert.equal(first[0].event, "batch");
  assert.equal(first[0].id, "1");
  const delta = first[0].data as DashboardSnapshot;
  assert.equal(delta.bars.length, 3);
  assert.equal(delta.signals.length, 1);
  assert.equal(delta.account.length, 1);
  const second = await readChunk(reader);
  assert.deepEqual(second.map((f) => [f.event, f.id]), [["batch", "2"]]);
  assert.equal((second[0].data as DashboardSnapshot).trades[0].pnl, 12);
  await reader.cancel();
});

Deno.test("SseHub sends nothing for a batch with nothing the dashboard shows", async () => {
  const hub = new SseHub();
  const reader = hub.connect().getReader();
  await readChunk(reader);
  hub.write([tick(NOW_US, 2000, 2000.3), signal({ side: "hold" })]);
  hub.write([signal()]);
  const frames = await readChunk(reader);
  assert.deepEqual(frames.map((f) => [f.event, f.id]), [["batch", "1"]]);
  await reader.cancel();
});

Deno.test("SseHub drops a client that does not read, with the reason, and keeps the others", async () => {
  const drops: string[] = [];
  const hub = new SseHub({ clientBufferBytes: 4096, onDrop: (reason) => drops.push(reason) });
  const slow = hub.connect();
  const fast = hub.connect().getReader();
  await readChunk(fast);
  for (let i = 0; i < 50; i++) {
    hub.write(barsFrom(3));
    assert.equal((await readChunk(fast))[0].id, String(i + 1));
  }
  assert.equal(hub.clientCount, 1);
  assert.equal(drops.length, 1);
  assert.match(drops[0], /slow client: \d+ bytes still queued/);

  const frames = await readAll(slow);
  assert.equal(frames[0].event, "snapshot");
  assert.equal(frames.at(-1)?.event, "dropped");
  assert.match((frames.at(-1)?.data as { reason: string }).reason, /4096-byte limit/);
  await fast.cancel();
});

Deno.test("SseHub forgets a client that cancels its stream", async () => {
  const hub = new SseHub();
  const reader = hub.connect().getReader();
  assert.equal(hub.clientCount, 1);
  await reader.cancel();
  assert.equal(hub.clientCount, 0);
  hub.write(barsFrom(1));
});

Deno.test("SseHub sends health and models in a status frame every interval", async () => {
  const health = createHealthRegistry({ now: () => 0 });
  health.register("feed").report("failed", "boom");
  const hub = new SseHub({
    health: () => health.snapshot(),
    status: () => ({ production: null, shadow: { id: "s1" } }),
    statusIntervalMs: 10,
  });
  const reader = hub.connect().getReader();
  assert.equal((await readChunk(reader))[0].event, "snapshot");
  const [status] = await readChunk(reader);
  assert.equal(status.event, "status");
  const data = status.data as Pick<DashboardSnapshot, "health" | "status">;
  assert.equal(data.health?.components.feed.status, "failed");
  assert.equal(data.status?.shadow?.id, "s1");
  await reader.cancel();
});

Deno.test("SseHub.close() ends every stream with an end frame, and later streams at once", async () => {
  const hub = new SseHub({ health: () => createHealthRegistry().snapshot() });
  const before = hub.connect();
  hub.close();
  hub.close();
  assert.deepEqual((await readAll(before)).map((f) => f.event), ["snapshot", "end"]);
  assert.deepEqual((await readAll(hub.connect())).map((f) => f.event), ["snapshot", "end"]);
  assert.equal(hub.clientCount, 0);
});

Deno.test("SseHub drops an HTTP client that stops reading once its socket and buffer fill", async () => {
  const drops: string[] = [];
  const hub = new SseHub({ clientBufferBytes: 256 * 1024, onDrop: (reason) => drops.push(reason) });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(hub.connect(), { headers: { "content-type": "text/event-stream" } }),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  const reader = response.body!.getReader();
  await reader.read();
  const batch = barsFrom(500);
  for (let i = 0; i < 500 && hub.clientCount > 0; i++) {
    hub.write(batch);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(hub.clientCount, 0, "the client that stopped reading was never dropped");
  assert.equal(drops.length, 1);
  await reader.cancel();
  await server.shutdown();
});
