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

/**
 * Sixteen rows in two groups of eight sharing one prediction each: group 1 predicts
 * (0.6, 0.3, 0.1) and holds classes 4 down, 3 flat, 1 up; group 2 predicts (0.2, 0.2, 0.6)
 * and holds 1 down, 2 flat, 5 up.
 */
function twoGroups() {
  const p = new Float64Array(16 * N_CLASSES);
  const y = new Uint8Array(16);
  const classes = [[0, 0, 0, 0, 1, 1, 1, 2], [0, 1, 1, 2, 2, 2, 2, 2]];
  const predicted = [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]];
  for (let i = 0; i < 16; i++) {
    const g = i < 8 ? 0 : 1;
    p.set(predicted[g], i * N_CLASSES);
    y[i] = classes[g][i % 8];
  }
  return { p, y };
}

// With only two distinct logits s1, s2 per class, two parameters fit both groups exactly:
// the optimum has sigmoid(a s_g + b) = the mean smoothed target t_g of group g, so
// a = (logit t_2 - logit t_1) / (s_2 - s_1) and b = logit t_1 - a s_1. Targets are
// (N+ + 1) / (N+ + 2) for the class, 1 / (N- + 2) otherwise (Platt 1999). By hand:
// down: N+ 5, N- 11: hi 6/7, lo 1/13; t_1 = (4 hi + 4 lo) / 8 = 0.467033, s_1 = ln(0.6/0.4) = 0.405465;
//   t_2 = (1 hi + 7 lo) / 8 = 0.174451, s_2 = ln(0.2/0.8) = -1.386294;
//   logit t: -0.132060, -1.554408; a = -1.422348 / -1.791759 = 0.793828; b = -0.453929.
// flat: N+ 5, N- 11: t_1 = (3 hi + 5 lo) / 8 = 0.369505, s_1 = ln(0.3/0.7) = -0.847298;
//   t_2 = (2 hi + 6 lo) / 8 = 0.271978, s_2 = -1.386294; logit t: -0.534339, -0.984610;
//   a = -0.450271 / -0.538996 = 0.835388; b = 0.173484.
// up: N+ 6, N- 10: hi 7/8, lo 1/12; t_1 = (1 hi + 7 lo) / 8 = 0.182292, s_1 = ln(0.1/0.9) = -2.197225;
//   t_2 = (5 hi + 3 lo) / 8 = 0.578125, s_2 = 0.405465; logit t: -1.500898, 0.315081;
//   a = 1.815979 / 2.602690 = 0.697732; b = 0.032175.
Deno.test("fitPlatt() on two groups of rows fits each group's mean smoothed target exactly", () => {
  const { p, y } = twoGroups();
  const calibration = fitPlatt(p, y);
  const expectedA = [0.793828, 0.835388, 0.697732];
  const expectedB = [-0.453929, 0.173484, 0.032175];
  for (let k = 0; k < N_CLASSES; k++) {
    assert.ok(Math.abs(calibration.a[k] - expectedA[k]) < 1e-5, `a ${calibration.a}`);
    assert.ok(Math.abs(calibration.b[k] - expectedB[k]) < 1e-5, `b ${calibration.b}`);
  }
});

Deno.test("fitPlatt() rejects probabilities that do not match the rows", () => {
  const { p, y } = predictions(1_000, 5, 1, 2);
  assert.throws(
    () => fitPlatt(p.subarray(3), y),
    new RangeError("Cannot fit Platt scaling: 2997 probabilities for 1000 rows of 3 classes"),
  );
});

// Group 1: 4 rows of class down at 0.6, 3 flat at 0.3, 1 up at 0.1; group 2: 1 down at 0.2,
// 2 flat at 0.2, 5 up at 0.6. Mean -ln p = (4 ln(1/0.6) + 3 ln(1/0.3) + ln(1/0.1)
// + 3 ln(1/0.2) + 5 ln(1/0.6)) / 16 = (9 x 0.510826 + 3 x 1.203973 + 2.302585
// + 3 x 1.609438) / 16 = 15.340248 / 16 = 0.958765.
Deno.test("calibrationReport() reports the mean -ln p of the true class, unchanged without calibration", () => {
  const { p, y } = twoGroups();
  const { before, after } = calibrationReport(p, y, { type: "none" });
  assert.ok(Math.abs(before - 0.958765) < 1e-6, `before ${before}`);
  assert.equal(after, before);
});
