/**
 * `runBacktest({ monteCarlo: false })`, what an optimisation's candidates and a sweep's jobs
 * run: the Monte Carlo bands are left out, and nothing else of the document changes.
 */

import assert from "node:assert/strict";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { dataPath, dataTest } from "../../_data.ts";

const HISTDATA_2018 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz";

dataTest(
  "runBacktest() without Monte Carlo leaves out its bands and changes nothing else",
  HISTDATA_2018,
  async () => {
    const run = (monteCarlo: boolean) =>
      runBacktest({
        files: [dataPath(HISTDATA_2018)],
        from: "2018-03-01",
        to: "2018-04-01",
        noMl: true,
        baselineRuns: 0,
        progress: false,
        monteCarlo,
      });
    const { document: full } = await run(true);
    const { document: without } = await run(false);
    assert.ok(full.trades.length >= 2, `the month trades (${full.trades.length} trades)`);
    // Reshuffled and bootstrapped: the two methods' bands.
    assert.equal(full.monte_carlo.length, 2);
    assert.deepEqual(without.monte_carlo, []);
    assert.deepEqual({ ...without, monte_carlo: full.monte_carlo }, full);
  },
);
