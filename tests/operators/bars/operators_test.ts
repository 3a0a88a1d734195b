import assert from "node:assert/strict";
import { dataTest } from "../../_data.ts";
import { from, lastValueFrom, type Observable, toArray } from "rxjs";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type TickEvent,
  US_PER_MINUTE,
  usFromIso,
} from "@/pipeline/events.ts";
import { type BarBatch, BarColumnsBuilder } from "@/sources/source.ts";
import {
  aggregateTicks,
  detectGaps,
  detectGapsInBatch,
  GapDetector,
  resampleBars,
  resampleBatch,
  Resampler,
  ticksToBars,
  TickToBar,
} from "@/operators/bars/mod.ts";
import { readTicks, TICKS_PATH } from "./_data.ts";

const SYMBOL = "XAUUSD";

function tick(timeUs: number, bid: number, ask = bid + 0.3, symbol = SYMBOL): TickEvent {
  return { v: EVENT_VERSION, kind: "tick", symbol, timeUs, bid, ask };
}

async function run(
  batches: readonly EventBatch[],
  pipe: (source: Observable<EventBatch>) => Observable<EventBatch>,
): Promise<EventBatch[]> {
  return await lastValueFrom(pipe(from(batches)).pipe(toArray()));
}

/** The bars of a column batch as events, to compare with the Rx output. */
function barEvents(batch: BarBatch): BarEvent[] {
  return Array.from({ length: batch.length }, (_, i) => ({
    v: EVENT_VERSION,
    kind: "bar",
    symbol: SYMBOL,
    timeframe: batch.timeframe,
    openUs: batch.openUs[i],
    closeUs: batch.closeUs[i],
    bid: {
      open: batch.bidOpen[i],
      high: batch.bidHigh[i],
      low: batch.bidLow[i],
      close: batch.bidClose[i],
    },
    ask: {
      open: batch.askOpen![i],
      high: batch.askHigh![i],
      low: batch.askLow![i],
      close: batch.askClose![i],
    },
    spread: null,
    volume: batch.volume![i],
  }));
}

/**
 * Each derived event sits where it became known: an M1 bar after every tick of its minute
 * and before any later tick, an H1 bar likewise among the M1 bars, a gap just before the
 * bar that revealed it.
 */
function assertCausal(events: readonly MarketEvent[]): void {
  const n = events.length;
  const before = { tick: new Float64Array(n), m1: new Float64Array(n) };
  const after = { tick: new Float64Array(n), m1: new Float64Array(n) };
  let tick = -Infinity, m1 = -Infinity;
  for (let i = 0; i < n; i++) {
    before.tick[i] = tick;
    before.m1[i] = m1;
    const e = events[i];
    if (e.kind === "tick") tick = e.timeUs;
    if (e.kind === "bar" && e.timeframe === "M1") m1 = e.closeUs;
  }
  tick = Infinity;
  m1 = Infinity;
  for (let i = n - 1; i >= 0; i--) {
    after.tick[i] = tick;
    after.m1[i] = m1;
    const e = events[i];
    if (e.kind === "tick") tick = e.timeUs;
    if (e.kind === "bar" && e.timeframe === "M1") m1 = e.openUs;
  }
  events.forEach((e, i) => {
    if (e.kind === "gap") {
      const next = events[i + 1];
      assert.ok(next?.kind === "bar" && next.openUs === e.toUs, `gap ${i} not before its bar`);
    } else if (e.kind === "bar") {
      const inputs = e.timeframe === "M1" ? "tick" : "m1";
      assert.ok(before[inputs][i] <= e.closeUs, `${e.timeframe} bar ${i} before its inputs`);
      assert.ok(after[inputs][i] >= e.closeUs, `${e.timeframe} bar ${i} after later inputs`);
    }
  });
}

dataTest(
  "ticksToBars(), resampleBars() and detectGaps() give the scalar classes' bars and gaps on real ticks",
  [TICKS_PATH],
  async () => {
    // Thursday to Monday: a weekend, daily breaks and quiet minutes, in a few seconds.
    const tickBatches = await readTicks(TICKS_PATH, { toUs: usFromIso("2014-05-06T00:00:00Z") });
    const tickCount = tickBatches.reduce((n, b) => n + b.length, 0);
    const m1 = new BarColumnsBuilder("M1", "bid-ask", true);
    const aggregator = new TickToBar(m1);
    for (const batch of tickBatches) aggregateTicks(batch, aggregator);
    aggregator.flush();
    const m1Bars = m1.take();
    const h1 = new BarColumnsBuilder("H1", "bid-ask", true);
    const resampler = new Resampler("H1", h1);
    resampleBatch(m1Bars, resampler);
    resampler.flush();
    const expectedGaps = detectGapsInBatch(m1Bars, new GapDetector());
    assert.ok(expectedGaps.some((gap) => gap.category === "weekend"));

    const events: EventBatch[] = tickBatches.map((batch) =>
      Array.from(
        { length: batch.length },
        (_, i) => tick(batch.timeUs[i], batch.bid[i], batch.ask[i]),
      )
    );
    const out = (await run(
      events,
      (source) =>
        source.pipe(
          ticksToBars(SYMBOL, { flushOnComplete: true }),
          resampleBars("H1", { flushOnComplete: true }),
          detectGaps(),
        ),
    )).flat();

    const bars = (timeframe: string) =>
      out.filter((e): e is BarEvent => e.kind === "bar" && e.timeframe === timeframe);
    assert.equal(out.filter((e) => e.kind === "tick").length, tickCount);
    assert.deepEqual(bars("M1"), barEvents(m1Bars));
    assert.deepEqual(bars("H1"), barEvents(h1.take()));
    assert.deepEqual(
      out.filter((e) => e.kind === "gap"),
      expectedGaps.map((gap) => ({
        v: EVENT_VERSION,
        kind: "gap",
        symbol: SYMBOL,
        timeframe: "M1",
        ...gap,
      })),
    );
    assertCausal(out);
  },
);

const T0 = usFromIso("2017-03-06T10:00:00Z");
const TICKS: EventBatch[] = [
  [tick(T0 + 1, 1230), tick(T0 + 2, 1231, 1231.3, "XAGUSD"), tick(T0 + 3, 1232)],
  [tick(T0 + US_PER_MINUTE + 5, 1229)],
];

Deno.test("ticksToBars() emits the forming bar at completion only with flushOnComplete", async () => {
  const live = (await run(TICKS, (s) => s.pipe(ticksToBars(SYMBOL)))).flat();
  assert.deepEqual(
    live.filter((e) => e.kind === "bar").map((e) => (e as BarEvent).openUs),
    [T0],
  );
  const replay = await run(TICKS, (s) => s.pipe(ticksToBars(SYMBOL, { flushOnComplete: true })));
  assert.equal(replay.length, 3);
  assert.deepEqual(
    replay[2].map((e) => [e.kind, (e as BarEvent).openUs]),
    [["bar", T0 + US_PER_MINUTE]],
  );
});

Deno.test("ticksToBars() places a bar before the tick that closed it and passes other symbols through", async () => {
  const [first, second] = await run(TICKS, (s) => s.pipe(ticksToBars(SYMBOL)));
  assert.equal(first, TICKS[0], "a batch that completes nothing is passed on as is");
  assert.deepEqual(second.map((e) => e.kind), ["bar", "tick"]);
  const bar = second[0] as BarEvent;
  assert.deepEqual([bar.bid.open, bar.bid.close, bar.volume], [1230, 1232, 2]);
});

Deno.test("ticksToBars() starts afresh for each subscription", async () => {
  const piped = from(TICKS).pipe(ticksToBars(SYMBOL, { flushOnComplete: true }), toArray());
  assert.deepEqual(await lastValueFrom(piped), await lastValueFrom(piped));
});

Deno.test("resampleBars() refuses a target not longer than its input", () => {
  assert.throws(() => resampleBars("M1"), RangeError);
  assert.throws(() => resampleBars("H1", { input: "H4" }), /target must be a longer timeframe/);
});
