/**
 * Triple-barrier labels: hand-checked cases (take-profit, stop, both in one bar, time
 * barrier, a take-profit the spread puts out of reach, holes and the end of the data),
 * and properties on random bars: no label reads a bar past its horizon, and mirroring
 * prices swaps up and down.
 * These tests must never read real data; every bar here is built in the test.
 */

import { deepStrictEqual, strictEqual, throws } from "node:assert";
import fc from "fast-check";
import {
  atrSeries,
  DEFAULT_LABEL_OPTIONS,
  DOWN,
  FLAT,
  type LabelBars,
  type TripleBarrierLabels,
  tripleBarrierLabels,
  UNLABELED,
  UP,
} from "@/models/labels.ts";
import { US_PER_MINUTE } from "@/pipeline/events.ts";

const T0 = Date.UTC(2017, 0, 3) * 1000;

/** Bars one minute apart from [high, low, close] triples; open = previous close. */
function bars(rows: readonly (readonly [number, number, number])[], gapAfter = -1): LabelBars {
  const n = rows.length;
  const openUs = new Float64Array(n);
  const closeUs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    openUs[i] = T0 + (i + (gapAfter >= 0 && i > gapAfter ? 10 : 0)) * US_PER_MINUTE;
    closeUs[i] = openUs[i] + US_PER_MINUTE;
  }
  const col = (k: number) => Float64Array.from(rows, (r) => r[k]);
  const close = col(2);
  return {
    length: n,
    openUs,
    closeUs,
    bidOpen: Float64Array.from(close, (_, i) => i === 0 ? close[0] : close[i - 1]),
    bidHigh: col(0),
    bidLow: col(1),
    bidClose: close,
  };
}

/** Barriers 2 ATR with ATR 1, spread 0.3: from a bid of 100 the long fills at 100.3, wins on a
 * bid of 102.3 and stops at 98.3; the short fills at 100, wins on an ask of 98 (bid 97.7)
 * and stops at an ask of 102 (bid 101.7). */
const HAND = { upAtr: 2, downAtr: 2, horizonBars: 5, spread: 0.3 } as const;
const flatAtr = (n: number, value = 1) => new Float64Array(n).fill(value);

function labelOf(rows: readonly (readonly [number, number, number])[]): TripleBarrierLabels {
  return tripleBarrierLabels(bars(rows), { ...HAND, atr: flatAtr(rows.length) });
}

const QUIET: [number, number, number] = [100.5, 99.5, 100];

Deno.test("tripleBarrierLabels() labels a clean long take-profit up, decided at that bar", () => {
  const rows: [number, number, number][] = [
    [100, 100, 100],
    [101, 99.5, 100.8],
    [102.4, 100.9, 102.2],
    QUIET,
    QUIET,
    QUIET,
  ];
  const labels = labelOf(rows);
  strictEqual(labels.y[0], UP);
  strictEqual(labels.labelEndUs[0], T0 + 3 * US_PER_MINUTE);
  strictEqual(labels.horizonEndUs[0], T0 + 6 * US_PER_MINUTE);
  strictEqual(labels.forwardReturn[0], Math.log(100 / 100));
});

Deno.test("tripleBarrierLabels() counts a bid exactly at the take-profit as reaching it", () => {
  // Spread 0.25 and ATR 1 keep the arithmetic exact: fill 100.25, take-profit 102.25.
  const rows: [number, number, number][] = [[100, 100, 100], [102.25, 100, 102], QUIET];
  const labels = tripleBarrierLabels(bars(rows), {
    ...HAND,
    horizonBars: 2,
    spread: 0.25,
    atr: flatAtr(3),
  });
  strictEqual(labels.y[0], UP);
});

Deno.test("tripleBarrierLabels() labels down when the long is stopped and then the short wins", () => {
  const labels = labelOf([
    [100, 100, 100],
    [100.2, 98.2, 98.5], // long stopped (bid 98.2 <= 98.3); the short's ask low 98.5 > 98
    [98.6, 97.6, 97.9], // the short's ask low 97.9 <= 98: it wins
    QUIET,
    QUIET,
    QUIET,
  ]);
  strictEqual(labels.y[0], DOWN);
  strictEqual(labels.labelEndUs[0], T0 + 3 * US_PER_MINUTE);
});

Deno.test("tripleBarrierLabels() labels flat as soon as both trades are stopped, first touch first", () => {
  const labels = labelOf([
    [100, 100, 100],
    [100.2, 98.2, 98.5], // long stopped
    [102.5, 98.5, 102.4], // short stopped (ask 102.8 >= 102) before the long's later win
    [103, 102, 102.5],
    QUIET,
    QUIET,
  ]);
  strictEqual(labels.y[0], FLAT);
  strictEqual(labels.labelEndUs[0], T0 + 3 * US_PER_MINUTE);
});

Deno.test("tripleBarrierLabels() counts a bar touching take-profit and stop as the stop", () => {
  // One bar spans 97.6 to 102.5: it reaches both trades' take-profits and stops, and each
  // is counted as stopped (the pessimistic rule).
  const labels = labelOf([[100, 100, 100], [102.5, 97.6, 100], QUIET, QUIET, QUIET, QUIET]);
  strictEqual(labels.y[0], FLAT);
  strictEqual(labels.labelEndUs[0], T0 + 2 * US_PER_MINUTE);
});

Deno.test("tripleBarrierLabels() labels flat at the time barrier when no barrier is touched", () => {
  const labels = labelOf([[100, 100, 100], QUIET, QUIET, QUIET, QUIET, [101, 99, 100.5]]);
  strictEqual(labels.y[0], FLAT);
  strictEqual(labels.labelEndUs[0], T0 + 6 * US_PER_MINUTE);
  strictEqual(labels.forwardReturn[0], Math.log(100.5 / 100));
});

Deno.test("tripleBarrierLabels() does not reach a take-profit smaller than the spread's cost", () => {
  // ATR 0.1: take-profit 0.2. The bid rises 0.4: enough without a spread, not with 0.3.
  const rows: [number, number, number][] = [
    [100, 100, 100],
    [100.4, 100, 100.4],
    [100.4, 100.4, 100.4],
  ];
  const atr = flatAtr(3, 0.1);
  const withSpread = tripleBarrierLabels(bars(rows), { ...HAND, horizonBars: 2, atr });
  strictEqual(withSpread.y[0], FLAT);
  const noSpread = tripleBarrierLabels(bars(rows), { ...HAND, horizonBars: 2, atr, spread: 0 });
  strictEqual(noSpread.y[0], UP);
});

Deno.test("tripleBarrierLabels() reads the ask columns, else the spread column, else the configured spread", () => {
  const rows: [number, number, number][] = [[100, 100, 100], [100.4, 100, 100.4], QUIET];
  const base = bars(rows);
  const atr = flatAtr(3, 0.1);
  const options = { ...HAND, horizonBars: 2, atr, spread: 0 };
  const spread = new Float64Array(3).fill(0.3);
  strictEqual(tripleBarrierLabels({ ...base, spread }, options).y[0], FLAT);
  const askHigh = base.bidHigh.map((v) => v + 0.3);
  const askLow = base.bidLow.map((v) => v + 0.3);
  const askClose = base.bidClose.map((v) => v + 0.3);
  strictEqual(tripleBarrierLabels({ ...base, askHigh, askLow, askClose }, options).y[0], FLAT);
  strictEqual(tripleBarrierLabels(base, options).y[0], UP);
});

Deno.test("tripleBarrierLabels() leaves rows unlabelled past the data, across a hole, or without ATR", () => {
  const rows = Array.from({ length: 8 }, () => QUIET);
  const whole = tripleBarrierLabels(bars(rows), { ...HAND, atr: flatAtr(8) });
  deepStrictEqual(Array.from(whole.y), [
    FLAT,
    FLAT,
    FLAT,
    UNLABELED,
    UNLABELED,
    UNLABELED,
    UNLABELED,
    UNLABELED,
  ]);
  strictEqual(Number.isNaN(whole.labelEndUs[3]), true);
  strictEqual(Number.isNaN(whole.forwardReturn[3]), true);
  // A 10-minute hole before bar 5: rows whose horizon holds bar 5 are unlabelled.
  const holed = tripleBarrierLabels(bars(rows, 4), { ...HAND, horizonBars: 2, atr: flatAtr(8) });
  deepStrictEqual(Array.from(holed.y.subarray(0, 6)), [
    FLAT,
    FLAT,
    FLAT,
    UNLABELED,
    UNLABELED,
    FLAT,
  ]);
  const tolerant = tripleBarrierLabels(bars(rows, 4), {
    ...HAND,
    horizonBars: 2,
    atr: flatAtr(8),
    maxGapMinutes: 10,
  });
  strictEqual(tolerant.y[3], FLAT);
  const atr = flatAtr(8);
  atr[1] = NaN;
  strictEqual(tripleBarrierLabels(bars(rows), { ...HAND, atr }).y[1], UNLABELED);
});

Deno.test("tripleBarrierLabels() uses ATR(14) of the bars and the documented defaults when not told", () => {
  const rows = Array.from({ length: 60 }, (_, i): [number, number, number] => [
    100 + (i % 7) * 0.1 + 0.2,
    100 + (i % 7) * 0.1 - 0.2,
    100 + (i % 7) * 0.1,
  ]);
  const labels = tripleBarrierLabels(bars(rows));
  deepStrictEqual(labels.options, DEFAULT_LABEL_OPTIONS);
  // ATR(14) first exists at bar 14 (the first bar only primes the true range).
  strictEqual(labels.y[13], UNLABELED);
  strictEqual(labels.y[14] === UNLABELED, false);
  strictEqual(labels.y[60 - 30 - 1] === UNLABELED, false);
  strictEqual(labels.y[60 - 30], UNLABELED);
});

Deno.test("tripleBarrierLabels() refuses barriers, horizons and spreads that mean nothing", () => {
  const b = bars([QUIET, QUIET]);
  throws(() => tripleBarrierLabels(b, { upAtr: 0 }), RangeError);
  throws(() => tripleBarrierLabels(b, { horizonBars: 2.5 }), RangeError);
  throws(() => tripleBarrierLabels(b, { spread: -0.1 }), RangeError);
  throws(() => tripleBarrierLabels(b, { atr: new Float64Array(3) }), /3 ATR values for 2 bars/);
});

/** Random integer-priced bars (exact arithmetic), with the odd hole. */
const randomBars = fc.array(
  fc.record({
    move: fc.integer({ min: -3, max: 3 }),
    up: fc.integer({ min: 0, max: 3 }),
    down: fc.integer({ min: 0, max: 3 }),
    hole: fc.integer({ min: 0, max: 30 }),
  }),
  { minLength: 20, maxLength: 120 },
).map((steps): LabelBars => {
  const n = steps.length;
  const out = {
    length: n,
    openUs: new Float64Array(n),
    closeUs: new Float64Array(n),
    bidOpen: new Float64Array(n),
    bidHigh: new Float64Array(n),
    bidLow: new Float64Array(n),
    bidClose: new Float64Array(n),
  };
  let time = T0;
  let close = 1000;
  steps.forEach((s, i) => {
    time += (s.hole > 27 ? 8 : 1) * US_PER_MINUTE;
    const open = close;
    close = open + s.move;
    out.openUs[i] = time - US_PER_MINUTE;
    out.closeUs[i] = time;
    out.bidOpen[i] = open;
    out.bidHigh[i] = Math.max(open, close) + s.up;
    out.bidLow[i] = Math.min(open, close) - s.down;
    out.bidClose[i] = close;
  });
  return out;
});

const slice = (b: LabelBars, end: number): LabelBars => ({
  length: end,
  openUs: b.openUs.slice(0, end),
  closeUs: b.closeUs.slice(0, end),
  bidOpen: b.bidOpen.slice(0, end),
  bidHigh: b.bidHigh.slice(0, end),
  bidLow: b.bidLow.slice(0, end),
  bidClose: b.bidClose.slice(0, end),
});

const PROPERTY = { upAtr: 1, downAtr: 1.5, horizonBars: 6, atrPeriod: 3, spread: 1 } as const;

Deno.test("tripleBarrierLabels() gives rows up to t the same labels when bars after t + horizon are removed", () => {
  fc.assert(
    fc.property(randomBars, fc.nat(), (b, cut) => {
      const h = PROPERTY.horizonBars;
      const t = cut % (b.length - h);
      const full = tripleBarrierLabels(b, PROPERTY);
      const short = tripleBarrierLabels(slice(b, t + h + 1), PROPERTY);
      for (let s = 0; s <= t; s++) {
        strictEqual(short.y[s], full.y[s]);
        deepStrictEqual(
          [short.labelEndUs[s], short.horizonEndUs[s], short.forwardReturn[s]],
          [full.labelEndUs[s], full.horizonEndUs[s], full.forwardReturn[s]],
        );
      }
    }),
  );
});

Deno.test("tripleBarrierLabels() changes only the labels whose horizon holds a changed bar", () => {
  fc.assert(
    fc.property(randomBars, fc.nat(), fc.integer({ min: -4, max: 4 }), (b, at, shift) => {
      const m = at % b.length;
      const changed = { ...slice(b, b.length) };
      changed.bidHigh[m] += Math.max(shift, 0) + 2;
      changed.bidLow[m] += Math.min(shift, 0) - 2;
      const before = tripleBarrierLabels(b, PROPERTY);
      const after = tripleBarrierLabels(changed, PROPERTY);
      for (let s = 0; s < m - PROPERTY.horizonBars; s++) {
        strictEqual(after.y[s], before.y[s]);
        strictEqual(after.labelEndUs[s], before.labelEndUs[s]);
      }
    }),
  );
});

Deno.test("tripleBarrierLabels() swaps up and down when prices are mirrored about the mid", () => {
  fc.assert(
    fc.property(randomBars, (b) => {
      // Mirrored bid = C - ask: the mirrored long is the original short, so labels swap.
      // Whole-number prices, spread and ATR keep every comparison exact.
      const c = 3000;
      const s = PROPERTY.spread;
      const mirror: LabelBars = {
        ...b,
        bidOpen: b.bidOpen.map((v) => c - s - v),
        bidHigh: b.bidLow.map((v) => c - s - v),
        bidLow: b.bidHigh.map((v) => c - s - v),
        bidClose: b.bidClose.map((v) => c - s - v),
      };
      const atr = atrSeries(b, PROPERTY.atrPeriod).map(Math.ceil);
      const options = { ...PROPERTY, downAtr: PROPERTY.upAtr, atr };
      const original = tripleBarrierLabels(b, options);
      const mirrored = tripleBarrierLabels(mirror, options);
      for (let i = 0; i < b.length; i++) {
        const y = original.y[i];
        strictEqual(mirrored.y[i], y === UNLABELED || y === FLAT ? y : 2 - y);
        strictEqual(mirrored.labelEndUs[i], original.labelEndUs[i]);
      }
    }),
  );
});
