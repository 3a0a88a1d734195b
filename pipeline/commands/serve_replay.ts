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
import { computeFeatures, type FeatureSpec, specHash } from "../../operators/features/mod.ts";
import { SimulatedBroker, tradeAndExecute } from "../../operators/execution/mod.ts";
import { readNewsCalendar } from "../../operators/risk/mod.ts";
import { type Journal, journalSink } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import { openSource, type Source } from "../../sources/mod.ts";
import { runPipeline, type Stage } from "../build.ts";
import type { HealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { isoFromUs } from "../events.ts";
import { readJsonFlag, sourceOptions, UsageError } from "./args.ts";
import type { AccountEvent, BarEvent } from "../events.ts";
import { eventTimeUs } from "../replay.ts";
import type { OpenSourceOptions } from "../../sources/mod.ts";
import type { RiskEngine } from "../../operators/risk/mod.ts";
import { resolveExecutionConfig } from "../../operators/execution/mod.ts";
import { fixed, money } from "../text_table.ts";
import { formatDuration, linesRead, progressSink, replayProgress } from "../progress.ts";
import { openRegistry } from "./models.ts";
import type { ServeFlags, ServeMode } from "./serve.ts";
import { buildStrategy, type TradingConfig } from "./strategy.ts";
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
 * feature spec `spec`, and with `--retrain` the adaptive retraining stage; none, with the reason
 * in /health, when there is no model or no M1 data.
 */
async function modelStages(
  source: Source,
  spec: FeatureSpec,
  flags: {
    registry: string;
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

/**
 * Where an interrupted replay of `data` picks up: the journal's last M1 bar, when the file
 * holds that very bar (same open time and close). A journal that holds other data is
 * refused rather than mixed with this replay; an empty journal starts from the file's start.
 */
async function resumePoint(
  journal: Journal,
  data: string,
  options: OpenSourceOptions,
  symbol: string,
): Promise<BarEvent | null> {
  const openUs = journal.lastBarOpenUs(symbol, "M1");
  if (openUs === null) return null;
  const [last] = journal.bars(symbol, "M1", openUs, openUs + 1);
  const probe = await openSource(data, { ...options, fromUs: last.openUs, toUs: last.closeUs });
  let found: "same" | "different" | "none" = "none";
  for await (const batch of probe.batches()) {
    if (batch.length === 0) continue;
    found = batch.kind === "ticks" ||
        (batch.openUs[0] === last.openUs && batch.bidClose[0] === last.bid.close)
      ? "same"
      : "different";
    break;
  }
  if (found !== "same") {
    throw new UsageError(
      `cannot resume: the journal ${journal.path} ends with a ${symbol} bar at ${
        isoFromUs(last.openUs)
      } that ${data} ${
        found === "none" ? "does not hold" : "holds with other prices"
      }: it is another run's journal; pass --db with a new file to replay ${data} from its start`,
    );
  }
  return last;
}

/**
 * Trades, the last account state and the data time of a whole replay (a resumed one
 * included): its summary, and the "now" of its risk engine's status.
 */
function replayTally(initialBalance: number) {
  let trades = 0;
  let wins = 0;
  let net = 0;
  let account: AccountEvent | null = null;
  let lastUs = 0;
  return {
    lastUs: () => lastUs,
    sink: {
      name: "replay-tally",
      write(batch) {
        const last = batch[batch.length - 1];
        if (last !== undefined) lastUs = Math.max(lastUs, eventTimeUs(last));
        for (const event of batch) {
          if (event.kind === "trade") {
            trades++;
            if (event.pnl > 0) wins++;
            net += event.pnl;
          } else if (event.kind === "account") {
            account = event;
          }
        }
      },
      close() {},
    } satisfies Sink,
    text(): string {
      const a = account as AccountEvent | null;
      return `paper trading: ${trades} trades${
        trades === 0 ? "" : ` (${wins} won, ${fixed((100 * wins) / trades, 1)}%)`
      }, net P&L ${money(net)} (${fixed((100 * net) / initialBalance, 2)}% of ${
        money(initialBalance)
      }); balance ${money(a?.balance ?? initialBalance + net)}, equity ${
        money(a?.equity ?? initialBalance + net)
      }`;
    },
  };
}

/**
 * Passes events at or after `fromUs` to `sink`: a resumed replay rebuilds its state from
 * the file's start, and what came before the journal's last bar is already stored (the
 * journal also skips an event it holds, so the bar at the boundary is stored once).
 */
function resumedSink(sink: Sink, fromUs: number): Sink {
  return {
    ...sink,
    name: sink.name,
    write(batch) {
      const first = batch[0];
      if (first === undefined || eventTimeUs(batch[batch.length - 1]) < fromUs) return;
      sink.write(
        eventTimeUs(first) >= fromUs ? batch : batch.filter((e) => eventTimeUs(e) >= fromUs),
      );
    },
    close: () => sink.close(),
  };
}

export async function startReplay(
  flags: ServeFlags,
  data: string,
  journal: Journal,
  health: HealthRegistry,
  sinks: readonly Sink[],
  tradingConfig: () => Promise<TradingConfig>,
  spec: FeatureSpec,
): Promise<ServeMode> {
  // With --from, the history the strategy needs is read before it, fast, as warm-up: the
  // journal, the dashboard and paper trading start at --from.
  const window = sourceOptions({ ...flags, data });
  const tradeFromUs = window.fromUs ?? null;
  const heads = await openSource(data, { ...window, fromUs: undefined });
  const resumeAfter = await resumePoint(journal, data, window, heads.symbol);
  const models = await modelStages(heads, spec, flags, health);
  const { slot } = models;
  const stages: Stage[] = heads.resolution === "tick"
    ? [{ name: "ticks-to-m1", operator: ticksToBars(heads.symbol, { flushOnComplete: true }) }]
    : [];
  stages.push(...models.stages);
  const config = await tradingConfig();
  let needs: readonly WarmUpNeed[] = [];
  let engine: RiskEngine | null = null;
  if (heads.resolution === "M1" || heads.resolution === "tick") {
    // Paper trading on the replayed prices: the backtest's strategy, risk engine and
    // simulated broker, so the journal and the dashboard show what a live run would.
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
    engine = strategy.engine;
    stages.push(...strategy.stages, {
      name: "paper-trading",
      operator: tradeAndExecute(strategy.engine, new SimulatedBroker(config.execution ?? {})),
    });
  }
  const source = tradeFromUs === null ? heads : await openSource(data, {
    ...window,
    fromUs: historyStartUs(tradeFromUs, needs, "new-york-17"),
  });
  // A resumed replay runs the file up to the journal's last bar at full speed with the
  // journal, the dashboard and the notifications held back, so indicators, positions and
  // balance are rebuilt by the very code that made them, then goes on at --speed.
  const resumeUs = resumeAfter?.closeUs ?? null;
  if (resumeAfter !== null) {
    console.log(
      `resuming the replay after ${
        isoFromUs(resumeAfter.openUs)
      }, the last bar in ${journal.path}: ` +
        "the file up to there is replayed at full speed to rebuild the state, and not stored again",
    );
  }
  const paceFromUs = Math.max(tradeFromUs ?? -Infinity, resumeUs ?? -Infinity);
  const tally = replayTally(resolveExecutionConfig(config.execution ?? {}).initialBalance);
  const progress = await replayProgress("replay", [data], window.toUs, flags.quiet);
  const started = performance.now();
  const run = runPipeline({
    sourceName: "feed",
    source$: replay$(source, {
      speed: flags.speed,
      paceFromUs: Number.isFinite(paceFromUs) ? paceFromUs : undefined,
    }),
    stages,
    // The replay's end flushes the journal but leaves it open: the control plane still
    // writes its audit trail and measures models on it; serve closes it on shutdown.
    sinks: [
      ...[{ ...journalSink(journal), close: () => journal.checkpoint() }, ...sinks].map((sink) =>
        resumeUs === null ? sink : resumedSink(sink, resumeUs)
      ),
      tally.sink,
      progressSink(progress, () => linesRead(source)),
    ],
    health,
  });
  run.done.then(
    () => {
      progress.end();
      console.log(
        `replay finished: ${source.report.rowsEmitted} rows from ${source.path} in ${
          formatDuration((performance.now() - started) / 1000)
        }${resumeAfter === null ? "" : " (resumed)"}`,
      );
      console.log(tally.text());
    },
    (error) => {
      progress.end();
      console.error(`replay failed: ${(error as Error).message}`);
    },
  );
  return {
    control: engine === null ? {} : {
      risk: {
        status: () => engine.status(tally.lastUs()),
        killSwitch: (on, reason) => engine.killSwitch(on, reason),
      },
    },
    models: () => ({
      production: slot?.production ? { id: slot.production.id } : null,
      shadow: slot?.shadow ? { id: slot.shadow.id } : null,
    }),
    close: async () => {
      progress.end();
      await run.stop();
      await models.close();
    },
  };
}
