import assert from "node:assert/strict";
import { firstValueFrom, toArray } from "rxjs";
import type { BarEvent, EventBatch } from "../../pipeline/events.ts";
import { eventsOf, eventTimeUs, replay$, REPLAY_SLICE } from "../../pipeline/replay.ts";
import { openSource } from "../../sources/mod.ts";
import { BarColumnsBuilder, type Source } from "../../sources/source.ts";

async function tempCsv(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: "_M1_.csv" });
  await Deno.writeTextFile(path, text);
  return path;
}

const BARS = [
  "time_utc,bid_open,bid_high,bid_low,bid_close,ask_open,ask_high,ask_low,ask_close",
  "2014-05-01T00:00:00Z,1291,1292,1290.5,1291.5,1291.1,1292.1,1290.6,1291.6",
  "2014-05-01T00:01:00Z,1291.5,1292,1291,1291.8,1291.6,1292.1,1291.1,1291.9",
  "2014-05-01T00:05:00Z,1291.8,1291.9,1291.7,1291.75,1291.9,1292,1291.8,1291.85",
].join("\n");

Deno.test("eventsOf() turns a bar batch into versioned bar events with open and close times", async () => {
  const path = await tempCsv(BARS);
  const source = await openSource(path);
  const batches = await Array.fromAsync(source.batches());
  const events = batches.flatMap((batch) => eventsOf(batch, "XAUUSD")) as BarEvent[];
  assert.equal(events.length, 3);
  assert.deepEqual(events[1], {
    v: 1,
    kind: "bar",
    symbol: "XAUUSD",
    timeframe: "M1",
    openUs: Date.UTC(2014, 4, 1, 0, 1) * 1000,
    closeUs: Date.UTC(2014, 4, 1, 0, 2) * 1000,
    bid: { open: 1291.5, high: 1292, low: 1291, close: 1291.8 },
    ask: { open: 1291.6, high: 1292.1, low: 1291.1, close: 1291.9 },
    spread: null,
    volume: 0,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(events[1])), events[1]);
  await Deno.remove(path);
});

Deno.test("replay$() emits every row once, in time order, as batches", async () => {
  const path = await tempCsv(BARS);
  const batches: EventBatch[] = await firstValueFrom(
    replay$(await openSource(path)).pipe(toArray()),
  );
  const times = batches.flat().map(eventTimeUs);
  assert.equal(times.length, 3);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  await Deno.remove(path);
});

Deno.test("replay$() unpaced emits a large source batch in slices of at most REPLAY_SLICE events", async () => {
  const rows = 2 * REPLAY_SLICE + 7;
  const lines = [
    "time_utc,bid_open,bid_high,bid_low,bid_close,ask_open,ask_high,ask_low,ask_close",
  ];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${
        new Date(Date.UTC(2014, 4, 1) + i * 60_000).toISOString()
      },1291,1292,1290.5,1291.5,1291.1,1292.1,1290.6,1291.6`,
    );
  }
  const path = await tempCsv(lines.join("\n"));
  const source = await openSource(path);
  const rowsPerBatch = (await Array.fromAsync(source.batches())).map((b) => b.length);
  assert.ok(Math.max(...rowsPerBatch) > REPLAY_SLICE, `source batches ${rowsPerBatch}`);
  const batches: EventBatch[] = await firstValueFrom(
    replay$(await openSource(path)).pipe(toArray()),
  );
  assert.ok(batches.every((batch) => batch.length <= REPLAY_SLICE));
  const times = batches.flat().map(eventTimeUs);
  assert.equal(times.length, rows);
  assert.deepEqual(
    times,
    Array.from({ length: rows }, (_, i) => (Date.UTC(2014, 4, 1) + (i + 1) * 60_000) * 1000),
  );
  await Deno.remove(path);
});

Deno.test("replay$() paced at a speed spreads events over wall-clock time", async () => {
  const path = await tempCsv(BARS);
  const started = performance.now();
  const batches = await firstValueFrom(
    replay$(await openSource(path), { speed: 6000, tickMs: 1 }).pipe(toArray()),
  );
  const elapsedMs = performance.now() - started;
  // Closes at 00:01, 00:02 and 00:06: 5 minutes of event time at 6000x is 50 ms.
  assert.equal(batches.flat().length, 3);
  assert.ok(batches.length >= 2, `expected separate emissions, got ${batches.length}`);
  assert.ok(elapsedMs >= 45, `replay took ${elapsedMs} ms, expected at least 50 ms`);
  await Deno.remove(path);
});

Deno.test("replay$() refuses a speed that is not positive", async () => {
  const path = await tempCsv(BARS);
  const source = await openSource(path);
  assert.throws(() => replay$(source, { speed: 0 }), /speed must be positive/);
  await Deno.remove(path);
});

Deno.test("replay$() fails the stream with the source's error, naming file and line", async () => {
  const path = await tempCsv(
    `${BARS}\n2014-05-01T00:04:00Z,1291,1292,1290.5,1291.5,1291.1,1292.1,1290.6,1291.6`,
  );
  await assert.rejects(
    firstValueFrom(replay$(await openSource(path)).pipe(toArray())),
    (error: Error) => error.message.includes(`${path}:5`) && /out of order/.test(error.message),
  );
  await Deno.remove(path);
});

/** A source of `batches` batches of one bar each, counting the batches read. */
function countingSource(batches: number): Source & { read: number } {
  const source = {
    read: 0,
    path: "memory",
    files: ["memory"],
    fileReports: [],
    format: "histdata",
    symbol: "XAUUSD",
    sides: "bid",
    resolution: "M1",
    report: { rowsEmitted: 0 },
    async *batches() {
      for (let i = 0; i < batches; i++) {
        const builder = new BarColumnsBuilder("M1", "bid", false);
        const openUs = Date.UTC(2014, 4, 1, 0, i) * 1000;
        builder.push(openUs, openUs + 60e6, 1, 1, 1, 1, NaN, NaN, NaN, NaN, NaN, NaN);
        source.read++;
        yield builder.take();
      }
    },
  };
  return source as unknown as Source & { read: number };
}

Deno.test("replay$() waits for ready() before each batch it emits", async () => {
  const source = countingSource(3);
  const gate = Promise.withResolvers<void>();
  let held = true;
  const emitted: EventBatch[] = [];
  const done = new Promise<void>((resolve, reject) =>
    replay$(source, { ready: () => (held ? gate.promise : undefined) }).subscribe({
      next: (batch) => emitted.push(batch),
      complete: resolve,
      error: reject,
    })
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(emitted.length, 0, "nothing emitted while ready() is pending");
  assert.equal(source.read, 1, "the first batch was read, not emitted");
  held = false;
  gate.resolve();
  await done;
  assert.equal(emitted.length, 3);
});
