/**
 * exportOnnx() + onnxruntime-web against the reference predictor, to 1e-5 per
 * probability: every member kind and every ensemble shape on 10,000 real feature rows
 * (skipped, loudly, without ../shared/data), and the same shapes, smaller, on seeded grid
 * rows so the check also runs where the data is absent.
 */

import assert from "node:assert/strict";
import type { Model, Tree } from "@/models/model.ts";
import { dataTest } from "../../_data.ts";
import {
  gridRows,
  randomEnsemble,
  randomForest,
  randomGbdt,
  randomLinear,
  randomMlp,
  type Rows,
} from "./_models.ts";
import { assertParity } from "./_parity.ts";
import { HISTDATA_2017, realRows } from "./_rows.ts";

type Case = readonly [name: string, build: (rows: Rows) => Model];

const CASES: readonly Case[] = [
  ["a 300-tree depth-6 GBDT (softmax)", (rows) => randomGbdt(11, rows)],
  ["a 100-tree depth-6 forest (average)", (rows) => randomForest(12, rows)],
  ["a linear model", (rows) => randomLinear(13, rows)],
  ["a 57-32-16-3 MLP", (rows) => randomMlp(14, rows)],
  [
    "an averaged 4-member ensemble",
    (rows) => randomEnsemble(15, rows, { combiner: "average", platt: false }),
  ],
  [
    "an averaged 4-member ensemble with Platt calibration",
    (rows) => randomEnsemble(16, rows, { combiner: "average", platt: true }),
  ],
  [
    "a stacked 4-member ensemble",
    (rows) => randomEnsemble(17, rows, { combiner: "stacking", platt: false }),
  ],
  [
    "a stacked 4-member ensemble with Platt calibration",
    (rows) => randomEnsemble(18, rows, { combiner: "stacking", platt: true }),
  ],
];

/** How many (row, split) visits of `tree` meet `x == threshold` exactly. */
function ties(tree: Tree, rows: Rows): number {
  let count = 0;
  for (let i = 0; i < rows.rows; i++) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const x = rows.x[i * rows.nFeatures + tree.feature[node]];
      if (x === tree.threshold[node]) count++;
      node = x <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    }
  }
  return count;
}

dataTest(
  "randomGbdt() on real rows sends rows down the x == threshold edge",
  HISTDATA_2017,
  async () => {
    const rows = await realRows();
    const model = randomGbdt(11, rows);
    const total = model.trees.reduce((sum, tree) => sum + ties(tree, rows), 0);
    assert.ok(total > 1000, `only ${total} ties: the <= edge is barely exercised`);
  },
);

for (const [name, build] of CASES) {
  dataTest(
    `exportOnnx() of ${name} equals predictProba() on 10,000 real rows`,
    HISTDATA_2017,
    async () => {
      const rows = await realRows();
      await assertParity(name, build(rows), rows);
    },
  );
}

Deno.test("exportOnnx() equals predictProba() on seeded grid rows for every model shape", async (t) => {
  const rows = gridRows(7, 2_000, 57);
  const small: readonly Case[] = [
    ["a 60-tree GBDT", (r) => randomGbdt(21, r, 60)],
    ["a 30-tree forest", (r) => randomForest(22, r, 30)],
    ["a linear model", (r) => randomLinear(23, r)],
    ["an MLP", (r) => randomMlp(24, r)],
    [
      "an averaged ensemble",
      (r) => randomEnsemble(25, r, { combiner: "average", platt: false, nTrees: 60 }),
    ],
    [
      "an averaged Platt ensemble",
      (r) => randomEnsemble(26, r, { combiner: "average", platt: true, nTrees: 60 }),
    ],
    [
      "a stacked ensemble",
      (r) => randomEnsemble(27, r, { combiner: "stacking", platt: false, nTrees: 60 }),
    ],
    [
      "a stacked Platt ensemble",
      (r) => randomEnsemble(28, r, { combiner: "stacking", platt: true, nTrees: 60 }),
    ],
  ];
  for (const [name, build] of small) {
    await t.step(name, () => assertParity(`${name} (grid rows)`, build(rows), rows));
  }
});
