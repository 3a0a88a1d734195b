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
    // Config values (the LLM's base URL) appear as text; nothing is loaded.
    assert.ok(
      !/<script|<link|\ssrc=|url\(|@import/i.test(html),
      "the report loads nothing from outside",
    );
    assert.ok((html.match(/<svg/g) ?? []).length >= 3);
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
