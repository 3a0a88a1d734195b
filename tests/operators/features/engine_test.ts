/**
 * The engine's timeframe cascade: coarser timeframes are fed the closed bars of the
 * timeframe below, and must still close a bucket at the first M1 bar after it, as a
 * resampler fed every M1 bar does, when the bucket's last minutes are missing.
 */

import assert from "node:assert/strict";
import { FeatureEngine, parseFeatureSpec } from "@/operators/features/mod.ts";
import { US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";

const rangeOf = (timeframes: readonly string[]) =>
  parseFeatureSpec(
    {
      version: 1,
      name: "ranges",
      dayStart: "utc",
      features: timeframes.map((timeframe) => ({
        name: `${timeframe.toLowerCase()}_range`,
        timeframe,
        kind: "candle",
        output: "range",
      })),
    },
    "test",
  );

Deno.test("FeatureEngine closes an H1 bar whose last minutes are missing at the next M1 bar, through M5 and M15", () => {
  const cascade = new FeatureEngine(rangeOf(["M5", "M15", "H1"]), { hasSpread: false });
  const direct = new FeatureEngine(rangeOf(["H1"]), { hasSpread: false });
  const rowCascade = new Float64Array(3);
  const rowDirect = new Float64Array(1);
  const t0 = usFromIso("2017-03-06T10:00:00Z");
  // Minutes 10:00 to 10:41, then nothing until 11:03. Minute i: high 2000 + i / 10 and
  // low 2000 - (41 - i) / 20, so the highest high is minute 41's, the lowest low minute 0's.
  const minutes = [...Array.from({ length: 42 }, (_, i) => i), 63];
  const h1 = minutes.map((minute) => {
    const openUs = t0 + minute * US_PER_MINUTE;
    const high = 2000 + minute / 10;
    const low = 2000 - (41 - minute) / 20;
    const feed = (engine: FeatureEngine, row: Float64Array) =>
      engine.update(openUs, openUs + US_PER_MINUTE, 2000, high, low, 2000, NaN, row);
    feed(cascade, rowCascade);
    feed(direct, rowDirect);
    assert.ok(Object.is(rowCascade[2], rowDirect[0]), `minute ${minute}`);
    return rowCascade[2];
  });
  // No H1 bar closed before 11:03; at 11:03 the 10:00-11:00 bar is closed: range =
  // minute 41's high - minute 0's low = (2000 + 41 / 10) - (2000 - 41 / 20) = 6.15.
  assert.ok(h1.slice(0, -1).every(Number.isNaN));
  assert.equal(h1[h1.length - 1], (2000 + 41 / 10) - (2000 - 41 / 20));
  assert.ok(Math.abs(h1[h1.length - 1] - 6.15) < 1e-9);
  // M15 at 11:03: the last closed M15 bar is 10:30-10:45, minutes 30 to 41: range =
  // minute 41's high - minute 30's low = (2000 + 41 / 10) - (2000 - 11 / 20) = 4.65.
  assert.equal(rowCascade[1], (2000 + 41 / 10) - (2000 - 11 / 20));
});
