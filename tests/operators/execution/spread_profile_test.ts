/**
 * `measureSpreadProfile()`: the spread by New York hour (DST-correct), the lower median
 * and the rounding up to the cent, by hand on a few quotes; then the default broker
 * profile's table checked against the measurement of the OANDA ticks it was taken from.
 */

import assert from "node:assert/strict";
import { usFromIso } from "@/pipeline/events.ts";
import { DEFAULT_NY_HOUR_SPREADS } from "@/operators/execution/mod.ts";
import { measureSpreadProfile } from "@/operators/execution/spread_profile.ts";
import { emptyReport, type Source } from "@/sources/source.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";

const OANDA_TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";

/** A tick source of the given [ISO time, bid, ask] quotes (unit-test input, not market data). */
function ticks(quotes: readonly (readonly [string, number, number])[]): Source {
  return {
    path: "quotes",
    files: ["quotes"],
    fileReports: [],
    format: "oanda-ticks",
    symbol: "XAUUSD",
    sides: "bid-ask",
    resolution: "tick",
    report: emptyReport(),
    async *batches() {
      yield {
        kind: "ticks",
        length: quotes.length,
        timeUs: Float64Array.from(quotes, (q) => usFromIso(q[0])),
        bid: Float64Array.from(quotes, (q) => q[1]),
        ask: Float64Array.from(quotes, (q) => q[2]),
      };
    },
  };
}

Deno.test("measureSpreadProfile() files quotes by New York hour and rounds the median up to the cent", async () => {
  const profile = await measureSpreadProfile(ticks([
    // 2014-05-01 is EDT (UTC-4): 13:10 UTC is 09:10 New York.
    ["2014-05-01T13:10:00Z", 1290, 1290.2],
    ["2014-05-01T13:20:00Z", 1290, 1290.31],
    ["2014-05-01T13:30:00Z", 1290, 1290.5],
    // 21:05 UTC is 17:05 New York, the quarter hour before the daily break.
    ["2014-05-01T21:05:00Z", 1290, 1291.55],
  ]));
  const nine = profile.hours[9];
  // Spreads 0.20, 0.31, 0.50: the median (rank floor(2 x 0.5) = 1) is 0.31, the 90th
  // percentile (rank floor(2 x 0.9) = 1) too; 0.31 is already on the cent.
  assert.deepEqual(nine, { hour: 9, quotes: 3, median: 0.31, p90: 0.31, model: 0.31 });
  assert.deepEqual(profile.hours[17], {
    hour: 17,
    quotes: 1,
    median: 1.55,
    p90: 1.55,
    model: 1.55,
  });
  // An hour without quotes is not filled in.
  assert.deepEqual(profile.hours[10], {
    hour: 10,
    quotes: 0,
    median: null,
    p90: null,
    model: null,
  });
  assert.equal(profile.quotes, 4);
});

Deno.test("measureSpreadProfile() rounds a median between cents up, never down", async () => {
  // 1290.277 - 1290 = 0.277 (0.27699999... in binary): the model charges 0.28.
  const profile = await measureSpreadProfile(ticks([["2014-05-01T04:10:00Z", 1290, 1290.277]]));
  assert.equal(profile.hours[0].median, 0.277);
  assert.equal(profile.hours[0].model, 0.28);
});

dataTest(
  "DEFAULT_NY_HOUR_SPREADS is the spread-profile measurement of the OANDA ticks",
  OANDA_TICKS,
  async () => {
    const profile = await measureSpreadProfile(await openSource(dataPath(OANDA_TICKS)));
    assert.deepEqual(profile.hours.map((h) => h.model), [...DEFAULT_NY_HOUR_SPREADS]);
    // The figure the issue quoted: the 17:00-18:00 New York median is 1.55.
    assert.equal(profile.hours[17].median, 1.55);
  },
);

dataTest(
  "measureSpreadProfile() refuses bars: it needs tick quotes",
  "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv",
  async () => {
    const bars = await openSource(
      dataPath("xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv"),
    );
    await assert.rejects(() => measureSpreadProfile(bars), /holds M1 bars; give a tick file/);
  },
);
