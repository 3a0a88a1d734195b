import assert from "node:assert/strict";
import type { Tree, TreeEnsembleModel } from "@/models/model.ts";
import { predictProba } from "@/models/predict.ts";
import { Random } from "@/models/random.ts";
import type { Samples } from "@/models/samples.ts";
import { fitBinEdges } from "@/models/train/bins.ts";
import { type GbdtOptions, trainGbdt } from "@/models/train/gbdt.ts";
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

function probabilities(model: TreeEnsembleModel, samples: Samples): Float64Array {
  const p = new Float64Array(samples.rows * model.nClasses);
  predictProba(model, samples.x, samples.rows, p);
  return p;
}

function logLoss(p: Float64Array, samples: Samples): number {
  let loss = 0;
  for (let i = 0; i < samples.rows; i++) loss -= Math.log(p[i * 3 + samples.y[i]]);
  return loss / samples.rows;
}

function modelBytes(model: TreeEnsembleModel): Uint8Array[] {
  const arrays = [model.base, ...model.trees.flatMap((t) => Object.values(t))];
  return arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function depthAndLeaves(tree: Tree): { depth: number; leaves: number } {
  let depth = 0;
  let leaves = 0;
  const walk = (node: number, d: number): void => {
    if (tree.feature[node] < 0) {
      leaves++;
      depth = Math.max(depth, d);
      return;
    }
    walk(tree.left[node], d + 1);
    walk(tree.right[node], d + 1);
  };
  walk(0, 0);
  return { depth, leaves };
}

const determined = synthetic(2_000, 6, 1);
const determinedValid = synthetic(1_000, 6, 2);
const noise = synthetic(3_000, 6, 3, true);
const noiseValid = synthetic(1_000, 6, 4, true);

Deno.test("trainGbdt() learns a class one feature determines to near-zero held-out log loss", () => {
  const { model, log } = trainGbdt(determined, {
    valid: determinedValid,
    nRounds: 150,
    learningRate: 0.3,
  });
  const heldOut = synthetic(1_000, 6, 5);
  assert.ok(log.trainLoss[log.bestRound] < 0.01, `train loss ${log.trainLoss[log.bestRound]}`);
  assert.ok(logLoss(probabilities(model, heldOut), heldOut) < 0.05);
});

Deno.test("trainGbdt() on pure noise features keeps held-out log loss near the prior's", () => {
  const { model, log } = trainGbdt(noise, { valid: noiseValid, nRounds: 200 });
  const heldOut = synthetic(3_000, 6, 6, true);
  const loss = logLoss(probabilities(model, heldOut), heldOut);
  assert.ok(log.bestRound < 20, `kept ${log.bestRound} rounds of noise`);
  assert.ok(Math.abs(loss - NOISE_PRIOR_LOSS) < 0.02, `held-out ${loss} vs ${NOISE_PRIOR_LOSS}`);
});

Deno.test("trainGbdt() stops early and keeps the trees up to the best validation round", () => {
  const { model, log } = trainGbdt(noise, {
    valid: noiseValid,
    nRounds: 300,
    earlyStoppingRounds: 7,
  });
  assert.ok(log.rounds < 300);
  assert.equal(log.rounds - log.bestRound, 7);
  assert.equal(model.trees.length, 3 * log.bestRound);
  assert.equal(log.trainLoss.length, log.rounds + 1);
  assert.equal(log.validLoss!.length, log.rounds + 1);
  assert.equal(Math.min(...log.validLoss!), log.validLoss![log.bestRound]);
});

Deno.test("trainGbdt() without validation trains every round and keeps them all", () => {
  const { model, log } = trainGbdt(determined, { nRounds: 12 });
  assert.equal(log.rounds, 12);
  assert.equal(log.bestRound, 12);
  assert.equal(log.validLoss, undefined);
  assert.equal(model.trees.length, 36);
  for (let r = 1; r <= 12; r++) assert.ok(log.trainLoss[r] < log.trainLoss[r - 1]);
});

Deno.test("trainGbdt() gives identical model bytes for a seed and others for another seed", async (t) => {
  const train = (options: GbdtOptions) => trainGbdt(noise, { nRounds: 8, ...options }).model;
  for (
    const [name, options] of [
      ["rowSubsample", { rowSubsample: 0.6 }],
      ["colSubsample", { colSubsample: 0.5 }],
      ["both", { rowSubsample: 0.8, colSubsample: 0.8 }],
    ] as const
  ) {
    await t.step(name, () => {
      const a = train({ ...options, seed: 1 });
      assert.deepEqual(modelBytes(train({ ...options, seed: 1 })), modelBytes(a));
      assert.notDeepEqual(modelBytes(train({ ...options, seed: 2 })), modelBytes(a));
    });
  }
  await t.step("no subsampling draws nothing, so the seed does not matter", () => {
    assert.deepEqual(modelBytes(train({ seed: 1 })), modelBytes(train({ seed: 2 })));
  });
});

Deno.test("trainGbdt() model scored by predictProba() equals its training accumulation", async (t) => {
  for (
    const [name, options] of [
      ["all rows", { nRounds: 20 }],
      ["subsampled rows (out-of-sample rows routed by bins)", { nRounds: 20, rowSubsample: 0.5 }],
      ["early stopping", { valid: noiseValid, rowSubsample: 0.7, colSubsample: 0.7 }],
    ] as const
  ) {
    await t.step(name, () => {
      const train = name === "early stopping" ? noise : determined;
      const { model, log, trainProba } = trainGbdt(train, options);
      const p = probabilities(model, train);
      for (let i = 0; i < p.length; i++) {
        assert.ok(
          Math.abs(p[i] - trainProba[i]) <= 1e-6,
          `entry ${i}: ${p[i]} vs ${trainProba[i]}`,
        );
      }
      assert.ok(Math.abs(logLoss(p, train) - log.trainLoss[log.bestRound]) <= 1e-6);
    });
  }
});

Deno.test("trainGbdt() first-round leaves hold -learningRate G / (H + l2) of the rows they reach", () => {
  // Round 1 starts every row at the class priors q_k = n_k / n, so a leaf reached by m rows,
  // m_k of them of class k, has G = m q_k - m_k and H = m 2 q_k (1 - q_k) (xgboost's hessian).
  // Depth 6 with minChildWeight 5 stops some children beside splittable siblings: the
  // case where a pooled histogram once served two leaves and later trees got wrong sums.
  const learningRate = 0.3;
  const l2 = 2;
  const { model } = trainGbdt(noise, {
    nRounds: 1,
    maxDepth: 6,
    minChildWeight: 5,
    learningRate,
    l2,
  });
  const n = noise.rows;
  const q = [0, 1, 2].map((k) => noise.y.filter((c) => c === k).length / n);
  model.trees.forEach((tree, k) => {
    const reached = new Map<number, { m: number; mk: number }>();
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (tree.feature[node] >= 0) {
        node = noise.x[i * 6 + tree.feature[node]] <= tree.threshold[node]
          ? tree.left[node]
          : tree.right[node];
      }
      const counts = reached.get(node) ?? { m: 0, mk: 0 };
      counts.m++;
      if (noise.y[i] === k) counts.mk++;
      reached.set(node, counts);
    }
    assert.ok(reached.size > 8, `tree ${k} has ${reached.size} leaves`);
    for (const [node, { m, mk }] of reached) {
      const expected = -learningRate * (m * q[k] - mk) / (m * 2 * q[k] * (1 - q[k]) + l2);
      const actual = tree.leafValues[node * 3 + k];
      assert.ok(
        Math.abs(actual - expected) <= 1e-5,
        `tree ${k} leaf ${node}: ${actual} vs ${expected}`,
      );
    }
  });
});

Deno.test("trainGbdt() trees are well-formed, on bin-edge thresholds, in their class slot", () => {
  const seed = 9;
  const options = { nRounds: 10, maxDepth: 4, maxLeaves: 5, colSubsample: 0.5, seed };
  const { model } = trainGbdt(determined, options);
  const edges = fitBinEdges(determined, { seed }).map((e) => new Set(e));
  assert.equal(model.trees.length, 30);
  model.trees.forEach((tree, t) => {
    assert.deepEqual(treeProblems(tree, 6, 3), []);
    const { depth, leaves } = depthAndLeaves(tree);
    assert.ok(depth <= 4 && leaves <= 5, `tree ${t}: depth ${depth}, ${leaves} leaves`);
    for (let n = 0; n < tree.feature.length; n++) {
      const f = tree.feature[n];
      if (f >= 0) assert.ok(edges[f].has(tree.threshold[n]), `tree ${t} node ${n}`);
      for (let k = 0; k < 3; k++) {
        if (k !== t % 3) assert.equal(tree.leafValues[n * 3 + k], 0, `tree ${t} node ${n}`);
      }
    }
  });
});

Deno.test("trainGbdt() grows up to 2 ** maxDepth leaves by default (depth-wise in effect)", () => {
  const { model } = trainGbdt(noise, { nRounds: 4, maxDepth: 3, minChildWeight: 0.01 });
  const shapes = model.trees.map(depthAndLeaves);
  for (const { depth, leaves } of shapes) assert.ok(depth <= 3 && leaves <= 8);
  // A node stops only when no split gains, e.g. when its rows all share the gradient.
  assert.ok(shapes.filter(({ leaves }) => leaves === 8).length >= 8);
});

Deno.test("trainGbdt() base score is the log of the weighted class priors", () => {
  const weight = Float32Array.from({ length: noise.rows }, (_, i) => (noise.y[i] === 2 ? 3 : 1));
  const { model } = trainGbdt({ ...noise, weight }, { nRounds: 1 });
  const mass = [0, 0, 0];
  for (let i = 0; i < noise.rows; i++) mass[noise.y[i]] += weight[i];
  const total = mass[0] + mass[1] + mass[2];
  assert.deepEqual([...model.base], mass.map((m) => Math.fround(Math.log(m / total))));
});

Deno.test("trainGbdt() minSplitGain, minChildWeight and l2 restrain the trees", async (t) => {
  await t.step("minSplitGain above every gain leaves single-leaf trees", () => {
    const { model, log } = trainGbdt(determined, { nRounds: 3, minSplitGain: 1e9 });
    for (const tree of model.trees) assert.equal(tree.feature.length, 1);
    assert.ok(Math.abs(log.trainLoss[3] - log.trainLoss[0]) < 1e-6);
  });
  await t.step(
    "minChildWeight bounds the rows in a leaf (hessian 2 p (1 - p) <= 0.5 a row)",
    () => {
      const { model } = trainGbdt(noise, { nRounds: 3, minChildWeight: 30 });
      for (const tree of model.trees) {
        const rows = new Map<number, number>();
        for (let i = 0; i < noise.rows; i++) {
          let node = 0;
          while (tree.feature[node] >= 0) {
            node = noise.x[i * 6 + tree.feature[node]] <= tree.threshold[node]
              ? tree.left[node]
              : tree.right[node];
          }
          rows.set(node, (rows.get(node) ?? 0) + 1);
        }
        for (const count of rows.values()) assert.ok(count >= 30 / 0.5, `a leaf has ${count}`);
      }
    },
  );
  await t.step("a larger l2 shrinks leaf values", () => {
    const largest = (l2: number) =>
      Math.max(
        ...trainGbdt(determined, { nRounds: 1, l2 }).model.trees.flatMap((t) =>
          [
            ...t.leafValues,
          ].map(Math.abs)
        ),
      );
    assert.ok(largest(1_000) < largest(0) / 4);
  });
});

Deno.test("trainGbdt() refuses bad options and samples with a RangeError", async (t) => {
  const cases: [string, () => unknown][] = [
    ["learningRate 0", () => trainGbdt(noise, { learningRate: 0 })],
    ["maxDepth 0", () => trainGbdt(noise, { maxDepth: 0 })],
    ["maxLeaves 1", () => trainGbdt(noise, { maxLeaves: 1 })],
    ["minChildWeight 0", () => trainGbdt(noise, { minChildWeight: 0 })],
    ["rowSubsample 1.5", () => trainGbdt(noise, { rowSubsample: 1.5 })],
    ["nRounds 2.5", () => trainGbdt(noise, { nRounds: 2.5 })],
    ["class 3", () => trainGbdt({ ...noise, y: noise.y.map(() => 3) })],
    [
      "negative weight",
      () => trainGbdt({ ...noise, weight: new Float32Array(noise.rows).fill(-1) }),
    ],
    ["validation features", () => trainGbdt(noise, { valid: synthetic(10, 5, 1) })],
  ];
  for (const [name, run] of cases) await t.step(name, () => assert.throws(run, RangeError));
});
