import assert from "node:assert/strict";
import type { ModelCard } from "@/models/card.ts";
import { type EvaluationRows, measureModel } from "@/models/verification.ts";

const SPEC = "a".repeat(64);
const DAY_US = 86_400_000_000;
const JAN_2018_US = Date.UTC(2018, 0, 1) * 1000;

/** A card trained until 2017-12-31 on 1 feature; its metrics claim a lot and count for nothing. */
const card = {
  id: "c".repeat(64),
  featureSpec: { hash: SPEC, name: "test", names: ["f1"] },
  ranges: { train: { from: "2017-01-01T00:00:00Z", to: "2017-12-31T00:00:00Z" } },
  metrics: { folds: [{ fold: 0, logLoss: 0.01, baselineLogLoss: 1 }], stitched: {} },
} as unknown as ModelCard;

/**
 * Six rows a day apart from 2017-12-30: the first two fall inside the training range
 * (to 2017-12-31T00:00Z: the row at 2017-12-30 and the one at exactly 2017-12-31), the
 * last four after it, with labels 1, 1, 2, 1.
 */
function rows(specHash = SPEC): EvaluationRows {
  const timeUs = Float64Array.from({ length: 6 }, (_, i) => JAN_2018_US - 2 * DAY_US + i * DAY_US);
  return {
    rows: 6,
    nFeatures: 1,
    x: Float32Array.from([9, 9, 0, 1, 2, 3]),
    y: Uint8Array.from([0, 0, 1, 1, 2, 1]),
    timeUs,
    specHash,
    source: "six rows",
  };
}

Deno.test("measureModel() scores only rows after the training range, in folds, against their class prior", async () => {
  const seen: number[][] = [];
  // Every row gets p = (0.1, 0.6, 0.3).
  const score = (x: Float32Array, n: number) => {
    seen.push([...x]);
    return Promise.resolve(Float32Array.from({ length: n * 3 }, (_, i) => [0.1, 0.6, 0.3][i % 3]));
  };
  const result = await measureModel(card, score, rows(), { folds: 2, minRowsPerFold: 2 });
  assert.ok(result.measured);
  assert.deepEqual(seen, [[0, 1, 2, 3]], "the two rows the model trained on are never scored");
  // Fold 0: labels 1, 1: model -ln 0.6 = 0.5108; prior of the 4 rows (0, 3/4, 1/4): -ln 0.75 = 0.2877.
  // Fold 1: labels 2, 1: model (-ln 0.3 - ln 0.6) / 2 = 0.8574; prior (-ln 0.25 - ln 0.75) / 2 = 0.8370.
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-4;
  const [f0, f1] = result.folds;
  assert.ok(close(f0.logLoss, 0.5108) && close(f0.baselineLogLoss, 0.2877), JSON.stringify(f0));
  assert.ok(close(f1.logLoss, 0.8574) && close(f1.baselineLogLoss, 0.8370), JSON.stringify(f1));
  assert.match(result.description, /^measured by the server on 4 rows of six rows, 2018-01-01/);
});

Deno.test("measureModel() scores in chunks of chunkRows", async () => {
  const sizes: number[] = [];
  const score = (_x: Float32Array, n: number) => {
    sizes.push(n);
    return Promise.resolve(new Float32Array(n * 3).fill(1 / 3));
  };
  await measureModel(card, score, rows(), { folds: 1, minRowsPerFold: 4, chunkRows: 3 });
  assert.deepEqual(sizes, [3, 1]);
});

Deno.test("measureModel() measures nothing without enough rows after training, or on another spec", async (t) => {
  const never = () => Promise.reject(new Error("must not score"));
  await t.step("too few rows", async () => {
    const result = await measureModel(card, never, rows(), { folds: 2, minRowsPerFold: 3 });
    assert.deepEqual(result, {
      measured: false,
      reason: "4 of the server's 6 labelled rows (six rows) fall after the model's training " +
        "data (to 2017-12-31T00:00:00Z); a measurement needs 2 folds of 3 rows",
    });
  });
  await t.step("another feature spec", async () => {
    const result = await measureModel(card, never, rows("b".repeat(64)), { folds: 1 });
    assert.equal(result.measured, false);
    assert.match(
      (result as { reason: string }).reason,
      /rows are of feature spec bbbbbbbbbbbb…, the model reads aaaaaaaaaaaa…/,
    );
  });
});
