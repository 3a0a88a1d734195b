/**
 * The parity check every ONNX test shares: export a model, score rows in onnxruntime-web
 * and with the reference predictor (models/predict.ts), and compare the probabilities,
 * and each member's, to a tolerance. Sessions use one WASM thread.
 */

import assert from "node:assert/strict";
import type { Model } from "@/models/model.ts";
import { N_CLASSES } from "@/models/model.ts";
import { exportOnnx } from "@/models/onnx/export.ts";
import { createOrtSession } from "@/models/onnx/session.ts";
import { predictProba } from "@/models/predict.ts";
import type { Rows } from "./_models.ts";

/** What the trainer's prediction and onnxruntime's may differ by, per probability. */
export const TOLERANCE = 1e-5;

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "arrays differ in length");
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // NaN on either side is a mismatch, never a silent pass.
    if (Number.isNaN(d)) return Infinity;
    if (d > max) max = d;
  }
  return max;
}

/**
 * Asserts onnxruntime's output for `model` on `rows` equals `predictProba` within
 * `TOLERANCE`, for the combined and every member's probabilities, and logs the maxima.
 */
export async function assertParity(label: string, model: Model, rows: Rows): Promise<void> {
  const session = await createOrtSession(exportOnnx(model, { model_kind: model.kind }), {
    numThreads: 1,
  });
  try {
    const n = rows.rows * N_CLASSES;
    const expected = new Float64Array(n);
    const expectedMembers = model.kind === "ensemble"
      ? model.members.map(() => new Float64Array(n))
      : [];
    predictProba(model, rows.x, rows.rows, expected, expectedMembers);
    const actual = await session.run(rows.x, rows.rows);
    assert.equal(actual.members.length, expectedMembers.length, `${label}: member outputs`);
    const parity = {
      max: maxAbsDiff(actual.probabilities, expected),
      members: expectedMembers.map((p, m) => maxAbsDiff(actual.members[m], p)),
    };
    console.log(
      `${label}: max |onnx - reference| ${parity.max.toExponential(2)} over ${rows.rows} rows` +
        (parity.members.length > 0
          ? `; members ${parity.members.map((d) => d.toExponential(2)).join(", ")}`
          : ""),
    );
    assert.ok(parity.max <= TOLERANCE, `${label}: probabilities differ by ${parity.max}`);
    parity.members.forEach((d, m) =>
      assert.ok(d <= TOLERANCE, `${label}: member ${m} probabilities differ by ${d}`)
    );
  } finally {
    await session.release();
  }
}
