/**
 * Scores against hand-computed values and known identities (perfect predictions, constant
 * predictions, the prior's Brier score and log loss), AUC against a brute-force pairwise
 * count on random data, and the fold and stitched reports with their baseline.
 * These tests must never read real data.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import fc from "fast-check";
import {
  accuracy,
  aucOneVsRest,
  balancedAccuracy,
  brier,
  calibrationTable,
  classPriorBaseline,
  countClasses,
  directionalAuc,
  foldReport,
  formatReport,
  logLoss,
  repeatPrior,
  stitchedReport,
} from "@/models/metrics.ts";

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

// Three rows: down (predicted down), up (predicted up), flat (predicted down: a miss).
const Y = [0, 2, 1];
const P = [
  0.5,
  0.25,
  0.25,
  0.1,
  0.1,
  0.8,
  0.6,
  0.3,
  0.1,
];

Deno.test("logLoss() is the mean of -ln p(true class)", () => {
  close(logLoss(Y, P), -(Math.log(0.5) + Math.log(0.8) + Math.log(0.3)) / 3);
});

Deno.test("logLoss() clips a zero probability instead of returning Infinity", () => {
  close(logLoss([0], [0, 1, 0]), -Math.log(1e-15));
});

Deno.test("brier() sums squared errors over the classes and averages over rows", () => {
  // (0.25 + 0.0625 + 0.0625) + (0.01 + 0.01 + 0.04) + (0.36 + 0.49 + 0.01)
  close(brier(Y, P), (0.375 + 0.06 + 0.86) / 3);
});

Deno.test("accuracy() and balancedAccuracy() score the most probable class", () => {
  close(accuracy(Y, P), 2 / 3);
  close(balancedAccuracy(Y, P), (1 + 0 + 1) / 3);
  // Two downs, one caught; one up, caught: recall 1/2 and 1, flat absent.
  close(balancedAccuracy([0, 0, 2], [0.6, 0.2, 0.2, 0.2, 0.2, 0.6, 0.1, 0.1, 0.8]), 0.75);
});

Deno.test("accuracy() breaks a tie toward the lower class", () => {
  strictEqual(accuracy([0, 1], [0.4, 0.4, 0.2, 0.4, 0.4, 0.2]), 0.5);
});

Deno.test("logLoss(), brier(), accuracy() and aucOneVsRest() give perfect predictions 0, 0, 1 and 1", () => {
  const y = [0, 1, 2, 2, 1, 0];
  const p = y.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
  strictEqual(logLoss(y, p), 0);
  strictEqual(brier(y, p), 0);
  strictEqual(accuracy(y, p), 1);
  strictEqual(balancedAccuracy(y, p), 1);
  deepStrictEqual(aucOneVsRest(y, p), [1, 1, 1]);
});

Deno.test("aucOneVsRest() is 0.5 for constant predictions and NaN for an absent class", () => {
  const y = [0, 1, 2, 2, 1, 0, 1];
  deepStrictEqual(aucOneVsRest(y, repeatPrior([0.2, 0.5, 0.3], y.length)), [0.5, 0.5, 0.5]);
  deepStrictEqual(aucOneVsRest([0, 1], [0.7, 0.2, 0.1, 0.1, 0.8, 0.1]), [1, 1, NaN]);
});

Deno.test("classPriorBaseline() predicts class shares whose Brier is 1 - sum of squares, log loss the entropy", () => {
  const y = [0, 0, 1, 1, 1, 1, 1, 2, 2, 2];
  const prior = classPriorBaseline(y);
  deepStrictEqual(prior, [0.2, 0.5, 0.3]);
  const p = repeatPrior(prior, y.length);
  close(brier(y, p), 1 - (0.04 + 0.25 + 0.09));
  close(logLoss(y, p), -(0.2 * Math.log(0.2) + 0.5 * Math.log(0.5) + 0.3 * Math.log(0.3)));
  close(accuracy(y, p), 0.5);
  close(balancedAccuracy(y, p), 1 / 3);
});

Deno.test("countClasses() counts the labels of each class and refuses one that is not a class, by row", () => {
  // Labels 2, 0, 2, 2 over 3 classes: no 1s, one 0, three 2s.
  deepStrictEqual(countClasses(Uint8Array.from([2, 0, 2, 2]), 3), [1, 0, 3]);
  throws(
    () => countClasses([0, 3], 3, "Cannot tally"),
    /^RangeError: Cannot tally: label 3 at row 1 is not a class$/,
  );
  throws(() => classPriorBaseline([1, 0.5]), /Cannot compute class priors: label 0.5 at row 1/);
});

/** AUC as the share of (positive, negative) pairs ranked right, ties counting half: O(n²). */
function bruteForceAuc(y: number[], p: number[], c: number): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== c) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] === c) continue;
      pairs++;
      const a = p[i * 3 + c];
      const b = p[j * 3 + c];
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

Deno.test("aucOneVsRest() equals a brute-force pairwise count, ties included", () => {
  const rowArb = fc.tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 10 }),
    fc.integer({ min: 0, max: 10 }),
    fc.integer({ min: 0, max: 10 }),
  );
  fc.assert(
    fc.property(fc.array(rowArb, { minLength: 1, maxLength: 200 }), (rows) => {
      const y = rows.map((r) => r[0]);
      // Coarse scores (tenths), so ties are common.
      const p = rows.flatMap((r) => {
        const sum = r[1] + r[2] + r[3] || 1;
        return [r[1] / sum, r[2] / sum, r[3] / sum].map((v) => Math.round(v * 10) / 10);
      });
      const auc = aucOneVsRest(y, p);
      for (let c = 0; c < 3; c++) {
        const expected = bruteForceAuc(y, p, c);
        if (Number.isNaN(expected)) ok(Number.isNaN(auc[c]));
        else close(auc[c], expected, 1e-9);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("calibrationTable() bins each class's predicted probability and counts the hits", () => {
  const y = [0, 1, 1, 2];
  const p = [
    0.05,
    0.9,
    0.05,
    0.15,
    0.8,
    0.05,
    0.12,
    0.6,
    0.28,
    0,
    0,
    1,
  ];
  const table = calibrationTable(y, p, 5);
  const flat = table.filter((b) => b.classIndex === 1).map((b) => [b.low, b.count]);
  deepStrictEqual(flat, [[0, 1], [0.6, 1], [0.8, 2]]);
  // The 0.8-1.0 bin of flat holds 0.9 (row 0, down) and 0.8 (row 1, flat); 1.0 of up is kept.
  const flatTop = table.find((b) => b.classIndex === 1 && b.low === 0.8)!;
  strictEqual(flatTop.count, 2);
  close(flatTop.meanPredicted, 0.85);
  close(flatTop.observed, 0.5);
  const upTop = table.find((b) => b.classIndex === 2 && b.low === 0.8)!;
  deepStrictEqual([upTop.count, upTop.meanPredicted, upTop.observed], [1, 1, 1]);
  strictEqual(table.reduce((n, b) => n + b.count, 0), y.length * 3);
});

Deno.test("foldReport() scores the model beside the prior of its own training labels", () => {
  const report = foldReport("fold 0", { y: Y, p: P, trainY: [0, 1, 1, 2] });
  deepStrictEqual(report.prior, [0.25, 0.5, 0.25]);
  strictEqual(report.trainRows, 4);
  deepStrictEqual(report.classCounts, [1, 1, 1]);
  close(report.model.logLoss, logLoss(Y, P));
  close(report.baseline.logLoss, -(Math.log(0.25) * 2 + Math.log(0.5)) / 3);
  deepStrictEqual(report.baseline.auc, [0.5, 0.5, 0.5]);
  close(report.baseline.accuracy, 1 / 3);
});

Deno.test("stitchedReport() pools the folds' test rows, each with its own fold's baseline", () => {
  const a = { y: Y, p: P, trainY: [0, 1, 1, 2] };
  const b = { y: [1, 1], p: [0.2, 0.7, 0.1, 0.3, 0.4, 0.3], trainY: [1, 1, 1, 0] };
  const report = stitchedReport([a, b]);
  strictEqual(report.folds.length, 2);
  strictEqual(report.stitched.rows, 5);
  deepStrictEqual(report.stitched.classCounts, [1, 3, 1]);
  // Log loss and Brier are means over rows, so the stitched value weights folds by rows.
  const f = report.folds;
  close(report.stitched.model.logLoss, (3 * f[0].model.logLoss + 2 * f[1].model.logLoss) / 5);
  close(report.stitched.baseline.brier, (3 * f[0].baseline.brier + 2 * f[1].baseline.brier) / 5);
  close(report.stitched.model.accuracy, 4 / 5);
  const text = formatReport(report);
  for (const expected of ["fold 1", "fold 2", "stitched", "AUC up", "Calibration"]) {
    ok(text.includes(expected), `the table lacks "${expected}":\n${text}`);
  }
  const json = JSON.parse(JSON.stringify(report));
  strictEqual(json.stitched.rows, 5);
  strictEqual(json.folds[1].model.auc[0], null); // no down row in fold 1: NaN becomes null
});

Deno.test("logLoss(), brier(), classPriorBaseline() and stitchedReport() refuse bad shapes, labels and empty sets", () => {
  throws(() => logLoss([0, 1], [0.5, 0.5, 0.5]), /2 labels and 3 probabilities/);
  throws(() => brier([3], [0.2, 0.3, 0.5]), /label 3 at row 0/);
  throws(() => accuracy([], []), RangeError);
  throws(() => classPriorBaseline([]), /no training labels/);
  throws(() => stitchedReport([]), /no folds/);
});

Deno.test("directionalAuc() scores only rows that moved, by p_up - p_down", () => {
  // Two moving rows ranked right, one flat row that a direction measure must ignore.
  const y = Uint8Array.from([2, 0, 1]);
  const perfect = Float64Array.from([0.1, 0.1, 0.8, 0.7, 0.2, 0.1, 0.9, 0.05, 0.05]);
  strictEqual(directionalAuc(y, perfect), 1);
  const reversed = Float64Array.from([0.8, 0.1, 0.1, 0.1, 0.2, 0.7, 0.0, 1.0, 0.0]);
  strictEqual(directionalAuc(y, reversed), 0);
  const blind = Float64Array.from([0.3, 0.4, 0.3, 0.3, 0.4, 0.3, 0.1, 0.8, 0.1]);
  strictEqual(directionalAuc(y, blind), 0.5);
  ok(Number.isNaN(directionalAuc(Uint8Array.from([1, 1]), Float64Array.from([0, 1, 0, 0, 1, 0]))));
});
