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
import { trainModel } from "../../models/training.ts";
import { openSources } from "../../sources/mod.ts";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  loadFeatureSpec,
} from "../../operators/features/mod.ts";
import { featureWarmUpNeeds, historyStartUs } from "../../operators/warmup/mod.ts";
import { isoFromUs, usFromIso } from "../events.ts";
import {
  parseFlags,
  readJsonFlag,
  readOptions,
  SOURCE_FLAGS,
  sourceSchema,
  validate,
} from "./args.ts";
import { openRegistry } from "./models.ts";
import { trainMeta } from "./train_meta.ts";

const schema = sourceSchema.omit({ data: true, from: true, to: true }).extend({
  data: z.array(z.string().min(1)).min(
    1,
    "is required: one or more market-data files, in time order",
  ),
  from: z.string().optional(),
  to: z.string().optional(),
  config: z.string().min(1).optional(),
  registry: z.string().min(1).default("data/models"),
  json: z.string().min(1).optional(),
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
  await Deno.writeTextFile(path, JSON.stringify({ id, card, report: result.report }, null, 2));
}

export async function train(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, {
      ...SOURCE_FLAGS,
      data: { type: "string", multiple: true },
      config: { type: "string" },
      registry: { type: "string" },
      json: { type: "string" },
    }),
  );
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
    console.error(`warm-up: the features read the history from ${isoFromUs(readFromUs)} on`);
  }
  const source = await openSources(flags.data, { ...readOptions(flags), fromUs: readFromUs });
  const registry = openRegistry(flags.registry);
  const started = performance.now();
  if (config.meta !== undefined) {
    try {
      const result = await trainMeta(source, config, registry, {
        from: flags.from,
        to: flags.to,
        origin: flags.config === undefined ? "(defaults)" : `"${flags.config}"`,
        progress: (line) => console.error(line),
      });
      if (flags.json) await writeJson(flags.json, result.model.id, result.model.card, result);
    } finally {
      registry.close();
    }
    return;
  }
  try {
    const result = await trainModel(source, config, registry, {
      from: flags.from,
      to: flags.to,
      progress: (line) => console.error(line),
    });
    const total = (performance.now() - started) / 1000;
    console.log(`model ${result.model.id} registered as a candidate in ${flags.registry}`);
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
    if (flags.json) await writeJson(flags.json, result.model.id, result.model.card, result);
  } finally {
    registry.close();
  }
}
