/**
 * `train`: builds a dataset from real files, evaluates the configured ensemble by purged
 * walk-forward, fits the final model, and registers it as a candidate. Prints the new
 * model id and the walk-forward table (model against the class-prior baseline); progress
 * goes to stderr. Promotion is a separate, gated step (`models promote`). A config with a
 * `meta` section trains a meta-labeling model instead (train_meta.ts).
 */

import { z } from "zod";
import { parseTrainConfig, type TrainConfig } from "../../models/train/config.ts";
import { formatReport, type WalkForwardReport } from "../../models/metrics.ts";
import { type TrainingResult, trainModel, type TrainStep } from "../../models/training.ts";
import type { MetaTrainingResult } from "../../models/meta/training.ts";
import { openSources } from "../../sources/mod.ts";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  loadFeatureSpec,
} from "../../operators/features/mod.ts";
import { featureWarmUpNeeds, historyStartUs } from "../../operators/warmup/mod.ts";
import { isoFromUs, US_PER_DAY, usFromIso } from "../events.ts";
import type { ModelCard } from "../../models/card.ts";
import type { Source } from "../../sources/source.ts";
import { roundedJson } from "../json_text.ts";
import { linesRead, linesToRead, type Progress, startProgress } from "../progress.ts";
import {
  checkWindow,
  inputFile,
  multiSourceSchema,
  outputFile,
  parseFlags,
  readJsonFlag,
  readOptions,
  validate,
} from "./args.ts";
import { TRAIN } from "./usage.ts";
import { openRegistry } from "./models.ts";
import { trainMeta } from "./train_meta.ts";

const schema = multiSourceSchema.extend({
  config: inputFile.optional(),
  registry: z.string().min(1).default("data/models"),
  json: outputFile.optional(),
  quiet: z.boolean().default(false),
});

async function loadConfig(path: string | undefined): Promise<TrainConfig> {
  if (path === undefined) return parseTrainConfig({}, "(defaults)");
  return parseTrainConfig(await readJsonFlag("config", path), `"${path}"`);
}

/** The `--json` document: the model's id, its card and the walk-forward report. */
async function writeJson(
  path: string,
  id: string,
  card: unknown,
  result: { readonly report: WalkForwardReport },
): Promise<void> {
  await Deno.writeTextFile(path, roundedJson({ id, card, report: result.report }));
}

/**
 * The progress of each phase: lines read while the dataset is built (polled: the reading
 * is asynchronous), then folds done, then the final fit.
 */
function trainProgress(source: Source, lines: number | null, quiet: boolean) {
  let progress: Progress | null = null;
  let poller: ReturnType<typeof setInterval> | undefined;
  const start = (label: string, total: number | null, unit: string) => {
    progress?.end();
    clearInterval(poller);
    progress = startProgress({ label: `train: ${label}`, total, unit, quiet });
    return progress;
  };
  return {
    log: (line: string) => (progress ?? start("dataset", lines, "lines")).log(line),
    step(step: TrainStep) {
      if (step.phase === "dataset") {
        const reporter = start("dataset", lines, "lines");
        poller = setInterval(() => reporter.update(linesRead(source)), 250);
      } else if (step.phase === "walk-forward") {
        (step.done === 0 ? start("walk-forward", step.total, "folds") : progress!)
          .update(
            step.done,
            `fold ${Math.min(step.done + 1, step.total)} of ${step.total} fitting`,
          );
      } else {
        start("final fit on every row", 1, "ensemble").update(0);
      }
    },
    end() {
      clearInterval(poller);
      progress?.end();
    },
  };
}

export async function train(argv: string[]): Promise<void> {
  const flags = validate(schema, parseFlags(argv, TRAIN.flags));
  checkWindow(flags);
  const config = await loadConfig(flags.config);
  // With --from, only the history the features need before it is read: they warm up on
  // it, and rows are labelled from --from on.
  const heads = await openSources(flags.data, readOptions(flags));
  const spec: FeatureSpec = config.spec ? await loadFeatureSpec(config.spec) : DEFAULT_FEATURE_SPEC;
  const readFromUs = flags.from === undefined ? undefined : historyStartUs(
    usFromIso(flags.from),
    featureWarmUpNeeds(spec, heads.sides !== "bid"),
    spec.dayStart,
  );
  if (readFromUs !== undefined) {
    if (!flags.quiet) {
      console.error(`warm-up: the features read the history from ${isoFromUs(readFromUs)} on`);
    }
  }
  const source = await openSources(flags.data, { ...readOptions(flags), fromUs: readFromUs });
  // With --to the reader stops before the files end: a share of their lines would stall.
  const lines = flags.to === undefined ? await linesToRead(flags.data, flags.quiet) : null;
  const registry = openRegistry(flags.registry);
  const started = performance.now();
  const progress = trainProgress(source, lines, flags.quiet);
  const common = {
    from: flags.from,
    to: flags.to,
    spec,
    progress: (line: string) => progress.log(line),
  };
  try {
    let result: TrainingResult | MetaTrainingResult;
    if (config.meta !== undefined) {
      const origin = flags.config === undefined ? "(defaults)" : `"${flags.config}"`;
      result = await trainMeta(source, config, registry, { ...common, origin })
        .finally(() => progress.end());
    } else {
      result = await trainModel(source, config, registry, {
        ...common,
        onStep: (step) => progress.step(step),
      }).finally(() => progress.end());
      printTraining(result, config, flags.registry, (performance.now() - started) / 1000);
    }
    if (flags.json) await writeJson(flags.json, result.model.id, result.model.card, result);
    console.log(nextSteps(result.model.id, flags.registry, flags.data, result.model.card));
  } finally {
    registry.close();
  }
}

/** What a trained ensemble prints: its id, data, members, times and walk-forward table. */
function printTraining(
  result: TrainingResult,
  config: TrainConfig,
  registry: string,
  totalSeconds: number,
): void {
  console.log(`model ${result.model.id} registered as a candidate in ${registry}`);
  console.log(
    `data: ${result.dataset.provenance.files.map((f) => f.file).join(", ")}; ` +
      `${
        result.dataset.rows.toLocaleString("en-US")
      } rows (every ${result.dataset.sampleEvery} labelled M1 bars), ` +
      `${result.dataset.nFeatures} features; spec ${
        result.model.card.featureSpec.hash.slice(0, 12)
      }…`,
  );
  console.log(
    `members: ${config.members.map((m) => m.type).join(", ")}; ${config.method}; calibration ` +
      `${result.model.card.hyperparameters.calibration}; ${result.folds.length} walk-forward folds ` +
      `(${config.walkForward.scheme}), ${config.innerFolds} inner folds`,
  );
  console.log(
    `time: dataset ${result.seconds.dataset.toFixed(1)} s, walk-forward ${
      result.seconds.walkForward.toFixed(1)
    } s, ` +
      `final fit ${result.seconds.final.toFixed(1)} s, total ${totalSeconds.toFixed(1)} s`,
  );
  console.log(`\n${formatReport(result.report)}`);
}

/**
 * What to do with a new candidate: the gated promotion, then a backtest on the data after
 * the model's training range (out of sample).
 */
export function nextSteps(
  id: string,
  registry: string,
  data: readonly string[],
  card: ModelCard,
): string {
  const short = id.slice(0, 12);
  const reg = registry === "data/models" ? "" : ` --registry ${registry}`;
  // The next UTC day after the last training row: nothing the model learned from.
  const after = new Date(Date.parse(card.ranges.train.to) + US_PER_DAY / 1000).toISOString()
    .slice(0, 10);
  return [
    "",
    "next steps:",
    `  1. deno task models show ${short}${reg}`,
    "     the model card: data, folds, and each fold's log loss against the baseline",
    `  2. deno task models promote ${short}${reg}`,
    "     candidate -> shadow, run again for shadow -> production; it passes only if it beats",
    "     the class-prior baseline out of sample (docs/models.md)",
    `  3. deno task backtest --model ${short}${reg} --data ${data.at(-1)} --from ${after}`,
    "     trade with it after its training data (once in production, backtest and serve use it",
    "     by default)",
  ].join("\n");
}
