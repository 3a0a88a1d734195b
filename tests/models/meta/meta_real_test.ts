/**
 * Meta-labeling end to end on real data: the technical-only primary's candidate trades of
 * January to June 2017 settled by the simulated broker, a small meta model trained on
 * them by walk-forward and registered, then July and August 2017 replayed through the
 * strategy with it and backtested. The model must vote on the primary's candidate bars
 * (every one once the features are warm) and on nothing else. Kept to seconds: one small
 * GBDT member, soft voting, no calibration.
 */

import assert from "node:assert/strict";
import { dataPath, dataTest } from "../../_data.ts";
import { buildMetaDataset } from "@/models/meta/dataset.ts";
import { trainMetaModel } from "@/models/meta/training.ts";
import { parseTrainConfig } from "@/models/train/config.ts";
import { loadServingModel } from "@/operators/ensemble/mod.ts";
import { resolveExecutionConfig } from "@/operators/execution/mod.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "@/operators/features/mod.ts";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { openRegistry } from "@/pipeline/commands/models.ts";
import { buildPrimary, buildStrategy } from "@/pipeline/commands/strategy.ts";
import { runPipeline, type Stage } from "@/pipeline/build.ts";
import { type SignalEvent, usFromIso } from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { openSources } from "@/sources/mod.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const CONFIG = {
  sampleEvery: 1,
  walkForward: { folds: 2, minTrainRows: 100 },
  innerFolds: 2,
  method: "soft_voting",
  calibrate: false,
  members: [{ type: "gbdt", params: { nRounds: 20, maxDepth: 3 } }],
  meta: { timeLimitMinutes: 240, minTrades: 20 },
};

/** The signals and the first feature row's time of a replay of `files` through `stages`. */
async function replaySignals(file: string, from: string, to: string, stages: Stage[]) {
  const source = await openSources([file], { fromUs: usFromIso(from), toUs: usFromIso(to) });
  const signals: SignalEvent[] = [];
  let firstFeatureUs = Infinity;
  await runPipeline({
    sourceName: "file",
    source$: replay$(source),
    stages,
    sinks: [{
      name: "signals",
      write(batch) {
        for (const event of batch) {
          if (event.kind === "signal") signals.push(event);
          else if (event.kind === "features") {
            firstFeatureUs = Math.min(firstFeatureUs, event.closeUs);
          }
        }
      },
      close() {},
    }],
    health: createHealthRegistry(),
  }).done;
  return { signals, firstFeatureUs };
}

dataTest(
  "a meta model trained on 2017 votes on every candidate bar of the primary after warm-up, and on nothing else",
  HISTDATA_2017,
  async () => {
    const file = dataPath(HISTDATA_2017);
    const dir = await Deno.makeTempDir();
    const registry = openRegistry(dir);
    let id: string;
    try {
      const source = await openSources([file], { toUs: usFromIso("2017-07-01") });
      const primary = buildPrimary({
        symbol: "XAUUSD",
        sides: source.sides,
        config: { monteCarlo: {} },
      });
      const dataset = await buildMetaDataset(source, {
        primary: { stages: primary.stages, configHash: primary.configHash, describe: "test" },
        timeLimitMinutes: 240,
        sampleEvery: 1,
      });
      console.log(`meta dataset: ${JSON.stringify(dataset.counts)}`);
      assert.ok(dataset.rows > 500, `${dataset.rows} candidate rows`);
      const trained = trainMetaModel(dataset, parseTrainConfig(CONFIG, "test"), registry, {
        primary: { configHash: primary.configHash, fusion: primary.fusion },
        execution: resolveExecutionConfig({}),
        specName: DEFAULT_FEATURE_SPEC.name,
      });
      id = trained.model.id;
      console.log(`threshold ${trained.threshold.threshold}`);
    } finally {
      registry.close();
    }

    // July and August: the primary alone, and the strategy with the meta model.
    const [from, to] = ["2017-07-01", "2017-09-01"];
    const plain = buildPrimary({ symbol: "XAUUSD", sides: "bid", config: { monteCarlo: {} } });
    const primaryRun = await replaySignals(file, from, to, plain.stages);
    const opened = openRegistry(dir);
    const model = await loadServingModel(opened, id, specHash(DEFAULT_FEATURE_SPEC), 1);
    opened.close();
    const strategy = buildStrategy({
      symbol: "XAUUSD",
      sides: "bid",
      config: { monteCarlo: {} },
      model,
      calendar: null,
    });
    const metaRun = await replaySignals(file, from, to, strategy.stages);
    await model.session.release();

    const warm = metaRun.firstFeatureUs;
    const candidates = new Set(
      primaryRun.signals.filter((s) => s.side !== "hold" && s.timeUs >= warm).map((s) => s.timeUs),
    );
    const voted = metaRun.signals.filter((s) => s.votes.some((v) => v.source === "ml"));
    const passed = voted.filter((s) => s.side !== "hold");
    console.log(
      `after warm-up (${new Date(warm / 1000).toISOString()}): ${candidates.size} candidate ` +
        `bars, ${voted.length} voted on, ${passed.length} passed`,
    );
    assert.ok(candidates.size > 100, `${candidates.size} candidate bars`);
    // The strategy's primary asks for the very trades the primary alone does, warm-up included,
    // and the gate marks each of them with the model's id.
    assert.deepEqual(
      metaRun.signals.filter((s) => s.modelId === id).map((s) => s.timeUs),
      primaryRun.signals.filter((s) => s.side !== "hold").map((s) => s.timeUs),
    );
    assert.ok(
      voted.every((s) => candidates.has(s.timeUs)),
      "the model votes only on candidate bars",
    );
    assert.ok(
      voted.length / candidates.size >= 0.99,
      `coverage ${voted.length}/${candidates.size}`,
    );
    assert.ok(passed.length > 0 && passed.length < voted.length, "it passes some and refuses some");

    const backtest = await runBacktest({
      files: [file],
      from,
      to,
      model: id,
      registry: dir,
      noMl: false,
      progress: false,
    });
    const ml = backtest.document.config.ml as { modelId: string; kind: string };
    assert.deepEqual([ml.modelId, ml.kind], [id, "meta"]);
    assert.ok(
      backtest.document.metrics.trades <= passed.length,
      `${backtest.document.metrics.trades} trades from ${passed.length} passed candidates`,
    );
    await Deno.remove(dir, { recursive: true });
  },
);
