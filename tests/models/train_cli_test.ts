/**
 * End to end on real data, through the command line as a user runs it: train a small
 * model on six weeks of 2017, promote it through the gates it must pass, load
 * it by hash and score a file with it; a tampered ONNX file and a feature spec mismatch
 * are refused with messages that say so.
 */

import assert from "node:assert/strict";
import { dataPath, dataTest } from "../_data.ts";
import { runCli } from "../pipeline/commands/_run.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

const SMALL_CONFIG = {
  description: "end-to-end test model",
  sampleEvery: 10,
  walkForward: { folds: 2, minTrainRows: 500 },
  innerFolds: 2,
  members: [{ type: "gbdt", params: { nRounds: 30, maxDepth: 3 } }, { type: "logistic" }],
};

dataTest(
  "train, models and predict take a real model from training to scoring, only through the gates",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const registry = `${dir}/models`;
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(SMALL_CONFIG));
    const data = dataPath(HISTDATA_2017);

    const trained = await runCli([
      "train",
      "--data",
      data,
      "--to",
      "2017-03-15",
      "--config",
      `${dir}/config.json`,
      "--registry",
      registry,
      "--json",
      `${dir}/train.json`,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const id = /model ([0-9a-f]{64}) registered as a candidate/.exec(trained.stdout)?.[1];
    assert.ok(id, trained.stdout);
    assert.match(
      trained.stdout,
      /fold 1 .*\nfold 2 .*\nstitched/,
      "folds count from 1, as the progress does",
    );
    assert.match(trained.stderr, /fold 2\/2: train/, "progress is reported");
    const card = JSON.parse(await Deno.readTextFile(`${dir}/train.json`)).card;
    assert.equal(card.id, id);
    assert.equal(card.metrics.folds.length, 2);
    assert.ok(card.data[0].sha256.length === 64 && card.data[0].rows > 0);

    const list = JSON.parse(
      (await runCli(["models", "list", "--registry", registry, "--json"])).stdout,
    );
    assert.deepEqual(list.map((m: { id: string; stage: string }) => [m.id, m.stage]), [[
      id,
      "candidate",
    ]]);

    // The gates ask each fold to beat the class prior's log loss by 0.2% (both of two folds
    // for a 60% share). This seeded model does on both (measured: 0.919 against 0.927 and
    // 0.853 against 0.913); a model that stops doing so is a regression to look at, not a
    // path to skip. Refusals are shown in tests/models/registry_test.ts.
    const improvements = card.metrics.folds.map((
      f: { logLoss: number; baselineLogLoss: number },
    ) => (f.baselineLogLoss - f.logLoss) / f.baselineLogLoss);
    assert.ok(improvements.every((i: number) => i >= 0.002), `fold improvements ${improvements}`);
    const promoted = await runCli(["models", "promote", id!, "--registry", registry]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, /now shadow/);
    assert.match(
      (await runCli(["models", "promote", id!, "--registry", registry])).stdout,
      /now production/,
    );

    const predicted = await runCli([
      "predict",
      "--model",
      id!.slice(0, 12),
      "--registry",
      registry,
      "--data",
      data,
      "--to",
      "2017-02-15",
      "--out",
      `${dir}/p.csv`,
    ]);
    assert.equal(predicted.code, 0, predicted.stderr);
    const rows = (await Deno.readTextFile(`${dir}/p.csv`)).trim().split("\n");
    assert.equal(rows[0], "time_utc,p_down,p_flat,p_up");
    assert.ok(rows.length > 1000);
    for (const row of rows.slice(1, 200)) {
      const p = row.split(",").slice(1).map(Number);
      assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-5, row);
    }

    // A feature spec other than the model's is refused before anything is scored.
    await Deno.writeTextFile(
      `${dir}/spec.json`,
      JSON.stringify({
        version: 1,
        name: "other",
        features: [{ name: "m1_rsi_14", timeframe: "M1", kind: "rsi", params: { period: 14 } }],
      }),
    );
    const mismatch = await runCli([
      "predict",
      "--model",
      id!,
      "--registry",
      registry,
      "--data",
      data,
      "--spec",
      `${dir}/spec.json`,
      "--out",
      `${dir}/q.csv`,
    ]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /feature spec [0-9a-f]{12}… differs from the running spec/);

    // One flipped byte in the ONNX file and the model no longer loads.
    const onnx = `${registry}/${id}.onnx`;
    const bytes = await Deno.readFile(onnx);
    bytes[bytes.length - 10] ^= 0x01;
    await Deno.writeFile(onnx, bytes);
    const tampered = await runCli([
      "predict",
      "--model",
      id!,
      "--registry",
      registry,
      "--data",
      data,
      "--out",
      `${dir}/r.csv`,
    ]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /was modified or corrupted/);
    await Deno.remove(dir, { recursive: true });
  },
);
