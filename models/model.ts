/**
 * The model representations every trainer produces, the ONNX exporter writes and the
 * reference predictor (`predict.ts`) scores. Plain typed arrays, float32 where ONNX
 * stores float32, so a model's own prediction and onnxruntime's agree to 1e-5.
 *
 * Classes are always, in this order: 0 = down, 1 = flat, 2 = up. Inputs are float32
 * feature rows in the order of the feature spec the model was trained with.
 * This module holds data shapes only; it must never train or predict.
 */

export const CLASSES = ["down", "flat", "up"] as const;
export type ClassName = typeof CLASSES[number];
export const N_CLASSES = CLASSES.length;

/**
 * One decision tree in flat arrays; node 0 is the root. An internal node has
 * `feature[n] >= 0` and sends a row left when `x[feature] <= threshold` (both float32),
 * else right. A leaf has `feature[n] === -1` and contributes
 * `leafValues[n * nClasses + k]` to class k.
 */
export interface Tree {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly leafValues: Float32Array;
}

/**
 * Gradient-boosted trees (`aggregate: "softmax"`: class scores are `base` plus the sum
 * of leaf values, then softmax) or a forest (`aggregate: "average"`: leaf values are
 * class probabilities already divided by the number of trees, so they sum).
 */
export interface TreeEnsembleModel {
  readonly kind: "trees";
  readonly algorithm: "gbdt" | "random_forest" | "extra_trees";
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly aggregate: "softmax" | "average";
  readonly base: Float32Array;
  readonly trees: readonly Tree[];
}

/**
 * Multinomial logistic regression: `softmax(W x + b)`, W is nClasses x nFeatures row-major.
 * Any input standardisation is folded into W and b, so the model takes raw features.
 */
export interface LinearModel {
  readonly kind: "linear";
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** A dense layer: `act(W x + b)`, W is outputs x inputs row-major. */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly activation: "relu" | "softmax";
}

/** A small multilayer perceptron; the last layer is softmax over the classes. */
export interface MlpModel {
  readonly kind: "mlp";
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly layers: readonly DenseLayer[];
}

export type MemberModel = TreeEnsembleModel | LinearModel | MlpModel;

/**
 * How member probabilities become one: a weighted average (soft voting, performance
 * weighting and bagging are all this, with different weights), or stacking, where a
 * linear model reads the members' probabilities concatenated (member 0's classes first).
 */
export type Combiner =
  | { readonly type: "average"; readonly weights: Float32Array }
  | { readonly type: "stacking"; readonly meta: LinearModel };

/**
 * How far from 0 and 1 a probability is clamped before its logit is taken, so a certain
 * member never yields an infinite logit.
 */
export const PROBABILITY_FLOOR = 1e-7;

/**
 * Probability calibration fit out of fold: Platt scaling per class on the logit,
 * `q_k = sigmoid(a_k * logit(p_k) + b_k)` with `p_k` clamped to
 * `[PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]`, then renormalised to sum to 1. On
 * already calibrated probabilities the fit is the identity (a = 1, b = 0).
 */
export type Calibration =
  | { readonly type: "none" }
  | { readonly type: "platt"; readonly a: Float32Array; readonly b: Float32Array };

export interface EnsembleModel {
  readonly kind: "ensemble";
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly members: readonly MemberModel[];
  readonly combiner: Combiner;
  readonly calibration: Calibration;
}

export type Model = MemberModel | EnsembleModel;
