/**
 * `tradingWindow()`: the warm-up is fed upstream and dropped here; the traded period
 * starts at `--from` or once every required source has voted, and the record says when
 * each source first voted.
 */

import assert from "node:assert/strict";
import { lastValueFrom, of, toArray } from "rxjs";
import {
  emptyWarmUpRecord,
  type SourceName,
  tradingWindow,
  type WarmUpRecord,
} from "@/operators/warmup/mod.ts";
import {
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  NO_LEVELS,
  type SignalEvent,
  US_PER_DAY,
  US_PER_MINUTE,
} from "@/pipeline/events.ts";
import { m1, regimeEvent, START_US, SYMBOL } from "../fusion/_fixtures.ts";

/** A hold signal at the close of the bar opening at `openUs`, with votes from `sources`. */
function signal(openUs: number, sources: readonly SourceName[]): SignalEvent {
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: SYMBOL,
    timeUs: openUs + US_PER_MINUTE,
    side: "hold",
    confidence: 0,
    entryPrice: 1200,
    ...NO_LEVELS,
    votes: sources.map((source) => ({
      source,
      side: "flat",
      confidence: 0,
      weight: 0,
      reasons: [],
    })),
    regime: null,
    specHash: "",
    modelId: null,
  };
}

/** Bar i opens at START + i minutes, followed by its signal carrying `votes(i)`. */
function minutes(count: number, votes: (i: number) => SourceName[]): MarketEvent[] {
  const events: MarketEvent[] = [];
  for (let i = 0; i < count; i++) {
    const openUs = START_US + i * US_PER_MINUTE;
    events.push(m1(openUs, 1200, 1200), signal(openUs, votes(i)));
  }
  return events;
}

async function run(
  batches: EventBatch[],
  fromUs: number | null,
  required: SourceName[],
): Promise<{ out: MarketEvent[]; record: WarmUpRecord }> {
  const record = emptyWarmUpRecord();
  const out = await lastValueFrom(
    of(...batches).pipe(
      tradingWindow({ symbol: SYMBOL, fromUs, required, dataName: "f.csv" }, record),
      toArray(),
    ),
  );
  return { out: out.flat(), record };
}

Deno.test("tradingWindow() drops everything before the first bar opening at --from", async () => {
  const events = minutes(10, () => ["technical"]);
  const fromUs = START_US + 4 * US_PER_MINUTE;
  // Split the stream so the window opens inside the second batch.
  const { out, record } = await run([events.slice(0, 6), events.slice(6)], fromUs, ["technical"]);
  assert.equal(out.length, 12, "bars 4..9 and their signals: 6 x 2 events");
  assert.equal(out[0].kind, "bar");
  assert.equal((out[0] as { openUs: number }).openUs, fromUs);
  assert.equal(record.warmBars, 4);
  assert.equal(record.tradingStartUs, fromUs);
  assert.equal(record.firstBarUs, START_US);
  assert.equal(record.firstVoteUs.technical, START_US + US_PER_MINUTE);
});

Deno.test("tradingWindow() without --from opens at the bar after every required source voted", async () => {
  // The model votes from bar 3 on; technical from bar 1; the regime from bar 2.
  const events = minutes(8, (i) => [
    ...(i >= 1 ? ["technical" as const] : []),
    ...(i >= 2 ? ["regime" as const] : []),
    ...(i >= 3 ? ["ml" as const] : []),
  ]);
  const { out, record } = await run([events], null, ["technical", "regime", "ml"]);
  // Bar 3's signal is the first with all three, so bar 4 is the first traded.
  assert.equal(record.tradingStartUs, START_US + 4 * US_PER_MINUTE);
  assert.equal(record.warmBars, 4);
  assert.equal(out.length, 8);
  // A vote on bar k is dated at its close, START + (k + 1) minutes.
  assert.deepEqual(record.firstVoteUs, {
    technical: START_US + 2 * US_PER_MINUTE,
    regime: START_US + 3 * US_PER_MINUTE,
    ml: START_US + 4 * US_PER_MINUTE,
    llm: null,
  });
});

Deno.test("tradingWindow() passes every event once open, noting no first vote after it", async () => {
  // The model votes from bar 5 on, after the window opened at bar 2.
  const events = minutes(8, (i) => ["technical", ...(i >= 5 ? ["ml" as const] : [])]);
  const fromUs = START_US + 2 * US_PER_MINUTE;
  const { out, record } = await run([events.slice(0, 6), events.slice(6)], fromUs, ["technical"]);
  assert.deepEqual(out, events.slice(4), "bars 2..7 and their signals, as they came");
  // A first vote in the traded period is the attribution's to note (SourceAttribution).
  assert.equal(record.firstVoteUs.ml, null);
  assert.equal(record.firstVoteUs.technical, START_US + US_PER_MINUTE);
});

Deno.test("tradingWindow() records the regime in force at the first traded bar, passing none from before", async () => {
  const regime = regimeEvent(START_US + 2 * US_PER_MINUTE, "bull", "normal");
  const events = minutes(5, () => ["technical"]);
  events.splice(5, 0, regime);
  const { out, record } = await run([events], START_US + 3 * US_PER_MINUTE, ["technical"]);
  assert.equal(record.regimeAtStart, regime);
  assert.ok(!out.includes(regime));
  assert.equal(out[0].kind, "bar");
});

Deno.test("tradingWindow() refuses a --from before the data starts, naming both times", async () => {
  const events = minutes(3, () => ["technical"]);
  await assert.rejects(
    run([events], START_US - 5 * US_PER_DAY, ["technical"]),
    /--from 2017-03-01T00:00:00Z is before the data starts: the first bar of f\.csv opens 2017-03-06T00:00:00Z/,
  );
});

Deno.test("tradingWindow() accepts a --from a weekend before the first bar", async () => {
  const events = minutes(3, () => ["technical"]);
  const { record } = await run([events], START_US - 2 * US_PER_DAY, ["technical"]);
  assert.equal(record.tradingStartUs, START_US);
  assert.equal(record.warmBars, 0);
});
