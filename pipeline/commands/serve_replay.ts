/**
 * `serve --replay FILE`: the demo half of `serve`, paper trading on a replayed file. Features
 * and the registry's production and shadow models (and, with `--retrain`, the adaptive
 * retraining stage), then the backtest's strategy, risk engine and simulated broker, into
 * the journal and the dashboard. It never reaches a terminal: real orders need an EA
 * (serve_live.ts).
 */

import { ticksToBars } from "../../operators/bars/mod.ts";
import {
  adaptModels,
  loadModelSlot,
  loadServingModel,
  scoreModels,
} from "../../operators/ensemble/mod.ts";
import type { ModelSlot } from "../../operators/ensemble/mod.ts";
import { parseRetrainConfig, RetrainScheduler } from "../../models/retraining.ts";
import { parseTrainConfig } from "../../models/train/config.ts";
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  loadFeatureSpec,
  specHash,
} from "../../operators/features/mod.ts";
import { SimulatedBroker, tradeAndExecute } from "../../operators/execution/mod.ts";
import { readNewsCalendar } from "../../operators/risk/mod.ts";
import { type Journal, journalSink } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import { openSource, type Source } from "../../sources/mod.ts";
import { runPipeline, type Stage } from "../build.ts";
import type { HealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { isoFromUs } from "../events.ts";
import { readJsonFlag, sourceOptions } from "./args.ts";
import { openRegistry } from "./models.ts";
import type { ServeFlags, ServeMode } from "./serve.ts";
import { tradingConfig } from "./serve_live.ts";
import { buildStrategy, withBrokerProfile } from "./strategy.ts";
import { historyStartUs, type WarmUpNeed } from "../../operators/warmup/mod.ts";

interface ModelStages {
  readonly stages: Stage[];
  /** The models in use, for the dashboard; null without any. */
  readonly slot: ModelSlot | null;
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
  const none = { stages: [], slot: null, close: () => Promise.resolve() };
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
    component.report("idle", "no production or shadow model in the registry");
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
    return { stages, slot, close: () => Promise.resolve() };
  }
  const scheduler = new RetrainScheduler({
    config: parseRetrainConfig(
      await readJsonFlag("retrain", flags.retrain),
      `"${flags.retrain}"`,
    ),
    train: flags["train-config"]
      ? parseTrainConfig(
        await readJsonFlag("train-config", flags["train-config"]),
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
    slot,
    close: async () => {
      await scheduler.close();
      registry.close();
    },
  };
}

export async function startReplay(
  flags: ServeFlags,
  data: string,
  journal: Journal,
  health: HealthRegistry,
  sinks: readonly Sink[],
): Promise<ServeMode> {
  // With --from, the history the strategy needs is read before it, fast, as warm-up: the
  // journal, the dashboard and paper trading start at --from.
  const window = sourceOptions({ ...flags, data });
  const tradeFromUs = window.fromUs ?? null;
  const heads = await openSource(data, { ...window, fromUs: undefined });
  const models = await modelStages(heads, flags, health);
  const { slot } = models;
  const stages: Stage[] = heads.resolution === "tick"
    ? [{ name: "ticks-to-m1", operator: ticksToBars(heads.symbol, { flushOnComplete: true }) }]
    : [];
  stages.push(...models.stages);
  let needs: readonly WarmUpNeed[] = [];
  if (heads.resolution === "M1" || heads.resolution === "tick") {
    // Paper trading on the replayed prices: the backtest's strategy, risk engine and
    // simulated broker, so the journal and the dashboard show what a live run would.
    const config = await withBrokerProfile(
      await tradingConfig(flags.config, journal),
      flags.broker,
    );
    const strategy = buildStrategy({
      symbol: heads.symbol,
      sides: heads.sides,
      config,
      origin: flags.config,
      model: slot?.production ?? null,
      calendar: flags.news ? await readNewsCalendar(flags.news) : null,
      scored: true,
      window: tradeFromUs === null ? undefined : { fromUs: tradeFromUs, dataName: heads.path },
    });
    needs = strategy.warmUp.needs;
    stages.push(...strategy.stages, {
      name: "paper-trading",
      operator: tradeAndExecute(strategy.engine, new SimulatedBroker(config.execution ?? {})),
    });
  }
  const source = tradeFromUs === null ? heads : await openSource(data, {
    ...window,
    fromUs: historyStartUs(tradeFromUs, needs, "new-york-17"),
  });
  const run = runPipeline({
    sourceName: "feed",
    source$: replay$(source, { speed: flags.speed, paceFromUs: tradeFromUs ?? undefined }),
    stages,
    // The replay's end flushes the journal but leaves it open: the control plane still
    // writes its audit trail and measures models on it; serve closes it on shutdown.
    sinks: [{ ...journalSink(journal), close: () => journal.checkpoint() }, ...sinks],
    health,
  });
  run.done.then(
    () => console.log(`replay finished: ${source.report.rowsEmitted} rows from ${source.path}`),
    (error) => console.error(`replay failed: ${(error as Error).message}`),
  );
  return {
    control: {},
    models: () => ({
      production: slot?.production ? { id: slot.production.id } : null,
      shadow: slot?.shadow ? { id: slot.shadow.id } : null,
    }),
    close: async () => {
      await run.stop();
      await models.close();
    },
  };
}
