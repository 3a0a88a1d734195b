/**
 * `features`: computes a feature spec over a file's M1 bars through the pipeline and
 * writes one CSV row per M1 bar (by its open time, like `bars`) once every feature is
 * ready. Prints the spec's hash, which a model trained on these rows must carry.
 */

import { z } from "zod";
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  loadFeatureSpec,
} from "../../operators/features/mod.ts";
import { featuresCsvSink } from "../../sinks/csv_features.ts";
import { openSource } from "../../sources/mod.ts";
import { runPipeline } from "../build.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import {
  inputFile,
  outputFile,
  parseFlags,
  sourceOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { FEATURES } from "./usage.ts";
import { m1Stages } from "./stages.ts";

const schema = sourceSchema.extend({
  out: outputFile.optional(),
  spec: inputFile.optional(),
  "print-spec": z.boolean().default(false),
});

export async function features(argv: string[]): Promise<void> {
  const raw = parseFlags(argv, FEATURES.flags);
  if (raw["print-spec"]) {
    const spec = raw.spec ? await loadFeatureSpec(raw.spec) : DEFAULT_FEATURE_SPEC;
    console.log(JSON.stringify(spec, null, 2));
    return;
  }
  const flags = validate(schema, raw);
  if (flags.out === undefined) throw new UsageError("--out is required: the CSV file to write");
  const spec: FeatureSpec = flags.spec ? await loadFeatureSpec(flags.spec) : DEFAULT_FEATURE_SPEC;
  const source = await openSource(flags.data, sourceOptions(flags));
  const stages = m1Stages(source, "features");
  stages.push({
    name: "features",
    operator: computeFeatures(spec, { symbol: source.symbol, hasSpread: source.sides !== "bid" }),
  });
  const csv = featuresCsvSink(flags.out, spec);
  const started = performance.now();
  await runPipeline({
    sourceName: "file",
    source$: replay$(source),
    stages,
    sinks: [csv],
    health: createHealthRegistry(),
  }).done;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${
      csv.rows.toLocaleString("en-US")
    } rows of ${spec.features.length} features to ${flags.out} ` +
      `(${source.report.rowsEmitted.toLocaleString("en-US")} M1 bars read, the first ` +
      `${(source.report.rowsEmitted - csv.rows).toLocaleString("en-US")} were warm-up) in ${
        seconds.toFixed(1)
      } s`,
  );
  console.log(`spec "${spec.name}" hash ${csv.specHash}`);
}
