/**
 * Out-of-sample scores for class probabilities (rows of `down, flat, up`, row-major),
 * always beside the class-prior baseline (predict the training set's class frequencies
 * for every row), so a model is judged by what it adds over knowing the base rates.
 * Per fold and stitched over all folds; a plain-text table for people, plain data for JSON.
 * It must never fit anything to the rows it scores: the baseline comes from training labels.
 */

import { CLASSES } from "./model.ts";

/** The smallest probability taken to a logarithm in `logLoss` (scikit-learn's clip). */
export const LOG_LOSS_FLOOR = 1e-15;

/** The number of classes of `p` for the labels `y`, after checking their shapes. */
function classesOf(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const k = n === 0 ? 0 : p.length / n;
  if (n === 0 || !Number.isInteger(k) || k < 2) {
    throw new RangeError(
      `Cannot score predictions: ${n} labels and ${p.length} probabilities; ` +
        `expected one row of at least 2 class probabilities per label`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!(Number.isInteger(y[i]) && y[i] >= 0 && y[i] < k)) {
      throw new RangeError(`Cannot score predictions: label ${y[i]} at row ${i} is not a class`);
    }
  }
  return k;
}

/** Mean of −ln p(true class), with p clipped at `LOG_LOSS_FLOOR`; 0 for certain, correct predictions. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const k = classesOf(y, p);
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum -= Math.log(Math.max(p[i * k + y[i]], LOG_LOSS_FLOOR));
  return sum / y.length;
}

/** Multi-class Brier score: mean over rows of Σ_k (p_k − [y = k])², from 0 (perfect) to 2. */
export function brier(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const k = classesOf(y, p);
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    for (let c = 0; c < k; c++) {
      const d = p[i * k + c] - (y[i] === c ? 1 : 0);
      sum += d * d;
    }
  }
  return sum / y.length;
}

/** The most probable class of row `i` (the lowest class on a tie). */
function argmax(p: ArrayLike<number>, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
  return best;
}

/** Share of rows whose most probable class is the true one. */
export function accuracy(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const k = classesOf(y, p);
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (argmax(p, i, k) === y[i]) hits++;
  return hits / y.length;
}

/** Mean recall over the classes present in `y`: 1/k for any constant prediction. */
export function balancedAccuracy(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const k = classesOf(y, p);
  const total = new Float64Array(k);
  const hits = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    total[y[i]]++;
    if (argmax(p, i, k) === y[i]) hits[y[i]]++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    if (total[c] > 0) {
      sum += hits[c] / total[c];
      present++;
    }
  }
  return sum / present;
}

/**
 * Area under the ROC curve of each class against the rest, exactly: the Mann-Whitney
 * rank sum with tied scores given their average rank, O(n log n). 0.5 for a constant
 * score, NaN for a class absent from `y` (or present in every row).
 */
export function aucOneVsRest(y: ArrayLike<number>, p: ArrayLike<number>): number[] {
  const k = classesOf(y, p);
  const n = y.length;
  const order = new Int32Array(n);
  const out: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => p[a * k + c] - p[b * k + c]);
    let positives = 0;
    let rankSum = 0;
    for (let start = 0; start < n;) {
      const score = p[order[start] * k + c];
      let end = start + 1;
      while (end < n && p[order[end] * k + c] === score) end++;
      const rank = (start + 1 + end) / 2; // ranks start + 1 ... end, averaged
      for (let j = start; j < end; j++) {
        if (y[order[j]] === c) {
          positives++;
          rankSum += rank;
        }
      }
      start = end;
    }
    const negatives = n - positives;
    out.push(
      positives === 0 || negatives === 0
        ? NaN
        : (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives),
    );
  }
  return out;
}

/**
 * Directional skill alone: among rows that moved (down or up), the AUC of
 * `p_up - p_down` for telling up from down. 0.5 means no sense of direction, however well
 * the model predicts *whether* price moves. NaN without both classes. Three classes only.
 */
export function directionalAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const k = classesOf(y, p);
  if (k !== 3) {
    throw new RangeError(`Cannot measure direction with ${k} classes; it needs down, flat, up`);
  }
  const moved: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] !== 1) moved.push(i);
  const y2 = Uint8Array.from(moved, (i) => (y[i] === 2 ? 1 : 0));
  const p2 = new Float64Array(moved.length * 2);
  moved.forEach((i, j) => {
    const score = p[i * 3 + 2] - p[i * 3];
    p2[j * 2] = -score;
    p2[j * 2 + 1] = score;
  });
  return moved.length === 0 ? NaN : aucOneVsRest(y2, p2)[1];
}

/** One bin of predicted probability for one class. */
export interface CalibrationBin {
  readonly classIndex: number;
  /** The bin covers predicted probabilities in [low, high) (the last bin includes 1). */
  readonly low: number;
  readonly high: number;
  readonly count: number;
  readonly meanPredicted: number;
  /** Share of the bin's rows whose true class is this one. */
  readonly observed: number;
}

/**
 * Reliability table: for each class, the rows binned by their predicted probability of
 * that class into `bins` equal-width bins; empty bins are left out. A calibrated model
 * has `observed ≈ meanPredicted` in every bin.
 */
export function calibrationTable(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  bins = 10,
): CalibrationBin[] {
  const k = classesOf(y, p);
  if (!(Number.isInteger(bins) && bins >= 1)) {
    throw new RangeError(`Cannot build a calibration table: bins must be 1 or more, got ${bins}`);
  }
  const count = new Float64Array(k * bins);
  const predicted = new Float64Array(k * bins);
  const observed = new Float64Array(k * bins);
  for (let i = 0; i < y.length; i++) {
    for (let c = 0; c < k; c++) {
      const q = p[i * k + c];
      const b = c * bins + Math.min(bins - 1, Math.max(0, Math.floor(q * bins)));
      count[b]++;
      predicted[b] += q;
      if (y[i] === c) observed[b]++;
    }
  }
  const out: CalibrationBin[] = [];
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < bins; j++) {
      const b = c * bins + j;
      if (count[b] === 0) continue;
      out.push({
        classIndex: c,
        low: j / bins,
        high: (j + 1) / bins,
        count: count[b],
        meanPredicted: predicted[b] / count[b],
        observed: observed[b] / count[b],
      });
    }
  }
  return out;
}

/** Class frequencies of the training labels: the baseline's prediction for every row. */
export function classPriorBaseline(
  trainY: ArrayLike<number>,
  nClasses: number = CLASSES.length,
): number[] {
  if (trainY.length === 0) {
    throw new RangeError("Cannot compute class priors: there are no training labels");
  }
  return countClasses(trainY, nClasses, "Cannot compute class priors")
    .map((count) => count / trainY.length);
}

/**
 * How many of the labels `y` fall in each of `k` classes. A label that is not a class is
 * refused by row, the message starting with `refusal` ("Cannot compute class priors").
 */
export function countClasses(
  y: ArrayLike<number>,
  k: number,
  refusal = "Cannot count classes",
): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k)) {
      throw new RangeError(`${refusal}: label ${c} at row ${i} is not a class`);
    }
    counts[c]++;
  }
  return counts;
}

/** `rows` copies of `prior`, row-major, to score the baseline like a model. */
export function repeatPrior(prior: readonly number[], rows: number): Float64Array {
  const out = new Float64Array(rows * prior.length);
  for (let i = 0; i < rows; i++) out.set(prior, i * prior.length);
  return out;
}

export interface Scores {
  readonly logLoss: number;
  readonly brier: number;
  readonly accuracy: number;
  readonly balancedAccuracy: number;
  /** One-vs-rest AUC per class (down, flat, up). */
  readonly auc: number[];
  /** Up against down among rows that moved: skill at direction alone (0.5 = none). */
  readonly directionalAuc: number;
}

export function scores(y: ArrayLike<number>, p: ArrayLike<number>): Scores {
  return {
    logLoss: logLoss(y, p),
    brier: brier(y, p),
    accuracy: accuracy(y, p),
    balancedAccuracy: balancedAccuracy(y, p),
    auc: aucOneVsRest(y, p),
    directionalAuc: classesOf(y, p) === 3 ? directionalAuc(y, p) : NaN,
  };
}

/** A fold's out-of-sample predictions and the training labels its baseline comes from. */
export interface FoldPredictions {
  readonly y: ArrayLike<number>;
  /** rows x classes, row-major. */
  readonly p: ArrayLike<number>;
  readonly trainY: ArrayLike<number>;
}

/** Scores of one set of out-of-sample rows; plain data, so `JSON.stringify` (NaN as null) fits. */
export interface Report {
  readonly name: string;
  readonly rows: number;
  readonly classCounts: number[];
  readonly model: Scores;
  readonly baseline: Scores;
  readonly calibration: CalibrationBin[];
}

export interface FoldReport extends Report {
  readonly trainRows: number;
  readonly prior: number[];
}

export interface WalkForwardReport {
  readonly folds: FoldReport[];
  /** All folds' test rows together, each scored against its own fold's baseline. */
  readonly stitched: Report;
}

/** The model's and the baseline's scores on one fold's test rows. */
export function foldReport(name: string, fold: FoldPredictions, bins = 10): FoldReport {
  const k = classesOf(fold.y, fold.p);
  const prior = classPriorBaseline(fold.trainY, k);
  return {
    name,
    rows: fold.y.length,
    classCounts: countClasses(fold.y, k),
    model: scores(fold.y, fold.p),
    baseline: scores(fold.y, repeatPrior(prior, fold.y.length)),
    calibration: calibrationTable(fold.y, fold.p, bins),
    trainRows: fold.trainY.length,
    prior,
  };
}

/** Every fold's report, and the report of all their test rows stitched in fold order. */
export function stitchedReport(folds: readonly FoldPredictions[], bins = 10): WalkForwardReport {
  if (folds.length === 0) throw new RangeError("Cannot stitch a report: there are no folds");
  const reports = folds.map((fold, i) => foldReport(`fold ${i + 1}`, fold, bins));
  const k = classesOf(folds[0].y, folds[0].p);
  const rows = folds.reduce((sum, fold) => sum + fold.y.length, 0);
  const y = new Uint8Array(rows);
  const p = new Float64Array(rows * k);
  const base = new Float64Array(rows * k);
  let at = 0;
  folds.forEach((fold, i) => {
    if (classesOf(fold.y, fold.p) !== k) {
      throw new RangeError(`Cannot stitch a report: fold ${i} has a different number of classes`);
    }
    y.set(fold.y, at);
    p.set(fold.p, at * k);
    base.set(repeatPrior(reports[i].prior, fold.y.length), at * k);
    at += fold.y.length;
  });
  return {
    folds: reports,
    stitched: {
      name: "stitched",
      rows,
      classCounts: countClasses(y, k),
      model: scores(y, p),
      baseline: scores(y, base),
      calibration: calibrationTable(y, p, bins),
    },
  };
}

const fixed = (v: number, digits = 3) => Number.isNaN(v) ? "n/a" : v.toFixed(digits);
const pair = (model: number, baseline: number) =>
  `${fixed(model)} (${fixed(baseline)})`.padStart(15);

/**
 * The report as a plain-text table: one line per fold and one stitched, each score as
 * `model (baseline)`, then the stitched calibration table. `classes` names the columns
 * (a meta model's are loss, timeout, win).
 */
export function formatReport(
  report: WalkForwardReport,
  classes: readonly string[] = CLASSES,
): string {
  const k = report.stitched.classCounts.length;
  const names = classes.length === k ? [...classes] : [...Array(k).keys()].map(String);
  const header = [
    "".padEnd(9),
    "rows".padStart(8),
    ...names.map((c) => c.padStart(6)),
    "log loss".padStart(15),
    "Brier".padStart(15),
    "accuracy".padStart(15),
    "bal. accuracy".padStart(15),
    ...names.map((c) => `AUC ${c}`.padStart(9)),
    "AUC dir.".padStart(9),
  ].join(" ");
  const line = (r: Report) =>
    [
      r.name.padEnd(9),
      String(r.rows).padStart(8),
      ...r.classCounts.map((c) => `${((100 * c) / r.rows).toFixed(1)}%`.padStart(6)),
      pair(r.model.logLoss, r.baseline.logLoss),
      pair(r.model.brier, r.baseline.brier),
      pair(r.model.accuracy, r.baseline.accuracy),
      pair(r.model.balancedAccuracy, r.baseline.balancedAccuracy),
      ...r.model.auc.map((a) => fixed(a).padStart(9)),
      fixed(r.model.directionalAuc).padStart(9),
    ].join(" ");
  const calibration = report.stitched.calibration.map((b) =>
    [
      names[b.classIndex].padEnd(6),
      `${b.low.toFixed(2)}-${b.high.toFixed(2)}`.padEnd(10),
      String(b.count).padStart(8),
      fixed(b.meanPredicted).padStart(9),
      fixed(b.observed).padStart(9),
    ].join(" ")
  );
  return [
    "Out of sample: model (class-prior baseline); class shares are of the test rows;",
    classes === CLASSES
      ? "AUC dir. = up against down among rows that moved (0.5 = no sense of direction)"
      : `AUC dir. = ${names[2]} against ${names[0]} among rows not ${names[1]} (0.5 = no skill)`,
    header,
    ...report.folds.map(line),
    line(report.stitched),
    "",
    "Calibration, stitched: class, predicted bin, rows, mean predicted, observed",
    ...calibration,
  ].join("\n");
}
