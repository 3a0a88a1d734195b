/**
 * `trainMetaModel` on a generated candidate set (unit-test input, not market data): 1,500
 * hourly candidates whose chance of a win rises with feature 0. It checks the one rule
 * that makes the walk-forward honest: a fold's threshold is chosen inside its training
 * window, so changing only that fold's test rows leaves it where it was.
 */

import assert from "node:assert/strict";
import type { MetaDataset } from "@/models/meta/dataset.ts";
import { trainMetaModel } from "@/models/meta/training.ts";
import { Random } from "@/models/random.ts";
import { parseTrainConfig } from "@/models/train/config.ts";
import { openRegistry } from "@/pipeline/commands/models.ts";
import { US_PER_HOUR, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";

const ROWS = 1_500;
const F = 3;

/** Candidates every hour; wins (net +2) with chance 0.15 + 0.5 x feature 0, else losses (-1). */
function dataset(): MetaDataset & { x: Float32Array; y: Uint8Array; netPrice: Float64Array } {
  const random = new Random(7);
  const x = new Float32Array(ROWS * F);
  const y = new Uint8Array(ROWS);
  const netPrice = new Float64Array(ROWS);
  const timeUs = new Float64Array(ROWS);
  const start = usFromIso("2017-01-02T00:00:00Z");
  for (let i = 0; i < ROWS; i++) {
    for (let f = 0; f < F; f++) x[i * F + f] = random.next();
    const win = random.next() < 0.15 + 0.5 * x[i * F];
    y[i] = win ? 2 : 0;
    netPrice[i] = win ? 2 : -1;
    timeUs[i] = start + i * US_PER_HOUR;
  }
  return {
    rows: ROWS,
    nFeatures: F,
    x,
    y,
    timeUs,
    labelEndUs: timeUs.map((t) => t + 30 * US_PER_MINUTE),
    side: new Int8Array(ROWS).fill(1),
    netPrice,
    featureNames: ["f0", "f1", "f2"],
    specHash: "a".repeat(64),
    sampleEvery: 1,
    counts: {
      candidates: ROWS,
      withoutFeatures: 0,
      refused: 0,
      unsettled: 0,
      labelled: ROWS,
      kept: ROWS,
    },
    provenance: {
      files: [{ file: "generated.csv", sha256: "b".repeat(64), rows: ROWS }],
      format: "histdata",
      symbol: "XAUUSD",
      sides: "bid",
      barsRead: ROWS,
      firstUs: start,
      lastUs: timeUs[ROWS - 1],
    },
  };
}

const CONFIG = parseTrainConfig({
  walkForward: { folds: 2, minTrainRows: 100 },
  innerFolds: 2,
  method: "soft_voting",
  calibrate: false,
  members: [{ type: "logistic" }],
  meta: { timeLimitMinutes: 60, minTrades: 20 },
}, "test");

async function train(data: MetaDataset) {
  const dir = await Deno.makeTempDir();
  const registry = openRegistry(dir);
  try {
    return trainMetaModel(data, CONFIG, registry, {
      primary: { configHash: "c".repeat(64), fusion: { gate: 0.5 } },
      execution: {},
      specName: "generated",
    });
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("trainMetaModel() chooses each fold's threshold without its test rows", async () => {
  const original = dataset();
  const before = await train(original);
  // Fold 1 tests the last third of the rows (equal blocks: 1,000 .. 1,499). Turn every
  // one of them upside down: feature 0 mirrored, wins and losses swapped.
  const changed = dataset();
  const firstTest = before.folds[1].fold.test[0];
  assert.equal(firstTest, 1_000);
  for (let i = firstTest; i < ROWS; i++) {
    changed.x[i * F] = 1 - changed.x[i * F];
    changed.y[i] = changed.y[i] === 2 ? 0 : 2;
    changed.netPrice[i] = changed.y[i] === 2 ? 2 : -1;
  }
  const after = await train(changed);

  assert.deepEqual(
    after.folds.map((f) => f.threshold),
    before.folds.map((f) => f.threshold),
    "every fold's threshold is unchanged",
  );
  // The change did reach the test rows, and a threshold that sees them (the final one,
  // chosen on every row) moves.
  assert.notDeepEqual(after.folds[1].test.passed, before.folds[1].test.passed);
  assert.deepEqual(after.folds[0].test, before.folds[0].test);
  assert.notEqual(after.threshold.threshold, before.threshold.threshold);
});

Deno.test("trainMetaModel() registers a meta card with its threshold, time limit and primary", async () => {
  const result = await train(dataset());
  const { card } = result.model;
  assert.equal(card.task, "meta");
  assert.deepEqual(card.classes, ["loss", "timeout", "win"]);
  assert.equal(card.meta?.threshold, result.threshold.threshold);
  assert.equal(card.meta?.timeLimitMinutes, 60);
  assert.equal(card.meta?.primary.configHash, "c".repeat(64));
  assert.equal(card.label.type, "meta_outcome");
  assert.equal(card.metrics.folds.length, 2);
  assert.equal(card.metrics.folds[1].threshold, result.folds[1].threshold.threshold);
});
