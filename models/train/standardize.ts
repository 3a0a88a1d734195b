/**
 * Per-feature standardisation for the gradient trainers (logistic, MLP): fit the mean and
 * standard deviation on training rows, train on `(x - mean) / std`, then fold the scaling
 * into the first layer so the returned model takes raw features, as the feature engine
 * produces them. It must never be fit on rows outside the training set, and a model must
 * never ship with a separate scaling step: ONNX gets one matrix and one bias.
 */

import type { Samples } from "../samples.ts";

/** What `fitStandardizer` learns: `z_j = (x_j - mean[j]) / std[j]`. */
export interface Standardizer {
  readonly mean: Float64Array;
  /** Population standard deviation; 1 for a constant feature, which is then only centred. */
  readonly std: Float64Array;
}

/**
 * The unweighted mean and standard deviation of each feature over `samples` (two passes in
 * float64). Throws a RangeError naming the feature and row of the first non-finite value.
 */
export function fitStandardizer(samples: Samples): Standardizer {
  const { rows, nFeatures: f, x } = samples;
  if (rows === 0) throw new RangeError("Cannot standardise features: the training set has 0 rows");
  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) mean[j] += x[i * f + j];
  }
  for (let j = 0; j < f; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) {
      const d = x[i * f + j] - mean[j];
      std[j] += d * d;
    }
  }
  for (let j = 0; j < f; j++) {
    if (!Number.isFinite(mean[j]) || !Number.isFinite(std[j])) {
      let row = 0;
      while (row < rows && Number.isFinite(x[row * f + j])) row++;
      throw new RangeError(
        `Cannot standardise feature ${j}: row ${row} holds "${x[row * f + j]}"`,
      );
    }
    std[j] = std[j] > 0 ? Math.sqrt(std[j] / rows) : 1;
  }
  return { mean, std };
}

/** `samples` with every feature standardised (new float32 rows; labels and weights shared). */
export function standardize(samples: Samples, standardizer: Standardizer): Samples {
  const { rows, nFeatures: f, x } = samples;
  const { mean, std } = standardizer;
  const z = new Float32Array(rows * f);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) z[i * f + j] = (x[i * f + j] - mean[j]) / std[j];
  }
  return { rows, nFeatures: f, x: z, y: samples.y, weight: samples.weight };
}

/**
 * Folds the standardisation into a layer trained on standardised inputs: with `W` and `b`
 * (outputs x inputs, row-major) acting on `z`, returns float32 `W'` and `b'` acting on raw
 * `x` with `W' x + b' = W z + b`. The bias is computed from the already-rounded `W'`, so
 * the float32 rounding of the weights cancels at `x = mean` and the only error left is
 * float32 rounding, relative 2^-24, of each term.
 */
export function foldStandardizer(
  standardizer: Standardizer,
  weights: Float64Array,
  bias: Float64Array,
): { weights: Float32Array; bias: Float32Array } {
  const { mean, std } = standardizer;
  const f = mean.length;
  const outputs = bias.length;
  if (weights.length !== outputs * f) {
    throw new RangeError(
      `Cannot fold standardisation: ${weights.length} weights for ${outputs} outputs x ${f} features`,
    );
  }
  const folded = new Float32Array(outputs * f);
  const shifted = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let b = bias[o];
    for (let j = 0; j < f; j++) {
      folded[o * f + j] = weights[o * f + j] / std[j];
      b -= folded[o * f + j] * mean[j];
    }
    shifted[o] = b;
  }
  return { weights: folded, bias: shifted };
}
