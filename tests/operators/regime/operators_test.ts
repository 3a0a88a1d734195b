/**
 * `detectRegimes` on the Rx spine: every input event passes through untouched, a
 * `RegimeEvent` appears exactly where the scalar detector changes its labels and in time
 * order, and on real 2017 data the events before a cut do not depend on later data.
 */

import assert from "node:assert/strict";
import { from, lastValueFrom, type Observable, toArray } from "rxjs";
import { Resampler } from "@/operators/bars/mod.ts";
import {
  detectRegimes,
  RegimeDetector,
  type RegimeEvent,
  type RegimeOptions,
} from "@/operators/regime/mod.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type Timeframe,
  US_PER_MINUTE,
  usFromIso,
} from "@/pipeline/events.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { HISTDATA_2017, realH1, seeded, type TestBar } from "./_bars.ts";

const SYMBOL = "XAUUSD";
const FAST: RegimeOptions = {
  volatilityWindow: 3,
  percentileLookback: 10,
  adxPeriod: 3,
  efficiencyWindow: 4,
  minDurationBars: 2,
};

function m1(openUs: number, close: number, open: number, symbol = SYMBOL): BarEvent {
  const high = Math.max(open, close) + 0.05;
  const low = Math.min(open, close) - 0.05;
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol,
    timeframe: "M1",
    openUs,
    closeUs: openUs + US_PER_MINUTE,
    bid: { open, high, low, close },
    ask: null,
    spread: null,
    volume: 0,
  };
}

/**
 * Seeded synthetic M1 bars (a unit-test input, not market data) with holes: the last
 * minute of some 5-minute buckets and some whole buckets are missing, so buckets are
 * both completed by their last bar and revealed by a later one. Ticks, a gap, another
 * symbol's bars and an H1 bar are mixed in; none of them may affect the regime.
 */
function syntheticStream(): MarketEvent[] {
  const random = seeded(7);
  const events: MarketEvent[] = [];
  let price = 1250;
  let t = usFromIso("2017-03-06T00:00:00Z");
  for (let minute = 0; minute < 3000; minute++, t += US_PER_MINUTE) {
    const inBucket = minute % 5;
    if ((inBucket === 4 && random() < 0.3) || Math.floor(minute / 5) % 37 === 36) continue;
    const phase = Math.floor(minute / 400) % 3;
    const open = price;
    price += (phase - 1) * 0.15 + (random() - 0.5) * (phase === 2 ? 2 : 0.4);
    events.push(m1(t, price, open));
    if (minute % 97 === 0) {
      events.push(m1(t, 1.1, 1.09, "EURUSD"));
      events.push({
        v: EVENT_VERSION,
        kind: "tick",
        symbol: SYMBOL,
        timeUs: t + 90e6,
        bid: 1,
        ask: 2,
      });
    }
    if (minute === 1500) {
      events.push({
        v: EVENT_VERSION,
        kind: "gap",
        symbol: SYMBOL,
        timeframe: "M1",
        fromUs: t + US_PER_MINUTE,
        toUs: t + 2 * US_PER_MINUTE,
        missingSessionMinutes: 1,
        category: "missing",
      });
      events.push({ ...m1(t - 59 * US_PER_MINUTE, price, price), timeframe: "H1" });
    }
  }
  return events;
}

/** `events` cut into batches of seeded sizes from 1 to 60. */
function batchesOf(events: readonly MarketEvent[]): EventBatch[] {
  const random = seeded(11);
  const batches: EventBatch[] = [];
  for (let i = 0; i < events.length;) {
    const size = 1 + Math.floor(random() * 60);
    batches.push(events.slice(i, i + size));
    i += size;
  }
  return batches;
}

/** The changes the scalar classes find in `symbol`'s M1 bars, as (time, labels) keys. */
function expectedChanges(
  events: readonly MarketEvent[],
  timeframe: Timeframe,
  options: RegimeOptions,
): string[] {
  const detector = new RegimeDetector(options);
  const changes: string[] = [];
  const resampler = new Resampler(timeframe, {
    push(_openUs, closeUs, open, high, low, close) {
      if (detector.update({ open, high, low, close, closeUs })) {
        changes.push(`${closeUs} ${detector.volatility}/${detector.trend}`);
      }
    },
  });
  for (const e of events) {
    if (e.kind !== "bar" || e.timeframe !== "M1" || e.symbol !== SYMBOL) continue;
    const b = e.bid;
    resampler.update(
      e.openUs,
      e.closeUs,
      b.open,
      b.high,
      b.low,
      b.close,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      0,
    );
  }
  return changes;
}

async function run(
  source: Observable<EventBatch>,
  operator: ReturnType<typeof detectRegimes>,
): Promise<EventBatch[]> {
  return await lastValueFrom(source.pipe(operator, toArray()));
}

const regimesIn = (batches: readonly EventBatch[]) =>
  batches.flat().filter((e): e is RegimeEvent => e.kind === "regime");
const keyOf = (e: RegimeEvent) => `${e.timeUs} ${e.volatility}/${e.trend}`;

Deno.test("detectRegimes() passes every event through and adds a RegimeEvent at each label change", async () => {
  const events = syntheticStream();
  const input = batchesOf(events);
  const operator = detectRegimes({ symbol: SYMBOL, timeframe: "M5", regime: FAST });
  const output = await run(from(input), operator);

  assert.equal(output.length, input.length, "one batch out per batch in");
  for (const [i, batch] of output.entries()) {
    const passed = batch.filter((e) => e.kind !== "regime");
    assert.equal(passed.length, input[i].length);
    passed.forEach((e, k) => assert.equal(e, input[i][k], `batch ${i} event ${k}`));
    if (passed.length === batch.length) assert.equal(batch, input[i], "unchanged batch reused");
  }

  const found = regimesIn(output);
  assert.deepEqual(found.map(keyOf), expectedChanges(events, "M5", FAST));
  assert.ok(found.length > 20, `${found.length} changes`);
  for (let i = 1; i < found.length; i++) {
    const [a, b] = [found[i - 1], found[i]];
    assert.ok(a.volatility !== b.volatility || a.trend !== b.trend, "only on change");
  }
  for (const e of found) {
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e, "plain and serialisable");
    assert.equal(e.timeframe, "M5");
  }
  assert.deepEqual(
    regimesIn(await run(from(input), operator)).map(keyOf),
    found.map(keyOf),
    "a second subscription starts from scratch",
  );
});

Deno.test("detectRegimes() puts a RegimeEvent after the M1 bars that built it and before later ones", async () => {
  const output = (await run(
    from(batchesOf(syntheticStream())),
    detectRegimes({ symbol: SYMBOL, timeframe: "M5", regime: FAST }),
  )).flat();
  let revealed = 0;
  for (const [i, e] of output.entries()) {
    if (e.kind !== "regime") continue;
    const bars = (list: typeof output) =>
      list.filter((x): x is BarEvent =>
        x.kind === "bar" && x.timeframe === "M1" && x.symbol === SYMBOL
      );
    const before = bars(output.slice(0, i));
    assert.ok(before.every((b) => b.openUs < e.timeUs));
    assert.ok(bars(output.slice(i + 1)).every((b) => b.openUs >= e.timeUs));
    if (before.at(-1)!.closeUs < e.timeUs) revealed++;
  }
  assert.ok(revealed > 0, "some buckets were revealed by a later bar");
});

Deno.test("detectRegimes() refuses M1 as the regime timeframe and bad detector settings at once", () => {
  assert.throws(() => detectRegimes({ symbol: SYMBOL, timeframe: "M1" }), {
    name: "RangeError",
    message: /Cannot detect regimes on M1/,
  });
  assert.throws(() => detectRegimes({ symbol: SYMBOL, regime: { minDurationBars: 0 } }), {
    name: "RangeError",
    message: /"minDurationBars" must be an integer >= 1/,
  });
});

/** The changes of the default detector over real H1 bars closing before `beforeUs`. */
function h1Changes(bars: readonly TestBar[], beforeUs = Infinity): string[] {
  const detector = new RegimeDetector();
  const changes: string[] = [];
  for (const bar of bars) {
    if (bar.closeUs >= beforeUs) break;
    if (detector.update(bar)) {
      changes.push(`${bar.closeUs} ${detector.volatility}/${detector.trend}`);
    }
  }
  return changes;
}

dataTest(
  "detectRegimes() on 2017 replays matches the detector on H1 bars, with or without later data",
  HISTDATA_2017,
  async (t) => {
    const bars = await realH1(HISTDATA_2017);
    const replay = async (toUs?: number) => {
      const source = await openSource(dataPath(HISTDATA_2017), { toUs });
      return regimesIn(await run(replay$(source), detectRegimes({ symbol: source.symbol })));
    };
    const full = await replay();
    await t.step("the whole year", () => {
      assert.deepEqual(full.map(keyOf), h1Changes(bars));
      assert.ok(full.length > 200, `${full.length} changes`);
    });
    for (const cut of ["2017-03-15T13:30:00Z", "2017-09-01T00:00:00Z"]) {
      await t.step(`cut at ${cut}`, async () => {
        const cutUs = usFromIso(cut);
        const early = await replay(cutUs);
        assert.deepEqual(early, full.filter((e) => e.timeUs < cutUs));
      });
    }
  },
);
