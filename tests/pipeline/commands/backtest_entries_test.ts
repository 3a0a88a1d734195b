/**
 * A backtest's per-order record on real data with bracket entries (`risk.entry.type:
 * "bracket"`): the trades are named after the leg that filled (`<id>-limit`, `<id>-stop`),
 * yet each still carries its decision's budget and counts, for every signal source, as
 * supported, opposed or neutral.
 */

import assert from "node:assert/strict";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { dataPath, dataTest } from "../../_data.ts";

const HISTDATA_2018 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz";

dataTest(
  "runBacktest() with bracket entries files every leg's trade under its decision, for each source",
  HISTDATA_2018,
  async () => {
    const { document: doc } = await runBacktest({
      files: [dataPath(HISTDATA_2018)],
      from: "2018-03-01",
      to: "2018-04-01",
      noMl: true,
      config: { risk: { entry: { type: "bracket" } } },
      baselineRuns: 0,
      progress: false,
    });
    const m = doc.metrics;
    assert.ok(m.trades >= 5, `the month trades (${m.trades} trades)`);
    assert.ok(
      doc.trades.every((t) => /-(limit|stop)$/.test(t.id)),
      doc.trades.map((t) => t.id).join(", "),
    );
    assert.ok(doc.trades.every((t) => t.initial_risk !== null), "every leg has its budget");
    // Each trade is supported, opposed or neutral for every source: the three add up to
    // the run's trades and net profit.
    for (const [name, s] of Object.entries(doc.sources)) {
      const groups = [s.trades_supported, s.trades_opposed, s.trades_neutral];
      assert.equal(groups.reduce((n, g) => n + g.trades, 0), m.trades, name);
      const net = groups.reduce((sum, g) => sum + g.net_profit, 0);
      assert.ok(Math.abs(net - m.net_profit) < 0.015, `${name}: ${net} vs ${m.net_profit}`);
    }
    // With no model, the technical vote is the fused side: it backed every trade.
    assert.equal(doc.sources.technical.trades_supported.trades, m.trades);
  },
);
