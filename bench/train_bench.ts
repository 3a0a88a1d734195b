/**
 * `deno run bench/train_bench.ts`: wall-clock seconds to train the tree models at the
 * size of a year of M1 features (330,000 rows x 57 features, 3 classes). The rows are
 * synthetic (seeded noise with a planted signal in three features), not market data:
 * this measures speed, not skill. Heavy by design: never part of the test suite.
 * Flags: --rows N, --only gbdt|forest.
 */

import { parseArgs } from "node:util";
import { Random } from "../models/random.ts";
import type { Samples } from "../models/samples.ts";
import { trainGbdt } from "../models/train/gbdt.ts";
import { trainExtraTrees, trainRandomForest } from "../models/train/forest.ts";

const FEATURES = 57;

/** Seeded rows: mixed feature shapes, class from a noisy function of features 0, 1 and 2. */
function plantedSignal(rows: number, seed: number): Samples {
  const random = new Random(seed);
  const x = new Float32Array(rows * FEATURES);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < FEATURES; j++) {
      const z = random.normal();
      x[i * FEATURES + j] = j % 3 === 0 ? z : j % 3 === 1 ? z * z * z : Math.round(4 * z) / 4;
    }
    const a = x[i * FEATURES];
    const b = x[i * FEATURES + 1];
    const c = x[i * FEATURES + 2];
    const score = 0.8 * a - 0.3 * Math.tanh(b) * c + random.normal();
    y[i] = score < -0.5 ? 0 : score > 0.5 ? 2 : 1;
  }
  return { rows, nFeatures: FEATURES, x, y };
}

function timed<T>(name: string, run: () => T): T {
  const t0 = performance.now();
  const result = run();
  console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

const args = parseArgs({
  args: Deno.args,
  options: { rows: { type: "string" }, only: { type: "string" } },
});
const rows = Number(args.values.rows ?? 330_000);
const train = plantedSignal(rows, 1);
const valid = plantedSignal(Math.round(rows / 5), 2);
console.log(`${rows} rows x ${FEATURES} features (synthetic), validation ${valid.rows} rows`);

if (args.values.only !== "forest") {
  const { log } = timed(
    "gbdt 300 rounds, depth 6, lr 0.1",
    () => trainGbdt(train, { nRounds: 300, maxDepth: 6, learningRate: 0.1 }),
  );
  console.log(`  train loss ${log.trainLoss[log.rounds].toFixed(4)}`);
  const stopped = timed(
    "gbdt with early stopping on validation",
    () => trainGbdt(train, { nRounds: 300, maxDepth: 6, learningRate: 0.1, valid }),
  );
  console.log(
    `  kept ${stopped.log.bestRound} of ${stopped.log.rounds} rounds, valid loss ${
      stopped.log.validLoss![stopped.log.bestRound].toFixed(4)
    }`,
  );
}
if (args.values.only !== "gbdt") {
  timed("random forest 100 trees, depth 12", () => trainRandomForest(train, { nTrees: 100 }));
  timed("extra trees 100 trees, depth 12", () => trainExtraTrees(train, { nTrees: 100 }));
}
