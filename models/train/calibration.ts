/**
 * Platt scaling of class probabilities, fit on out-of-fold predictions: per class k, the
 * `a_k`, `b_k` of `sigmoid(a_k * logit(p_k) + b_k)` (see `plattLogit`) minimising that
 * class's one-vs-rest binary log loss, by Newton's method with backtracking. `calibrate`
 * in predict.ts applies the result (and renormalises). It must never be fit on the
 * predictions of a model for rows it was trained on: in-sample probabilities are
 * over-confident by construction and would teach the opposite correction.
 *
 * Reference: J. Platt, "Probabilistic Outputs for Support Vector Machines" (1999), with
 * its smoothed targets; H.-T. Lin, C.-J. Lin, R. Weng, "A note on Platt's probabilistic
 * outputs for support vector machines" (2007), for the Newton iteration and start point.
 */

import { type Calibration, N_CLASSES } from "../model.ts";
import { calibrate, plattLogit } from "../predict.ts";
import { checkLabels, logLoss } from "./_lin_loss.ts";

export type PlattCalibration = Extract<Calibration, { type: "platt" }>;

export interface FitPlattOptions {
  /** Newton iterations per class at most. Default 100. */
  readonly maxIter?: number;
  /**
   * Stop when a Newton step would lower the mean loss by less than this (half the Newton
   * decrement, g' H^-1 g / 2). Default 1e-12, near float64 resolution of a loss of ~1.
   */
  readonly tolerance?: number;
}

export const PLATT_DEFAULTS: Required<FitPlattOptions> = { maxIter: 100, tolerance: 1e-12 };

const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;

/** ln(1 + e^u) without overflow. */
function softplus(u: number): number {
  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
}

/** Mean binary log loss of `sigmoid(a s + b)` against targets `t`, weights `w`. */
function plattLoss(
  a: number,
  b: number,
  s: Float64Array,
  t: Float64Array,
  w: Float32Array | undefined,
  total: number,
): number {
  let loss = 0;
  for (let i = 0; i < s.length; i++) {
    const z = a * s[i] + b;
    loss += (w ? w[i] : 1) * (t[i] * softplus(-z) + (1 - t[i]) * softplus(z));
  }
  return loss / total;
}

/** Newton's method for one class's (a, b), from Lin, Lin & Weng's start point. */
function fitClass(
  s: Float64Array,
  t: Float64Array,
  w: Float32Array | undefined,
  total: number,
  start: number,
  { maxIter, tolerance }: Required<FitPlattOptions>,
): [number, number] {
  let a = 0;
  let b = start;
  let loss = plattLoss(a, b, s, t, w, total);
  for (let iter = 0; iter < maxIter; iter++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < s.length; i++) {
      const wi = (w ? w[i] : 1) / total;
      const q = 1 / (1 + Math.exp(-(a * s[i] + b)));
      const r = wi * (q - t[i]);
      const h = wi * q * (1 - q);
      ga += r * s[i];
      gb += r;
      haa += h * s[i] * s[i];
      hab += h * s[i];
      hbb += h;
    }
    // A tiny ridge keeps the 2 x 2 system solvable when every s_i is equal.
    haa += 1e-12;
    hbb += 1e-12;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db;
    if (-slope / 2 < tolerance) break;
    let step = 1;
    let next = NaN;
    for (let h = 0; h < MAX_HALVINGS; h++, step /= 2) {
      next = plattLoss(a + step * da, b + step * db, s, t, w, total);
      if (next <= loss + ARMIJO * step * slope) break;
    }
    if (!(next <= loss + ARMIJO * step * slope && next < loss)) break;
    a += step * da;
    b += step * db;
    loss = next;
  }
  return [a, b];
}

/**
 * Fits Platt scaling to out-of-fold probabilities `p` (rows x 3, row-major) of rows with
 * classes `y` and optional weights. Targets are Platt's smoothed ones,
 * `(N+ + 1) / (N+ + 2)` and `1 / (N- + 2)`, so a class never or always seen still gets
 * finite parameters.
 */
export function fitPlatt(
  p: Float64Array,
  y: Uint8Array,
  weight?: Float32Array,
  options: FitPlattOptions = {},
): PlattCalibration {
  const rows = y.length;
  if (rows === 0 || p.length !== rows * N_CLASSES) {
    throw new RangeError(
      `Cannot fit Platt scaling: ${p.length} probabilities for ${rows} rows of ${N_CLASSES} classes`,
    );
  }
  checkLabels(y, "Platt calibration rows");
  const settings = { ...PLATT_DEFAULTS, ...options };
  const a = new Float32Array(N_CLASSES);
  const b = new Float32Array(N_CLASSES);
  const s = new Float64Array(rows);
  const t = new Float64Array(rows);
  for (let k = 0; k < N_CLASSES; k++) {
    let positive = 0;
    let negative = 0;
    for (let i = 0; i < rows; i++) {
      const w = weight ? weight[i] : 1;
      if (y[i] === k) positive += w;
      else negative += w;
    }
    const hi = (positive + 1) / (positive + 2);
    const lo = 1 / (negative + 2);
    for (let i = 0; i < rows; i++) {
      s[i] = plattLogit(p[i * N_CLASSES + k]);
      t[i] = y[i] === k ? hi : lo;
    }
    const start = Math.log((positive + 1) / (negative + 1));
    [a[k], b[k]] = fitClass(s, t, weight, positive + negative, start, settings);
  }
  return { type: "platt", a, b };
}

export interface CalibrationReport {
  /** Weighted mean multiclass log loss of the probabilities as given. */
  readonly before: number;
  /** The same after `calibration`, applied as predict.ts applies it. */
  readonly after: number;
}

/** How much `calibration` changes the log loss of `p` on rows with classes `y`. */
export function calibrationReport(
  p: Float64Array,
  y: Uint8Array,
  calibration: Calibration,
  weight?: Float32Array,
): CalibrationReport {
  const calibrated = p.slice();
  calibrate(calibration, calibrated, y.length, N_CLASSES);
  return { before: logLoss(p, y, weight), after: logLoss(calibrated, y, weight) };
}
