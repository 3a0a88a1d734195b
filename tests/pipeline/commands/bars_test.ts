import assert from "node:assert/strict";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "./_run.ts";

const TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";
const M1_ORACLE = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";
const H1 = "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv";
const D1_ORACLE = "xauusd_h1_d1_oanda/XAUUSD_OANDA_D1_quote_20060320-20181231.csv";
const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";
const HISTDATA_2023 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2023.csv.gz";

dataTest(
  "bars writes the tick file's M1 bars byte for byte as OANDA's M1 file",
  [TICKS, M1_ORACLE],
  async () => {
    const out = await Deno.makeTempFile({ suffix: ".csv" });
    const result = await runCli([
      "bars",
      "--data",
      dataPath(TICKS),
      "--timeframe",
      "M1",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote 15,222 M1 bars/);
    assert.equal(await Deno.readTextFile(out), await Deno.readTextFile(dataPath(M1_ORACLE)));
    await Deno.remove(out);
  },
);

dataTest(
  "bars resamples OANDA H1 to D1 byte for byte as OANDA's D1 file",
  [H1, D1_ORACLE],
  async () => {
    const out = await Deno.makeTempFile({ suffix: ".csv" });
    const result = await runCli([
      "bars",
      "--data",
      dataPath(H1),
      "--timeframe",
      "D1",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(out), await Deno.readTextFile(dataPath(D1_ORACLE)));
    await Deno.remove(out);
  },
);

dataTest(
  "bars writes a spread column in price units for MT5 data and honours --from/--to",
  MT5,
  async () => {
    const out = await Deno.makeTempFile({ suffix: ".csv" });
    const result = await runCli([
      "bars",
      "--data",
      dataPath(MT5),
      "--timeframe",
      "M5",
      "--from",
      "2026-04-01T00:00:00Z",
      "--to",
      "2026-04-01T01:00:00Z",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = (await Deno.readTextFile(out)).trim().split("\n");
    assert.equal(lines[0], "time_utc,bid_open,bid_high,bid_low,bid_close,spread");
    assert.equal(lines.length, 13, "twelve M5 bars in one hour");
    assert.equal(lines[1].split(",")[0], "2026-04-01T00:00:00Z");
    assert.match(lines[1], /,0\.\d+$/);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.bars.bars, 12);
    assert.equal(summary.read.rowsEmitted, 60);
    await Deno.remove(out);
  },
);

dataTest(
  "bars reports the dropped EU fall-back hour and the 2023 holes in its summary",
  HISTDATA_2023,
  async () => {
    const out = await Deno.makeTempFile({ suffix: ".csv" });
    const result = await runCli([
      "bars",
      "--data",
      dataPath(HISTDATA_2023),
      "--timeframe",
      "M1",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.read.duplicatesDropped, 60);
    assert.equal(summary.bars.bars, 308_752);
    const missing = summary.bars.gaps.missing.missingSessionMinutes +
      summary.bars.gaps.holiday.missingSessionMinutes;
    assert.ok(missing > 40_000, `2023 misses ~47,500 in-session minutes; summary says ${missing}`);
    await Deno.remove(out);
  },
);

Deno.test("bars exits 2 naming the flag when --timeframe is missing or wrong", async () => {
  const missing = await runCli(["bars", "--data", "x.csv", "--out", "y.csv"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--timeframe/);
  const wrong = await runCli(["bars", "--data", "x.csv", "--out", "y.csv", "--timeframe", "M2"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /M1, M5, M15, M30, H1, H4, D1/);
  const unknown = await runCli([
    "bars",
    "--data",
    "x.csv",
    "--out",
    "y.csv",
    "--timeframe",
    "M1",
    "--frm",
    "2017",
  ]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /frm/);
});

Deno.test("bars exits 1 naming the file and line of a bad row", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/bad_M1_.csv`;
  await Deno.writeTextFile(
    data,
    "time_utc,bid_open,bid_high,bid_low,bid_close\n2014-05-01T00:00:00Z,1291,1292,1290.5,1291.5\n2014-05-01T00:01:00Z,1291,1290.5,1292,1291\n",
  );
  const result = await runCli([
    "bars",
    "--data",
    data,
    "--timeframe",
    "M1",
    "--out",
    `${dir}/out.csv`,
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`${data}:3: high < low`));
  const skipped = await runCli([
    "bars",
    "--data",
    data,
    "--timeframe",
    "M1",
    "--out",
    `${dir}/out.csv`,
    "--on-bad-line",
    "skip",
  ]);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /1 x high < low; first: line 3/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bars refuses to make finer bars than the file holds", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/x_H1_.csv`;
  await Deno.writeTextFile(
    data,
    "time_utc,bid_open,bid_high,bid_low,bid_close\n2014-05-01T00:00:00Z,1,2,0.5,1.5\n",
  );
  const result = await runCli([
    "bars",
    "--data",
    data,
    "--timeframe",
    "M5",
    "--out",
    `${dir}/out.csv`,
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot make M5 bars from H1 data/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bars takes the plausibility flags: a row above --max-price is refused by its line", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/x_M1_.csv`;
  await Deno.writeTextFile(
    data,
    "time_utc,bid_open,bid_high,bid_low,bid_close\n2014-05-01T00:00:00Z,1291,1292,1290.5,1291.5\n",
  );
  const args = ["bars", "--data", data, "--timeframe", "M1", "--out", `${dir}/out.csv`];
  const refused = await runCli([...args, "--max-price", "1000"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`${data}:2: price outside 10-1000 \\(--min-price`));
  const contradiction = await runCli([...args, "--min-price", "2000", "--max-price", "1000"]);
  assert.equal(contradiction.code, 2);
  assert.match(
    contradiction.stderr,
    /--max-price\) 1000 must exceed the lowest \(--min-price\) 2000/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bars calls a hole of a year an outage, never a short gap", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/x_M1_.csv`;
  // Thursday 2014-05-01 00:00 UTC, then Friday 2015-05-01 00:00 UTC: a year later.
  await Deno.writeTextFile(
    data,
    "time_utc,bid_open,bid_high,bid_low,bid_close\n" +
      "2014-05-01T00:00:00Z,1291,1292,1290.5,1291.5\n2015-05-01T00:00:00Z,1181,1182,1180.5,1181.5\n",
  );
  const args = ["bars", "--data", data, "--timeframe", "M1", "--out", `${dir}/out.csv`];
  const refused = await runCli(args);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /:3: timestamp more than 30 days after line 2 \(--max-time-step-days\)/,
  );
  const result = await runCli([...args, "--max-time-step-days", "400"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /short gaps \(under 120 min\) 0 \(0 min\)/);
  assert.match(result.stdout, /outages \(over 2,760 min: days or more\) 1 /);
  await Deno.remove(dir, { recursive: true });
});
