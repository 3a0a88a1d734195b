/**
 * The reference predictor: scores any model representation in TypeScript exactly as its
 * ONNX export computes it (float32 inputs and thresholds, `x <= threshold` goes left),
 * so "the trainer's own prediction" and onnxruntime's can be compared to 1e-5.
 * Row-major inputs: `x[i * nFeatures + j]`. It never allocates per row.
 */

import {
  type Calibration,
  type Combiner,
  type EnsembleModel,
  type LinearModel,
  type MemberModel,
  type MlpModel,
  type Model,
  PROBABILITY_FLOOR,
  type TreeEnsembleModel,
} from "./model.ts";

function softmaxInPlace(v: Float64Array, offset: number, n: number): void {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, v[offset + k]);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = Math.exp(v[offset + k] - max);
    v[offset + k] = e;
    sum += e;
  }
  for (let k = 0; k < n; k++) v[offset + k] /= sum;
}

function predictTrees(
  model: TreeEnsembleModel,
  x: Float32Array,
  rows: number,
  out: Float64Array,
): void {
  const { nFeatures: f, nClasses: c } = model;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < c; k++) out[i * c + k] = model.base[k];
    for (const tree of model.trees) {
      let node = 0;
      while (tree.feature[node] >= 0) {
        node = x[i * f + tree.feature[node]] <= tree.threshold[node]
          ? tree.left[node]
          : tree.right[node];
      }
      for (let k = 0; k < c; k++) out[i * c + k] += tree.leafValues[node * c + k];
    }
    if (model.aggregate === "softmax") softmaxInPlace(out, i * c, c);
  }
}

function linearScores(
  model: LinearModel,
  x: ArrayLike<number>,
  at: number,
  out: Float64Array,
  outAt: number,
): void {
  const { nFeatures: f, nClasses: c } = model;
  for (let k = 0; k < c; k++) {
    let s = model.bias[k];
    for (let j = 0; j < f; j++) s += model.weights[k * f + j] * x[at + j];
    out[outAt + k] = s;
  }
  softmaxInPlace(out, outAt, c);
}

function predictLinear(model: LinearModel, x: Float32Array, rows: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    linearScores(model, x, i * model.nFeatures, out, i * model.nClasses);
  }
}

function predictMlp(model: MlpModel, x: Float32Array, rows: number, out: Float64Array): void {
  const widest = Math.max(model.nFeatures, ...model.layers.map((l) => l.outputs));
  let a = new Float64Array(widest);
  let b = new Float64Array(widest);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < model.nFeatures; j++) a[j] = x[i * model.nFeatures + j];
    for (const layer of model.layers) {
      for (let o = 0; o < layer.outputs; o++) {
        let s = layer.bias[o];
        for (let j = 0; j < layer.inputs; j++) s += layer.weights[o * layer.inputs + j] * a[j];
        b[o] = layer.activation === "relu" && s < 0 ? 0 : s;
      }
      if (layer.activation === "softmax") softmaxInPlace(b, 0, layer.outputs);
      [a, b] = [b, a];
    }
    for (let k = 0; k < model.nClasses; k++) out[i * model.nClasses + k] = a[k];
  }
}

/** Class probabilities of one member for `rows` rows into `out` (rows x nClasses). */
export function predictMember(
  model: MemberModel,
  x: Float32Array,
  rows: number,
  out: Float64Array,
): void {
  switch (model.kind) {
    case "trees":
      return predictTrees(model, x, rows, out);
    case "linear":
      return predictLinear(model, x, rows, out);
    case "mlp":
      return predictMlp(model, x, rows, out);
  }
}

/** Combines the members' probabilities (each rows x c) into `out`, as the ONNX graph does. */
export function combine(
  combiner: Combiner,
  members: readonly Float64Array[],
  rows: number,
  c: number,
  out: Float64Array,
): void {
  if (combiner.type === "average") {
    let total = 0;
    for (const w of combiner.weights) total += w;
    for (let i = 0; i < rows * c; i++) {
      let s = 0;
      for (let m = 0; m < members.length; m++) s += combiner.weights[m] * members[m][i];
      out[i] = s / total;
    }
    return;
  }
  const stacked = new Float64Array(members.length * c);
  for (let i = 0; i < rows; i++) {
    for (let m = 0; m < members.length; m++) {
      for (let k = 0; k < c; k++) stacked[m * c + k] = members[m][i * c + k];
    }
    linearScores(combiner.meta, stacked, 0, out, i * c);
  }
}

/** The logit Platt scaling reads: of `p` clamped to [floor, 1 - floor], as the ONNX graph clips it. */
export function plattLogit(p: number): number {
  const clamped = Math.min(Math.max(p, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
  return Math.log(clamped) - Math.log(1 - clamped);
}

/** Applies calibration to probabilities in place. */
export function calibrate(
  calibration: Calibration,
  p: Float64Array,
  rows: number,
  c: number,
): void {
  if (calibration.type === "none") return;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let k = 0; k < c; k++) {
      const z = calibration.a[k] * plattLogit(p[i * c + k]) + calibration.b[k];
      p[i * c + k] = 1 / (1 + Math.exp(-z));
      sum += p[i * c + k];
    }
    for (let k = 0; k < c; k++) p[i * c + k] /= sum;
  }
}

/**
 * Probabilities of any model. For an ensemble, `memberOut` (if given) receives each
 * member's probabilities, for the agreement measure and the ONNX parity tests.
 */
export function predictProba(
  model: Model,
  x: Float32Array,
  rows: number,
  out: Float64Array,
  memberOut?: Float64Array[],
): void {
  if (model.kind !== "ensemble") return predictMember(model, x, rows, out);
  const ensemble: EnsembleModel = model;
  const c = ensemble.nClasses;
  const members = ensemble.members.map((member, m) => {
    const p = memberOut?.[m] ?? new Float64Array(rows * c);
    predictMember(member, x, rows, p);
    return p;
  });
  combine(ensemble.combiner, members, rows, c, out);
  calibrate(ensemble.calibration, out, rows, c);
}
