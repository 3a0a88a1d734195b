/**
 * Incremental == batch for the whole engine: every default feature, streamed bar by bar
 * through `FeatureEngine` over a real HistData year, equals its from-scratch
 * recomputation (`_reference.ts`: group-by resampling, textbook batch formulas, Intl
 * session clocks) within 1e-9, relative where |value| > 1, at sampled M1 bars: 200
 * seeded random ones, both sides of 20 random breaks in the data (day, weekend and
 * holiday closes, where higher-timeframe bars close), the weekends of the US clock
 * changes, and the first ready row and the one before it. Before readiness both sides
 * must agree on which features are still NaN.
 */

import assert from "node:assert/strict";
import { DEFAULT_FEATURE_SPEC, type FeatureSpec } from "@/operators/features/mod.ts";
import { dataTest } from "../../_data.ts";
import {
  histdataRel,
  histdataYear,
  type M1Bars,
  runEngine,
  seededRandom,
  type Year,
  YEARS,
} from "./_history.ts";
import { FeatureReference, newYorkOffsetHours } from "./_reference.ts";

const RANDOM_CHECKPOINTS = 200;
const RANDOM_BREAKS = 20;
const TOLERANCE = 1e-9;

/** The sampled M1 bars, sorted; the first ready row and its predecessor are added later. */
function checkpoints(m1: M1Bars, seed: number): number[] {
  const random = seededRandom(seed);
  const picked = new Set<number>();
  while (picked.size < RANDOM_CHECKPOINTS) picked.add(Math.floor(random() * m1.length));
  const breaks: number[] = [];
  for (let i = 0; i + 1 < m1.length; i++) {
    if (m1.openUs[i + 1] > m1.closeUs[i]) breaks.push(i);
  }
  for (let n = 0; n < RANDOM_BREAKS; n++) {
    const i = breaks[Math.floor(random() * breaks.length)];
    picked.add(i).add(i + 1);
  }
  let clockChanges = 0;
  for (const i of breaks) {
    if (
      m1.openUs[i + 1] - m1.closeUs[i] > 24 * 3_600e6 &&
      newYorkOffsetHours(m1.closeUs[i]) !== newYorkOffsetHours(m1.openUs[i + 1])
    ) {
      picked.add(i).add(i + 1).add(i + 2);
      clockChanges++;
    }
  }
  assert.equal(clockChanges, 2, "two US clock changes, each over a weekend");
  return [...picked].sort((a, b) => a - b);
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

for (const year of YEARS) {
  dataTest(
    `FeatureEngine.update() equals a batch recomputation of every default feature at sampled M1 bars of ${year}`,
    histdataRel(year),
    async () => {
      const spec = DEFAULT_FEATURE_SPEC;
      const m1 = await histdataYear(year);
      const wanted = new Set(checkpoints(m1, year as Year));
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
      assert.ok(
        !rows.get(first - 1)!.every(Number.isFinite),
        "the row before the first is not ready",
      );
      const { worst, ready } = compare(spec, m1, rows);
      assert.ok(ready >= 200, `${ready} of ${rows.size} checkpoints are ready rows`);
      const top = worst.map((w, j) => ({ name: spec.features[j].name, ...w }))
        .sort((a, b) => b.rel - a.rel)[0];
      console.log(
        `${year}: ${rows.size} checkpoints (${ready} ready) x ${spec.features.length} features; ` +
          `worst ${top.name}: ${top.abs.toExponential(1)} abs, ${top.rel.toExponential(1)} rel`,
      );
    },
  );
}
