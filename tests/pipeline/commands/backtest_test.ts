/**
 * `backtest` end to end on real bars, through the command line, with a stated config (not
 * the defaults, which other work tunes): the JSON document's accounting is recomputed from
 * its own trade rows by the formulas of docs/execution.md and docs/backtest-metrics.md,
 * and the report loads nothing from outside.
 */

import assert from "node:assert/strict";
import { parseBacktestJson } from "../../../operators/backtest/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli, withTestReadCache } from "./_run.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** The run's contract and costs, stated here so every expectation below follows from them. */
const CONTRACT = 100;
const COMMISSION_PER_LOT_SIDE = 3.5;
const SWAP_LONG = -35;
const SWAP_SHORT = 15;
const SPREAD = 0.3;
const INITIAL = 5_000;
const CONFIG = {
  fusion: {
    weights: { technical: 1, ml: 0, llm: 0 },
    gate: 0.5,
    llm: { enabled: false },
    // Wide levels in M1 ATRs, so that positions are held over rollovers and book swap.
    levels: { atrTimeframe: "M1", atrPeriod: 14, stopAtr: 10, takeAtr: 20, minTakeCosts: 0 },
  },
  risk: {
    riskPercent: 0.5,
    positions: { maxOpen: 1, maxLotsPerDirection: 1 },
    breakeven: { enabled: false },
    trailing: { enabled: false },
  },
  execution: {
    initialBalance: INITIAL,
    slippagePoints: 0,
    broker: {
      name: "test: raw spread, fixed 0.30",
      symbol: "XAUUSD",
      digits: 2,
      point: 0.01,
      contractSize: CONTRACT,
      minLot: 0.01,
      lotStep: 0.01,
      maxLot: 50,
      leverage: 100,
      marginCurrency: "USD",
      marginCallLevel: 100,
      stopOutLevel: 50,
      stopsLevelPoints: 0,
      commission: { model: "per_lot", perLotPerSide: COMMISSION_PER_LOT_SIDE },
      swapLongPerLot: SWAP_LONG,
      swapShortPerLot: SWAP_SHORT,
      tripleSwapWeekday: 3,
      spread: { model: "fixed", spread: SPREAD },
    },
  },
};

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

dataTest(
  "backtest --no-ml with a stated config books every trade and total as docs/execution.md computes them",
  HISTDATA_2017,
  async (t) => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(CONFIG));
    const result = await runCli([
      "backtest",
      "--data",
      dataPath(HISTDATA_2017),
      "--to",
      "2017-05-01",
      "--no-ml",
      "--config",
      `${dir}/config.json`,
      "--baseline-runs",
      "0",
      "--json",
      `${dir}/bt.json`,
      "--report",
      `${dir}/bt.html`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /technical only \(--no-ml\)/);
    for (
      const section of ["by exit reason", "by month", "by session", "by regime", "Monte Carlo"]
    ) {
      assert.ok(result.stdout.includes(section), `the console summary has "${section}"`);
    }
    const doc = parseBacktestJson(JSON.parse(await Deno.readTextFile(`${dir}/bt.json`)), "bt.json");
    const html = await Deno.readTextFile(`${dir}/bt.html`);
    await Deno.remove(dir, { recursive: true });
    const { trades, metrics } = doc;
    assert.equal(doc.data_files[0].name, "DAT_ASCII_XAUUSD_M1_2017.csv.gz");
    assert.match(doc.data_files[0].sha256, /^[0-9a-f]{64}$/);
    // Enough trades that the checks below check something: from mid-February (after the
    // warm-up) to May, some held over a rollover (up to three nights at once, a Wednesday's).
    assert.ok(trades.length >= 20, `${trades.length} trades`);
    assert.ok(trades.filter((t) => t.swap !== 0).length >= 5, "trades held overnight");

    await t.step(
      "each trade's pnl is dir x (exit - entry) x contract x lots - commission + swap",
      () => {
        for (const trade of trades) {
          const dir = trade.side === "buy" ? 1 : -1;
          const gross = dir * (trade.exit_price - trade.entry_price) * CONTRACT * trade.lots;
          // Each booked amount is rounded to the cent: at most a cent apart in all.
          near(trade.pnl, gross - trade.commission + trade.swap, 0.01, `${trade.id} pnl`);
        }
      },
    );
    await t.step("commission is 3.50 a lot a side, spread cost 0.30 x contract x lots", () => {
      for (const trade of trades) {
        // Each side is booked rounded to the cent, half away from zero: 0.43 lot pays
        // 3.5 x 0.43 = 1.505 -> 1.51 a side, 3.02 in all (3.01 unrounded).
        const side = Math.round(COMMISSION_PER_LOT_SIDE * trade.lots * 100 + 1e-6) / 100;
        near(trade.commission, 2 * side, 1e-9, trade.id);
        near(trade.spread_cost, SPREAD * CONTRACT * trade.lots, 1e-9, trade.id);
      }
    });
    await t.step("swap is a whole number of nights at the side's rate", () => {
      for (const trade of trades) {
        const perNight = (trade.side === "buy" ? SWAP_LONG : SWAP_SHORT) * trade.lots;
        const nights = trade.swap / perNight;
        near(nights, Math.round(nights), 1e-9, `${trade.id} nights`);
        assert.ok(Math.round(nights) >= 0, trade.id);
      }
    });
    await t.step(
      "one position at a time, lots on the 0.01 grid within 1 lot, R = pnl / risk",
      () => {
        trades.forEach((trade, i) => {
          const entry = Date.parse(trade.entry_time_utc);
          assert.ok(entry < Date.parse(trade.exit_time_utc), trade.id);
          if (i > 0) assert.ok(Date.parse(trades[i - 1].exit_time_utc) <= entry, trade.id);
          near(trade.lots * 100, Math.round(trade.lots * 100), 1e-9, `${trade.id} lots`);
          assert.ok(trade.lots >= 0.01 && trade.lots <= 1, `${trade.id} lots ${trade.lots}`);
          assert.ok(trade.initial_risk !== null, trade.id);
          near(trade.r_multiple!, trade.pnl / trade.initial_risk!, 1e-9, `${trade.id} R`);
        });
      },
    );
    await t.step(
      "totals: trades sum to net profit, balance and equity end at initial + net",
      () => {
        const net = sum(trades.map((t) => t.pnl));
        near(metrics.net_profit, net, 0.005, "net profit");
        near(metrics.final_balance, INITIAL + net, 0.005, "final balance");
        near(metrics.final_equity, metrics.final_balance, 0, "final equity, nothing open");
        near(doc.equity_curve.at(-1)!.equity, INITIAL + net, 0.005, "last equity point");
        near(metrics.total_return_pct, 100 * net / INITIAL, 1e-9, "total return");
        assert.equal(metrics.trades, trades.length);
        assert.equal(metrics.wins, trades.filter((t) => t.pnl > 0).length);
        assert.equal(metrics.losses, trades.filter((t) => t.pnl < 0).length);
        near(
          metrics.gross_profit,
          sum(trades.filter((t) => t.pnl > 0).map((t) => t.pnl)),
          0.005,
          "gp",
        );
        near(
          metrics.gross_loss,
          sum(trades.filter((t) => t.pnl < 0).map((t) => t.pnl)),
          0.005,
          "gl",
        );
      },
    );
    await t.step("costs add up the trades' commission, swap and spread", () => {
      const { costs } = metrics;
      near(costs.commission, sum(trades.map((t) => t.commission)), 0.005, "commission");
      near(costs.swap, sum(trades.map((t) => t.swap)), 0.005, "swap");
      near(costs.spread, sum(trades.map((t) => t.spread_cost)), 0.005, "spread");
      near(costs.total, costs.commission - costs.swap + costs.spread, 0.005, "total");
    });
    await t.step("the report loads nothing from outside and charts the traded period", () => {
      // Config values (the LLM's base URL) appear as text; nothing is loaded: the chart
      // library and the page script are inline.
      assert.ok(
        !/<script\s+src|<link|@import/i.test(html),
        "the report loads nothing from outside",
      );
      // The traded period (after the warm-up, to the end of April) fits at H1: one candle
      // per traded hour, from the period's first hour to its last.
      const data = JSON.parse(/id="report-data">([^<]*)<\/script>/.exec(html)![1]);
      const [start, end] = [doc.period.start_utc, doc.period.end_utc].map((t) =>
        Date.parse(t) / 1000
      );
      assert.equal(data.timeframe, "H1");
      assert.ok(data.time[0] <= start && data.time[0] > start - 3600, "the first candle");
      assert.ok(data.time.at(-1) < end && data.time.at(-1) >= end - 3600, "the last candle");
      assert.ok(data.time.length < (end - start) / 3600 + 1, "more candles than hours");
      assert.equal(data.markers.length, 2 * metrics.trades);
    });
  },
);

Deno.test("backtest refuses --model together with --no-ml", async () => {
  const result = await runCli([
    "backtest",
    "--data",
    new URL(import.meta.url).pathname, // any file that exists: the flags are refused first
    "--no-ml",
    "--model",
    "0123456789abcdef",
    "--json",
    "a.json",
    "--report",
    "a.html",
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /not both/);
});

dataTest(
  "backtest writes only what is asked: --json alone, or both under out/ when neither is given",
  "xauusd_m1_mt5_export/XAUUSD_M1.csv",
  async () => {
    const dir = await Deno.makeTempDir();
    const data = dataPath("xauusd_m1_mt5_export/XAUUSD_M1.csv");
    const fast = ["--no-ml", "--baseline-runs", "0"];
    const only = await runCli(["backtest", "--data", data, ...fast, "--json", `${dir}/bt.json`]);
    assert.equal(only.code, 0, only.stderr);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bt.json"]);
    const text = await Deno.readTextFile(`${dir}/bt.json`);
    assert.doesNotMatch(
      text,
      /\d\.\d*(0{6,}|9{6,})\d\b/,
      "no binary noise such as 1885.4699999999996",
    );

    const defaulted = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../../main.ts", import.meta.url).pathname,
        ...withTestReadCache(["backtest", "--data", data, ...fast]),
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(defaulted.stdout);
    assert.equal(defaulted.code, 0, new TextDecoder().decode(defaulted.stderr));
    assert.match(stdout, /wrote out\/backtest-XAUUSD_M1\.json and out\/backtest-XAUUSD_M1\.html/);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort(),
      ["backtest-XAUUSD_M1.html", "backtest-XAUUSD_M1.json"],
    );
    await Deno.remove(dir, { recursive: true });
  },
);
