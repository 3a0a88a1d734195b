/**
 * `serve` without `--replay`: live trading. An MT5 terminal's EA connects over protocol
 * v1 (HTTP through the control plane, or TCP), the journal's recent history rebuilds the
 * state first, and the strategy (the backtest's own stages, supervised) decides. The
 * control plane gets the risk engine's kill switch, the config store, the stage switches
 * and `/ai_signal`. It must never answer an EA before recovery has finished.
 */

import { loadServingModel, type ServingModel } from "../../operators/ensemble/mod.ts";
import { resolveExecutionConfig } from "../../operators/execution/mod.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "../../operators/features/mod.ts";
import { readNewsCalendar } from "../../operators/risk/mod.ts";
import { type Journal, journalSink } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import type { Stage } from "../build.ts";
import { aiSignalRoutes, SignalBoard } from "../control/ai_signal.ts";
import { tokensEqual } from "../control/auth.ts";
import type { RefusalLog } from "../control/refusals.ts";
import type { HealthRegistry } from "../health.ts";
import { startLive } from "../live/live.ts";
import { eaRoutes, serveEaTcp } from "../live/transport.ts";
import { componentController, supervise, type SupervisedStage } from "../supervise.ts";
import { readOptions, UsageError } from "./args.ts";
import { openRegistry } from "./models.ts";
import type { ServeFlags, ServeMode } from "./serve.ts";
import { tcpLimitsOf } from "./serve_limits.ts";
import { buildStrategy, checkedTradingConfigSchema, type TradingConfig } from "./strategy.ts";

/** Live trading: the EA bridge, the strategy and the control plane's hooks into them. */
export async function startLiveTrading(
  flags: ServeFlags,
  apiToken: string,
  journal: Journal,
  health: HealthRegistry,
  sinks: readonly Sink[],
  refusals: RefusalLog,
  tradingConfig: () => Promise<TradingConfig>,
): Promise<ServeMode> {
  const config = await tradingConfig();
  const calendar = flags.news ? await readNewsCalendar(flags.news) : null;
  const model = await productionModel(flags, health);
  const strategy = buildStrategy({
    // Live, the symbol is the broker profile's: the terminal trades what it names.
    symbol: resolveExecutionConfig(config.execution ?? {}).spec.symbol,
    sides: flags["feed-sides"],
    config,
    origin: flags.config,
    model,
    calendar,
    requireNewsCalendar: true,
  });
  if (strategy.engine.config.onHalt !== "halt") {
    throw new UsageError(
      `${flags.config ?? "the stored config"}: risk.onHalt "record" is for research runs; ` +
        `live trading always halts at its limits, so remove it`,
    );
  }
  const spec = strategy.execution.spec;
  // A failing strategy stage is restarted and bypassed meanwhile (fusion trades on its
  // other sources); risk and execution are not supervised: a failure there stops trading.
  const supervised: SupervisedStage[] = [];
  const wrapStage = (stage: Stage): Stage => {
    const wrapped = supervise(stage.name, () => stage.operator, { health });
    supervised.push(wrapped);
    return wrapped;
  };
  const board = new SignalBoard();
  const live = startLive({
    stages: strategy.stages,
    engine: strategy.engine,
    journalSink: journalSink(journal),
    journal,
    sinks: [board, ...sinks],
    health,
    staleAfterSeconds: flags["stale-after"],
    wrapStage,
    spec,
    plausibility: readOptions(flags).plausibility,
  });
  const recovered = await live.recover(journal, flags["warm-up-days"]);
  if (recovered.bars > 0) {
    console.log(
      `recovered from the journal: ${recovered.bars} bars and ${recovered.reports} reports replayed`,
    );
  }
  const staleness = setInterval(() => live.bridge.checkStaleness(), 1000);
  const tcp = flags["ea-tcp-port"] === undefined ? null : serveEaTcp({
    bridge: live.bridge,
    hostname: flags.host,
    port: flags["ea-tcp-port"],
    authorize: (token) => tokensEqual(apiToken, token),
    limits: tcpLimitsOf(flags),
    health: health.register("ea-tcp"),
    onUnauthorized: (address) => {
      refusals.count(401);
      void refusals.audit({
        address,
        method: "TCP",
        path: "login",
        status: 401,
        reason: "invalid token on the EA's TCP port",
      });
    },
  });
  if (tcp !== null) console.log(`EA TCP transport on ${flags.host}:${tcp.port}`);
  const { engine } = strategy;
  return {
    control: {
      risk: {
        status: () => engine.status(Date.now() * 1000),
        killSwitch: (on, reason) => engine.killSwitch(on, reason),
      },
      config: {
        schema: checkedTradingConfigSchema,
        store: {
          latest: () => journal.latestConfig(),
          append: (version, value, actor) => void journal.appendConfigChange(version, value, actor),
        },
      },
      components: componentController(supervised),
      mounts: [
        { path: "/", app: eaRoutes(live.bridge), auth: true, audit: false },
        {
          path: "/",
          app: aiSignalRoutes({
            latestSignal: (symbol) => board.latestSignal(symbol),
            account: () => board.account(),
            spec: (symbol) => symbol === spec.symbol ? spec : null,
            defaultSymbol: spec.symbol,
            risk: engine.config,
          }),
          auth: true,
          audit: false,
        },
      ],
    },
    models: () => ({ production: model && { id: model.id }, shadow: null }),
    close: async () => {
      clearInterval(staleness);
      await tcp?.close();
      await live.stop();
      await model?.session.release();
    },
  };
}

/** The registry's production model, verified against the feature spec; null without one. */
export async function productionModel(
  flags: ServeFlags,
  health: HealthRegistry,
): Promise<ServingModel | null> {
  const component = health.register("registry");
  const registry = openRegistry(flags.registry);
  try {
    const production = registry.production();
    if (production === null) {
      component.report("idle", "no production model in the registry: technical signals only");
      return null;
    }
    const model = await loadServingModel(
      registry,
      production.id,
      specHash(DEFAULT_FEATURE_SPEC),
      flags.threads,
    );
    component.report("ok", `production ${model.id.slice(0, 12)}`);
    return model;
  } finally {
    registry.close();
  }
}
