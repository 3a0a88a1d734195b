/**
 * The control plane: a small Hono app the composition root serves over HTTP.
 *
 * This file only wires; route groups live in their own files. In order, every request
 * meets: the per-client rate limit, the body size limit, then `GET /health` and the
 * unauthenticated mounts, then Bearer authentication (with the audit trail) in front of
 * everything else. Errors never reach a client as a message or a stack: one `onError`
 * logs them and answers a fixed body. A deliberate client error (an `HTTPException`
 * below 500, such as a 401 or a 400 from validation) keeps its own response.
 */

import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { HealthRegistry, HealthStatus } from "../health.ts";
import { type AuditSink, type ControlEnv, requireToken } from "./auth.ts";
import { type ComponentController, componentRoutes } from "./components.ts";
import { configRoutes, type ConfigRoutesDeps } from "./config.ts";
import { killSwitchRoutes } from "./kill_switch.ts";
import { metricsRoutes } from "./metrics.ts";
import { modelRoutes, type ModelRoutesDeps } from "./models.ts";
import { DEFAULT_RATE_LIMIT, rateLimit, type RateLimitOptions } from "./rate_limit.ts";
import { type ModelSlotView, statusRoutes } from "./status.ts";
import type { RiskStatus } from "../../operators/risk/engine.ts";

/** A route group from elsewhere (the dashboard, the EA bridge), served under `path`. */
export interface ControlMount {
  readonly path: string;
  /** A plain Hono app, or one typed with `ControlEnv` to read the caller's `actor`. */
  readonly app: Hono | Hono<ControlEnv>;
  /** Behind the Bearer token (and audited) when true; public, like `/health`, when false. */
  readonly auth: boolean;
  /**
   * With `auth`, whether its non-GET calls go to the audit sink (default true). Only for
   * high-rate machine traffic such as the EA's ticks or `/ai_signal`, which the journal
   * records in its own tables.
   */
  readonly audit?: boolean;
}

export interface ControlLimits {
  /** Largest request body in bytes (413 beyond it). */
  readonly bodyBytes: number;
  /** Largest model upload (`POST /v1/models`) in bytes. */
  readonly uploadBytes: number;
  /** Requests per client IP address; null turns rate limiting off. */
  readonly rate: RateLimitOptions | null;
}

export const DEFAULT_LIMITS: ControlLimits = {
  bodyBytes: 1024 * 1024,
  uploadBytes: 64 * 1024 * 1024,
  rate: DEFAULT_RATE_LIMIT,
};

/** The risk engine as the control plane sees it. */
export interface RiskControl {
  status(): RiskStatus;
  killSwitch(on: boolean, reason: string): void | Promise<void>;
}

export interface ControlAppDeps {
  readonly health: HealthRegistry;
  /** Build version, shown by `/health` so an operator knows what is running. */
  readonly version: string;
  /** The API token every route but `/health` and public mounts requires. */
  readonly token: string;
  /** Receives every authenticated call but GET and HEAD, once answered. */
  readonly audit: AuditSink;
  /** Where unhandled errors go; defaults to `console.error`. */
  readonly logError?: (error: unknown) => void;
  /** Wall clock in ms (rate limit, audit times); defaults to `Date.now`. */
  readonly now?: () => number;
  readonly limits?: Partial<ControlLimits>;
  // Each group below is served only when provided; without it its routes answer 404.
  readonly risk?: RiskControl;
  /** The models scoring bars, for `/v1/status`. */
  readonly modelSlot?: () => ModelSlotView;
  readonly components?: ComponentController;
  readonly config?: ConfigRoutesDeps;
  readonly models?: ModelRoutesDeps;
  readonly mounts?: readonly ControlMount[];
}

/**
 * Statuses that answer 503, so a supervisor or load balancer takes the process out.
 * "degraded" still answers 200: it is serving, and the body says what is wrong.
 */
const UNAVAILABLE: ReadonlySet<HealthStatus> = new Set(["failed", "stopped"]);

/** The upload route gets the larger body limit; every other request the default. */
function bodyLimits(limits: ControlLimits): MiddlewareHandler {
  const tooLarge = (maxBytes: number) =>
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => c.json({ error: `request body larger than ${maxBytes} bytes` }, 413),
    });
  const normal = tooLarge(limits.bodyBytes);
  const upload = tooLarge(limits.uploadBytes);
  return function bodyLimits(c, next) {
    const isUpload = c.req.method === "POST" && c.req.path === "/v1/models";
    return (isUpload ? upload : normal)(c, next);
  };
}

/** A mount's app as the control app's sub-app: a plain one reads no variables, so either fits. */
const subApp = (mount: ControlMount) => mount.app as Hono<ControlEnv>;

/** Builds the control app; tests call `app.request(...)` on it without opening a port. */
export function createControlApp(deps: ControlAppDeps): Hono<ControlEnv> {
  const logError = deps.logError ?? console.error;
  const now = deps.now ?? Date.now;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { risk, config, mounts = [] } = deps;
  const app = new Hono<ControlEnv>();

  if (limits.rate !== null) app.use(rateLimit(limits.rate, now));
  app.use(bodyLimits(limits));

  app.get("/health", (c) => {
    const snapshot = deps.health.snapshot();
    return c.json(
      { version: deps.version, ...snapshot },
      UNAVAILABLE.has(snapshot.status) ? 503 : 200,
    );
  });
  for (const mount of mounts.filter((m) => !m.auth)) app.route(mount.path, subApp(mount));

  app.use(requireToken({ token: deps.token, audit: deps.audit, now, logError }));
  app.route("/", metricsRoutes(deps.health, deps.version));
  app.route(
    "/",
    statusRoutes({
      health: deps.health,
      version: deps.version,
      risk: risk && (() => risk.status()),
      models: deps.modelSlot,
      configVersion: config && (async () => (await config.store.latest())?.version ?? null),
    }),
  );
  if (risk) app.route("/", killSwitchRoutes((on, reason) => risk.killSwitch(on, reason)));
  if (deps.components) app.route("/", componentRoutes(deps.components));
  if (config) app.route("/", configRoutes(config));
  if (deps.models) app.route("/", modelRoutes(deps.models));
  // Audited mounts first: an unaudited one's marker runs for every path under it that no
  // earlier route answered.
  const authenticated = mounts.filter((m) => m.auth);
  for (const mount of authenticated.filter((m) => m.audit !== false)) {
    app.route(mount.path, subApp(mount));
  }
  for (const mount of authenticated.filter((m) => m.audit === false)) {
    const unaudited = new Hono<ControlEnv>().use(async (c, next) => {
      c.set("unaudited", true);
      await next();
    });
    app.route(mount.path, unaudited.route("/", subApp(mount)));
  }

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) return error.getResponse();
    logError(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
