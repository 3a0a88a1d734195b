/**
 * The `strategy` role: the strategy's stages and the risk engine (the live trading kernel,
 * `tradeRemotely`) as a component on the bus. It reads the symbol's M1 bars and the
 * account's execution reports, decides a bar only once the execution watermark says every
 * report of that bar has arrived (the reports go in right after the bar, as in a backtest),
 * and publishes what it decided (regimes, predictions, signals, risk decisions, orders),
 * then its watermark. Decisions are deterministic, so a restarted worker replays the
 * stream from the start and republishes identical events under identical ids, which the
 * bus and its consumers drop: nothing is lost or doubled.
 */

import type { BarEvent, MarketEvent } from "../events.ts";
import { RemoteBroker, tradeRemotely } from "../../operators/execution/remote.ts";
import type { RiskEngine } from "../../operators/risk/engine.ts";
import { runPipeline, type Stage } from "../build.ts";
import type { HealthRegistry } from "../health.ts";
import { LiveFeed } from "../live/feed.ts";
import type { Bus, BusSubscription } from "../bus/bus.ts";
import { DEFAULT_ACCOUNT, subjectToken } from "../bus/subjects.ts";
import { eventTimeUs } from "../replay.ts";
import type { RoleRun } from "./execution.ts";
import { Serial, watermark } from "./lockstep.ts";

export interface StrategyRoleOptions {
  readonly bus: Bus;
  readonly symbol: string;
  readonly account?: string;
  /** `buildStrategy`'s stages and engine: the same as the backtest's and the live server's. */
  readonly stages: readonly Stage[];
  readonly engine: RiskEngine;
  readonly health: HealthRegistry;
}

/** What the strategy publishes: its decisions, not the bars and reports it was given. */
const DECISIONS: ReadonlySet<MarketEvent["kind"]> = new Set([
  "regime",
  "prediction",
  "signal",
  "risk",
  "order",
]);

export async function startStrategyRole(options: StrategyRoleOptions): Promise<RoleRun> {
  const { bus, symbol } = options;
  const account = subjectToken(options.account ?? DEFAULT_ACCOUNT);
  const feed = new LiveFeed();
  const broker = new RemoteBroker();
  let decided: MarketEvent[] = [];
  const run = runPipeline({
    sourceName: "bus",
    source$: feed.source$,
    stages: [
      ...options.stages,
      { name: "risk", operator: tradeRemotely(options.engine, broker) },
    ],
    sinks: [{
      name: "decisions",
      write: (batch) => {
        for (const event of batch) if (DECISIONS.has(event.kind)) decided.push(event);
      },
      close() {},
    }, feed.sink],
    health: options.health,
  });

  const serial = new Serial();
  const finished = Promise.withResolvers<void>();
  const bars: BarEvent[] = [];
  let reports: MarketEvent[] = [];
  let executionUs = -Infinity;
  let executionFinal = false;
  let lastUs = -Infinity;

  const pump = async () => {
    while (bars.length > 0 && executionUs >= bars[0].closeUs) {
      const bar = bars.shift()!;
      const mine = reports.filter((event) => eventTimeUs(event) <= bar.closeUs);
      reports = reports.filter((event) => eventTimeUs(event) > bar.closeUs);
      broker.attach(bar, mine);
      decided = [];
      await feed.push([bar]);
      decided.push(watermark("strategy", symbol, bar.closeUs));
      await bus.publish(decided);
      lastUs = bar.closeUs;
    }
    if (executionFinal && bars.length === 0) {
      await bus.publish([watermark("strategy", symbol, lastUs, true)]);
      feed.end();
      await run.done;
      finished.resolve();
    }
  };

  const subscriptions: BusSubscription[] = [
    // Handlers queue and return at once (see execution.ts).
    await bus.subscribe(
      { subject: `md.${subjectToken(symbol)}.bar.M1` },
      (batch) =>
        void serial.run(() => {
          for (const event of batch) {
            if (event.kind === "bar" && event.symbol === symbol && event.closeUs > lastUs) {
              bars.push(event);
            }
          }
          return pump();
        }).catch(finished.reject),
    ),
    await bus.subscribe({ subject: `exec.${account}` }, (batch) =>
      void serial.run(() => {
        for (const event of batch) {
          if (event.kind === "watermark") {
            if (event.component !== "execution" || event.symbol !== symbol) continue;
            executionUs = Math.max(executionUs, event.timeUs);
            executionFinal ||= event.final;
          } else if (event.kind === "account" || event.symbol === symbol) {
            reports.push(event);
          }
        }
        return pump();
      }).catch(finished.reject)),
  ];
  return {
    done: finished.promise,
    async stop() {
      for (const subscription of subscriptions) await subscription.stop();
      feed.end();
      await run.done.catch(() => {});
    },
  };
}
