import assert from "node:assert/strict";
import { from, map, throwError } from "rxjs";
import { runPipeline } from "../../pipeline/build.ts";
import { EVENT_VERSION, type EventBatch, type TickEvent } from "../../pipeline/events.ts";
import { createHealthRegistry } from "../../pipeline/health.ts";
import type { Sink } from "../../sinks/sink.ts";

const tick = (timeUs: number): TickEvent => ({
  v: EVENT_VERSION,
  kind: "tick",
  symbol: "XAUUSD",
  timeUs,
  bid: 1,
  ask: 1.1,
});

function memorySink(name = "memory"): Sink & { batches: EventBatch[]; closed: number } {
  const sink = {
    name,
    batches: [] as EventBatch[],
    closed: 0,
    write(batch: EventBatch) {
      sink.batches.push(batch);
    },
    close() {
      sink.closed++;
    },
  };
  return sink;
}

Deno.test("runPipeline() passes batches through stages in order to every sink, then closes them", async () => {
  const a = memorySink("a");
  const b = memorySink("b");
  const health = createHealthRegistry();
  const run = runPipeline({
    sourceName: "feed",
    source$: from([[tick(1), tick(2)], [], [tick(3)]]),
    stages: [{ name: "double", operator: map((batch) => batch.flatMap((e) => [e, e])) }],
    sinks: [a, b],
    health,
  });
  await run.done;
  assert.deepEqual(a.batches.flat().map((e) => (e as TickEvent).timeUs), [1, 1, 2, 2, 3, 3]);
  assert.deepEqual(a.batches, b.batches);
  assert.equal(a.batches.length, 2, "empty batches are dropped");
  assert.equal(a.closed, 1);
  const snapshot = health.snapshot();
  assert.equal(snapshot.components.feed.counters.events, 3);
  assert.equal(snapshot.components.double.counters.events, 6);
  assert.equal(snapshot.components.a.status, "stopped");
});

Deno.test("runPipeline() rejects and marks the source failed when the source errors", async () => {
  const sink = memorySink();
  const health = createHealthRegistry();
  const run = runPipeline({
    sourceName: "feed",
    source$: throwError(() => new Error("disk gone")),
    stages: [],
    sinks: [sink],
    health,
  });
  await assert.rejects(run.done, /disk gone/);
  assert.equal(health.snapshot().components.feed.status, "failed");
  assert.equal(sink.closed, 1, "sinks are closed on failure too");
});

Deno.test("runPipeline() rejects when a sink throws instead of losing the error", async () => {
  const failing: Sink = {
    name: "failing",
    write() {
      throw new Error("journal full");
    },
    close() {},
  };
  const run = runPipeline({
    sourceName: "feed",
    source$: from([[tick(1)]]),
    stages: [],
    sinks: [failing],
    health: createHealthRegistry(),
  });
  await assert.rejects(run.done, /journal full/);
});
