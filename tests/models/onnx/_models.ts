/**
 * Seeded random models of every kind, shaped like the trainers' output, for the ONNX
 * parity tests and the benchmark until trained models exist. Tree thresholds are drawn
 * from the rows' own float32 values, so `x == threshold` really happens and the `<=`
 * edge is exercised. Linear and first MLP layers have standardisation folded in, as a
 * trainer folds it. These are test inputs only: never a model anyone trades on.
 */

import type {
  EnsembleModel,
  LinearModel,
  MemberModel,
  MlpModel,
  Tree,
  TreeEnsembleModel,
} from "@/models/model.ts";
import { N_CLASSES } from "@/models/model.ts";
import { Random } from "@/models/random.ts";

/** Rows to draw thresholds and scales from: rows x nFeatures, row-major. */
export interface Rows {
  readonly x: Float32Array;
  readonly rows: number;
  readonly nFeatures: number;
}

const C = N_CLASSES;

/**
 * A random tree of at most `depth` levels of splits (2^(depth+1) - 1 nodes when full);
 * below the second level a node becomes a leaf early with probability 0.1.
 */
export function randomTree(
  random: Random,
  rows: Rows,
  depth: number,
  leafValues: (random: Random) => readonly number[],
): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const values: number[] = [];
  const grow = (level: number): number => {
    const n = feature.length;
    const leaf = level === depth || (level >= 2 && random.next() < 0.1);
    if (leaf) {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      values.push(...leafValues(random));
      return n;
    }
    const f = random.int(rows.nFeatures);
    feature.push(f);
    threshold.push(rows.x[random.int(rows.rows) * rows.nFeatures + f]);
    left.push(-1);
    right.push(-1);
    values.push(...new Array(C).fill(0));
    left[n] = grow(level + 1);
    right[n] = grow(level + 1);
    return n;
  };
  grow(0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leafValues: Float32Array.from(values),
  };
}

/** Boosting-shaped: `nTrees` trees of small leaf values over a small base, softmax. */
export function randomGbdt(seed: number, rows: Rows, nTrees = 300, depth = 6): TreeEnsembleModel {
  const random = new Random(seed);
  const leaf = (r: Random) => Array.from({ length: C }, () => 0.05 * r.normal());
  return {
    kind: "trees",
    algorithm: "gbdt",
    nFeatures: rows.nFeatures,
    nClasses: C,
    aggregate: "softmax",
    base: Float32Array.from({ length: C }, () => 0.1 * random.normal()),
    trees: Array.from({ length: nTrees }, () => randomTree(random, rows, depth, leaf)),
  };
}

/** Forest-shaped: leaves are class distributions divided by the number of trees. */
export function randomForest(seed: number, rows: Rows, nTrees = 100, depth = 6): TreeEnsembleModel {
  const random = new Random(seed);
  const leaf = (r: Random) => {
    const u = Array.from({ length: C }, () => -Math.log(1 - r.next()));
    const sum = u.reduce((a, b) => a + b, 0);
    return u.map((v) => v / sum / nTrees);
  };
  return {
    kind: "trees",
    algorithm: "random_forest",
    nFeatures: rows.nFeatures,
    nClasses: C,
    aggregate: "average",
    base: new Float32Array(C),
    trees: Array.from({ length: nTrees }, () => randomTree(random, rows, depth, leaf)),
  };
}

/** Each feature's mean and standard deviation (1 where constant). */
export function featureStats(rows: Rows): { mean: Float64Array; std: Float64Array } {
  const { x, rows: n, nFeatures: f } = rows;
  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * f + j] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) std[j] += (x[i * f + j] - mean[j]) ** 2 / n;
  }
  for (let j = 0; j < f; j++) std[j] = std[j] > 0 ? Math.sqrt(std[j]) : 1;
  return { mean, std };
}

/**
 * A dense layer `outputs x inputs` with weights `scale * normal`; with `stats`, the
 * layer reads raw features and standardises them through its weights and bias.
 */
function randomDense(
  random: Random,
  inputs: number,
  outputs: number,
  scale: number,
  stats?: { mean: Float64Array; std: Float64Array },
): { weights: Float32Array; bias: Float32Array } {
  const weights = new Float32Array(outputs * inputs);
  const bias = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let b = 0.1 * random.normal();
    for (let j = 0; j < inputs; j++) {
      const w = scale * random.normal() / (stats ? stats.std[j] : 1);
      weights[o * inputs + j] = w;
      if (stats) b -= w * stats.mean[j];
    }
    bias[o] = b;
  }
  return { weights, bias };
}

/** Multinomial logistic regression over standardised features. */
export function randomLinear(seed: number, rows: Rows): LinearModel {
  const random = new Random(seed);
  const f = rows.nFeatures;
  return {
    kind: "linear",
    nFeatures: f,
    nClasses: C,
    ...randomDense(random, f, C, 0.3, featureStats(rows)),
  };
}

/** An MLP `nFeatures -> hidden... -> 3` with He-scaled weights, relu then softmax. */
export function randomMlp(
  seed: number,
  rows: Rows,
  hidden: readonly number[] = [32, 16],
): MlpModel {
  const random = new Random(seed);
  const stats = featureStats(rows);
  const widths = [rows.nFeatures, ...hidden, C];
  const layers = widths.slice(1).map((outputs, l) => ({
    inputs: widths[l],
    outputs,
    activation: l === hidden.length ? "softmax" as const : "relu" as const,
    ...randomDense(
      random,
      widths[l],
      outputs,
      Math.sqrt(2 / widths[l]),
      l === 0 ? stats : undefined,
    ),
  }));
  return { kind: "mlp", nFeatures: rows.nFeatures, nClasses: C, layers };
}

/** The four member kinds: GBDT, forest, linear, MLP. */
export function randomMembers(seed: number, rows: Rows, nTrees = 300): MemberModel[] {
  return [
    randomGbdt(seed, rows, nTrees),
    randomForest(seed + 1, rows, Math.max(1, nTrees / 3)),
    randomLinear(seed + 2, rows),
    randomMlp(seed + 3, rows),
  ];
}

export interface RandomEnsembleOptions {
  readonly combiner: "average" | "stacking";
  readonly platt: boolean;
  /** GBDT trees (the forest gets a third as many); 300 unless given. */
  readonly nTrees?: number;
}

/** An ensemble of `randomMembers`, averaged or stacked, with or without Platt scaling. */
export function randomEnsemble(
  seed: number,
  rows: Rows,
  options: RandomEnsembleOptions,
): EnsembleModel {
  const random = new Random(seed + 100);
  const members = randomMembers(seed, rows, options.nTrees);
  const m = members.length;
  return {
    kind: "ensemble",
    nFeatures: rows.nFeatures,
    nClasses: C,
    members,
    combiner: options.combiner === "average"
      ? { type: "average", weights: Float32Array.from({ length: m }, () => 0.5 + random.next()) }
      : {
        type: "stacking",
        meta: {
          kind: "linear",
          nFeatures: m * C,
          nClasses: C,
          ...randomDense(random, m * C, C, 2),
        },
      },
    calibration: options.platt
      ? {
        type: "platt",
        a: Float32Array.from({ length: C }, () => 0.7 + 0.6 * random.next()),
        b: Float32Array.from({ length: C }, () => 0.3 * random.normal()),
      }
      : { type: "none" },
  };
}

/**
 * Seeded synthetic rows whose values sit on a coarse grid, so trees meet ties too; for
 * the parity checks that must run without the real data.
 */
export function gridRows(seed: number, rows: number, nFeatures: number): Rows {
  const random = new Random(seed);
  const x = new Float32Array(rows * nFeatures);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(random.normal() * 8) / 4;
  return { x, rows, nFeatures };
}
