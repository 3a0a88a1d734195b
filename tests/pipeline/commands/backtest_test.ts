import assert from "node:assert/strict";
import { parseBacktestJson } from "../../../operators/backtest/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "./_run.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

dataTest(
  "backtest --no-ml replays real bars into a valid JSON document and a self-contained report",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const result = await runCli([
      "backtest",
      "--data",
      dataPath(HISTDATA_2017),
      "--to",
      "2017-04-01",
      "--no-ml",
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
    assert.equal(doc.data_files[0].name, "DAT_ASCII_XAUUSD_M1_2017.csv.gz");
    assert.match(doc.data_files[0].sha256, /^[0-9a-f]{64}$/);
    assert.ok(doc.metrics.trades > 0, "the technical-only configuration trades");
    const net = doc.trades.reduce((sum, t) => sum + t.pnl, 0);
    assert.ok(
      Math.abs(net - doc.metrics.net_profit) < 0.01,
      `trades sum to ${net}, metrics say ${doc.metrics.net_profit}`,
    );
    const html = await Deno.readTextFile(`${dir}/bt.html`);
    // Config values (the LLM's base URL) appear as text; nothing is loaded: the chart
    // library and the page script are inline.
    assert.ok(!/<script\s+src|<link|@import/i.test(html), "the report loads nothing from outside");
    // The traded period (after the warm-up, to the end of March) fits at H1: one candle
    // per traded hour, from the period's first hour to its last.
    const data = JSON.parse(/id="report-data">([^<]*)<\/script>/.exec(html)![1]);
    const [start, end] = [doc.period.start_utc, doc.period.end_utc].map((t) =>
      Date.parse(t) / 1000
    );
    assert.equal(data.timeframe, "H1");
    assert.ok(data.time[0] <= start && data.time[0] > start - 3600, "the first candle");
    assert.ok(data.time.at(-1) < end && data.time.at(-1) >= end - 3600, "the last candle");
    assert.ok(data.time.length < (end - start) / 3600 + 1, "more candles than hours");
    assert.equal(data.markers.length, 2 * doc.metrics.trades);
    await Deno.remove(dir, { recursive: true });
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
        "backtest",
        "--data",
        data,
        ...fast,
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
