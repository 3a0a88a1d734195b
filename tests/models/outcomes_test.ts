/**
 * The online labeler: on real 2017 bars it resolves every prediction to exactly the class
 * `tripleBarrierLabels` gives the same bar over the whole year, whether the bars come in
 * the replay's large batches or one per batch as live; the rolling log loss is checked by
 * hand; holes and bars that never came are skipped and counted, and nothing resolves
 * before its horizon has closed.
 * These tests must never write to the data folder; the real-data ones skip without it.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { type LabelBars, tripleBarrierLabels, UNLABELED } from "@/models/labels.ts";
import { OutcomeTracker } from "@/models/outcomes.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type MarketEvent,
  type PredictionEvent,
  US_PER_MINUTE,
} from "@/pipeline/events.ts";
import { eventsOf } from "@/pipeline/replay.ts";
import { openSource } from "@/sources/mod.ts";
import { bidColumnsOf } from "../_bars.ts";
import { dataPath, dataTest } from "../_data.ts";

const FILE = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const PRODUCTION = "a".repeat(64);
const SHADOW = "b".repeat(64);

function prediction(
  bar: { openUs: number; closeUs: number },
  modelId: string,
  probabilities: readonly [number, number, number],
  role: PredictionEvent["role"] = "production",
): PredictionEvent {
  return {
    v: EVENT_VERSION,
    kind: "prediction",
    symbol: "XAUUSD",
    openUs: bar.openUs,
    closeUs: bar.closeUs,
    modelId,
    role,
    probabilities,
    agreement: 1,
    members: [],
  };
}

/** The 2017 bars as replay batches of events, and the same bars as labels.ts columns. */
async function year2017(): Promise<{ batches: BarEvent[][]; bars: LabelBars }> {
  const source = await openSource(dataPath(FILE));
  const batches: BarEvent[][] = [];
  for await (const batch of source.batches()) {
    batches.push(eventsOf(batch, source.symbol) as BarEvent[]);
  }
  return { batches, bars: bidColumnsOf(batches.flat()) };
}

dataTest(
  "OutcomeTracker resolves every prediction on real 2017 bars exactly as tripleBarrierLabels labels the bar",
  FILE,
  async (t) => {
    const { batches, bars } = await year2017();
    const reference = tripleBarrierLabels(bars);
    const h = reference.options.horizonBars;
    const index = new Map<number, number>();
    bars.closeUs.forEach((closeUs, i) => index.set(closeUs, i));
    // Production predicts every bar, the shadow every third: both as the scorer inserts them.
    const withPredictions = (batch: readonly BarEvent[]): MarketEvent[] =>
      batch.flatMap((bar) => {
        const i = index.get(bar.closeUs)!;
        const events: MarketEvent[] = [bar, prediction(bar, PRODUCTION, [0.3, 0.4, 0.3])];
        if (i % 3 === 0) events.push(prediction(bar, SHADOW, [0.2, 0.5, 0.3], "shadow"));
        return events;
      });

    const check = (tracker: OutcomeTracker, feed: Iterable<MarketEvent[]>, n: number) => {
      let resolved = 0;
      for (const events of feed) {
        for (const outcome of tracker.observe(events)) {
          const i = index.get(outcome.decisionUs)!;
          if (outcome.y !== reference.y[i] || outcome.labelEndUs !== reference.labelEndUs[i]) {
            throw new Error(
              `bar ${i}: outcome ${outcome.y} at ${outcome.labelEndUs}, labels.ts ${
                reference.y[i]
              } at ${reference.labelEndUs[i]}`,
            );
          }
          resolved++;
        }
      }
      // Every bar whose horizon lies within the first n bars is resolved or counted unlabelable.
      let expectedResolved = 0;
      let expectedUnlabelable = 0;
      for (let i = 0; i + h < n; i++) {
        const predictions = i % 3 === 0 ? 2 : 1;
        if (reference.y[i] === UNLABELED) expectedUnlabelable += predictions;
        else expectedResolved += predictions;
      }
      const production = tracker.stats(PRODUCTION);
      const shadow = tracker.stats(SHADOW);
      strictEqual(resolved, expectedResolved);
      strictEqual(production.resolved + shadow.resolved, expectedResolved);
      strictEqual(production.unlabelable + shadow.unlabelable, expectedUnlabelable);
      strictEqual(production.unmatched + shadow.unmatched, 0);
      ok(production.unlabelable > 0, "the year has holes, so some rows are unlabelable");
      return { resolved, unlabelable: expectedUnlabelable };
    };

    await t.step("fed the replay's batches, the whole year", () => {
      const tracker = new OutcomeTracker({ symbol: "XAUUSD" });
      const { resolved, unlabelable } = check(
        tracker,
        batches.map(withPredictions),
        bars.length,
      );
      let waiting = 0;
      for (let i = bars.length - h; i < bars.length; i++) waiting += i % 3 === 0 ? 2 : 1;
      strictEqual(tracker.pending, waiting);
      console.log(
        `2017: ${resolved} predictions resolved, ${unlabelable} unlabelable, ${tracker.pending} pending`,
      );
    });

    await t.step("fed one bar per batch, as live, over the first 40,000 bars", () => {
      const first = batches.flat().slice(0, 40_000);
      const tracker = new OutcomeTracker({ symbol: "XAUUSD" });
      check(tracker, first.map((bar) => withPredictions([bar])), first.length);
    });
  },
);

const T0 = Date.UTC(2017, 0, 3, 14) * 1000;
/** Labels for hand checks: ATR(2) of 1 on quiet bars, barriers 2 ATR, 3 bars, spread 0.3. */
const HAND = { horizonBars: 3, atrPeriod: 2, upAtr: 2, downAtr: 2, spread: 0.3 };

/** A bid-only M1 bar `i` minutes after T0 (plus `shift` minutes), around 100 unless told. */
function bar(i: number, high = 100.5, low = 99.5, shift = 0): BarEvent {
  const openUs = T0 + (i + shift) * US_PER_MINUTE;
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol: "XAUUSD",
    timeframe: "M1",
    openUs,
    closeUs: openUs + US_PER_MINUTE,
    bid: { open: 100, high, low, close: 100 },
    ask: null,
    spread: null,
    volume: 0,
  };
}

Deno.test("OutcomeTracker.stats() keeps the log loss of the last N resolved predictions, by hand", () => {
  // Bar 6 spikes to 103: the long from bars 3 and 4 (filled at 100.3, take-profit 102.3)
  // wins, so they are up; bar 2's horizon (bars 3 to 5) is quiet, so it is flat.
  const bars = Array.from({ length: 8 }, (_, i) => i === 6 ? bar(i, 103) : bar(i));
  const tracker = new OutcomeTracker({ symbol: "XAUUSD", labels: HAND, window: 2 });
  const events: MarketEvent[] = bars.slice(0, 5).flatMap((b, i) => {
    if (i === 2 || i === 3) return [b, prediction(b, PRODUCTION, [0.25, 0.5, 0.25])];
    if (i === 4) return [b, prediction(b, PRODUCTION, [0.1, 0.1, 0.8])];
    return [b];
  });
  deepStrictEqual(tracker.observe(events), []);
  const first = tracker.observe([bars[5]]);
  deepStrictEqual(first.map((o) => [o.y, o.loss]), [[1, -Math.log(0.5)]]);
  strictEqual(tracker.stats(PRODUCTION).logLoss, 0.6931471805599453);
  const later = tracker.observe([bars[6], bars[7]]);
  deepStrictEqual(later.map((o) => o.y), [2, 2]);
  deepStrictEqual(later.map((o) => o.labelEndUs), [bars[6].closeUs, bars[6].closeUs]);
  const stats = tracker.stats(PRODUCTION);
  strictEqual(stats.resolved, 3);
  strictEqual(stats.windowRows, 2);
  strictEqual(stats.windowStartUs, bars[3].closeUs);
  // (−ln 0.25 − ln 0.8) / 2 = (1.3862943611198906 + 0.2231435513142097) / 2
  strictEqual(stats.logLoss, 0.8047189562170501);
  deepStrictEqual(tracker.logLoss(PRODUCTION, bars[4].closeUs), {
    logLoss: 0.2231435513142097,
    rows: 1,
  });
  deepStrictEqual(tracker.logLoss(SHADOW), { logLoss: NaN, rows: 0 });
});

Deno.test("OutcomeTracker.observe() resolves a prediction only once the last bar of its horizon has closed", () => {
  const tracker = new OutcomeTracker({ symbol: "XAUUSD", labels: HAND });
  const bars = Array.from({ length: 7 }, (_, i) => bar(i));
  tracker.observe([bars[0], bars[1], bars[2], prediction(bars[2], PRODUCTION, [0.2, 0.6, 0.2])]);
  for (const i of [3, 4]) {
    deepStrictEqual(tracker.observe([bars[i]]), [], `resolved at bar ${i}`);
    strictEqual(tracker.pending, 1);
  }
  strictEqual(tracker.observe([bars[5]]).length, 1);
  strictEqual(tracker.pending, 0);
});

Deno.test("OutcomeTracker counts predictions over a hole unlabelable and those without a bar unmatched", () => {
  const tracker = new OutcomeTracker({ symbol: "XAUUSD", labels: HAND });
  // A 10-minute hole after bar 5: the horizon of bar 3 (bars 4 to 6) spans it, bar 2's does not.
  const bars = Array.from({ length: 9 }, (_, i) => bar(i, 100.5, 99.5, i > 5 ? 10 : 0));
  const noBar = { openUs: bars[5].closeUs, closeUs: bars[5].closeUs + US_PER_MINUTE };
  const outcomes = tracker.observe([
    ...bars.slice(0, 3),
    prediction(bars[2], PRODUCTION, [0.2, 0.6, 0.2]),
    bars[3],
    prediction(bars[3], PRODUCTION, [0.2, 0.6, 0.2]),
    bars[4],
    bars[5],
    prediction(noBar, PRODUCTION, [0.2, 0.6, 0.2]),
    ...bars.slice(6),
  ]);
  deepStrictEqual(outcomes.map((o) => o.decisionUs), [bars[2].closeUs]);
  const stats = tracker.stats(PRODUCTION);
  deepStrictEqual([stats.resolved, stats.unlabelable, stats.unmatched], [1, 1, 1]);
  strictEqual(tracker.pending, 0);
});

Deno.test("OutcomeTracker refuses bars out of order and ignores other symbols", () => {
  const tracker = new OutcomeTracker({ symbol: "XAUUSD", labels: HAND });
  tracker.observe([bar(1), { ...bar(0), symbol: "XAGUSD" }]);
  throws(() => tracker.observe([bar(0)]), /not after the previous bar/);
  throws(() => new OutcomeTracker({ symbol: "XAUUSD", window: 0 }), /window must be 1 or more/);
});
