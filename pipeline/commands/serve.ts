/**
 * `serve`: the main job. Starts the control plane on 127.0.0.1 and the pipeline on the
 * embedded defaults (SQLite journal), optionally fed by a replayed file through the live
 * path. It must never bind beyond loopback unless told to, and shuts down gracefully:
 * on SIGINT/SIGTERM the pipeline stops and the journal is flushed before exit.
 */

import { dirname } from "node:path";
import { z } from "zod";
import { ticksToBars } from "../../operators/bars/mod.ts";
import {
  adaptModels,
  loadModelSlot,
  loadServingModel,
  scoreModels,
} from "../../operators/ensemble/mod.ts";
import { parseRetrainConfig, RetrainScheduler } from "../../models/retraining.ts";
import { parseTrainConfig } from "../../models/train/config.ts";
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  loadFeatureSpec,
  specHash,
} from "../../operators/features/mod.ts";
import { journalSink, openJournal } from "../../sinks/journal.ts";
import { openSource, type Source } from "../../sources/mod.ts";
import { runPipeline, type Stage } from "../build.ts";
import { createControlApp } from "../control/app.ts";
import { createHealthRegistry, type HealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { VERSION } from "../version.ts";
import { isoFromUs } from "../events.ts";
import {
  parseFlags,
  SOURCE_FLAGS,
  sourceOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { openRegistry } from "./models.ts";

const schema = sourceSchema.extend({
  data: z.string().min(1).optional(),
  speed: z.coerce.number().positive().optional(),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  db: z.string().min(1).default("data/journal.sqlite"),
  registry: z.string().min(1).default("data/models"),
  spec: z.string().min(1).optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  retrain: z.string().min(1).optional(),
  "train-config": z.string().min(1).optional(),
});

interface ModelStages {
  readonly stages: Stage[];
  /** Stops retraining and closes the registry. */
  readonly close: () => Promise<void>;
}

/**
 * Features and the registry's production (and shadow) model, verified against the running
 * feature spec, and with `--retrain` the adaptive retraining stage; none, with the reason
 * in /health, when there is no model or no M1 data.
 */
async function modelStages(
  source: Source,
  flags: {
    registry: string;
    spec?: string;
    threads: number;
    retrain?: string;
    "train-config"?: string;
    data?: string;
  },
  health: HealthRegistry,
): Promise<ModelStages> {
  const component = health.register("registry");
  const none = { stages: [], close: () => Promise.resolve() };
  if (source.resolution !== "M1" && source.resolution !== "tick") {
    component.report(
      "idle",
      `models read M1 features; ${source.path} holds ${source.resolution} bars`,
    );
    return none;
  }
  const spec = flags.spec ? await loadFeatureSpec(flags.spec) : DEFAULT_FEATURE_SPEC;
  const hash = specHash(spec);
  const registry = openRegistry(flags.registry);
  const slot = await loadModelSlot(registry, hash, flags.threads).catch((error) => {
    registry.close();
    throw error;
  });
  if (slot.production === null && slot.shadow === null) {
    registry.close();
    component.report("idle", `no production or shadow model in ${flags.registry}`);
    return none;
  }
  component.report(
    "ok",
    `production ${slot.production?.id.slice(0, 12) ?? "none"}, shadow ${
      slot.shadow?.id.slice(0, 12) ?? "none"
    }`,
  );
  const stages: Stage[] = [
    {
      name: "features",
      operator: computeFeatures(spec, { symbol: source.symbol, hasSpread: source.sides !== "bid" }),
    },
    { name: "models", operator: scoreModels(slot) },
  ];
  if (flags.retrain === undefined) {
    registry.close();
    return { stages, close: () => Promise.resolve() };
  }
  const scheduler = new RetrainScheduler({
    config: parseRetrainConfig(
      JSON.parse(await Deno.readTextFile(flags.retrain)),
      `"${flags.retrain}"`,
    ),
    train: flags["train-config"]
      ? parseTrainConfig(
        JSON.parse(await Deno.readTextFile(flags["train-config"])),
        `"${flags["train-config"]}"`,
      )
      : parseTrainConfig({}, "(defaults)"),
    data: { kind: "files", files: source.files },
    symbol: source.symbol,
    registry,
    slot,
    loadModel: (id) => loadServingModel(registry, id, hash, flags.threads),
    log: (entry) =>
      console.error(`${isoFromUs(entry.atUs)} retrain ${entry.step}: ${entry.message}`),
  });
  stages.push({ name: "retraining", operator: adaptModels(scheduler) });
  return {
    stages,
    close: async () => {
      await scheduler.close();
      registry.close();
    },
  };
}

export async function serve(argv: string[]): Promise<void> {
  const { replay, ...rest } = parseFlags(argv, {
    ...SOURCE_FLAGS,
    replay: { type: "string" },
    speed: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    db: { type: "string" },
    registry: { type: "string" },
    spec: { type: "string" },
    threads: { type: "string" },
    retrain: { type: "string" },
    "train-config": { type: "string" },
  });
  const flags = validate(schema, { ...rest, data: replay });
  if (flags.speed !== undefined && flags.data === undefined) {
    throw new UsageError("--speed needs --replay FILE");
  }

  const health = createHealthRegistry();
  await Deno.mkdir(dirname(flags.db), { recursive: true });
  const journal = openJournal(flags.db);
  const app = createControlApp({ health, version: VERSION });
  const server = Deno.serve({
    hostname: flags.host,
    port: flags.port,
    onListen: ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      console.log(
        `ai-gold-scalper ${VERSION} listening on http://${host}:${port}/ (health: /health)`,
      );
      console.log(`journal: ${flags.db}`);
    },
  }, app.fetch);

  let stopPipeline = async () => {};
  let closeModels = () => Promise.resolve();
  if (flags.data === undefined) {
    health.register("feed").report("idle", "no source: start with --replay FILE to replay a file");
  } else {
    const source = await openSource(flags.data, sourceOptions({ ...flags, data: flags.data }));
    const stages: Stage[] = source.resolution === "tick"
      ? [{ name: "ticks-to-m1", operator: ticksToBars(source.symbol, { flushOnComplete: true }) }]
      : [];
    const models = await modelStages(source, flags, health);
    stages.push(...models.stages);
    closeModels = models.close;
    const run = runPipeline({
      sourceName: "feed",
      source$: replay$(source, { speed: flags.speed }),
      stages,
      sinks: [journalSink(journal)],
      health,
    });
    stopPipeline = run.stop;
    run.done.then(
      () => console.log(`replay finished: ${source.report.rowsEmitted} rows from ${source.path}`),
      (error) => console.error(`replay failed: ${(error as Error).message}`),
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the pipeline and flushing the journal`);
    await stopPipeline();
    await closeModels();
    journal.close();
    await server.shutdown();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void shutdown(signal));
  }
  await server.finished;
}
