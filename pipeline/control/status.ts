/**
 * `GET /v1/status`: one view of the running system for an operator or the dashboard:
 * health, the risk engine's trading state, the models in use and the config version.
 * Each part comes from a provider `serve` injects; a part without one is null. It only reads.
 */

import { Hono } from "hono";
import type { HealthRegistry } from "../health.ts";
import type { RiskStatus } from "../../operators/risk/engine.ts";
import type { ControlEnv } from "./auth.ts";

/** The ids of the models scoring bars, or null for an empty slot. */
export interface ModelSlotView {
  readonly production: string | null;
  readonly shadow: string | null;
}

export interface StatusProviders {
  readonly health: HealthRegistry;
  readonly version: string;
  readonly risk?: () => RiskStatus;
  readonly models?: () => ModelSlotView;
  /** The version of the config in force, or null before the first one is stored. */
  readonly configVersion?: () => number | null | Promise<number | null>;
}

export function statusRoutes(providers: StatusProviders): Hono<ControlEnv> {
  return new Hono<ControlEnv>().get("/v1/status", async (c) =>
    c.json({
      version: providers.version,
      health: providers.health.snapshot(),
      risk: providers.risk?.() ?? null,
      models: providers.models?.() ?? null,
      config: { version: (await providers.configVersion?.()) ?? null },
    }));
}
