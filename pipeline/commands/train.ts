/**
 * `train`: builds a dataset from real files, evaluates the configured ensemble by purged
 * walk-forward, fits the final model, and registers it as a candidate. Prints the new
 * model id and the walk-forward table (model against the class-prior baseline); progress
 * goes to stderr. Promotion is a separate, gated step (`models promote`).
 */

import { z } from "zod";
import { parseTrainConfig, type TrainConfig } from "../../models/train/config.ts";
import { formatReport } from "../../models/metrics.ts";
import { trainModel, type TrainStep } from "../../models/training.ts";
import { openSources } from "../../sources/mod.ts";
import type { Source } from "../../sources/source.ts";
import { countAllLines } from "../../sources/line_count.ts";
import { roundedJson } from "../json_text.ts";
import { type Progress, startProgress } from "../progress.ts";
import {
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
        poller = setInterval(
          () => reporter.update(source.fileReports.reduce((n, r) => n + r.linesRead, 0)),
          250,
        );
      } else if (step.phase === "walk-forward") {
        (step.done === 0 ? start("walk-forward", step.total, "folds") : progress!)
          .update(
            step.done,
            `fold ${Math.min(step.done + 1, step.total)} of ${step.total} fitting`,
          );
      } else {
        start("final fit on every row", null, "fits").update(0);
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
  const config = await loadConfig(flags.config);
  const source = await openSources(flags.data, readOptions(flags));
  const lines = flags.quiet || !Deno.stderr.isTerminal() ? null : await countAllLines(flags.data);
  const registry = openRegistry(flags.registry);
  const started = performance.now();
  const progress = trainProgress(source, lines, flags.quiet);
  try {
    const result = await trainModel(source, config, registry, {
      from: flags.from,
      to: flags.to,
      progress: (line) => progress.log(line),
      onStep: (step) => progress.step(step),
    }).finally(() => progress.end());
    const total = (performance.now() - started) / 1000;
    const id = result.model.id;
    console.log(`model ${id} registered as a candidate in ${flags.registry}`);
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
        `final fit ${result.seconds.final.toFixed(1)} s, total ${total.toFixed(1)} s`,
    );
    console.log("\nwalk-forward, out of sample: model (class-prior baseline)");
    console.log(formatReport(result.report));
    if (flags.json) {
      await Deno.writeTextFile(
        flags.json,
        roundedJson({ id, card: result.model.card, report: result.report }),
      );
    }
    console.log(nextSteps(id, flags.registry, flags.data));
  } finally {
    registry.close();
  }
}

/** What to do with a new candidate: the gated promotion, then the commands that use it. */
export function nextSteps(id: string, registry: string, data: readonly string[]): string {
  const short = id.slice(0, 12);
  const reg = registry === "data/models" ? "" : ` --registry ${registry}`;
  return [
    "",
    "next steps:",
    `  1. deno task models show ${short}${reg}`,
    "     the model card: data, folds, and each fold's log loss against the baseline",
    `  2. deno task models promote ${short}${reg}`,
    "     candidate -> shadow, run again for shadow -> production; it passes only if it beats",
    "     the class-prior baseline out of sample (docs/models.md)",
    `  3. deno task backtest --model ${short}${reg} --data ${data.at(-1)}`,
    "     trade with it in a backtest (once in production, backtest and serve use it by default)",
  ].join("\n");
}
