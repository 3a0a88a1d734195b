/**
 * A tree under construction for the tree trainers: growable flat node arrays in the
 * `Tree` layout of ../model.ts, plus each split's bin so training rows are routed by
 * their bin codes exactly as raw float32 rows are routed by the thresholds. Also the
 * seeded row draw the trainers share and the structural check every finished tree must
 * pass. It never chooses a split.
 */

import type { Tree } from "../model.ts";
import type { Random } from "../random.ts";

/** `take` of `0 .. n - 1` drawn without replacement, ascending (selection sampling). */
export function drawSorted(n: number, take: number, random: Random): Int32Array {
  const out = new Int32Array(take);
  let needed = take;
  for (let i = 0, m = 0; needed > 0; i++) {
    if (random.next() * (n - i) < needed) {
      out[m++] = i;
      needed--;
    }
  }
  return out;
}

export class TreeBuilder {
  readonly nClasses: number;
  size = 0;
  feature: Int32Array;
  /** The split bin of an internal node: codes `<= bin` go left. */
  bin: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  leafValues: Float32Array;

  constructor(nClasses: number, capacity = 64) {
    this.nClasses = nClasses;
    this.feature = new Int32Array(capacity);
    this.bin = new Int32Array(capacity);
    this.threshold = new Float32Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.leafValues = new Float32Array(capacity * nClasses);
  }

  #grow(): void {
    const grown = <T extends Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    const ints = (n: number) => new Int32Array(n);
    const floats = (n: number) => new Float32Array(n);
    this.feature = grown(this.feature, ints);
    this.bin = grown(this.bin, ints);
    this.threshold = grown(this.threshold, floats);
    this.left = grown(this.left, ints);
    this.right = grown(this.right, ints);
    this.leafValues = grown(this.leafValues, floats);
  }

  /** Appends a leaf (all values 0) and returns its id. */
  addLeaf(): number {
    if (this.size === this.feature.length) this.#grow();
    const n = this.size++;
    this.feature[n] = -1;
    this.left[n] = -1;
    this.right[n] = -1;
    return n;
  }

  /**
   * Turns leaf `node` into a split sending codes `<= bin` (values `<= threshold`) left;
   * returns the new left child's id, the right child's being one more.
   */
  split(node: number, feature: number, bin: number, threshold: number): number {
    const left = this.addLeaf();
    const right = this.addLeaf();
    this.feature[node] = feature;
    this.bin[node] = bin;
    this.threshold[node] = threshold;
    this.left[node] = left;
    this.right[node] = right;
    return left;
  }

  /** The leaf row `r` reaches, routed by column-major bin codes of `rows` rows. */
  leafOf(codes: Uint8Array, rows: number, r: number): number {
    let node = 0;
    while (this.feature[node] >= 0) {
      node = codes[this.feature[node] * rows + r] <= this.bin[node]
        ? this.left[node]
        : this.right[node];
    }
    return node;
  }

  /** The finished tree, trimmed to its nodes. */
  finish(): Tree {
    const n = this.size;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      leafValues: this.leafValues.slice(0, n * this.nClasses),
    };
  }
}

/**
 * What is structurally wrong with `tree`, empty when nothing: array lengths, children
 * placed after their parent and reached exactly once from the root, leaves marked -1,
 * features in range, thresholds and leaf values finite.
 */
export function treeProblems(tree: Tree, nFeatures: number, nClasses: number): string[] {
  const n = tree.feature.length;
  const problems: string[] = [];
  if (n === 0) return ["the tree has no nodes"];
  for (
    const [name, a] of [["threshold", tree.threshold], ["left", tree.left], [
      "right",
      tree.right,
    ]] as const
  ) {
    if (a.length !== n) problems.push(`${name} has ${a.length} entries for ${n} nodes`);
  }
  if (tree.leafValues.length !== n * nClasses) {
    problems.push(`leafValues has ${tree.leafValues.length} entries, not ${n} x ${nClasses}`);
  }
  if (problems.length > 0) return problems;
  const reached = new Uint8Array(n);
  reached[0] = 1;
  for (let node = 0; node < n; node++) {
    const f = tree.feature[node];
    if (f === -1) {
      if (tree.left[node] !== -1 || tree.right[node] !== -1) {
        problems.push(`leaf ${node} has children`);
      }
      for (let k = 0; k < nClasses; k++) {
        if (!Number.isFinite(tree.leafValues[node * nClasses + k])) {
          problems.push(`leaf ${node} has a non-finite value for class ${k}`);
        }
      }
      continue;
    }
    if (!Number.isInteger(f) || f < 0 || f >= nFeatures) {
      problems.push(`node ${node} splits on feature ${f} of ${nFeatures}`);
    }
    if (!Number.isFinite(tree.threshold[node])) {
      problems.push(`node ${node} has threshold ${tree.threshold[node]}`);
    }
    for (const child of [tree.left[node], tree.right[node]]) {
      if (child <= node || child >= n) problems.push(`node ${node} has child ${child}`);
      else if (reached[child]++ > 0) problems.push(`node ${child} has two parents`);
    }
  }
  for (let node = 0; node < n; node++) {
    if (!reached[node]) problems.push(`node ${node} is unreachable`);
  }
  return problems;
}
