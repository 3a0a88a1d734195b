/**
 * `serve --role ingest|strategy|execution|journal|dashboard --nats URL`: one component of
 * the pipeline per process, on separate machines if need be, talking over NATS JetStream
 * (pipeline/bus/, pipeline/roles/, docs/scale-out.md). `--role all` (the default) is the
 * single process of serve_live.ts and serve_replay.ts, which needs no NATS at all.
 * Every role still serves the control plane (health at least) on its own port.
 * It must never start a role without its inputs, nor trade real money from a role:
 * execution here is paper trading on the simulated broker.
 */

import { NatsBus } from "../bus/nats.ts";
import type { ComponentHealth, HealthRegistry } from "../health.ts";
import { startExecutionRole } from "../roles/execution.ts";
import { ingestFile } from "../roles/ingest.ts";
import { startJournalRole } from "../roles/journal.ts";
import { startStrategyRole } from "../roles/strategy.ts";
import { XAUUSD } from "../symbols.ts";
import type { Journal } from "../../sinks/journal.ts";
import type { SseHub } from "../../sinks/sse.ts";
import { openSource } from "../../sources/mod.ts";
import { sourceOptions, UsageError } from "./args.ts";
import { productionModel } from "./serve_live.ts";
import type { ServeFlags, ServeMode } from "./serve.ts";
import { buildStrategy, type TradingConfig } from "./strategy.ts";

export const ROLES = ["all", "ingest", "strategy", "execution", "journal", "dashboard"] as const;
export type Role = typeof ROLES[number];

/** Starts `flags.role` against the NATS server at `flags.nats`. */
export async function startRole(
  flags: ServeFlags & { role: Exclude<Role, "all">; nats: string },
  journal: Journal,
  health: HealthRegistry,
  hub: SseHub,
  tradingConfig: () => Promise<TradingConfig>,
): Promise<ServeMode> {
  const bus = await NatsBus.connect({
    servers: flags.nats,
    account: flags.account,
    name: `ai-gold-scalper-${flags.role}`,
  });
  const component = health.register(`role:${flags.role}`);
  const symbol = XAUUSD.symbol;
  const none = () => ({ production: null, shadow: null });
  const ended = (done: Promise<unknown>) =>
    done.then(
      () => component.report("stopped", "the feed ended: every bar handled"),
      (error) => {
        component.report("failed", (error as Error).message);
        throw error;
      },
    );
  const close = async (stop: () => Promise<void>) => {
    await stop();
    await bus.close();
  };
  component.report("ok", `connected to ${flags.nats}`);
  switch (flags.role) {
    case "ingest": {
      if (flags.data === undefined) {
        throw new UsageError("--role ingest reads a file: pass --replay FILE");
      }
      const source = await openSource(flags.data, sourceOptions({ ...flags, data: flags.data }));
      const done = ingestFile(bus, source).then((count) =>
        console.log(`ingest: published ${count} bars from ${source.path}`)
      );
      return { control: {}, models: none, done: ended(done), close: () => close(async () => {}) };
    }
    case "strategy": {
      const model = await productionModel(flags, health);
      const strategy = buildStrategy({
        symbol,
        sides: flags["feed-sides"],
        config: await tradingConfig(),
        origin: flags.config,
        model,
        calendar: null,
      });
      const run = await startStrategyRole({
        bus,
        symbol,
        account: flags.account,
        stages: strategy.stages,
        engine: strategy.engine,
        health,
      });
      return {
        control: {},
        models: () => ({ production: model && { id: model.id }, shadow: null }),
        done: ended(run.done),
        close: () =>
          close(async () => {
            await run.stop();
            await model?.session.release();
          }),
      };
    }
    case "execution": {
      const config = await tradingConfig();
      const run = await startExecutionRole({
        bus,
        symbol,
        account: flags.account,
        execution: config.execution,
      });
      return { control: {}, models: none, done: ended(run.done), close: () => close(run.stop) };
    }
    case "journal": {
      const subscription = await startJournalRole(bus, journal);
      return { control: {}, models: none, close: () => close(subscription.stop) };
    }
    case "dashboard": {
      const seen = new Map<string, ComponentHealth>();
      const subscription = await bus.subscribe({ subject: ">" }, (batch) => {
        hub.write(batch);
        for (const event of batch) {
          if (event.kind !== "watermark") continue;
          const name = `role:${event.component}`;
          if (!seen.has(name)) seen.set(name, health.register(name));
          const role = seen.get(name)!;
          role.sawEvent(event.timeUs);
          role.report(event.final ? "stopped" : "ok", event.final ? "feed ended" : "running");
        }
      });
      return { control: {}, models: none, close: () => close(subscription.stop) };
    }
  }
}
