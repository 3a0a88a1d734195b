/**
 * Live trading, composed: the EA bridge feeding the strategy (the backtest's own stages),
 * the risk engine and the remote broker in the live trading kernel, with the journal
 * acknowledging every batch before the terminal gets its reply.
 *
 * This is the composition root's live half; `serve` adds the control plane around it.
 * It must never start without a journal, nor trade on a stage list other than the
 * backtest's (pipeline/commands/strategy.ts).
 */

import { type PipelineRun, runPipeline, type Stage } from "../build.ts";
import type { HealthRegistry } from "../health.ts";
import type { Sink } from "../../sinks/sink.ts";
import { RemoteBroker, tradeRemotely } from "../../operators/execution/remote.ts";
import type { RiskEngine } from "../../operators/risk/engine.ts";
import type { SymbolSpec } from "../symbols.ts";
import { XAUUSD } from "../symbols.ts";
import type { Plausibility } from "../plausibility.ts";
import { type BridgeJournal, EaBridge } from "./bridge.ts";
import { LiveFeed } from "./feed.ts";
import { type RecoveryJournal, recoveryPlan } from "./recovery.ts";

/** Bars per batch while recovering: large enough to be fast, small enough to stay flat. */
const RECOVERY_BATCH = 5000;

export interface LiveOptions {
  /** The strategy's stages (buildStrategy) and its risk engine. */
  readonly stages: readonly Stage[];
  readonly engine: RiskEngine;
  /** The journal's sink: it commits each batch before the terminal is answered. */
  readonly journalSink: Sink;
  readonly journal: BridgeJournal;
  /** More sinks (dashboard, webhooks); they see each batch after the journal. */
  readonly sinks?: readonly Sink[];
  readonly health: HealthRegistry;
  readonly spec?: SymbolSpec;
  readonly staleAfterSeconds?: number;
  readonly heartbeatMs?: number;
  /** Wraps each stage (supervision); identity by default. */
  readonly wrapStage?: (stage: Stage) => Stage;
  readonly log?: (line: string) => void;
  /** Bounds on the EA feed's prices and times beyond the defaults (`--max-price`...). */
  readonly plausibility?: Partial<Plausibility>;
}

export interface Live {
  readonly bridge: EaBridge;
  readonly run: PipelineRun;
  /**
   * Replays the journal's last `days` of bars and reports through the pipeline with new
   * orders held and every sink but the acknowledgement paused (recovery.ts). Call once,
   * before the first EA is answered.
   */
  recover(journal: RecoveryJournal, days: number): Promise<{ bars: number; reports: number }>;
  /** Ends the feed and waits for the pipeline to drain and its sinks to close. */
  stop(): Promise<void>;
}

export function startLive(options: LiveOptions): Live {
  const feed = new LiveFeed();
  const broker = new RemoteBroker();
  const wrap = options.wrapStage ?? ((stage: Stage) => stage);
  const stages: Stage[] = [
    ...options.stages.map(wrap),
    { name: "risk-and-execution", operator: tradeRemotely(options.engine, broker) },
  ];
  let paused = false;
  const pausable = (sink: Sink): Sink => ({
    ...sink,
    write: (batch) => {
      if (!paused) sink.write(batch);
    },
  });
  const run = runPipeline({
    sourceName: "ea-feed",
    source$: feed.source$,
    stages,
    sinks: [...[options.journalSink, ...(options.sinks ?? [])].map(pausable), feed.sink],
    health: options.health,
  });
  const spec = options.spec ?? XAUUSD;
  const bridge = new EaBridge({
    feed,
    broker,
    engine: options.engine,
    journal: options.journal,
    spec,
    health: options.health.register("ea-bridge"),
    staleAfterSeconds: options.staleAfterSeconds,
    heartbeatMs: options.heartbeatMs,
    log: options.log,
    plausibility: options.plausibility,
  });
  return {
    bridge,
    run,
    async recover(journal, days) {
      const plan = recoveryPlan(journal, spec.symbol, days);
      let reports = plan.tail.length;
      options.engine.hold("RECOVERY", "rebuilding state from the journal after a restart");
      paused = true;
      try {
        for (let at = 0; at < plan.steps.length; at += RECOVERY_BATCH) {
          const steps = plan.steps.slice(at, at + RECOVERY_BATCH);
          for (const step of steps) {
            broker.attach(step.bar, step.reports);
            reports += step.reports.length;
          }
          await feed.push(steps.map((step) => step.bar));
        }
        await feed.push(plan.tail);
        broker.takeOrders();
        const last = plan.steps.at(-1);
        if (last !== undefined) bridge.resumeAfter(last.bar);
      } finally {
        paused = false;
        options.engine.hold("RECOVERY", null);
      }
      return { bars: plan.steps.length, reports };
    },
    async stop() {
      feed.end();
      await run.done.catch(() => {});
    },
  };
}
