import assert from "node:assert/strict";
import type { EnsembleModel, Model, TreeEnsembleModel } from "@/models/model.ts";
import { exportOnnx, memberOutputName } from "@/models/onnx/export.ts";
import { readOnnxMetadata } from "@/models/onnx/metadata.ts";
import { createOrtSession } from "@/models/onnx/session.ts";
import { predictProba } from "@/models/predict.ts";
import { gridRows, randomEnsemble, randomGbdt, randomLinear, randomMlp } from "./_models.ts";
import { assertParity } from "./_parity.ts";

/** The float32 just above or below `x`. */
function nextFloat32(x: number, direction: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  view.setUint32(0, view.getUint32(0) + (x > 0 ? direction : -direction));
  return view.getFloat32(0);
}

/**
 * One tree on two features: x0 <= 0.1f ? [1, 0, 0] : (x1 <= 2.5 ? [0, 1, 0] : [0, 0, 1]).
 * Node ids 0 (root), 1, 2 (split), 3, 4; leaves carry one-hot class distributions.
 */
const TIE_TREE: TreeEnsembleModel = {
  kind: "trees",
  algorithm: "random_forest",
  nFeatures: 2,
  nClasses: 3,
  aggregate: "average",
  base: new Float32Array(3),
  trees: [{
    feature: Int32Array.of(0, -1, 1, -1, -1),
    threshold: Float32Array.of(0.1, 0, 2.5, 0, 0),
    left: Int32Array.of(1, -1, 3, -1, -1),
    right: Int32Array.of(2, -1, 4, -1, -1),
    leafValues: Float32Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1),
  }],
};

Deno.test("exportOnnx() sends x == threshold left and NaN right, as predictProba() does", async () => {
  const t = Math.fround(0.1);
  const rows: ReadonlyArray<readonly [x0: number, x1: number, expected: number[]]> = [
    [t, 9, [1, 0, 0]], // tie at the root: left
    [nextFloat32(t, -1), 9, [1, 0, 0]],
    [nextFloat32(t, 1), 2.5, [0, 1, 0]], // right at the root, tie at node 2: left
    [nextFloat32(t, 1), nextFloat32(2.5, 1), [0, 0, 1]],
    [NaN, 0, [0, 1, 0]], // a missing value fails `<=` and goes right
    [1, NaN, [0, 0, 1]],
  ];
  const x = Float32Array.from(rows.flatMap(([x0, x1]) => [x0, x1]));
  const reference = new Float64Array(rows.length * 3);
  predictProba(TIE_TREE, x, rows.length, reference);
  const session = await createOrtSession(exportOnnx(TIE_TREE, {}), { numThreads: 1 });
  try {
    const { probabilities } = await session.run(x, rows.length);
    rows.forEach(([x0, x1, expected], i) => {
      const at = `row ${i} (${x0}, ${x1})`;
      assert.deepEqual(Array.from(probabilities.subarray(i * 3, i * 3 + 3)), expected, at);
      assert.deepEqual(Array.from(reference.subarray(i * 3, i * 3 + 3)), expected, at);
    });
  } finally {
    await session.release();
  }
});

Deno.test("exportOnnx() of boosted trees with a single-leaf tree equals predictProba()", async () => {
  const stump: TreeEnsembleModel = {
    ...TIE_TREE,
    algorithm: "gbdt",
    aggregate: "softmax",
    base: Float32Array.of(0.1, 0.2, 0.3),
    trees: [...TIE_TREE.trees, {
      feature: Int32Array.of(-1),
      threshold: Float32Array.of(0),
      left: Int32Array.of(-1),
      right: Int32Array.of(-1),
      leafValues: Float32Array.of(1, 0, -1),
    }],
  };
  await assertParity("boosted trees with a single leaf", stump, gridRows(4, 200, 2));
});

Deno.test("exportOnnx() writes every meta entry, and only those, as metadata_props", () => {
  const meta = { feature_spec_hash: "a1b2", classes: "down,flat,up", model_kind: "gbdt", "": "" };
  const model = randomGbdt(1, gridRows(1, 100, 5), 3);
  assert.deepEqual(Object.entries(readOnnxMetadata(exportOnnx(model, meta))), Object.entries(meta));
});

Deno.test("exportOnnx() exposes each ensemble member's probabilities as an output", async () => {
  const rows = gridRows(2, 64, 57);
  const model = randomEnsemble(3, rows, { combiner: "stacking", platt: true, nTrees: 6 });
  const session = await createOrtSession(exportOnnx(model, {}), { numThreads: 1 });
  try {
    assert.equal(session.nMembers, 4);
    assert.equal(session.nFeatures, 57);
    const { members } = await session.run(rows.x, rows.rows);
    const expected = model.members.map(() => new Float64Array(rows.rows * 3));
    predictProba(model, rows.x, rows.rows, new Float64Array(rows.rows * 3), expected);
    members.forEach((p, m) => {
      for (let i = 0; i < p.length; i++) {
        assert.ok(Math.abs(p[i] - expected[m][i]) < 1e-5, `${memberOutputName(m)}[${i}]`);
      }
    });
  } finally {
    await session.release();
  }
});

Deno.test("exportOnnx() refuses a malformed model with a RangeError naming the fault", async (t) => {
  const rows = gridRows(3, 20, 4);
  const trees = randomGbdt(4, rows, 2, 2);
  const tree = trees.trees[0];
  const linear = randomLinear(5, rows);
  const mlp = randomMlp(6, rows, [5]);
  const ensemble: EnsembleModel = randomEnsemble(7, rows, {
    combiner: "average",
    platt: true,
    nTrees: 2,
  });
  const withTree = (patch: Partial<typeof tree>): Model => ({
    ...trees,
    trees: [{ ...tree, ...patch }],
  });
  const cases: ReadonlyArray<readonly [string, Model, RegExp]> = [
    ["two classes", { ...linear, nClasses: 2 }, /2 classes, expected 3/],
    [
      "a split on a missing feature",
      withTree({ feature: tree.feature.map((f) => f >= 0 ? 9 : f) }),
      /splits on feature 9 of 4/,
    ],
    [
      "a child out of range",
      withTree({ left: tree.left.map((l) => l >= 0 ? 99 : l) }),
      /has children 99/,
    ],
    [
      "short leaf values",
      withTree({ leafValues: tree.leafValues.subarray(1) }),
      /inconsistent lengths/,
    ],
    ["two base values", { ...trees, base: trees.base.subarray(1) }, /2 base values/],
    ["short linear weights", { ...linear, weights: linear.weights.subarray(1) }, /weights for 3x4/],
    [
      "an MLP layer of the wrong width",
      { ...mlp, layers: [mlp.layers[1]] },
      /layer 0 takes 5 inputs, gets 4/,
    ],
    [
      "an MLP ending in relu",
      { ...mlp, layers: [mlp.layers[0], { ...mlp.layers[1], activation: "relu" }] },
      /last layer is not softmax/,
    ],
    ["an empty ensemble", { ...ensemble, members: [] }, /no members/],
    [
      "a member of another width",
      { ...ensemble, members: [randomLinear(8, gridRows(1, 5, 3)), ...ensemble.members.slice(1)] },
      /member 0 reads 3 features/,
    ],
    [
      "average weights that do not match the members",
      { ...ensemble, combiner: { type: "average", weights: Float32Array.of(1) } },
      /1 weights for 4 members/,
    ],
    [
      "average weights summing to zero",
      { ...ensemble, combiner: { type: "average", weights: new Float32Array(4) } },
      /weights sum to 0/,
    ],
    [
      "a stacking model of the wrong width",
      { ...ensemble, combiner: { type: "stacking", meta: linear } },
      /reads 4 inputs for 4 members/,
    ],
    [
      "Platt scaling of the wrong length",
      {
        ...ensemble,
        calibration: { type: "platt", a: Float32Array.of(1), b: new Float32Array(3) },
      },
      /1 slopes and 3 intercepts/,
    ],
  ];
  for (const [name, model, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => exportOnnx(model, {}), (e: unknown) => {
        assert.ok(e instanceof RangeError, `${name}: ${e}`);
        assert.match(e.message, /^Cannot export model to ONNX: /);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
