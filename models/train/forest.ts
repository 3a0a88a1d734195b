/**
 * Random forests and extra trees for the three classes, on the float32 bin edges of
 * ./bins.ts so a split is a count over at most 255 bins rather than a sort. A leaf
 * holds its (weighted) class frequencies divided by the number of trees, so the model's
 * average of trees is a plain sum. Deterministic for a seed. It must never use
 * `Math.random`, nor let a tree see rows outside its bootstrap draw when growing.
 *
 * Per tree:
 * 1. Random forest: a bootstrap draw of n rows with replacement (a row drawn m times
 *    weighs m); extra trees: every row once.
 * 2. Depth first from the root, a node becomes a leaf at `maxDepth`, when pure, when it
 *    has fewer than `2 * minSamplesLeaf` samples, or when no split is valid.
 * 3. Otherwise features are visited in a fresh random order until `maxFeatures` of them
 *    have been non-constant in the node (and a valid split exists, as scikit-learn
 *    does). Random forest: the best bin edge of each by the impurity decrease; extra
 *    trees: one edge drawn uniformly among the bin edges spanning the node's values.
 *    The best of those splits is taken.
 *
 * @see https://scikit-learn.org/stable/modules/ensemble.html#forests-of-randomized-trees
 */

import { N_CLASSES, type Tree, type TreeEnsembleModel } from "../model.ts";
import { Random } from "../random.ts";
import type { Samples } from "../samples.ts";
import { binFeatures, DEFAULT_MAX_BINS } from "./bins.ts";
import { TreeBuilder } from "./_tree.ts";
import { checkSamples, integerIn } from "./_tree_inputs.ts";

export type Criterion = "gini" | "entropy";

/** Options of `trainRandomForest` and `trainExtraTrees`; every field has a default. */
export interface ForestOptions {
  /** Trees in the forest; default 100. */
  readonly nTrees?: number;
  /** Impurity a split decreases; default "gini". */
  readonly criterion?: Criterion;
  /** Features searched per node: "sqrt" (default) or "log2" of the feature count, or a count. */
  readonly maxFeatures?: "sqrt" | "log2" | number;
  /**
   * Deepest leaf, the root being depth 0; default 12, which bounds a tree to 4,096
   * leaves: unbounded trees on a year of noisy rows reach ~10^5 leaves each, too large
   * to ship as ONNX.
   */
  readonly maxDepth?: number;
  /** Least samples (bootstrap copies counted) in a leaf; default 1. */
  readonly minSamplesLeaf?: number;
  /** Most bins per feature; default 255. */
  readonly maxBins?: number;
  /** Seed of every random draw; default 0. */
  readonly seed?: number;
}

export interface ForestResult {
  readonly model: TreeEnsembleModel;
  /** The model's class probabilities on the training rows (rows x nClasses), as accumulated in training. */
  readonly trainProba: Float64Array;
}

interface Settings {
  readonly nTrees: number;
  readonly criterion: Criterion;
  readonly maxFeatures: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly maxBins: number;
  readonly seed: number;
}

function settle(options: ForestOptions, nFeatures: number): Settings {
  const criterion = options.criterion ?? "gini";
  if (criterion !== "gini" && criterion !== "entropy") {
    throw new RangeError(`Option "criterion" must be "gini" or "entropy", got "${criterion}"`);
  }
  const maxFeatures = options.maxFeatures ?? "sqrt";
  return {
    nTrees: integerIn("nTrees", options.nTrees ?? 100, 1),
    criterion,
    maxFeatures: maxFeatures === "sqrt"
      ? Math.max(1, Math.floor(Math.sqrt(nFeatures)))
      : maxFeatures === "log2"
      ? Math.max(1, Math.floor(Math.log2(nFeatures)))
      : integerIn("maxFeatures", maxFeatures, 1, nFeatures),
    maxDepth: integerIn("maxDepth", options.maxDepth ?? 12, 1, 64),
    minSamplesLeaf: integerIn("minSamplesLeaf", options.minSamplesLeaf ?? 1, 1),
    maxBins: integerIn("maxBins", options.maxBins ?? DEFAULT_MAX_BINS, 2, 255),
    seed: integerIn("seed", options.seed ?? 0, 0, 0xffffffff),
  };
}

/** A node waiting to be grown: its rows `idx[start, end)`, class weights and sample count. */
interface Pending {
  readonly node: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly classWeight: Float64Array;
  readonly count: number;
}

/** How good a split is, higher better: minus the children's weighted impurity (up to a constant). */
function splitScore(
  gini: boolean,
  left: Float64Array,
  right: Float64Array,
  wl: number,
  wr: number,
): number {
  let score = 0;
  for (let k = 0; k < left.length; k++) {
    if (gini) {
      score += (left[k] * left[k]) / wl + (right[k] * right[k]) / wr;
    } else {
      if (left[k] > 0) score += left[k] * Math.log(left[k] / wl);
      if (right[k] > 0) score += right[k] * Math.log(right[k] / wr);
    }
  }
  return score;
}

/**
 * Grows one tree at a time on the binned rows. Per-bin class weights and sample counts
 * live in one histogram buffer kept all zero between features: only the bins a node's
 * rows touch are filled, listed, scanned and cleared, so small nodes cost little.
 */
class ForestGrower {
  readonly rows: number;
  readonly nFeatures: number;
  readonly edges: readonly Float32Array[];
  readonly codes: Uint8Array;
  readonly y: Uint8Array;
  readonly extra: boolean;
  readonly s: Settings;
  readonly random: Random;
  /** Copies of each row in the tree's draw (0 = out of bag). */
  readonly copies: Int32Array;
  /** Weight times copies. */
  readonly mass: Float64Array;
  readonly idx: Int32Array;
  readonly #scratch: Int32Array;
  readonly #hist: Float64Array;
  readonly #touched: Int32Array;
  readonly #order: Int32Array;
  readonly #left = new Float64Array(N_CLASSES);
  readonly #right = new Float64Array(N_CLASSES);

  constructor(
    train: Samples,
    edges: readonly Float32Array[],
    codes: Uint8Array,
    extra: boolean,
    s: Settings,
  ) {
    this.rows = train.rows;
    this.nFeatures = train.nFeatures;
    this.edges = edges;
    this.codes = codes;
    this.y = train.y;
    this.extra = extra;
    this.s = s;
    this.random = new Random(s.seed + 1);
    this.copies = new Int32Array(this.rows);
    this.mass = new Float64Array(this.rows);
    this.idx = new Int32Array(this.rows);
    this.#scratch = new Int32Array(this.rows);
    this.#hist = new Float64Array(256 * (N_CLASSES + 1));
    this.#touched = new Int32Array(256);
    this.#order = Int32Array.from({ length: this.nFeatures }, (_, j) => j);
  }

  /** Draws the tree's rows: fills `copies`, `mass` and `idx[0, n)`; returns n. */
  draw(weight: Float32Array | undefined): number {
    const { rows, copies, mass, idx } = this;
    if (this.extra) copies.fill(1);
    else {
      copies.fill(0);
      for (let i = 0; i < rows; i++) copies[this.random.int(rows)]++;
    }
    let n = 0;
    for (let r = 0; r < rows; r++) {
      mass[r] = copies[r] * (weight ? weight[r] : 1);
      if (copies[r] > 0) idx[n++] = r;
    }
    return n;
  }

  /**
   * The best split of `p` over features visited in random order, as [feature, bin],
   * or undefined when no valid split exists.
   */
  #findSplit(p: Pending): [number, number] | undefined {
    const c = N_CLASSES;
    const stride = c + 1;
    const { idx, codes, y, mass, copies, s } = this;
    const hist = this.#hist;
    const touched = this.#touched;
    const order = this.#order;
    const left = this.#left;
    const right = this.#right;
    let best = -Infinity;
    let bestFeature = -1;
    let bestBin = -1;
    let visited = 0;
    for (let t = 0; t < this.nFeatures; t++) {
      if (visited >= s.maxFeatures && bestFeature >= 0) break;
      const swap = t + this.random.int(this.nFeatures - t);
      const j = order[swap];
      order[swap] = order[t];
      order[t] = j;
      const col = j * this.rows;
      let nt = 0;
      for (let i = p.start; i < p.end; i++) {
        const r = idx[i];
        const at = codes[col + r] * stride;
        if (hist[at + c] === 0) touched[nt++] = codes[col + r];
        hist[at + y[r]] += mass[r];
        hist[at + c] += copies[r];
      }
      if (nt >= 2) {
        visited++;
        const bins = touched.subarray(0, nt).sort();
        // Extra trees: bins <= cut go left, cut uniform over the edges spanning the node.
        const cut = this.extra ? bins[0] + this.random.int(bins[nt - 1] - bins[0]) : -1;
        left.fill(0);
        let nl = 0;
        for (let b = 0; b < nt - 1; b++) {
          if (this.extra && bins[b] > cut) break;
          const at = bins[b] * stride;
          for (let k = 0; k < c; k++) left[k] += hist[at + k];
          nl += hist[at + c];
          if (this.extra && bins[b + 1] <= cut) continue;
          const nr = p.count - nl;
          if (nl < s.minSamplesLeaf || nr < s.minSamplesLeaf) continue;
          let wl = 0;
          let wr = 0;
          for (let k = 0; k < c; k++) {
            right[k] = p.classWeight[k] - left[k];
            wl += left[k];
            wr += right[k];
          }
          if (!(wl > 0 && wr > 0)) continue;
          const score = splitScore(s.criterion === "gini", left, right, wl, wr);
          if (score > best) {
            best = score;
            bestFeature = j;
            bestBin = this.extra ? cut : bins[b];
          }
        }
      }
      for (let b = 0; b < nt; b++) hist.fill(0, touched[b] * stride, touched[b] * stride + stride);
    }
    return bestFeature >= 0 ? [bestFeature, bestBin] : undefined;
  }

  /** Splits `p`'s rows stably in place; returns both children's pending records. */
  #partition(p: Pending, builder: TreeBuilder, feature: number, bin: number): [Pending, Pending] {
    const { idx, codes, y, mass, copies } = this;
    const scratch = this.#scratch;
    const col = feature * this.rows;
    const wl = new Float64Array(N_CLASSES);
    const wr = new Float64Array(N_CLASSES);
    let nl = 0;
    let nr = 0;
    let w = p.start;
    let s = 0;
    for (let i = p.start; i < p.end; i++) {
      const r = idx[i];
      if (codes[col + r] <= bin) {
        idx[w++] = r;
        wl[y[r]] += mass[r];
        nl += copies[r];
      } else {
        scratch[s++] = r;
        wr[y[r]] += mass[r];
        nr += copies[r];
      }
    }
    idx.set(scratch.subarray(0, s), w);
    const leftNode = builder.split(p.node, feature, bin, this.edges[feature][bin]);
    const depth = p.depth + 1;
    return [
      { node: leftNode, start: p.start, end: w, depth, classWeight: wl, count: nl },
      { node: leftNode + 1, start: w, end: p.end, depth, classWeight: wr, count: nr },
    ];
  }

  /**
   * Grows a tree on rows `idx[0, n)` and adds its leaf values to `scores` for every
   * training row (in the draw by its leaf, out of it by routing).
   */
  grow(n: number, scores: Float64Array): Tree {
    const c = N_CLASSES;
    const builder = new TreeBuilder(c);
    const classWeight = new Float64Array(c);
    let count = 0;
    for (let i = 0; i < n; i++) {
      classWeight[this.y[this.idx[i]]] += this.mass[this.idx[i]];
      count += this.copies[this.idx[i]];
    }
    if (!(classWeight.reduce((a, b) => a + b) > 0)) {
      throw new RangeError(
        "Cannot grow a tree: its bootstrap draw holds only rows of weight 0; give more rows weight",
      );
    }
    const stack: Pending[] = [
      { node: builder.addLeaf(), start: 0, end: n, depth: 0, classWeight, count },
    ];
    while (stack.length > 0) {
      const p = stack.pop()!;
      let classes = 0;
      let total = 0;
      for (let k = 0; k < c; k++) {
        if (p.classWeight[k] > 0) classes++;
        total += p.classWeight[k];
      }
      const split = p.depth < this.s.maxDepth && classes > 1 &&
          p.count >= 2 * this.s.minSamplesLeaf
        ? this.#findSplit(p)
        : undefined;
      if (split) {
        const [left, right] = this.#partition(p, builder, split[0], split[1]);
        stack.push(right, left);
        continue;
      }
      for (let k = 0; k < c; k++) {
        const value = Math.fround(p.classWeight[k] / total / this.s.nTrees);
        builder.leafValues[p.node * c + k] = value;
        for (let i = p.start; i < p.end; i++) scores[this.idx[i] * c + k] += value;
      }
    }
    for (let r = 0; r < this.rows; r++) {
      if (this.copies[r] > 0) continue;
      const node = builder.leafOf(this.codes, this.rows, r);
      for (let k = 0; k < c; k++) scores[r * c + k] += builder.leafValues[node * c + k];
    }
    return builder.finish();
  }
}

function trainForest(train: Samples, options: ForestOptions, extra: boolean): ForestResult {
  const c = N_CLASSES;
  checkSamples("training", train, c);
  const s = settle(options, train.nFeatures);
  const binned = binFeatures(train, { maxBins: s.maxBins, seed: s.seed });
  const grower = new ForestGrower(train, binned.edges, binned.codes, extra, s);
  const scores = new Float64Array(train.rows * c);
  const trees: Tree[] = [];
  for (let t = 0; t < s.nTrees; t++) trees.push(grower.grow(grower.draw(train.weight), scores));
  return {
    model: {
      kind: "trees",
      algorithm: extra ? "extra_trees" : "random_forest",
      nFeatures: train.nFeatures,
      nClasses: c,
      aggregate: "average",
      base: new Float32Array(c),
      trees,
    },
    trainProba: scores,
  };
}

/**
 * Trains a random forest (bootstrap draws, best bin edge per visited feature).
 *
 * @example
 * ```ts
 * const { model } = trainRandomForest(train, { nTrees: 200, minSamplesLeaf: 20 });
 * ```
 */
export function trainRandomForest(train: Samples, options: ForestOptions = {}): ForestResult {
  return trainForest(train, options, false);
}

/**
 * Trains extra trees (every row, one random bin edge per visited feature).
 *
 * @example
 * ```ts
 * const { model } = trainExtraTrees(train, { nTrees: 200, criterion: "entropy" });
 * ```
 */
export function trainExtraTrees(train: Samples, options: ForestOptions = {}): ForestResult {
  return trainForest(train, options, true);
}
