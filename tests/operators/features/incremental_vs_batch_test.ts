/**
 * Incremental == batch for the whole engine: every default feature, streamed bar by bar
 * through `FeatureEngine` over a real HistData year, equals its from-scratch
 * recomputation (`_reference.ts`: group-by resampling, textbook batch formulas, Intl
 * session clocks) within 1e-9, relative where |value| > 1, at sampled M1 bars: 200
 * seeded random ones, both sides of 20 random breaks in the data (day, weekend and
 * holiday closes, where higher-timeframe bars close), the weekends of the US clock
 * changes, and the first ready row and the one before it. Before readiness both sides
 * must agree on which features are still NaN. A second spec on the MT5 export (which has
 * a spread) covers the spread kind, UTC day starts and the outputs the default leaves out.
 */

import assert from "node:assert/strict";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  parseFeatureSpec,
} from "@/operators/features/mod.ts";
import { dataTest } from "../../_data.ts";
import {
  histdataRel,
  histdataYear,
  type M1Bars,
  readM1,
  runEngine,
  seededRandom,
  YEARS,
} from "./_history.ts";
import { FeatureReference, newYorkOffsetHours } from "./_reference.ts";

const RANDOM_CHECKPOINTS = 200;
const RANDOM_BREAKS = 20;
const TOLERANCE = 1e-9;

/**
 * The sampled M1 bars: `count` random ones, both sides of random breaks, and around every
 * weekend with a US clock change (`clockChanges` of them expected).
 */
function checkpoints(m1: M1Bars, seed: number, count: number, clockChanges: number): Set<number> {
  const random = seededRandom(seed);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(random() * m1.length));
  const breaks: number[] = [];
  for (let i = 0; i + 1 < m1.length; i++) {
    if (m1.openUs[i + 1] > m1.closeUs[i]) breaks.push(i);
  }
  for (let n = 0; n < RANDOM_BREAKS; n++) {
    const i = breaks[Math.floor(random() * breaks.length)];
    picked.add(i).add(i + 1);
  }
  let changes = 0;
  for (const i of breaks) {
    if (
      m1.openUs[i + 1] - m1.closeUs[i] > 24 * 3_600e6 &&
      newYorkOffsetHours(m1.closeUs[i]) !== newYorkOffsetHours(m1.openUs[i + 1])
    ) {
      picked.add(i).add(i + 1).add(i + 2);
      changes++;
    }
  }
  assert.equal(changes, clockChanges, "US clock changes, each over a weekend");
  return picked;
}

interface Worst {
  abs: number;
  /** |engine - batch| / max(1, |batch|): the measure the tolerance bounds. */
  rel: number;
}

/** Compares the engine's rows with the reference; returns the worst difference per feature. */
function compare(
  spec: FeatureSpec,
  m1: M1Bars,
  rows: ReadonlyMap<number, Float64Array>,
): { worst: Worst[]; ready: number } {
  const reference = new FeatureReference(spec, m1);
  const worst = spec.features.map(() => ({ abs: 0, rel: 0 }));
  const failures: string[] = [];
  let ready = 0;
  for (const [i, row] of rows) {
    if (row.every(Number.isFinite)) ready++;
    for (let j = 0; j < row.length; j++) {
      const actual = row[j];
      const expected = reference.valueAt(j, i);
      const at = `${spec.features[j].name} at bar ${i} (${
        new Date(m1.openUs[i] / 1000).toISOString()
      })`;
      if (Number.isNaN(actual) || Number.isNaN(expected)) {
        if (Number.isNaN(actual) !== Number.isNaN(expected)) {
          failures.push(`${at}: engine ${actual}, batch ${expected}`);
        }
        continue;
      }
      const abs = Math.abs(actual - expected);
      const rel = abs / Math.max(1, Math.abs(expected));
      worst[j].abs = Math.max(worst[j].abs, abs);
      worst[j].rel = Math.max(worst[j].rel, rel);
      if (!(rel <= TOLERANCE)) failures.push(`${at}: engine ${actual}, batch ${expected}`);
    }
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} values differ`);
  return { worst, ready };
}

/**
 * Runs the engine over `m1`, keeps its rows at `wanted` and around its first ready row,
 * and compares them with the reference; logs the worst difference.
 */
function checkAgainstBatch(
  label: string,
  spec: FeatureSpec,
  m1: M1Bars,
  wanted: Set<number>,
): void {
  const rows = new Map<number, Float64Array>();
  const previous = new Float64Array(spec.features.length);
  let first = -1;
  runEngine(spec, m1, (i, row, ready) => {
    if (ready && first < 0) {
      first = i;
      rows.set(i - 1, previous.slice());
      rows.set(i, row.slice());
    }
    if (wanted.has(i)) rows.set(i, row.slice());
    previous.set(row);
  });
  assert.ok(first > 0, "the engine becomes ready");
  assert.ok(!rows.get(first - 1)!.every(Number.isFinite), "the row before the first is not ready");
  const { worst, ready } = compare(spec, m1, rows);
  assert.ok(ready >= 200, `${ready} of ${rows.size} checkpoints are ready rows`);
  const top = worst.map((w, j) => ({ name: spec.features[j].name, ...w }))
    .sort((a, b) => b.rel - a.rel)[0];
  console.log(
    `${label}: ${rows.size} checkpoints (${ready} ready) x ${spec.features.length} features; ` +
      `worst ${top.name}: ${top.abs.toExponential(1)} abs, ${top.rel.toExponential(1)} rel`,
  );
}

for (const year of YEARS) {
  dataTest(
    `FeatureEngine.update() equals a batch recomputation of every default feature at sampled M1 bars of ${year}`,
    histdataRel(year),
    async () => {
      const m1 = await histdataYear(year);
      const wanted = checkpoints(m1, year, RANDOM_CHECKPOINTS, 2);
      checkAgainstBatch(String(year), DEFAULT_FEATURE_SPEC, m1, wanted);
    },
  );
}

const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";

/**
 * Kinds and outputs the default spec leaves out, spread features (MT5 data has a
 * spread) and UTC days, so every kind and both day starts meet the reference.
 */
const MT5_SPEC = parseFeatureSpec(
  {
    version: 1,
    name: "mt5 check",
    dayStart: "utc",
    features: [
      { name: "m1_spread", timeframe: "M1", kind: "spread", params: { period: 60 } },
      { name: "m1_spread_mean", timeframe: "M1", kind: "spread", output: "mean" },
      {
        name: "h1_spread_mean",
        timeframe: "H1",
        kind: "spread",
        params: { period: 24 },
        output: "mean",
      },
      { name: "m30_macd_signal", timeframe: "M30", kind: "macd", output: "signal", scale: "atr" },
      { name: "m30_bb_width", timeframe: "M30", kind: "bollinger", output: "width" },
      { name: "h1_cci", timeframe: "H1", kind: "cci" },
      { name: "h1_zscore", timeframe: "H1", kind: "zscore", params: { period: 24 } },
      { name: "h1_vol", timeframe: "H1", kind: "volatility", params: { period: 24 } },
      { name: "h1_plus_di", timeframe: "H1", kind: "adx", output: "plus_di" },
      { name: "h4_williams_r", timeframe: "H4", kind: "williams_r" },
      { name: "h4_stoch_d", timeframe: "H4", kind: "stochastic", output: "d" },
      {
        name: "h4_to_low",
        timeframe: "H4",
        kind: "high_low",
        params: { period: 12 },
        output: "to_low",
        scale: "atr",
      },
      {
        name: "h4_sma_gap",
        timeframe: "H4",
        kind: "sma_gap",
        params: { period: 10 },
        scale: "close",
      },
      { name: "d1_roc", timeframe: "D1", kind: "roc", params: { period: 5 } },
      { name: "d1_range", timeframe: "D1", kind: "candle", output: "range", scale: "atr" },
      { name: "d1_rsi", timeframe: "D1", kind: "rsi", params: { period: 5 } },
      { name: "h1_hour_sin", timeframe: "H1", kind: "session" },
      {
        name: "m15_since_open",
        timeframe: "M15",
        kind: "session",
        output: "minutes_since_session_open",
      },
    ],
  },
  "mt5 check",
);

dataTest(
  "FeatureEngine.update() equals a batch recomputation of spread, UTC-day and other kinds at sampled M1 bars of the MT5 export",
  MT5,
  async () => {
    const m1 = await readM1(MT5);
    assert.ok(m1.spread !== null, "the MT5 export has a spread");
    checkAgainstBatch("MT5", MT5_SPEC, m1, checkpoints(m1, 2026, 2000, 0));
  },
);
