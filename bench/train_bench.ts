/**
 * Training time per ensemble member on a year of real M1 features: the default feature
 * spec and labels over HistData 2017, every labelled row (about 325,000 x 57), each member
 * with the default training config's parameters (models/train/config.ts), plus the
 * 300-round depth-6 GBDT the inference target names. Prints seconds per member and
 * the held-out log loss on December 2017 beside the class prior, so speed is never read
 * without skill. Heavy by design: never part of the test suite.
 *   deno run --allow-read --allow-env bench/train_bench.ts [--sample-every 1]
 */

import { parseArgs } from "node:util";
import { buildDataset } from "../models/dataset.ts";
import { logLoss } from "../models/metrics.ts";
import { N_CLASSES } from "../models/model.ts";
import { predictProba } from "../models/predict.ts";
import { takeRows } from "../models/samples.ts";
import { DEFAULT_MEMBERS, memberTrainer } from "../models/train/config.ts";
import { holdOutSplit } from "../models/validation.ts";
import { US_PER_MINUTE } from "../pipeline/events.ts";
import { requireDataFile } from "./_cli.ts";

const HISTDATA_2017 =
  new URL("../../shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz", import.meta.url)
    .pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: { "sample-every": { type: "string" } },
  strict: true,
});
await requireDataFile(HISTDATA_2017, "train bench");
const dataset = await buildDataset(HISTDATA_2017, {
  sampleEvery: Number(values["sample-every"] ?? 1),
});
const split = holdOutSplit(dataset.timeUs, dataset.labelEndUs, {
  validationStart: "2017-11-01",
  testStart: "2017-12-01",
  embargoUs: 60 * US_PER_MINUTE,
});
const train = takeRows(dataset, split.train);
const valid = takeRows(dataset, split.validation);
const test = takeRows(dataset, split.test);
const prior = [0, 1, 2].map((k) => train.y.filter((c) => c === k).length / train.rows);
const priorP = new Float64Array(test.rows * N_CLASSES);
for (let i = 0; i < test.rows; i++) priorP.set(prior, i * N_CLASSES);
console.log(
  `HistData 2017: train ${
    train.rows.toLocaleString("en-US")
  } rows (to 2017-11-01), early-stopping ` +
    `validation ${valid.rows.toLocaleString("en-US")}, test ${
      test.rows.toLocaleString("en-US")
    } (December); ` +
    `${dataset.nFeatures} features; class prior test log loss ${
      logLoss(test.y, priorP).toFixed(4)
    }`,
);
console.log("| member | seconds | test log loss |");
console.log("|---|---:|---:|");
const members = [
  ...DEFAULT_MEMBERS,
  {
    type: "gbdt" as const,
    name: "gbdt 300 rounds depth 6 (no early stopping)",
    params: { nRounds: 300, maxDepth: 6, learningRate: 0.1 },
    validFraction: 0,
  },
];
for (const [i, config] of members.entries()) {
  const member = memberTrainer(config, i);
  const started = performance.now();
  const model = member.train(
    train,
    config.type === "gbdt" && config.validFraction === 0 ? null : valid,
    42,
  );
  const seconds = (performance.now() - started) / 1000;
  const p = new Float64Array(test.rows * N_CLASSES);
  predictProba(model, test.x, test.rows, p);
  console.log(
    `| ${config.name ?? config.type} | ${seconds.toFixed(1)} | ${logLoss(test.y, p).toFixed(4)} |`,
  );
}
