import assert from "node:assert/strict";
import type { Tree, TreeEnsembleModel } from "@/models/model.ts";
import { predictProba } from "@/models/predict.ts";
import { Random } from "@/models/random.ts";
import type { Samples } from "@/models/samples.ts";
import { fitBinEdges } from "@/models/train/bins.ts";
import {
  type ForestOptions,
  type ForestResult,
  trainExtraTrees,
  trainRandomForest,
} from "@/models/train/forest.ts";
import { treeProblems } from "@/models/train/_tree.ts";

/**
 * Synthetic unit-test inputs, not market data: seeded standard normal features, the
 * class either set by feature 0 (thirds: below -0.43 down, above 0.43 up) or drawn
 * independently of every feature with priors 0.3 / 0.4 / 0.3 (pure noise).
 */
function synthetic(rows: number, nFeatures: number, seed: number, noise = false): Samples {
  const random = new Random(seed);
  const x = Float32Array.from({ length: rows * nFeatures }, () => random.normal());
  const y = Uint8Array.from({ length: rows }, (_, i) => {
    if (noise) {
      const u = random.next();
      return u < 0.3 ? 0 : u < 0.7 ? 1 : 2;
    }
    const v = x[i * nFeatures];
    return v < -0.43 ? 0 : v > 0.43 ? 2 : 1;
  });
  return { rows, nFeatures, x, y };
}

const NOISE_PRIOR_LOSS = -(0.6 * Math.log(0.3) + 0.4 * Math.log(0.4));

const TRAINERS: [string, (train: Samples, options?: ForestOptions) => ForestResult][] = [
  ["trainRandomForest()", trainRandomForest],
  ["trainExtraTrees()", trainExtraTrees],
];

function probabilities(model: TreeEnsembleModel, samples: Samples): Float64Array {
  const p = new Float64Array(samples.rows * model.nClasses);
  predictProba(model, samples.x, samples.rows, p);
  return p;
}

function scores(p: Float64Array, samples: Samples): { logLoss: number; accuracy: number } {
  let loss = 0;
  let right = 0;
  for (let i = 0; i < samples.rows; i++) {
    loss -= Math.log(Math.max(p[i * 3 + samples.y[i]], 1e-7));
    let best = 0;
    for (let k = 1; k < 3; k++) if (p[i * 3 + k] > p[i * 3 + best]) best = k;
    if (best === samples.y[i]) right++;
  }
  return { logLoss: loss / samples.rows, accuracy: right / samples.rows };
}

function modelBytes(model: TreeEnsembleModel): Uint8Array[] {
  const arrays = [model.base, ...model.trees.flatMap((t) => Object.values(t))];
  return arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function leafOf(tree: Tree, samples: Samples, i: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = samples.x[i * samples.nFeatures + tree.feature[node]] <= tree.threshold[node]
      ? tree.left[node]
      : tree.right[node];
  }
  return node;
}

function depth(tree: Tree, node = 0): number {
  return tree.feature[node] < 0
    ? 0
    : 1 + Math.max(depth(tree, tree.left[node]), depth(tree, tree.right[node]));
}

const determined = synthetic(2_000, 6, 1);
const noise = synthetic(2_000, 6, 3, true);

for (const [name, train] of TRAINERS) {
  Deno.test(`${name} learns a class one feature determines`, async (t) => {
    const heldOut = synthetic(1_000, 6, 5);
    for (const criterion of ["gini", "entropy"] as const) {
      await t.step(criterion, () => {
        const { model } = train(determined, { nTrees: 30, criterion });
        const { logLoss, accuracy } = scores(probabilities(model, heldOut), heldOut);
        assert.ok(accuracy > 0.95, `held-out accuracy ${accuracy}`);
        assert.ok(logLoss < 0.5, `held-out log loss ${logLoss}`);
      });
    }
  });

  Deno.test(`${name} on pure noise features with large leaves stays near the prior log loss`, () => {
    const { model } = train(noise, { nTrees: 30, minSamplesLeaf: 100, maxDepth: 4 });
    const heldOut = synthetic(3_000, 6, 6, true);
    const { logLoss } = scores(probabilities(model, heldOut), heldOut);
    assert.ok(Math.abs(logLoss - NOISE_PRIOR_LOSS) < 0.03, `${logLoss} vs ${NOISE_PRIOR_LOSS}`);
  });

  Deno.test(`${name} gives identical model bytes for a seed and others for another seed`, () => {
    const a = train(noise, { nTrees: 5, seed: 1 }).model;
    assert.deepEqual(modelBytes(train(noise, { nTrees: 5, seed: 1 }).model), modelBytes(a));
    assert.notDeepEqual(modelBytes(train(noise, { nTrees: 5, seed: 2 }).model), modelBytes(a));
  });

  Deno.test(`${name} model scored by predictProba() equals its training accumulation`, () => {
    const weight = Float32Array.from({ length: noise.rows }, (_, i) => 1 + (i % 4));
    const { model, trainProba } = train({ ...noise, weight }, { nTrees: 10 });
    const p = probabilities(model, noise);
    for (let i = 0; i < p.length; i++) {
      assert.ok(Math.abs(p[i] - trainProba[i]) <= 1e-6, `entry ${i}: ${p[i]} vs ${trainProba[i]}`);
    }
  });

  Deno.test(`${name} trees are well-formed, on bin-edge thresholds, with leaves summing to 1/nTrees`, () => {
    const seed = 4;
    const nTrees = 7;
    const { model } = train(determined, { nTrees, maxDepth: 5, seed });
    const edges = fitBinEdges(determined, { seed }).map((e) => new Set(e));
    assert.equal(model.trees.length, nTrees);
    assert.deepEqual([...model.base], [0, 0, 0]);
    model.trees.forEach((tree, t) => {
      assert.deepEqual(treeProblems(tree, 6, 3), []);
      assert.ok(depth(tree) <= 5, `tree ${t} is ${depth(tree)} deep`);
      for (let n = 0; n < tree.feature.length; n++) {
        const f = tree.feature[n];
        if (f >= 0) {
          assert.ok(edges[f].has(tree.threshold[n]), `tree ${t} node ${n}`);
          continue;
        }
        const values = [...tree.leafValues.subarray(n * 3, n * 3 + 3)];
        assert.ok(values.every((v) => v >= 0));
        const sum = values.reduce((a, b) => a + b);
        assert.ok(Math.abs(sum - 1 / nTrees) < 1e-6, `tree ${t} leaf ${n} sums to ${sum}`);
      }
    });
  });

  Deno.test(`${name} refuses bad options with a RangeError`, async (t) => {
    const cases: [string, ForestOptions][] = [
      ["nTrees 0", { nTrees: 0 }],
      ["criterion mse", { criterion: "mse" as "gini" }],
      ["maxFeatures 0", { maxFeatures: 0 }],
      ["maxFeatures above the feature count", { maxFeatures: 7 }],
      ["minSamplesLeaf 0", { minSamplesLeaf: 0 }],
      ["maxDepth 0", { maxDepth: 0 }],
    ];
    for (const [what, options] of cases) {
      await t.step(what, () => assert.throws(() => train(noise, options), RangeError));
    }
  });
}

Deno.test("trainExtraTrees() grows each tree on every row once, leaves at least minSamplesLeaf", () => {
  const nTrees = 4;
  const { model } = trainExtraTrees(noise, { nTrees, minSamplesLeaf: 25 });
  const classes = [0, 0, 0];
  for (const c of noise.y) classes[c]++;
  for (const tree of model.trees) {
    const rows = new Map<number, number>();
    const mass = [0, 0, 0];
    for (let i = 0; i < noise.rows; i++) {
      const leaf = leafOf(tree, noise, i);
      rows.set(leaf, (rows.get(leaf) ?? 0) + 1);
      for (let k = 0; k < 3; k++) mass[k] += tree.leafValues[leaf * 3 + k] * nTrees;
    }
    for (const count of rows.values()) assert.ok(count >= 25, `a leaf holds ${count} rows`);
    // Leaf frequencies times leaf rows give back the class counts only if every row is in.
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(mass[k] - classes[k]) < 1e-2);
  }
});

Deno.test("trainRandomForest() grows each tree on a bootstrap draw, not every row once", () => {
  const { model } = trainRandomForest(noise, { nTrees: 1, maxDepth: 1 });
  const classes = [0, 0, 0];
  for (const c of noise.y) classes[c]++;
  const mass = [0, 0, 0];
  for (let i = 0; i < noise.rows; i++) {
    const leaf = leafOf(model.trees[0], noise, i);
    for (let k = 0; k < 3; k++) mass[k] += model.trees[0].leafValues[leaf * 3 + k];
  }
  assert.ok(mass.some((m, k) => Math.abs(m - classes[k]) > 1));
});

Deno.test("trainRandomForest() searches maxFeatures features per node", async (t) => {
  const rootFeatures = (maxFeatures: ForestOptions["maxFeatures"]) =>
    new Set(
      trainRandomForest(determined, { nTrees: 20, maxFeatures }).model.trees.map((tree) =>
        tree.feature[0]
      ),
    );
  await t.step("all six: every root splits on the feature that sets the class", () => {
    assert.deepEqual(rootFeatures(6), new Set([0]));
  });
  await t.step("log2 (two of six): some roots miss it", () => {
    assert.ok(rootFeatures("log2").size > 1);
  });
});
