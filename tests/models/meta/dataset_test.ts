/**
 * `buildMetaDataset` on the first days of real 2017 data: the errors a trader meets when
 * the period cannot give a meta model anything to learn, each naming the file, the
 * period and what to change; and the meta section of a training config.
 */

import assert from "node:assert/strict";
import { dataPath, dataTest } from "../../_data.ts";
import { buildMetaDataset } from "@/models/meta/dataset.ts";
import { parseTrainConfig } from "@/models/train/config.ts";
import { buildPrimary } from "@/pipeline/commands/strategy.ts";
import { usFromIso } from "@/pipeline/events.ts";
import { openSources } from "@/sources/mod.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

async function build(to: string, fusion: Record<string, unknown> = {}) {
  const source = await openSources([dataPath(HISTDATA_2017)], { toUs: usFromIso(to) });
  const primary = buildPrimary({
    symbol: "XAUUSD",
    sides: source.sides,
    config: { monteCarlo: {}, fusion: { weights: { technical: 1, ml: 0, llm: 0 }, ...fusion } },
  });
  return await buildMetaDataset(source, {
    primary: { stages: primary.stages, configHash: primary.configHash, describe: "the primary" },
    timeLimitMinutes: 240,
  });
}

dataTest(
  "buildMetaDataset() refuses a primary that never asks to trade, naming the file and period",
  HISTDATA_2017,
  async () => {
    // A technical score never reaches 0.99 in practice: every component would have to agree.
    await assert.rejects(
      build("2017-01-06", { gate: 0.99 }),
      /Cannot train a meta model on .*DAT_ASCII_XAUUSD_M1_2017\.csv\.gz from 2017-01-02T23:01:00Z to 2017-01-06T00:00:00Z: the primary \(the primary\) never asked to trade in 4,191 M1 bars; lower its fusion gate, or give a longer period/,
    );
  },
);

dataTest(
  "buildMetaDataset() refuses candidates that all come before the features are ready",
  HISTDATA_2017,
  async () => {
    // The technical scorer votes after a day, the default features after about three weeks.
    await assert.rejects(
      build("2017-01-10"),
      /none of the primary's \d+ candidate trades had a feature row \(the features need about three weeks of M1 bars to warm up\)/,
    );
  },
);

Deno.test("parseTrainConfig() refuses triple-barrier options beside a meta section", () => {
  assert.throws(
    () => parseTrainConfig({ labels: { upAtr: 3 }, meta: {} }, '"meta.json"'),
    /Training config "meta.json" is invalid: labels: triple-barrier options do not apply to a meta model/,
  );
});

Deno.test("parseTrainConfig() fills a meta section with its documented defaults", () => {
  assert.deepEqual(parseTrainConfig({ meta: {} }, "test").meta, {
    timeLimitMinutes: 1_440,
    threshold: "auto",
    thresholdGrid: { from: 0.05, to: 0.95, step: 0.01 },
    minTrades: 30,
    sizing: { mode: "fixed", floor: 0.5 },
  });
});
