/**
 * Our histogram GBDT against xgboost on the same matrices: builds the 2017 + 2018 dataset,
 * splits it by time (train to 2017-11-01, validation for early stopping to 2018-01-01,
 * test 2018, purged with an embargo), trains ours, exports the matrices and runs
 * bench/xgboost_compare.py with Debian's python3-xgboost on them, then prints both
 * out-of-sample log losses. A benchmark, not a test: it takes minutes.
 * Usage: deno run -A bench/xgboost_compare.ts [--python /usr/bin/python3]
 */

import { parseArgs } from "node:util";
import { buildDataset } from "../models/dataset.ts";
import { logLoss } from "../models/metrics.ts";
import { N_CLASSES } from "../models/model.ts";
import { predictProba } from "../models/predict.ts";
import { takeRows } from "../models/samples.ts";
import { DEFAULT_MEMBERS } from "../models/train/config.ts";
import { trainGbdt } from "../models/train/gbdt.ts";
import { holdOutSplit } from "../models/validation.ts";
import { US_PER_MINUTE } from "../pipeline/events.ts";
import { openSources } from "../sources/mod.ts";

const DATA = new URL("../../shared/data/xauusd_m1_histdata/", import.meta.url).pathname;
const SEED = 42;

const { values } = parseArgs({
  args: Deno.args,
  options: { python: { type: "string" } },
  strict: true,
});
const python = values.python ?? "/usr/bin/python3";

const source = await openSources([
  `${DATA}DAT_ASCII_XAUUSD_M1_2017.csv.gz`,
  `${DATA}DAT_ASCII_XAUUSD_M1_2018.csv.gz`,
]);
const dataset = await buildDataset(source, { sampleEvery: 5 });
const split = holdOutSplit(dataset.timeUs, dataset.labelEndUs, {
  validationStart: "2017-11-01",
  testStart: "2018-01-01",
  embargoUs: 60 * US_PER_MINUTE,
});
const train = takeRows(dataset, split.train);
const validation = takeRows(dataset, split.validation);
const test = takeRows(dataset, split.test);
const gbdt = DEFAULT_MEMBERS.find((m) => m.type === "gbdt")!;
const params = { ...gbdt.params } as Record<string, number>;
console.log(
  `rows: train ${train.rows}, validation ${validation.rows}, test ${test.rows}; ${dataset.nFeatures} features; ` +
    `params ${JSON.stringify(params)}`,
);

const started = performance.now();
const ours = trainGbdt(train, { ...params, valid: validation, seed: SEED });
const ourSeconds = (performance.now() - started) / 1000;
const p = new Float64Array(test.rows * N_CLASSES);
predictProba(ours.model, test.x, test.rows, p);
const ourLoss = logLoss(test.y, p);

const folder = await Deno.makeTempDir({ prefix: "xgb_compare_" });
for (
  const [name, samples] of [["train", train], ["validation", validation], ["test", test]] as const
) {
  await Deno.writeFile(
    `${folder}/${name}_x.f32`,
    new Uint8Array(samples.x.buffer, samples.x.byteOffset, samples.x.byteLength),
  );
  await Deno.writeFile(`${folder}/${name}_y.u8`, samples.y);
}
await Deno.writeTextFile(
  `${folder}/meta.json`,
  JSON.stringify({ nFeatures: dataset.nFeatures, params, seed: SEED }),
);
const xgbStarted = performance.now();
const run = await new Deno.Command(python, {
  args: [new URL("./xgboost_compare.py", import.meta.url).pathname, folder],
  stdout: "piped",
  stderr: "piped",
}).output();
const xgbSeconds = (performance.now() - xgbStarted) / 1000;
await Deno.remove(folder, { recursive: true });
if (run.code !== 0) {
  console.error(
    `xgboost run failed (is python3-xgboost installed? apt-get install python3-xgboost):\n${
      new TextDecoder().decode(run.stderr)
    }`,
  );
  Deno.exit(1);
}
const theirs = JSON.parse(new TextDecoder().decode(run.stdout));
const prior = [0, 1, 2].map((k) => (train.y.filter((c) => c === k).length + 0) / train.rows);
const priorP = new Float64Array(test.rows * N_CLASSES);
for (let i = 0; i < test.rows; i++) priorP.set(prior, i * N_CLASSES);
console.log(`class-prior baseline test log loss: ${logLoss(test.y, priorP).toFixed(5)}`);
console.log(
  `ours:    test log loss ${ourLoss.toFixed(5)}, ${ours.log.bestRound} rounds kept, ${
    ourSeconds.toFixed(1)
  } s`,
);
console.log(
  `xgboost ${theirs.xgboost}: test log loss ${
    theirs.test_log_loss.toFixed(5)
  }, ${theirs.best_iteration} rounds, ` +
    `${xgbSeconds.toFixed(1)} s (2 threads, includes Python start-up)`,
);
const gap = (ourLoss - theirs.test_log_loss) / theirs.test_log_loss;
console.log(`ours vs xgboost: ${(gap * 100).toFixed(2)}% (target: within 2%)`);
