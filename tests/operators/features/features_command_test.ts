/**
 * The `features` command end to end, in a subprocess as a user runs it: the CSV layout,
 * one row per M1 bar from the first ready one with exactly the engine's values, the
 * warm-up it reports, `--spec` and `--print-spec`, a cut file giving a prefix of the
 * same CSV (no look-ahead through the whole pipeline), and the refusals.
 */

import assert from "node:assert/strict";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  loadFeatureSpec,
  parseFeatureSpec,
  specHash,
} from "@/operators/features/mod.ts";
import { isoFromUs, usFromIso } from "@/pipeline/events.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "../../pipeline/commands/_run.ts";
import { histdataRel, readM1, runEngine } from "./_history.ts";

const HISTDATA_2017 = histdataRel(2017);
const H1 = "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv";
const TO = "2017-02-14T00:00:00Z";
/** M1 bars before the default spec's first ready row on the 2017 file (docs/features.md). */
const WARM_UP_2017 = 20_416;

const SMALL_SPEC = {
  version: 1,
  name: "small",
  description: "A custom spec for the command test.",
  dayStart: "utc",
  features: [
    { name: "m5_rsi_7", timeframe: "M5", kind: "rsi", params: { period: 7 } },
    {
      name: "h1_ema_gap_20",
      timeframe: "H1",
      kind: "ema_gap",
      params: { period: 20 },
      scale: "atr",
    },
    { name: "d1_ret_1", timeframe: "D1", kind: "log_return", params: { period: 1 } },
    { name: "to_break", timeframe: "M1", kind: "session", output: "minutes_to_daily_break" },
  ],
};

async function tempFile(suffix: string, text?: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix });
  if (text !== undefined) await Deno.writeTextFile(path, text);
  return path;
}

/**
 * Checks a features CSV against the engine run in this process on the same bars: the
 * header, one row per bar from the first ready one, by open time, with equal values.
 * Returns the number of warm-up bars.
 */
async function assertCsvIsEngineOutput(
  csv: string,
  spec: FeatureSpec,
  to: string,
): Promise<number> {
  const lines = csv.trimEnd().split("\n");
  assert.equal(lines[0], ["time_utc", ...spec.features.map((f) => f.name)].join(","));
  const bars = await readM1(HISTDATA_2017, { toUs: usFromIso(to) });
  let first = -1;
  let line = 1;
  runEngine(spec, bars, (i, row, ready) => {
    if (!ready) return;
    if (first < 0) first = i;
    const expected = [isoFromUs(bars.openUs[i]), ...row].join(",");
    if (lines[line] !== expected) {
      const cells = lines[line]?.split(",") ?? [];
      assert.equal(cells[0], isoFromUs(bars.openUs[i]), `row ${line}: the bar's open time`);
      for (const [j, value] of row.entries()) {
        assert.equal(Number(cells[j + 1]), value, `row ${line}, ${spec.features[j].name}`);
      }
    }
    line++;
  });
  assert.equal(lines.length, line, "one row per ready M1 bar, no more");
  assert.equal(lines.length - 1, bars.length - first);
  return first;
}

dataTest(
  "features writes time_utc and the spec's names, then the engine's row for every M1 bar once ready",
  HISTDATA_2017,
  async () => {
    const out = await tempFile(".csv");
    const result = await runCli([
      "features",
      "--data",
      dataPath(HISTDATA_2017),
      "--to",
      TO,
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const warmUp = await assertCsvIsEngineOutput(
      await Deno.readTextFile(out),
      DEFAULT_FEATURE_SPEC,
      TO,
    );
    assert.equal(warmUp, WARM_UP_2017);
    assert.match(result.stdout, /wrote 20,700 rows of 57 features/);
    assert.match(result.stdout, /41,116 M1 bars read, the first 20,416 were warm-up/);
    assert.ok(result.stdout.includes(`spec "default" hash ${specHash(DEFAULT_FEATURE_SPEC)}`));
    // No look-ahead end to end: the file cut a week earlier gives a prefix of the same CSV.
    const shorter = await tempFile(".csv");
    const cut = await runCli([
      "features",
      "--data",
      dataPath(HISTDATA_2017),
      "--to",
      "2017-02-07T00:00:00Z",
      "--out",
      shorter,
    ]);
    assert.equal(cut.code, 0, cut.stderr);
    const full = await Deno.readTextFile(out);
    const prefix = await Deno.readTextFile(shorter);
    assert.ok(prefix.split("\n").length > 10_000, "the cut file has rows");
    assert.ok(full.startsWith(prefix), "the cut file's CSV is a prefix of the longer one's");
    await Deno.remove(out);
    await Deno.remove(shorter);
  },
);

dataTest(
  "features --spec computes a small custom spec and prints its hash",
  HISTDATA_2017,
  async () => {
    const specFile = await tempFile(".json", JSON.stringify(SMALL_SPEC, null, 2));
    const out = await tempFile(".csv");
    const to = "2017-01-20T00:00:00Z";
    const result = await runCli([
      "features",
      "--data",
      dataPath(HISTDATA_2017),
      "--to",
      to,
      "--spec",
      specFile,
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const spec = parseFeatureSpec(SMALL_SPEC, "small");
    await assertCsvIsEngineOutput(await Deno.readTextFile(out), spec, to);
    assert.ok(result.stdout.includes(`spec "small" hash ${specHash(spec)}`), result.stdout);
    assert.notEqual(specHash(spec), specHash(DEFAULT_FEATURE_SPEC));
    await Deno.remove(specFile);
    await Deno.remove(out);
  },
);

Deno.test("features --print-spec prints JSON that loads back with the same hash", async () => {
  const printed = await runCli(["features", "--print-spec"]);
  assert.equal(printed.code, 0, printed.stderr);
  const defaultFile = await tempFile(".json", printed.stdout);
  const loaded = await loadFeatureSpec(defaultFile);
  assert.equal(specHash(loaded), specHash(DEFAULT_FEATURE_SPEC));
  assert.equal(loaded.features.length, 57);

  const specFile = await tempFile(".json", JSON.stringify(SMALL_SPEC));
  const custom = await runCli(["features", "--print-spec", "--spec", specFile]);
  assert.equal(custom.code, 0, custom.stderr);
  const customFile = await tempFile(".json", custom.stdout);
  assert.equal(
    specHash(await loadFeatureSpec(customFile)),
    specHash(parseFeatureSpec(SMALL_SPEC, "small")),
  );
  for (const file of [defaultFile, specFile, customFile]) await Deno.remove(file);
});

dataTest("features refuses an H1 file with exit 2, naming what it needs", H1, async () => {
  const out = await tempFile(".csv");
  const result = await runCli(["features", "--data", dataPath(H1), "--out", out]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /features need M1 bars or ticks; .* holds H1 bars/);
  assert.match(result.stderr, /Usage: deno task features/);
  await Deno.remove(out);
});

dataTest(
  "features exits 1 naming the problem for an invalid spec or spread features on bid-only data",
  HISTDATA_2017,
  async () => {
    const out = await tempFile(".csv");
    const invalid = await tempFile(
      ".json",
      JSON.stringify({
        ...SMALL_SPEC,
        features: [{ ...SMALL_SPEC.features[0], output: "signal" }],
      }),
    );
    const bad = await runCli([
      "features",
      "--data",
      dataPath(HISTDATA_2017),
      "--spec",
      invalid,
      "--out",
      out,
    ]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /is invalid: features\.0\.output: "rsi" has outputs value, not "signal"/,
    );

    const spread = await tempFile(
      ".json",
      JSON.stringify({
        ...SMALL_SPEC,
        features: [{ name: "m1_spread", timeframe: "M1", kind: "spread", output: "mean" }],
      }),
    );
    const bidOnly = await runCli([
      "features",
      "--data",
      dataPath(HISTDATA_2017),
      "--spec",
      spread,
      "--out",
      out,
    ]);
    assert.equal(bidOnly.code, 1);
    assert.match(
      bidOnly.stderr,
      /"m1_spread" needs the bid-ask spread, but the data has bid prices only/,
    );
    for (const file of [out, invalid, spread]) await Deno.remove(file);
  },
);
