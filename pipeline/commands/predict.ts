/**
 * `predict`: scores a file with a registered model through the same pipeline as `serve`
 * (features, then the model stage) and writes the class probabilities per M1 bar. The
 * model is loaded only if its bytes and its feature spec hash check out.
 */

import { z } from "zod";
import { loadServingModel, scoreModels } from "../../operators/ensemble/mod.ts";
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  loadFeatureSpec,
  specHash,
} from "../../operators/features/mod.ts";
import { predictionsCsvSink } from "../../sinks/csv_predictions.ts";
import { openSource } from "../../sources/mod.ts";
import { runPipeline } from "../build.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { linesRead, progressSink, replayProgress } from "../progress.ts";
import {
  inputFile,
  outputFile,
  parseFlags,
  sourceOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { PREDICT } from "./usage.ts";
import { m1Stages } from "./stages.ts";
import { openRegistry } from "./models.ts";

const schema = sourceSchema.extend({
  model: z.string({ error: "is required: a model id or unique prefix" }).min(8),
  out: z.string({ error: "is required: the CSV file to write" }).pipe(outputFile),
  spec: inputFile.optional(),
  registry: z.string().min(1).default("data/models"),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  quiet: z.boolean().default(false),
});

export async function predict(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, PREDICT.flags),
  );
  const spec = flags.spec ? await loadFeatureSpec(flags.spec) : DEFAULT_FEATURE_SPEC;
  const registry = openRegistry(flags.registry);
  const model = await (async () => {
    try {
      return await loadServingModel(registry, flags.model, specHash(spec), flags.threads);
    } finally {
      registry.close();
    }
  })();
  if (model.meta !== undefined) {
    await model.session.release();
    throw new UsageError(
      `model ${model.id.slice(0, 12)}… is a meta-labeling model: it scores only the primary's ` +
        `candidate trades, so it has no prediction for every bar; run it with backtest --model`,
    );
  }
  const source = await openSource(flags.data, sourceOptions(flags));
  const stages = m1Stages(source, "predictions");
  stages.push(
    {
      name: "features",
      operator: computeFeatures(spec, { symbol: source.symbol, hasSpread: source.sides !== "bid" }),
    },
    { name: "model", operator: scoreModels({ production: model, shadow: null }) },
  );
  const csv = predictionsCsvSink(flags.out, model.id, "production");
  const progress = await replayProgress("predict", [flags.data], flags.to, flags.quiet);
  try {
    await runPipeline({
      sourceName: "file",
      source$: replay$(source),
      stages,
      sinks: [csv, progressSink(progress, () => linesRead(source))],
      health: createHealthRegistry(),
    })
      .done;
  } finally {
    progress.end();
    await model.session.release();
  }
  console.log(
    `wrote ${csv.rows.toLocaleString("en-US")} predictions of model ${model.id} to ${flags.out}`,
  );
}
