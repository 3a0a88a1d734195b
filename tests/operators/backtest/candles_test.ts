/**
 * `ReportCandles`: M1 bars become H1, H4 and D1 candles (H4 and D1 from 17:00 New York),
 * and `finish()` picks the finest timeframe with at most `MAX_REPORT_CANDLES`. Bars are
 * built by hand; expected candles are read off them.
 */

import assert from "node:assert/strict";
import { MAX_REPORT_CANDLES, ReportCandles } from "@/operators/backtest/mod.ts";
import { isoFromUs, US_PER_HOUR } from "@/pipeline/events.ts";
import { bar, us } from "./_fixtures.ts";

Deno.test("ReportCandles.finish() gives H1 candles with the bid OHLC of their minutes", () => {
  const candles = new ReportCandles();
  // 14:00-14:02 then 15:30: two hours, the second with one minute.
  for (
    const [iso, bid] of [["14:00", 2030], ["14:01", 2034.5], ["14:02", 2029.25], ["15:30", 2031]]
  ) {
    candles.update(bar(`2024-01-09T${iso}:00Z`, Number(bid), null, null));
  }
  assert.deepEqual(candles.finish(), {
    timeframe: "H1",
    candles: [
      {
        openUs: us("2024-01-09T14:00:00Z"),
        open: 2030,
        high: 2034.5,
        low: 2029.25,
        close: 2029.25,
      },
      { openUs: us("2024-01-09T15:00:00Z"), open: 2031, high: 2031, low: 2031, close: 2031 },
    ],
  });
});

Deno.test("ReportCandles.finish() moves to H4 past MAX_REPORT_CANDLES hours, from 17:00 New York", () => {
  const candles = new ReportCandles();
  // One M1 bar at the start of each hour: MAX + 1 hourly candles, too many for H1.
  const startUs = us("2024-01-08T00:00:00Z");
  for (let h = 0; h <= MAX_REPORT_CANDLES; h++) {
    candles.update(bar(isoFromUs(startUs + h * US_PER_HOUR), 2000 + h, null, null));
  }
  const series = candles.finish();
  assert.equal(series.timeframe, "H4");
  // 17:00 New York is 22:00 UTC in January, so H4 buckets open at 02, 06, ... 22 UTC:
  // 00:00 and 01:00 fall in the one opened at 22:00 the day before.
  assert.equal(isoFromUs(series.candles[0].openUs), "2024-01-07T22:00:00Z");
  assert.deepEqual(
    [series.candles[0].open, series.candles[0].close, series.candles[1].open],
    [2000, 2001, 2002],
  );
  // 2,001 hours from 22:00: ceil((2 + 2001) / 4) = 501 buckets.
  assert.equal(series.candles.length, 501);
});
