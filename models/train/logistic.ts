/**
 * Multinomial logistic regression with an L2 penalty, trained in TypeScript so a deployed
 * binary can retrain itself. Full-batch L-BFGS on standardised features: the objective is
 * strictly convex in the weights, so there is no learning rate to tune, no randomness, and
 * the result is the optimum to `tolerance` whatever the row order. It must never see rows
 * outside `train`, and it returns a model on raw features (standardisation folded in).
 */

import { type LinearModel, N_CLASSES } from "../model.ts";
import type { Samples } from "../samples.ts";
import { DenseNet } from "./_lin_dense.ts";
import { minimizeLbfgs } from "./_lin_lbfgs.ts";
import { checkLabels } from "./_lin_loss.ts";
import { fitStandardizer, standardize } from "./standardize.ts";

export interface TrainLogisticOptions {
  /**
   * L2 penalty `l2 / 2 * |W|^2` added to the weighted mean cross-entropy, on the weights of
   * standardised features (so it does not depend on feature units); biases are free.
   * Default 1e-4; must be >= 0.
   */
  readonly l2?: number;
  /** L-BFGS iterations at most. Default 200. */
  readonly maxIter?: number;
  /** Stop when no gradient component exceeds this. Default 1e-6. */
  readonly tolerance?: number;
}

export const LOGISTIC_DEFAULTS: Required<TrainLogisticOptions> = {
  l2: 1e-4,
  maxIter: 200,
  tolerance: 1e-6,
};

/** Correction pairs L-BFGS keeps; 10 is the usual choice and enough for ~200 parameters. */
const MEMORY = 10;

/**
 * Fits `softmax(W x + b)` to `train` (weighted by `train.weight` when present) and returns
 * it as a `LinearModel` on raw features. Stops early at `tolerance`; `maxIter` caps the
 * work on hard problems, returning the best point reached.
 */
export function trainLogistic(train: Samples, options: TrainLogisticOptions = {}): LinearModel {
  const l2 = options.l2 ?? LOGISTIC_DEFAULTS.l2;
  const maxIter = options.maxIter ?? LOGISTIC_DEFAULTS.maxIter;
  const tolerance = options.tolerance ?? LOGISTIC_DEFAULTS.tolerance;
  if (!(l2 >= 0)) throw new RangeError(`Cannot train logistic regression: l2 ${l2} is not >= 0`);
  if (!(maxIter >= 1)) {
    throw new RangeError(`Cannot train logistic regression: maxIter ${maxIter} is not >= 1`);
  }
  checkLabels(train.y, "logistic regression samples");
  const standardizer = fitStandardizer(train);
  const z = standardize(train, standardizer);
  const order = Int32Array.from({ length: z.rows }, (_, i) => i);
  let total = 0;
  for (let i = 0; i < z.rows; i++) total += z.weight ? z.weight[i] : 1;
  if (!(total > 0)) {
    throw new RangeError(`Cannot train logistic regression: the row weights sum to ${total}`);
  }
  const net = new DenseNet([train.nFeatures, N_CLASSES]);
  const theta = new Float64Array(net.params.length);
  minimizeLbfgs(
    (params, grad) => {
      net.params.set(params);
      grad.fill(0);
      let value = net.accumulate(z, order, 0, z.rows, grad) / total;
      for (let i = 0; i < grad.length; i++) {
        grad[i] /= total;
        if (net.isWeight[i]) {
          value += 0.5 * l2 * params[i] * params[i];
          grad[i] += l2 * params[i];
        }
      }
      return value;
    },
    theta,
    { maxIter, tolerance, memory: MEMORY },
  );
  net.params.set(theta);
  const [layer] = net.toLayers(standardizer);
  return {
    kind: "linear",
    nFeatures: train.nFeatures,
    nClasses: N_CLASSES,
    weights: layer.weights,
    bias: layer.bias,
  };
}
