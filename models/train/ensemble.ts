/**
 * Ensembles of member models from any trainers (logistic, MLP here; trees from gbdt.ts
 * and forest.ts plug in through `MemberTrainer`): soft voting, performance-weighted
 * voting, stacking, and bagging. Weights, the stacking meta-model and the calibration are
 * learned from out-of-fold member probabilities, on time-ordered folds the caller gives.
 * It must never reorder time (rows are taken in the order the folds list them), never
 * score a member on rows it was trained on, and never hide which member failed.
 */

import {
  type Calibration,
  type Combiner,
  type EnsembleModel,
  type MemberModel,
  N_CLASSES,
} from "../model.ts";
import { combine, predictMember } from "../predict.ts";
import { Random } from "../random.ts";
import { classMass, type Samples, takeRows } from "../samples.ts";
import { checkLabels, logLoss } from "./_lin_loss.ts";
import { calibrationReport, fitPlatt } from "./calibration.ts";
import { trainLogistic } from "./logistic.ts";

/** Trains one member; `valid` is for early stopping only, `seed` fixes its randomness. */
export type MemberTrainer = (train: Samples, valid: Samples | null, seed: number) => MemberModel;

export interface EnsembleMember {
  /** Names the member in errors; unique within an ensemble. */
  readonly name: string;
  readonly train: MemberTrainer;
  /**
   * Share of each training set's last rows (the latest, when the rows are in time order)
   * held out and passed as `valid`. Default 0: the trainer gets all rows and `valid` null.
   */
  readonly validFraction?: number;
}

/** One time-ordered split: fit on `train` rows, predict `test` rows (indices into the samples). */
export interface Fold {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/**
 * - `soft_voting`: the members' probabilities averaged with equal weights.
 * - `weighted_voting`: weights proportional to each member's skill out of fold,
 *   `max(0, baseline - loss)`, where loss is its out-of-fold log loss and baseline that of
 *   predicting each fold's training class frequencies. A member no better than the class
 *   prior gets weight 0; if none is better, training fails rather than invent weights.
 * - `stacking`: a `LinearModel` meta-model, L2 `metaL2`, fit on the members'
 *   out-of-fold probabilities concatenated (member 0's classes first).
 */
export type EnsembleMethod = "soft_voting" | "weighted_voting" | "stacking";

export interface TrainEnsembleOptions {
  readonly method: EnsembleMethod;
  /**
   * Folds for the out-of-fold probabilities; required by `weighted_voting`, `stacking`
   * and `calibrate`. Test sets must not overlap each other or their own training set.
   */
  readonly folds?: readonly Fold[];
  /** Seeds every member's training; each (member, fold) gets its own derived seed. Default 0. */
  readonly seed?: number;
  /**
   * Fit Platt scaling (calibration.ts) on the combined out-of-fold probabilities, kept
   * only if it lowers their log loss. Default false. The combiner is fit on the same
   * rows: for weights or a meta-model of a few dozen parameters on thousands of rows the
   * in-sample optimism is negligible.
   */
  readonly calibrate?: boolean;
  /** L2 of the stacking meta-model (see `TrainLogisticOptions.l2`). Default 1e-3. */
  readonly metaL2?: number;
}

export const ENSEMBLE_DEFAULTS = { seed: 0, calibrate: false, metaL2: 1e-3 } as const;

/** Out-of-fold probabilities of each member on the rows some fold tests. */
export interface OutOfFold {
  /** The tested rows, ascending. */
  readonly index: Int32Array;
  /** Per member, `index.length` x 3 probabilities, row-major, in `index` order. */
  readonly proba: readonly Float64Array[];
  /** Log loss of predicting each fold's training class frequencies on its test rows. */
  readonly baselineLoss: number;
}

/** A seed for member `member` on fold `fold` (the final fit on all rows is fold -1). */
function memberSeed(seed: number, member: number, fold: number): number {
  const mixed = seed ^ Math.imul(member + 1, 0x9e3779b9) ^ Math.imul(fold + 2, 0x85ebca6b);
  return new Random(mixed >>> 0).nextUint32();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Rows `start..end` of `samples` as views, no copy. */
function sliceRows(samples: Samples, start: number, end: number): Samples {
  const f = samples.nFeatures;
  return {
    rows: end - start,
    nFeatures: f,
    x: samples.x.subarray(start * f, end * f),
    y: samples.y.subarray(start, end),
    weight: samples.weight?.subarray(start, end),
  };
}

/** Trains `member` on `data`, holding out its last rows as `valid`; errors name the member. */
function fitMember(
  member: EnsembleMember,
  data: Samples,
  seed: number,
  where: string,
): MemberModel {
  const cut = data.rows - Math.floor(data.rows * (member.validFraction ?? 0));
  const train = cut < data.rows ? sliceRows(data, 0, cut) : data;
  const valid = cut < data.rows ? sliceRows(data, cut, data.rows) : null;
  let model: MemberModel;
  try {
    model = member.train(train, valid, seed);
  } catch (error) {
    throw new Error(
      `Cannot train ensemble member "${member.name}" on ${where} (${train.rows} rows): ${
        message(error)
      }`,
      { cause: error },
    );
  }
  if (model.nFeatures !== data.nFeatures || model.nClasses !== N_CLASSES) {
    throw new TypeError(
      `Ensemble member "${member.name}" returned a model of ${model.nFeatures} features and ` +
        `${model.nClasses} classes on ${where}; expected ${data.nFeatures} and ${N_CLASSES}`,
    );
  }
  return model;
}

function checkMembers(members: readonly EnsembleMember[]): void {
  if (members.length === 0) throw new RangeError("Cannot train an ensemble of 0 members");
  const seen = new Set<string>();
  for (const { name, validFraction = 0 } of members) {
    if (seen.has(name)) {
      throw new RangeError(`Cannot train ensemble: member name "${name}" is used twice`);
    }
    seen.add(name);
    if (!(validFraction >= 0 && validFraction < 1)) {
      throw new RangeError(
        `Cannot train ensemble member "${name}": validFraction ${validFraction} is not in [0, 1)`,
      );
    }
  }
}

/** The ascending union of the test rows, after checking the folds against `rows`. */
function testedRows(folds: readonly Fold[], rows: number): Int32Array {
  if (folds.length === 0) {
    throw new RangeError("Cannot compute out-of-fold probabilities from 0 folds");
  }
  const tested = new Uint8Array(rows);
  const inTrain = new Int32Array(rows).fill(-1);
  folds.forEach((fold, f) => {
    if (fold.train.length === 0 || fold.test.length === 0) {
      throw new RangeError(
        `Fold ${f} has ${fold.train.length} training and ${fold.test.length} test rows; both must be > 0`,
      );
    }
    for (const r of fold.train) {
      if (!(r >= 0 && r < rows)) {
        throw new RangeError(`Fold ${f} trains on row ${r}, outside 0..${rows - 1}`);
      }
      inTrain[r] = f;
    }
    for (const r of fold.test) {
      if (!(r >= 0 && r < rows)) {
        throw new RangeError(`Fold ${f} tests row ${r}, outside 0..${rows - 1}`);
      }
      if (inTrain[r] === f) throw new RangeError(`Fold ${f} both trains on and tests row ${r}`);
      if (tested[r]) {
        throw new RangeError(`Row ${r} is tested by more than one fold (again by fold ${f})`);
      }
      tested[r] = 1;
    }
  });
  const index: number[] = [];
  for (let r = 0; r < rows; r++) if (tested[r]) index.push(r);
  return Int32Array.from(index);
}

/**
 * Each member trained on each fold's training rows and scored (by predict.ts) on its
 * test rows, with the class-prior baseline for comparison.
 */
export function outOfFold(
  samples: Samples,
  members: readonly EnsembleMember[],
  folds: readonly Fold[],
  seed = 0,
): OutOfFold {
  checkMembers(members);
  checkLabels(samples.y, "ensemble samples");
  const index = testedRows(folds, samples.rows);
  const position = new Int32Array(samples.rows).fill(-1);
  index.forEach((r, i) => position[r] = i);
  const proba = members.map(() => new Float64Array(index.length * N_CLASSES));
  const baseline = new Float64Array(index.length * N_CLASSES);
  folds.forEach((fold, f) => {
    const train = takeRows(samples, fold.train);
    const test = takeRows(samples, fold.test);
    const where = `fold ${f + 1} of ${folds.length}`;
    const prior = classMass(train, N_CLASSES, 1);
    const priorTotal = prior.reduce((s, v) => s + v, 0);
    for (const r of fold.test) {
      for (let k = 0; k < N_CLASSES; k++) {
        baseline[position[r] * N_CLASSES + k] = prior[k] / priorTotal;
      }
    }
    const out = new Float64Array(test.rows * N_CLASSES);
    members.forEach((member, m) => {
      const model = fitMember(member, train, memberSeed(seed, m, f), where);
      predictMember(model, test.x, test.rows, out);
      fold.test.forEach((r, i) => {
        proba[m].set(out.subarray(i * N_CLASSES, (i + 1) * N_CLASSES), position[r] * N_CLASSES);
      });
    });
  });
  const y = Uint8Array.from(index, (r) => samples.y[r]);
  const weight = samples.weight && Float32Array.from(index, (r) => samples.weight![r]);
  return { index, proba, baselineLoss: logLoss(baseline, y, weight) };
}

/** The members' probabilities combined exactly as the model will combine them. */
function combined(combiner: Combiner, proba: readonly Float64Array[]): Float64Array {
  const rows = proba[0].length / N_CLASSES;
  const out = new Float64Array(rows * N_CLASSES);
  combine(combiner, proba, rows, N_CLASSES, out);
  return out;
}

/** The out-of-fold probabilities as one float32 row per sample, member 0's classes first. */
function stack(proba: readonly Float64Array[]): Float32Array {
  const rows = proba[0].length / N_CLASSES;
  const width = proba.length * N_CLASSES;
  const x = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) {
    proba.forEach((p, m) => {
      for (let k = 0; k < N_CLASSES; k++) x[i * width + m * N_CLASSES + k] = p[i * N_CLASSES + k];
    });
  }
  return x;
}

/** The weighted-voting or stacking combiner learned from out-of-fold probabilities. */
function learnCombiner(
  method: "weighted_voting" | "stacking",
  members: readonly EnsembleMember[],
  oof: OutOfFold,
  y: Uint8Array,
  weight: Float32Array | undefined,
  stacked: Float32Array,
  metaL2: number,
): Combiner {
  if (method === "stacking") {
    const width = members.length * N_CLASSES;
    const meta = trainLogistic(
      { rows: y.length, nFeatures: width, x: stacked, y, weight },
      { l2: metaL2 },
    );
    return { type: "stacking", meta };
  }
  const losses = oof.proba.map((p) => logLoss(p, y, weight));
  const skill = losses.map((loss) => Math.max(0, oof.baselineLoss - loss));
  const total = skill.reduce((s, v) => s + v, 0);
  if (!(total > 0)) {
    const listed = members.map((m, i) => `${m.name} ${losses[i].toFixed(4)}`).join(", ");
    throw new RangeError(
      `Cannot weight ensemble members: none beats the class-prior log loss ` +
        `${oof.baselineLoss.toFixed(4)} out of fold (${listed})`,
    );
  }
  return { type: "average", weights: Float32Array.from(skill, (v) => v / total) };
}

/**
 * Platt scaling of the combined out-of-fold probabilities if it lowers their log loss,
 * else none: on already calibrated probabilities this parametrisation can only approach
 * the identity (see calibration_test.ts), and a correction that hurts is not kept.
 */
function plattIfBetter(
  p: Float64Array,
  y: Uint8Array,
  weight: Float32Array | undefined,
): Calibration {
  const platt = fitPlatt(p, y, weight);
  const { before, after } = calibrationReport(p, y, platt, weight);
  return after < before ? platt : { type: "none" };
}

/**
 * Trains an ensemble of `members` on `samples`: out-of-fold probabilities (when the
 * method or calibration needs them) decide the combiner and calibration, then every
 * member is refit on all rows.
 */
export function trainEnsemble(
  samples: Samples,
  members: readonly EnsembleMember[],
  options: TrainEnsembleOptions,
): EnsembleModel {
  const { method, folds } = options;
  const seed = options.seed ?? ENSEMBLE_DEFAULTS.seed;
  const calibrate = options.calibrate ?? ENSEMBLE_DEFAULTS.calibrate;
  const metaL2 = options.metaL2 ?? ENSEMBLE_DEFAULTS.metaL2;
  checkMembers(members);
  checkLabels(samples.y, "ensemble samples");
  const needsFolds = method !== "soft_voting" || calibrate;
  if (needsFolds && !folds) {
    throw new RangeError(
      `Cannot train a "${method}" ensemble${calibrate ? " with calibration" : ""} without folds`,
    );
  }
  const oof = needsFolds && folds ? outOfFold(samples, members, folds, seed) : null;
  const yOof = Uint8Array.from(oof?.index ?? [], (r) => samples.y[r]);
  const weightOof = oof && samples.weight
    ? Float32Array.from(oof.index, (r) => samples.weight![r])
    : undefined;
  const stacked = oof && method === "stacking" ? stack(oof.proba) : new Float32Array(0);
  const combiner: Combiner = oof && method !== "soft_voting"
    ? learnCombiner(method, members, oof, yOof, weightOof, stacked, metaL2)
    : { type: "average", weights: new Float32Array(members.length).fill(1 / members.length) };
  const calibration = oof && calibrate
    ? plattIfBetter(combined(combiner, oof.proba), yOof, weightOof)
    : { type: "none" } as const;
  const models = members.map((member, m) =>
    fitMember(member, samples, memberSeed(seed, m, -1), "all rows")
  );
  return {
    kind: "ensemble",
    nFeatures: samples.nFeatures,
    nClasses: N_CLASSES,
    members: models,
    combiner,
    calibration,
  };
}

export interface TrainBaggingOptions {
  /** Bootstrap members. */
  readonly count: number;
  readonly seed?: number;
  /** Needed only with `calibrate`. */
  readonly folds?: readonly Fold[];
  readonly calibrate?: boolean;
}

/**
 * Bagging: `count` copies of `member`, each trained on its own bootstrap (rows drawn with
 * replacement, as many as it is given, kept in time order) and averaged with equal weights.
 * The held-out `valid` rows of `member.validFraction` are never drawn.
 */
export function trainBagging(
  samples: Samples,
  member: EnsembleMember,
  options: TrainBaggingOptions,
): EnsembleModel {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new RangeError(
      `Cannot bag member "${member.name}": count ${options.count} is not a positive integer`,
    );
  }
  const copies = Array.from({ length: options.count }, (_, i): EnsembleMember => ({
    name: `${member.name}#${i + 1}`,
    validFraction: member.validFraction,
    train: (train, valid, seed) => {
      const random = new Random(seed);
      const drawn = new Int32Array(train.rows);
      for (let r = 0; r < drawn.length; r++) drawn[r] = random.int(train.rows);
      return member.train(takeRows(train, drawn.sort()), valid, random.nextUint32());
    },
  }));
  return trainEnsemble(samples, copies, {
    method: "soft_voting",
    seed: options.seed,
    folds: options.folds,
    calibrate: options.calibrate,
  });
}
