/**
 * `fitPlatt` and `calibrationReport` on synthetic unit-test predictions (seeded, not
 * market data): classes are drawn from known probabilities, and the predictions are
 * those probabilities sharpened (over-confident) or as they are (calibrated).
 */

import assert from "node:assert/strict";
import { N_CLASSES, PROBABILITY_FLOOR } from "@/models/model.ts";
import { Random } from "@/models/random.ts";
import { logLoss } from "@/models/train/_lin_loss.ts";
import { calibrationReport, fitPlatt } from "@/models/train/calibration.ts";

/**
 * `rows` rows whose true class probabilities are softmax(L), L ~ N(0, spread^2) per
 * class; the predictions are softmax(sharpen * L), so sharpen > 1 is over-confident.
 */
function predictions(rows: number, seed: number, spread: number, sharpen: number) {
  const random = new Random(seed);
  const p = new Float64Array(rows * N_CLASSES);
  const truth = new Float64Array(rows * N_CLASSES);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const logits = [0, 1, 2].map(() => spread * random.normal());
    for (const [out, scale] of [[truth, 1], [p, sharpen]] as const) {
      const e = logits.map((v) => Math.exp(scale * v));
      const sum = e[0] + e[1] + e[2];
      e.forEach((v, k) => out[i * N_CLASSES + k] = v / sum);
    }
    let u = random.next();
    while (y[i] < N_CLASSES - 1 && u >= truth[i * N_CLASSES + y[i]]) {
      u -= truth[i * N_CLASSES + y[i]++];
    }
  }
  return { p, y, truthLoss: logLoss(truth, y) };
}

Deno.test("fitPlatt() lowers the log loss of over-confident predictions, with every a below 1", () => {
  const { p, y, truthLoss } = predictions(20_000, 1, 1.5, 3);
  const calibration = fitPlatt(p, y);
  const { before, after } = calibrationReport(p, y, calibration);
  assert.ok(after < before - 0.2, `before ${before}, after ${after}`);
  assert.ok(after < truthLoss + 0.02, `after ${after}, true probabilities ${truthLoss}`);
  for (const a of calibration.a) assert.ok(a > 0 && a < 1, `a ${calibration.a}`);
});

// On the logit, calibrated predictions are already the fit's identity (a = 1, b = 0):
// sigmoid(logit p) = p. Sampling noise keeps the fit near it, not on it.
Deno.test("fitPlatt() on calibrated predictions stays near the identity and costs no log loss", () => {
  const { p, y } = predictions(20_000, 2, 0.5, 1);
  const calibration = fitPlatt(p, y);
  const { before, after } = calibrationReport(p, y, calibration);
  assert.ok(Math.abs(after - before) < 1e-3, `before ${before}, after ${after}`);
  for (let k = 0; k < N_CLASSES; k++) {
    assert.ok(Math.abs(calibration.a[k] - 1) < 0.15, `a ${calibration.a}`);
    assert.ok(Math.abs(calibration.b[k]) < 0.15, `b ${calibration.b}`);
  }
});

Deno.test("fitPlatt() returns each class's minimiser of Platt's smoothed binary log loss", () => {
  const { p, y } = predictions(5_000, 3, 1, 2);
  const calibration = fitPlatt(p, y);
  // A direct evaluation of the objective, written independently of calibration.ts.
  const loss = (k: number, a: number, b: number) => {
    const positive = y.filter((c) => c === k).length;
    const negative = y.length - positive;
    let total = 0;
    for (let i = 0; i < y.length; i++) {
      const t = y[i] === k ? (positive + 1) / (positive + 2) : 1 / (negative + 2);
      const clamped = Math.min(Math.max(p[i * 3 + k], PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
      const q = 1 / (1 + Math.exp(-(a * Math.log(clamped / (1 - clamped)) + b)));
      total -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
    }
    return total / y.length;
  };
  for (let k = 0; k < N_CLASSES; k++) {
    const a = calibration.a[k];
    const b = calibration.b[k];
    const at = loss(k, a, b);
    for (const [da, db] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3], [1e-3, -1e-3]]) {
      assert.ok(loss(k, a + da, b + db) > at, `class ${k}: (${a}, ${b}) moved by (${da}, ${db})`);
    }
  }
});

Deno.test("fitPlatt() gives finite parameters for a class that never occurs", () => {
  const { p, y } = predictions(2_000, 4, 1, 1);
  const neverFlat = y.map((c) => c === 1 ? 2 : c);
  const calibration = fitPlatt(p, neverFlat);
  assert.ok(
    [...calibration.a, ...calibration.b].every(Number.isFinite),
    `${calibration.a} ${calibration.b}`,
  );
  const { before, after } = calibrationReport(p, neverFlat, calibration);
  assert.ok(after < before, `before ${before}, after ${after}`);
});

Deno.test("fitPlatt() is deterministic and rejects probabilities that do not match the rows", () => {
  const { p, y } = predictions(1_000, 5, 1, 2);
  assert.deepEqual(fitPlatt(p, y), fitPlatt(p, y));
  assert.throws(
    () => fitPlatt(p.subarray(3), y),
    new RangeError("Cannot fit Platt scaling: 2997 probabilities for 1000 rows of 3 classes"),
  );
});

Deno.test("calibrationReport() reports no change for no calibration", () => {
  const { p, y } = predictions(1_000, 6, 1, 2);
  const { before, after } = calibrationReport(p, y, { type: "none" });
  assert.equal(before, logLoss(p, y));
  assert.equal(after, before);
});
