/**
 * Histogram gradient-boosted trees for the three classes with a softmax objective, in
 * TypeScript so the deployed binary can retrain itself. Each round fits one tree per
 * class to the Newton step of the multi-class log loss; trees grow leaf-wise (best gain
 * first) within `maxDepth` and `maxLeaves`, on the float32 bin edges of ./bins.ts, so
 * the model routes raw rows exactly as training routed bins. Deterministic for a seed.
 * It must never read the validation rows except to score them for early stopping, and
 * never use `Math.random`.
 *
 * The algorithm, per round:
 * 1. Softmax of the current scores gives each row's p_k; the gradient of class k is
 *    `w (p_k - [y = k])`, the hessian `w 2 p_k (1 - p_k)`: xgboost's `multi:softprob`
 *    factor, so `minChildWeight` and `l2` mean what xgboost's `min_child_weight` and
 *    `lambda` mean (LightGBM uses K/(K-1) instead).
 * 2. Rows are subsampled for the round, features for each tree (both seeded).
 * 3. A tree grows from a histogram of gradient and hessian sums per feature bin: the
 *    leaf with the best split gain is split next; only the smaller child's histogram is
 *    built from its rows, the larger's is the parent's minus it (subtraction trick).
 *    With the default `maxLeaves = 2 ** maxDepth` the leaf limit never binds and the
 *    tree is what depth-wise growth pruned by gain gives; a smaller `maxLeaves` makes
 *    it LightGBM's leaf-wise growth.
 * 4. A leaf holds `-learningRate G / (H + l2)` in its class slot, 0 elsewhere.
 * 5. With validation rows, the multi-class log loss after each round picks the best
 *    round; training stops `earlyStoppingRounds` rounds after it, and the model keeps
 *    the trees up to it.
 *
 * @see https://lightgbm.readthedocs.io/en/latest/Features.html (histograms, leaf-wise growth)
 * @see https://xgboost.readthedocs.io/en/stable/tutorials/model.html (the gain and leaf formulas)
 */

import { N_CLASSES, PROBABILITY_FLOOR, type Tree, type TreeEnsembleModel } from "../model.ts";
import { Random } from "../random.ts";
import { classMass, type Samples } from "../samples.ts";
import { binFeatures, DEFAULT_MAX_BINS } from "./bins.ts";
import { drawSorted, TreeBuilder } from "./_tree.ts";
import { checkSamples, integerIn, numberIn } from "./_tree_inputs.ts";

/** Options of `trainGbdt`; every field has a default. */
export interface GbdtOptions {
  /** Most boosting rounds (one tree per class each); default 300. */
  readonly nRounds?: number;
  /** Shrinkage of every leaf value, in (0, 1]; default 0.1. */
  readonly learningRate?: number;
  /** Deepest leaf, the root being depth 0; default 6. */
  readonly maxDepth?: number;
  /** Most leaves per tree; default 2 ** maxDepth, which makes growth depth-wise in effect. */
  readonly maxLeaves?: number;
  /** Least hessian sum in a child, > 0; default 1. */
  readonly minChildWeight?: number;
  /** L2 penalty (lambda) on leaf values; default 1. */
  readonly l2?: number;
  /** Least gain for a split to be made; default 0. */
  readonly minSplitGain?: number;
  /** Share of rows drawn without replacement for each round, in (0, 1]; default 1. */
  readonly rowSubsample?: number;
  /** Share of features drawn for each tree, in (0, 1]; default 1. */
  readonly colSubsample?: number;
  /** Rounds without a better validation loss before stopping; default 20. */
  readonly earlyStoppingRounds?: number;
  /** Rows scored after every round for early stopping; none trains all rounds. */
  readonly valid?: Samples;
  /** Most bins per feature; default 255. */
  readonly maxBins?: number;
  /** Seed of every random draw; default 0. */
  readonly seed?: number;
}

/** How training went, round by round; index 0 is the base score alone. */
export interface GbdtLog {
  /** Weighted mean multi-class log loss on the training rows after each round. */
  readonly trainLoss: Float64Array;
  /** The same on the validation rows, when given. */
  readonly validLoss: Float64Array | undefined;
  /** Rounds trained. */
  readonly rounds: number;
  /** Rounds kept in the model: the best validation round, or all rounds without one. */
  readonly bestRound: number;
}

export interface GbdtResult {
  readonly model: TreeEnsembleModel;
  readonly log: GbdtLog;
  /** The model's class probabilities on the training rows (rows x nClasses), as accumulated in training. */
  readonly trainProba: Float64Array;
}

interface Settings {
  readonly nRounds: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly maxLeaves: number;
  readonly minChildWeight: number;
  readonly l2: number;
  readonly minSplitGain: number;
  readonly rowSubsample: number;
  readonly colSubsample: number;
  readonly earlyStoppingRounds: number;
  readonly maxBins: number;
  readonly seed: number;
}

function settle(options: GbdtOptions): Settings {
  const maxDepth = integerIn("maxDepth", options.maxDepth ?? 6, 1, 30);
  return {
    nRounds: integerIn("nRounds", options.nRounds ?? 300, 1),
    learningRate: numberIn("learningRate", options.learningRate ?? 0.1, 0, 1),
    maxDepth,
    maxLeaves: integerIn("maxLeaves", options.maxLeaves ?? 2 ** maxDepth, 2),
    minChildWeight: numberIn("minChildWeight", options.minChildWeight ?? 1, 0, Infinity),
    l2: numberIn("l2", options.l2 ?? 1, 0, Infinity, true),
    minSplitGain: numberIn("minSplitGain", options.minSplitGain ?? 0, 0, Infinity, true),
    rowSubsample: numberIn("rowSubsample", options.rowSubsample ?? 1, 0, 1),
    colSubsample: numberIn("colSubsample", options.colSubsample ?? 1, 0, 1),
    earlyStoppingRounds: integerIn("earlyStoppingRounds", options.earlyStoppingRounds ?? 20, 1),
    maxBins: integerIn("maxBins", options.maxBins ?? DEFAULT_MAX_BINS, 2, 255),
    seed: integerIn("seed", options.seed ?? 0, 0, 0xffffffff),
  };
}

/** A leaf of the tree being grown: its rows `idx[start, end)`, sums and best split. */
interface Leaf {
  readonly node: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly g: number;
  readonly h: number;
  hist: Float64Array | null;
  gain: number;
  feature: number;
  bin: number;
  gLeft: number;
  hLeft: number;
}

function leaf(node: number, start: number, end: number, depth: number, g: number, h: number): Leaf {
  return {
    node,
    start,
    end,
    depth,
    g,
    h,
    hist: null,
    gain: -Infinity,
    feature: -1,
    bin: -1,
    gLeft: 0,
    hLeft: 0,
  };
}

/**
 * Grows one tree at a time on the binned training rows. Holds the bin codes in both
 * layouts (row-major for histograms: one gradient read per row; column-major for
 * partitions and routing), the row index being partitioned in place, and a pool of
 * histogram buffers (gradient and hessian sums interleaved, features one after another).
 */
class Grower {
  readonly rows: number;
  readonly nFeatures: number;
  readonly edges: readonly Float32Array[];
  readonly columns: Uint8Array;
  readonly rowMajor: Uint8Array;
  readonly nBins: Int32Array;
  /** First bin of each feature in a histogram. */
  readonly offset: Int32Array;
  readonly histLength: number;
  readonly idx: Int32Array;
  readonly scratch: Int32Array;
  readonly s: Settings;
  readonly #pool: Float64Array[] = [];

  constructor(edges: readonly Float32Array[], columns: Uint8Array, rows: number, s: Settings) {
    const f = edges.length;
    this.rows = rows;
    this.nFeatures = f;
    this.edges = edges;
    this.columns = columns;
    this.s = s;
    this.nBins = Int32Array.from(edges, (e) => e.length + 1);
    this.offset = new Int32Array(f);
    let bins = 0;
    for (let j = 0; j < f; j++) {
      this.offset[j] = bins;
      bins += this.nBins[j];
    }
    this.histLength = 2 * bins;
    this.rowMajor = new Uint8Array(rows * f);
    for (let j = 0; j < f; j++) {
      const col = j * rows;
      for (let i = 0; i < rows; i++) this.rowMajor[i * f + j] = columns[col + i];
    }
    this.idx = new Int32Array(rows);
    this.scratch = new Int32Array(rows);
  }

  #acquire(): Float64Array {
    return this.#pool.pop() ?? new Float64Array(this.histLength);
  }

  /**
   * Returns `leaf`'s histogram to the pool and forgets it there, so a buffer is never
   * pooled twice (two leaves sharing one would corrupt each other's sums).
   */
  #release(leaf: Leaf): void {
    if (leaf.hist) this.#pool.push(leaf.hist);
    leaf.hist = null;
  }

  /** Sums of gradient and hessian per feature bin over `idx[start, end)`. */
  #buildHistogram(hist: Float64Array, gh: Float32Array, start: number, end: number): void {
    hist.fill(0);
    const { idx, rowMajor: codes, offset, nFeatures: f } = this;
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const g = gh[2 * r];
      const h = gh[2 * r + 1];
      const at = r * f;
      for (let j = 0; j < f; j++) {
        const k = (offset[j] + codes[at + j]) << 1;
        hist[k] += g;
        hist[k + 1] += h;
      }
    }
  }

  /** Records in `leaf` its best split over `features`: gain, feature, bin and left sums. */
  #findSplit(leaf: Leaf, features: Int32Array): void {
    const hist = leaf.hist!;
    const { l2, minChildWeight } = this.s;
    const gAll = leaf.g;
    const hAll = leaf.h;
    const parent = (gAll * gAll) / (hAll + l2);
    let best = -Infinity;
    for (let fi = 0; fi < features.length; fi++) {
      const j = features[fi];
      const last = this.nBins[j] - 1;
      const o = this.offset[j] << 1;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b < last; b++) {
        gl += hist[o + 2 * b];
        hl += hist[o + 2 * b + 1];
        if (hl < minChildWeight) continue;
        const hr = hAll - hl;
        if (hr < minChildWeight) break;
        const gr = gAll - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
        if (gain > best) {
          best = gain;
          leaf.feature = j;
          leaf.bin = b;
          leaf.gLeft = gl;
          leaf.hLeft = hl;
        }
      }
    }
    leaf.gain = best / 2;
  }

  /** Stable in-place partition of the leaf's rows by its split; returns the boundary. */
  #partition(leaf: Leaf): number {
    const { idx, scratch, columns } = this;
    const col = leaf.feature * this.rows;
    const bin = leaf.bin;
    let w = leaf.start;
    let s = 0;
    for (let i = leaf.start; i < leaf.end; i++) {
      const r = idx[i];
      if (columns[col + r] <= bin) idx[w++] = r;
      else scratch[s++] = r;
    }
    idx.set(scratch.subarray(0, s), w);
    return w;
  }

  #splittable(leaf: Leaf, leaves: number): boolean {
    return leaf.depth < this.s.maxDepth && leaves < this.s.maxLeaves &&
      leaf.end - leaf.start >= 2 && leaf.h >= 2 * this.s.minChildWeight;
  }

  /**
   * Grows a tree on rows `idx[0, n)` (set by the caller) for the gradients and
   * hessians `gh` (interleaved), splitting only on `features`. Returns the builder
   * and the final leaves, whose rows are `idx[start, end)`.
   */
  grow(
    gh: Float32Array,
    n: number,
    features: Int32Array,
  ): { builder: TreeBuilder; leaves: Leaf[] } {
    const builder = new TreeBuilder(N_CLASSES);
    builder.addLeaf();
    let g = 0;
    let h = 0;
    for (let i = 0; i < n; i++) {
      g += gh[2 * this.idx[i]];
      h += gh[2 * this.idx[i] + 1];
    }
    const root = leaf(0, 0, n, 0, g, h);
    const leaves = [root];
    if (this.#splittable(root, 1)) {
      root.hist = this.#acquire();
      this.#buildHistogram(root.hist, gh, 0, n);
      this.#findSplit(root, features);
    }
    while (leaves.length < this.s.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        if (
          leaves[i].gain > this.s.minSplitGain && (pick < 0 || leaves[i].gain > leaves[pick].gain)
        ) {
          pick = i;
        }
      }
      if (pick < 0) break;
      const parent = leaves[pick];
      const mid = this.#partition(parent);
      const leftNode = builder.split(
        parent.node,
        parent.feature,
        parent.bin,
        this.edges[parent.feature][parent.bin],
      );
      const depth = parent.depth + 1;
      const left = leaf(leftNode, parent.start, mid, depth, parent.gLeft, parent.hLeft);
      const right = leaf(
        leftNode + 1,
        mid,
        parent.end,
        depth,
        parent.g - parent.gLeft,
        parent.h - parent.hLeft,
      );
      leaves.splice(pick, 1, left, right);
      const leftGrows = this.#splittable(left, leaves.length);
      const rightGrows = this.#splittable(right, leaves.length);
      if (leftGrows || rightGrows) {
        const leftSmaller = mid - parent.start <= parent.end - mid;
        const small = leftSmaller ? left : right;
        const large = leftSmaller ? right : left;
        small.hist = this.#acquire();
        this.#buildHistogram(small.hist, gh, small.start, small.end);
        large.hist = parent.hist!;
        for (let k = 0; k < this.histLength; k++) large.hist[k] -= small.hist[k];
        if (leftGrows) this.#findSplit(left, features);
        else this.#release(left);
        if (rightGrows) this.#findSplit(right, features);
        else this.#release(right);
      } else {
        this.#release(parent);
      }
      parent.hist = null;
    }
    for (const l of leaves) this.#release(l);
    return { builder, leaves };
  }
}

/** xgboost's `multi:softprob` hessian factor (src/objective/multiclass_obj.cu: `2.0f * p * (1.0f - p)`). */
const HESSIAN_FACTOR = 2;

/**
 * Softmax of `scores` row by row: fills the interleaved gradient and hessian of each
 * class and returns the weighted mean log loss.
 */
function lossAndGradients(
  scores: Float64Array,
  y: Uint8Array,
  weight: Float32Array | undefined,
  totalWeight: number,
  gh: Float32Array[],
): number {
  const c = gh.length;
  const e = new Float64Array(c);
  let loss = 0;
  for (let r = 0; r < y.length; r++) {
    const w = weight ? weight[r] : 1;
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, scores[r * c + k]);
    let sum = 0;
    for (let k = 0; k < c; k++) {
      e[k] = Math.exp(scores[r * c + k] - max);
      sum += e[k];
    }
    loss += w * (max + Math.log(sum) - scores[r * c + y[r]]);
    for (let k = 0; k < c; k++) {
      const p = e[k] / sum;
      gh[k][2 * r] = w * (y[r] === k ? p - 1 : p);
      gh[k][2 * r + 1] = w * Math.max(HESSIAN_FACTOR * p * (1 - p), 1e-16);
    }
  }
  return loss / totalWeight;
}

/** Weighted mean multi-class log loss of softmax(`scores`). */
function logLoss(
  scores: Float64Array,
  y: Uint8Array,
  weight: Float32Array | undefined,
  totalWeight: number,
  c: number,
): number {
  let loss = 0;
  for (let r = 0; r < y.length; r++) {
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, scores[r * c + k]);
    let sum = 0;
    for (let k = 0; k < c; k++) sum += Math.exp(scores[r * c + k] - max);
    loss += (weight ? weight[r] : 1) * (max + Math.log(sum) - scores[r * c + y[r]]);
  }
  return loss / totalWeight;
}

/** Softmax of `scores` row by row, computed as ../predict.ts computes it. */
function softmaxRows(scores: Float64Array, c: number): Float64Array {
  const p = new Float64Array(scores.length);
  for (let at = 0; at < scores.length; at += c) {
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, scores[at + k]);
    let sum = 0;
    for (let k = 0; k < c; k++) {
      p[at + k] = Math.exp(scores[at + k] - max);
      sum += p[at + k];
    }
    for (let k = 0; k < c; k++) p[at + k] /= sum;
  }
  return p;
}

/** Adds tree `tree`'s class-`k` values to `scores` of row-major float32 rows `x`. */
function addTree(
  tree: Tree,
  k: number,
  c: number,
  x: Float32Array,
  f: number,
  scores: Float64Array,
): void {
  const rows = scores.length / c;
  for (let i = 0; i < rows; i++) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      node = x[i * f + tree.feature[node]] <= tree.threshold[node]
        ? tree.left[node]
        : tree.right[node];
    }
    scores[i * c + k] += tree.leafValues[node * c + k];
  }
}

/** Log class priors (weighted), floored, as float32: the score before any tree. */
function logPriors(samples: Samples, totalWeight: number, c: number): Float32Array {
  return Float32Array.from(
    classMass(samples, c),
    (m) => Math.log(Math.max(m / totalWeight, PROBABILITY_FLOOR)),
  );
}

/**
 * Trains gradient-boosted trees on `train`, with early stopping on `options.valid`.
 *
 * @example
 * ```ts
 * const { model, log } = trainGbdt(train, { valid, nRounds: 500, learningRate: 0.05 });
 * console.log(`kept ${log.bestRound} of ${log.rounds} rounds`);
 * ```
 */
export function trainGbdt(train: Samples, options: GbdtOptions = {}): GbdtResult {
  const s = settle(options);
  const c = N_CLASSES;
  const trainWeight = checkSamples("training", train, c);
  const valid = options.valid;
  const validWeight = valid ? checkSamples("validation", valid, c) : 0;
  if (valid && valid.nFeatures !== train.nFeatures) {
    throw new RangeError(
      `Cannot validate on ${valid.nFeatures} features a model trained on ${train.nFeatures}`,
    );
  }
  const n = train.rows;
  const f = train.nFeatures;
  const binned = binFeatures(train, { maxBins: s.maxBins, seed: s.seed });
  const grower = new Grower(binned.edges, binned.codes, n, s);
  const random = new Random(s.seed + 1);

  const base = logPriors(train, trainWeight, c);
  const scores = new Float64Array(n * c);
  for (let i = 0; i < scores.length; i++) scores[i] = base[i % c];
  const validScores = valid ? new Float64Array(valid.rows * c) : undefined;
  if (validScores) { for (let i = 0; i < validScores.length; i++) validScores[i] = base[i % c]; }
  const gh = Array.from({ length: c }, () => new Float32Array(2 * n));

  const trainLoss = [lossAndGradients(scores, train.y, train.weight, trainWeight, gh)];
  const validLoss = valid ? [logLoss(validScores!, valid.y, valid.weight, validWeight, c)] : [];
  let bestRound = 0;
  const bestScores = valid ? scores.slice() : scores;

  const sampleSize = Math.max(1, Math.round(s.rowSubsample * n));
  const featureCount = Math.max(1, Math.round(s.colSubsample * f));
  const allRows = Int32Array.from({ length: n }, (_, i) => i);
  const allFeatures = Int32Array.from({ length: f }, (_, j) => j);
  const inBag = new Uint8Array(n);
  const trees: Tree[] = [];

  for (let round = 1; round <= s.nRounds; round++) {
    const sample = sampleSize === n ? allRows : drawSorted(n, sampleSize, random);
    if (sample !== allRows) {
      inBag.fill(0);
      for (let i = 0; i < sample.length; i++) inBag[sample[i]] = 1;
    }
    for (let k = 0; k < c; k++) {
      const features = featureCount === f ? allFeatures : drawSorted(f, featureCount, random);
      grower.idx.set(sample);
      const { builder, leaves } = grower.grow(gh[k], sample.length, features);
      for (const l of leaves) {
        const value = Math.fround(-s.learningRate * l.g / (l.h + s.l2));
        builder.leafValues[l.node * c + k] = value;
        for (let i = l.start; i < l.end; i++) scores[grower.idx[i] * c + k] += value;
      }
      if (sample !== allRows) {
        for (let r = 0; r < n; r++) {
          if (inBag[r]) continue;
          scores[r * c + k] += builder.leafValues[builder.leafOf(binned.codes, n, r) * c + k];
        }
      }
      const tree = builder.finish();
      trees.push(tree);
      if (valid) addTree(tree, k, c, valid.x, f, validScores!);
    }
    trainLoss.push(lossAndGradients(scores, train.y, train.weight, trainWeight, gh));
    if (!valid) continue;
    validLoss.push(logLoss(validScores!, valid.y, valid.weight, validWeight, c));
    if (validLoss[round] < validLoss[bestRound]) {
      bestRound = round;
      bestScores.set(scores);
    } else if (round - bestRound >= s.earlyStoppingRounds) {
      break;
    }
  }

  const rounds = trainLoss.length - 1;
  if (!valid) bestRound = rounds;
  return {
    model: {
      kind: "trees",
      algorithm: "gbdt",
      nFeatures: f,
      nClasses: c,
      aggregate: "softmax",
      base,
      trees: trees.slice(0, bestRound * c),
    },
    log: {
      trainLoss: Float64Array.from(trainLoss),
      validLoss: valid ? Float64Array.from(validLoss) : undefined,
      rounds,
      bestRound,
    },
    trainProba: softmaxRows(bestScores, c),
  };
}
