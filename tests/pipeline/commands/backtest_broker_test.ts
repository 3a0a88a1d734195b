/**
 * Backtests on a trader's broker terms, on real data: a month of 2018 on the EU retail
 * profile (1:20, lots in steps of 0.1) trades only whole steps, never uses more margin
 * than its equity, counts every order the broker did not execute, and its trades still
 * sum to its net profit; the CLI names a bad profile's field and file, and says whether
 * the news filter ran. docs/results/backtests.md has the full year.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { isMultipleOf } from "@/pipeline/symbols.ts";
import { parseBacktestJson } from "@/operators/backtest/mod.ts";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "./_run.ts";

const HISTDATA_2018 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz";
const EU_RETAIL = fileURLToPath(new URL("../../../profiles/eu_retail_1_20.json", import.meta.url));
const CALENDAR = fileURLToPath(
  new URL("../../../docs/examples/news_calendar.csv", import.meta.url),
);

dataTest(
  "a January 2018 backtest on the EU retail profile trades 0.1-lot steps within its margin, counting every refusal",
  HISTDATA_2018,
  async () => {
    const { document: doc } = await runBacktest({
      files: [dataPath(HISTDATA_2018)],
      from: "2018-01-01",
      to: "2018-02-01",
      noMl: true,
      broker: EU_RETAIL,
      // At 0.5% of 10,000 an H1-ATR stop sizes to about 0.14 lots, and any size cut drops
      // it under the 0.1-lot step; 1% keeps the month trading.
      config: { risk: { riskPercent: 1 } },
      baselineRuns: 0,
      progress: false,
    });
    const m = doc.metrics;
    assert.ok(m.trades >= 10, `the month trades (${m.trades} trades)`);
    for (const trade of doc.trades) {
      assert.ok(isMultipleOf(trade.lots, 0.1) && trade.lots >= 0.1, `${trade.lots} lots`);
    }
    // The broker's highest margin in use over every account report, against equity.
    const { max_used_pct_of_equity: used, stop_outs } = doc.broker.margin;
    assert.ok(used !== null && used > 0 && used <= 100, `margin reached ${used}% of equity`);
    assert.equal(stop_outs, 0);
    assert.deepEqual([doc.broker.leverage, doc.broker.lot_step, doc.broker.file], [
      20,
      0.1,
      "eu_retail_1_20.json",
    ]);
    // Every order the broker did not execute is counted, by reason; an accepted decision
    // either traded or is among them.
    const refused = Object.values(m.broker_refusals_by_reason).reduce((a, b) => a + b, 0);
    assert.equal(refused, m.broker_refusals);
    assert.ok(m.risk_decisions.accepted - m.trades <= m.broker_refusals);
    // The trades sum to the net profit, and to the balance's change.
    const net = doc.trades.reduce((sum, t) => sum + t.pnl, 0);
    assert.ok(Math.abs(net - m.net_profit) < 0.005, `trades ${net}, net ${m.net_profit}`);
    assert.ok(Math.abs(m.final_balance - m.initial_balance - net) < 0.005);
    // Every trade's R is its P&L over the budget it was sized for.
    for (const t of doc.trades) assert.ok(Math.abs(t.r_multiple! - t.pnl / t.initial_risk!) < 1e-9);
    assert.deepEqual(doc.news, { enabled: false, calendar: null, calendar_sha256: null });
  },
);

dataTest(
  "backtest --broker names a bad profile's field and file, and says whether the news filter ran",
  HISTDATA_2018,
  async (t) => {
    const dir = await Deno.makeTempDir();
    const common = [
      "backtest",
      "--data",
      dataPath(HISTDATA_2018),
      "--from",
      "2018-01-02",
      "--to",
      "2018-01-04",
      "--no-ml",
    ];
    const out = ["--json", `${dir}/bt.json`, "--report", `${dir}/bt.html`];
    await t.step("a lot step that does not divide the minimum lot", async () => {
      const bad = `${dir}/bad.json`;
      const profile = JSON.parse(await Deno.readTextFile(EU_RETAIL));
      await Deno.writeTextFile(bad, JSON.stringify({ ...profile, lotStep: 0.03 }));
      const result = await runCli([...common, "--broker", bad, ...out]);
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        new RegExp(
          `Broker profile "${bad}" is invalid: lotStep: lotStep 0\\.03 does not divide minLot 0\\.1`,
        ),
      );
    });
    await t.step("the news filter on, from its calendar, in the summary and the JSON", async () => {
      const result = await runCli([...common, "--broker", EU_RETAIL, "--news", CALENDAR, ...out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /news filter on \(news_calendar\.csv\)/);
      const doc = parseBacktestJson(
        JSON.parse(await Deno.readTextFile(`${dir}/bt.json`)),
        "bt.json",
      );
      assert.deepEqual([doc.news.enabled, doc.news.calendar], [true, "news_calendar.csv"]);
      assert.match(doc.news.calendar_sha256!, /^[0-9a-f]{64}$/);
      assert.match(
        await Deno.readTextFile(`${dir}/bt.html`),
        /News blackout<\/th>\s*<td class="mono">on, calendar news_calendar\.csv/,
      );
    });
    await t.step("off without a calendar, said so", async () => {
      const result = await runCli([...common, ...out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /news filter OFF: no --news calendar/);
    });
    await Deno.remove(dir, { recursive: true });
  },
);
