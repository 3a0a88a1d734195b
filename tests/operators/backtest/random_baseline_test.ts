/**
 * The random-entry baseline: ranks by hand, and on a real month of 2017, the idle-bar
 * shortcut gives exactly what feeding every bar to the kernel gives.
 */

import assert from "node:assert/strict";
import { percentileOf, randomRun, type RandomRunSetup } from "@/operators/backtest/mod.ts";
import { TECHNICAL_ONLY } from "@/operators/fusion/mod.ts";
import { parseRiskConfig } from "@/operators/risk/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import { usFromIso } from "@/pipeline/events.ts";
import { openSources } from "@/sources/mod.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import { dataPath, dataTest } from "../../_data.ts";

Deno.test("percentileOf() is the share of runs below, ties counting half", () => {
  // Below 3 in [1, 2, 3, 3, 5]: two runs, and two ties count one: (2 + 1) / 5 = 60%.
  assert.equal(percentileOf(3, [1, 2, 3, 3, 5]), 60);
  assert.equal(percentileOf(0, [1, 2]), 0);
  assert.equal(percentileOf(9, [1, 2]), 100);
});

const FILE = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

dataTest(
  "randomRun() skips idle bars without changing a single trade (real 2017 data)",
  FILE,
  async () => {
    const source = await openSources([dataPath(FILE)], {
      fromUs: usFromIso("2017-02-01"),
      toUs: usFromIso("2017-03-15"),
    });
    const tape = new BarColumnsBuilder("M1", source.sides, false);
    for await (const batch of source.batches()) {
      if (batch.kind !== "bars") continue;
      for (let i = 0; i < batch.length; i++) {
        tape.push(
          batch.openUs[i],
          batch.closeUs[i],
          batch.bidOpen[i],
          batch.bidHigh[i],
          batch.bidLow[i],
          batch.bidClose[i],
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          0,
        );
      }
    }
    const bars = tape.take();
    let tradingStart = 0;
    while (bars.openUs[tradingStart] < usFromIso("2017-03-01")) tradingStart++;
    const setup: RandomRunSetup = {
      symbol: "XAUUSD",
      spec: XAUUSD,
      bars,
      tradingStart,
      entryRate: 0.01,
      fusion: TECHNICAL_ONLY,
      roundTripExtra: 0.11,
      risk: parseRiskConfig({ news: { enabled: false }, spread: { assumedSpread: 0.3 } }, "test"),
      calendar: null,
      execution: {},
    };
    for (const seed of [1, 2]) {
      const fast = randomRun(setup, seed);
      const full = randomRun({ ...setup, feedEveryBar: true }, seed);
      assert.ok(fast.trades >= 5, `seed ${seed}: only ${fast.trades} trades, too few to compare`);
      assert.deepEqual(fast, full);
    }
  },
);
