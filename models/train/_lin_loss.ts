/**
 * Label checks and the multiclass log loss shared by the logistic, MLP, calibration and
 * ensemble trainers. Pure functions over typed arrays; they never modify their inputs.
 */

import { N_CLASSES, PROBABILITY_FLOOR } from "../model.ts";

/** Throws a RangeError naming the first row whose class is not 0 (down), 1 (flat) or 2 (up). */
export function checkLabels(y: Uint8Array, what: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] >= N_CLASSES) {
      throw new RangeError(
        `Cannot train on ${what}: row ${i} has class ${
          y[i]
        }, expected 0 (down), 1 (flat) or 2 (up)`,
      );
    }
  }
}

/**
 * The weighted mean of `-ln(max(p[i][y_i], PROBABILITY_FLOOR))` over the rows of `p`
 * (rows x N_CLASSES, row-major), the floor being the one calibration uses.
 */
export function logLoss(p: Float64Array, y: Uint8Array, weight?: Float32Array): number {
  let loss = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weight ? weight[i] : 1;
    loss -= w * Math.log(Math.max(p[i * N_CLASSES + y[i]], PROBABILITY_FLOOR));
    total += w;
  }
  return loss / total;
}
