/**
 * `historyStartUs()` and `featureWarmUpNeeds()`: the history a strategy needs, counted on
 * the session calendar by hand, and a spec's needs measured on the real engine.
 */

import assert from "node:assert/strict";
import { featureWarmUpNeeds, historyStartUs } from "@/operators/warmup/mod.ts";
import { parseFeatureSpec } from "@/operators/features/mod.ts";
import { isoFromUs, usFromIso } from "@/pipeline/events.ts";

Deno.test("historyStartUs() counts M1 bars back over session minutes, then adds the holiday allowance", () => {
  // Wednesday 2018-03-07 15:00 UTC is 10:00 New York, mid-session: 60 M1 bars back is
  // 14:00 UTC. The span is under a day, so the allowance is ceil(1 / 20) + 1 = 2 days:
  // 2018-03-05T14:00Z.
  const start = historyStartUs(
    usFromIso("2018-03-07T15:00:00Z"),
    [{ source: "technical", timeframe: "M1", bars: 60 }],
    "new-york-17",
  );
  assert.equal(isoFromUs(start), "2018-03-05T14:00:00Z");
});

Deno.test("historyStartUs() counts complete D1 buckets from 17:00 New York across a weekend", () => {
  // Monday 2018-03-05 12:00 UTC sits in Monday's gold day (Sunday 17:00 NY = 22:00 UTC
  // onwards), still forming. The complete days before it: Friday's (opens Thursday
  // 2018-03-01 22:00 UTC) and Thursday's (opens Wednesday 2018-02-28 22:00 UTC). Two D1
  // bars therefore start 2018-02-28T22:00Z, a span of 4.6 days -> 5; the allowance is
  // ceil(5 / 20) + 1 = 2 days: 2018-02-26T22:00Z.
  const start = historyStartUs(
    usFromIso("2018-03-05T12:00:00Z"),
    [{ source: "ml", timeframe: "D1", bars: 2 }],
    "new-york-17",
  );
  assert.equal(isoFromUs(start), "2018-02-26T22:00:00Z");
});

Deno.test("historyStartUs() takes the earliest of several needs and nothing for none", () => {
  const fromUs = usFromIso("2018-03-07T15:00:00Z");
  const m1 = historyStartUs(fromUs, [{ source: "technical", timeframe: "M1", bars: 60 }], "utc");
  const both = historyStartUs(fromUs, [
    { source: "technical", timeframe: "M1", bars: 60 },
    { source: "regime", timeframe: "H1", bars: 30 },
  ], "utc");
  assert.ok(both < m1, "the H1 need reaches further back than the M1 one");
  assert.equal(historyStartUs(fromUs, [], "utc"), fromUs);
});

Deno.test("featureWarmUpNeeds() measures each timeframe's closed bars on the real engine", () => {
  // RSI(14) needs 15 bars (14 changes), ATR(14) 15 bars (a previous close, then 14
  // true ranges): indicators' own requiredBars, found here by running the engine.
  const spec = parseFeatureSpec({
    version: 1,
    name: "two",
    dayStart: "new-york-17",
    features: [
      { name: "m1_rsi", timeframe: "M1", kind: "rsi", params: { period: 14 } },
      { name: "d1_atr", timeframe: "D1", kind: "atr", params: { period: 14 }, scale: "close" },
    ],
  }, "test");
  assert.deepEqual(featureWarmUpNeeds(spec, false), [
    { source: "ml", timeframe: "M1", bars: 15 },
    { source: "ml", timeframe: "D1", bars: 15 },
  ]);
});
