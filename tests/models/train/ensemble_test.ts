/**
 * `trainEnsemble`, `trainBagging` and `outOfFold` on synthetic unit-test inputs (seeded
 * planted problems, not market data), with walk-forward folds: what each combiner learns,
 * which rows each member sees, calibration out of fold, and errors that name the member.
 */

import assert from "node:assert/strict";
import { type EnsembleModel, type LinearModel, type Model, N_CLASSES } from "@/models/model.ts";
import { predictMember, predictProba } from "@/models/predict.ts";
import { Random } from "@/models/random.ts";
import type { Samples } from "@/models/samples.ts";
import { logLoss } from "@/models/train/_lin_loss.ts";
import {
  type EnsembleMember,
  type Fold,
  type MemberTrainer,
  outOfFold,
  trainBagging,
  trainEnsemble,
} from "@/models/train/ensemble.ts";
import { trainLogistic } from "@/models/train/logistic.ts";
import { trainMlp } from "@/models/train/mlp.ts";

/**
 * Two standard-normal features; the up-minus-down score is `2 x0 + x1` (flat scores 0),
 * so x0 alone is informative, x1 less so, and both together best.
 */
function planted(rows: number, seed: number): Samples {
  const random = new Random(seed);
  const x = new Float32Array(rows * 2);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    x[i * 2] = random.normal();
    x[i * 2 + 1] = random.normal();
    const s = 2 * x[i * 2] + x[i * 2 + 1];
    const p = [Math.exp(-s), 1, Math.exp(s)];
    let u = random.next() * (p[0] + p[1] + p[2]);
    while (y[i] < 2 && u >= p[y[i]]) u -= p[y[i]++];
  }
  return { rows, nFeatures: 2, x, y };
}

/** Walk-forward: the rows split into `k + 1` blocks; fold f trains on blocks 0..f, tests f + 1. */
function walkForward(rows: number, k: number): Fold[] {
  const block = Math.floor(rows / (k + 1));
  return Array.from({ length: k }, (_, f) => ({
    train: Int32Array.from({ length: (f + 1) * block }, (_, i) => i),
    test: Int32Array.from(
      { length: f + 1 === k ? rows - (f + 1) * block : block },
      (_, i) => (f + 1) * block + i,
    ),
  }));
}

/** Logistic regression that sees only feature `j` (the others are zeroed). */
function onlyFeature(j: number): MemberTrainer {
  return (train) =>
    trainLogistic({ ...train, x: train.x.map((v, i) => i % train.nFeatures === j ? v : 0) });
}

function heldOutLoss(model: Model, test: Samples): number {
  const p = new Float64Array(test.rows * N_CLASSES);
  predictProba(model, test.x, test.rows, p);
  return logLoss(p, test.y);
}

const TRAIN = planted(4_000, 1);
const TEST = planted(4_000, 2);
const FOLDS = walkForward(TRAIN.rows, 4);
const X0: EnsembleMember = { name: "x0", train: onlyFeature(0) };
const X1: EnsembleMember = { name: "x1", train: onlyFeature(1) };

Deno.test("trainEnsemble() stacking beats the worse member on held-out planted data", () => {
  const model = trainEnsemble(TRAIN, [X0, X1], { method: "stacking", folds: FOLDS });
  assert.equal(model.combiner.type, "stacking");
  if (model.combiner.type !== "stacking") return;
  assert.equal(model.combiner.meta.nFeatures, 2 * N_CLASSES);
  assert.equal(model.combiner.meta.nClasses, N_CLASSES);
  assert.equal(model.members.length, 2);
  const [x0, x1] = model.members.map((m) => heldOutLoss(m, TEST));
  const stacked = heldOutLoss(model, TEST);
  assert.ok(stacked < Math.max(x0, x1), `stacking ${stacked}, members ${x0} ${x1}`);
  // Here it beats the better member too: the two see different features.
  assert.ok(stacked < Math.min(x0, x1), `stacking ${stacked}, members ${x0} ${x1}`);
});

Deno.test("trainEnsemble() soft voting weights members equally and needs no folds", () => {
  const model = trainEnsemble(TRAIN, [X0, X1, { name: "both", train: (t) => trainLogistic(t) }], {
    method: "soft_voting",
  });
  assert.equal(model.combiner.type, "average");
  if (model.combiner.type !== "average") return;
  assert.deepEqual([...model.combiner.weights], [1, 1, 1].map(() => Math.fround(1 / 3)));
  assert.equal(model.calibration.type, "none");
  assert.equal(model.nFeatures, 2);
  assert.equal(model.nClasses, N_CLASSES);
});

Deno.test("trainEnsemble() weighted voting favours the more skilful member, weights summing to 1", () => {
  const prior: EnsembleMember = { name: "prior", train: onlyFeature(-1) };
  const model = trainEnsemble(TRAIN, [X0, X1, prior], { method: "weighted_voting", folds: FOLDS });
  assert.equal(model.combiner.type, "average");
  if (model.combiner.type !== "average") return;
  const [w0, w1, wPrior] = model.combiner.weights;
  assert.ok(Math.abs(w0 + w1 + wPrior - 1) < 1e-6, `weights ${model.combiner.weights}`);
  assert.ok(w0 > w1 && w1 > 0.1, `weights ${model.combiner.weights}`);
  // Class frequencies alone have (next to) no skill over the class-prior baseline.
  assert.ok(wPrior < 0.01, `weights ${model.combiner.weights}`);
});

Deno.test("trainEnsemble() weighted voting fails, quoting losses, when no member beats the class prior", () => {
  const uniform: EnsembleMember = {
    name: "uniform",
    train: (train): LinearModel => ({
      kind: "linear",
      nFeatures: train.nFeatures,
      nClasses: N_CLASSES,
      weights: new Float32Array(train.nFeatures * N_CLASSES),
      bias: new Float32Array(N_CLASSES),
    }),
  };
  assert.throws(
    () => trainEnsemble(TRAIN, [uniform], { method: "weighted_voting", folds: FOLDS }),
    /^RangeError: Cannot weight ensemble members: none beats the class-prior log loss 1\.\d{4} out of fold \(uniform 1\.0986\)$/,
  );
});

Deno.test("trainEnsemble() names the member whose trainer throws, and where", () => {
  const broken: EnsembleMember = {
    name: "broken-mlp",
    train: () => {
      throw new Error("weights went NaN");
    },
  };
  assert.throws(
    () => trainEnsemble(TRAIN, [X0, broken], { method: "stacking", folds: FOLDS }),
    new Error(
      'Cannot train ensemble member "broken-mlp" on fold 1 of 4 (800 rows): weights went NaN',
    ),
  );
  assert.throws(
    () => trainEnsemble(TRAIN, [broken], { method: "soft_voting" }),
    new Error(
      'Cannot train ensemble member "broken-mlp" on all rows (4000 rows): weights went NaN',
    ),
  );
});

Deno.test("trainEnsemble() rejects a member model of the wrong shape, naming the member", () => {
  const narrow: EnsembleMember = {
    name: "narrow",
    train: () =>
      trainLogistic({ rows: 3, nFeatures: 1, x: new Float32Array(3), y: Uint8Array.of(0, 1, 2) }),
  };
  assert.throws(
    () => trainEnsemble(TRAIN, [narrow], { method: "soft_voting" }),
    new TypeError(
      'Ensemble member "narrow" returned a model of 1 features and 3 classes on all rows; expected 2 and 3',
    ),
  );
});

Deno.test("outOfFold() scores each row only by members that never trained on it", () => {
  // Feature 0 is the row number, so a trainer can report exactly which rows it got.
  const rows = 100;
  const samples: Samples = {
    rows,
    nFeatures: 1,
    x: Float32Array.from({ length: rows }, (_, i) => i),
    y: Uint8Array.from({ length: rows }, (_, i) => i % 3),
  };
  const seen: { train: number[]; valid: number[] | null }[] = [];
  const spy: EnsembleMember = {
    name: "spy",
    validFraction: 0.25,
    train: (train, valid) => {
      seen.push({ train: [...train.x], valid: valid && [...valid.x] });
      return trainLogistic(train);
    },
  };
  const folds = walkForward(rows, 3);
  const oof = outOfFold(samples, [spy], folds);
  assert.deepEqual([...oof.index], [...folds.flatMap((f) => [...f.test])]);
  assert.equal(oof.proba[0].length, oof.index.length * N_CLASSES);
  folds.forEach((fold, f) => {
    const cut = fold.train.length - Math.floor(fold.train.length * 0.25);
    // The latest quarter of each fold's training rows is the validation set.
    assert.deepEqual(seen[f].train, [...fold.train.subarray(0, cut)]);
    assert.deepEqual(seen[f].valid, [...fold.train.subarray(cut)]);
    assert.ok(Math.max(...seen[f].valid!) < Math.min(...fold.test));
  });
});

Deno.test("outOfFold() rejects a row tested twice and a row both trained on and tested", () => {
  const fold = (train: number[], test: number[]): Fold => ({
    train: Int32Array.from(train),
    test: Int32Array.from(test),
  });
  assert.throws(
    () => outOfFold(TRAIN, [X0], [fold([0, 1], [2, 3]), fold([0, 1, 2], [3, 4])]),
    new RangeError("Row 3 is tested by more than one fold (again by fold 1)"),
  );
  assert.throws(
    () => outOfFold(TRAIN, [X0], [fold([0, 1, 2], [2, 3])]),
    new RangeError("Fold 0 both trains on and tests row 2"),
  );
  assert.throws(
    () => trainEnsemble(TRAIN, [X0], { method: "stacking" }),
    new RangeError('Cannot train a "stacking" ensemble without folds'),
  );
});

Deno.test("trainEnsemble() gives identical members for the same seed and different ones for another", () => {
  const small = planted(600, 3);
  const mlp: EnsembleMember = {
    name: "mlp",
    validFraction: 0.2,
    train: (train, valid, seed) => trainMlp(train, valid, { seed, hidden: [6], maxEpochs: 3 }),
  };
  const folds = walkForward(small.rows, 2);
  const train = (seed: number) =>
    trainEnsemble(small, [mlp, X0], { method: "stacking", folds, seed, calibrate: true });
  const a = train(1);
  assert.deepEqual(a, train(1));
  assert.notDeepEqual(a.members[0], train(2).members[0]);
});

Deno.test("trainBagging() averages count members, each fit on its own bootstrap of the rows", () => {
  const sizes: number[] = [];
  const distinct: number[] = [];
  const firstRows: number[][] = [];
  const spy: EnsembleMember = {
    name: "bag",
    train: (train) => {
      sizes.push(train.rows);
      distinct.push(new Set(train.x.filter((_, i) => i % 2 === 0)).size);
      firstRows.push([...train.x.subarray(0, 20)]);
      return trainLogistic(train);
    },
  };
  const model: EnsembleModel = trainBagging(TRAIN, spy, { count: 3, seed: 5 });
  assert.equal(model.members.length, 3);
  assert.equal(model.combiner.type, "average");
  if (model.combiner.type === "average") {
    assert.deepEqual([...model.combiner.weights], [1, 1, 1].map(() => Math.fround(1 / 3)));
  }
  assert.deepEqual(sizes, [4_000, 4_000, 4_000]);
  // A bootstrap of n rows holds about 1 - 1/e = 63% of them.
  for (const d of distinct) assert.ok(d > 2_400 && d < 2_650, `distinct rows ${distinct}`);
  assert.notDeepEqual(firstRows[0], firstRows[1]);
});

Deno.test("trainEnsemble() keeps Platt calibration out of fold only where it lowers the log loss", () => {
  // Over-confident: logistic regression's weights and biases multiplied by 4.
  const sharp: EnsembleMember = {
    name: "sharp",
    train: (train) => {
      const fit = trainLogistic(train);
      return { ...fit, weights: fit.weights.map((w) => 4 * w), bias: fit.bias.map((b) => 4 * b) };
    },
  };
  const calibrated = trainEnsemble(TRAIN, [sharp], {
    method: "soft_voting",
    folds: FOLDS,
    calibrate: true,
  });
  const raw = trainEnsemble(TRAIN, [sharp], { method: "soft_voting" });
  assert.equal(calibrated.calibration.type, "platt");
  const before = heldOutLoss(raw, TEST);
  const after = heldOutLoss(calibrated, TEST);
  assert.ok(after < before - 0.1, `held out: ${before} raw, ${after} calibrated`);
  // Well-specified logistic regression is calibrated already: Platt, if kept at all,
  // is close to the identity and moves held-out probabilities by little.
  const both: EnsembleMember = { name: "both", train: (t) => trainLogistic(t) };
  const plain = trainEnsemble(TRAIN, [both], {
    method: "soft_voting",
    folds: FOLDS,
    calibrate: true,
  });
  const member = new Float64Array(TEST.rows * N_CLASSES);
  const combined = new Float64Array(TEST.rows * N_CLASSES);
  predictMember(plain.members[0], TEST.x, TEST.rows, member);
  predictProba(plain, TEST.x, TEST.rows, combined);
  let moved = 0;
  for (let i = 0; i < member.length; i++) {
    moved = Math.max(moved, Math.abs(member[i] - combined[i]));
  }
  assert.ok(moved < 0.05, `calibration of a calibrated model moved a probability by ${moved}`);
});
