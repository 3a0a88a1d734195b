/**
 * The control plane: a small Hono app the composition root serves over HTTP.
 *
 * This file only wires; route groups live in their own files. In order, every request
 * meets: the refusal log (counts 401/403/429 for `/metrics`, audits failed logins), the
 * client's address (a forwarded one only from a trusted proxy), `identify` (the right
 * token makes the caller its fingerprint), the rate limit (the token's own bucket, or the
 * address's public one), the upload slots, the request timeout, the body size limit, then
 * `GET /health` and the unauthenticated mounts, then `requireToken` (401/400, or 429 for an
 * address that failed too often; the audit trail) in front of everything else. Errors never
 * reach a client as a message or a stack: one `onError` logs them and answers a fixed body.
 * A deliberate client error (an `HTTPException` below 500, such as a 401 or a 400 from
 * validation) keeps its own response.
 */

import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";
import type { HealthRegistry, HealthStatus } from "../health.ts";
import { type AuditSink, type ControlEnv, identify, requireToken } from "./auth.ts";
import { clientAddress } from "./client_address.ts";
import { type ComponentController, componentRoutes } from "./components.ts";
import { configRoutes, type ConfigRoutesDeps } from "./config.ts";
import { killSwitchRoutes } from "./kill_switch.ts";
import { metricsRoutes } from "./metrics.ts";
import { publicHealth } from "./public_health.ts";
import { modelRoutes, type ModelRoutesDeps } from "./models.ts";
import {
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_PUBLIC_RATE_LIMIT,
  DEFAULT_RATE_LIMIT,
  rateLimit,
  type RateLimitOptions,
} from "./rate_limit.ts";
import { DEFAULT_AUDIT_REFUSALS_PER_MINUTE, RefusalLog } from "./refusals.ts";
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
  /** Model uploads in progress at once; one more answers 503 before its body is read. */
  readonly uploads: number;
  /** Time to answer a request, its body read included, in ms; 408 beyond it. */
  readonly requestTimeoutMs: number;
  /** The same for a model upload or promotion: a large body, and a measurement of the model. */
  readonly uploadTimeoutMs: number;
  /** Requests per holder of the token and address; null turns it off. */
  readonly rate: RateLimitOptions | null;
  /** Requests per address without the right token (`/health`, wrong tokens); null: off. */
  readonly publicRate: RateLimitOptions | null;
  /** Failed authentications per address (then 429 until the bucket refills); null: off. */
  readonly authFailures: RateLimitOptions | null;
  /** Peers (reverse proxies) whose `X-Forwarded-For` names the client; none by default. */
  readonly trustedProxies: readonly string[];
  /** Refusals written to the audit trail a minute, at most; the rest are counted. */
  readonly auditRefusalsPerMinute: number;
}

export const DEFAULT_LIMITS: ControlLimits = {
  bodyBytes: 1024 * 1024,
  uploadBytes: 64 * 1024 * 1024,
  uploads: 1,
  requestTimeoutMs: 30_000,
  uploadTimeoutMs: 300_000,
  rate: DEFAULT_RATE_LIMIT,
  publicRate: DEFAULT_PUBLIC_RATE_LIMIT,
  authFailures: DEFAULT_AUTH_FAILURE_LIMIT,
  trustedProxies: [],
  auditRefusalsPerMinute: DEFAULT_AUDIT_REFUSALS_PER_MINUTE,
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
  /** Receives every authenticated call but GET and HEAD, once answered, and refusals. */
  readonly audit: AuditSink;
  /** Where refusals are counted and audited; one over `audit` when absent. */
  readonly refusals?: RefusalLog;
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

type RequestLike = { req: { method: string; path: string } };

const isUpload = (c: RequestLike) => c.req.method === "POST" && c.req.path === "/v1/models";

/** The routes that measure a model (upload, promotion): seconds of work behind them. */
const measuresModel = (c: RequestLike) =>
  isUpload(c) || (c.req.method === "POST" && /^\/v1\/models\/[^/]+\/promote$/.test(c.req.path));

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
    return (isUpload(c) ? upload : normal)(c, next);
  };
}

/** 408 once a request has taken its time (a body trickled in byte by byte, say). */
function requestTimeouts(limits: ControlLimits): MiddlewareHandler {
  const after = (ms: number) =>
    timeout(
      ms,
      () =>
        new HTTPException(408, {
          res: Response.json({ error: `request not answered within ${ms / 1000} s` }, {
            status: 408,
            headers: { Connection: "close" },
          }),
        }),
    );
  const normal = after(limits.requestTimeoutMs);
  const slow = after(limits.uploadTimeoutMs);
  return function requestTimeouts(c, next) {
    return (measuresModel(c) ? slow : normal)(c, next);
  };
}

/**
 * At most `slots` uploads at once, refused before their body is read: each holds its
 * whole body in memory while it is checked.
 */
function uploadSlots(slots: number): MiddlewareHandler {
  let inUse = 0;
  return async function uploadSlots(c, next) {
    if (!isUpload(c)) return await next();
    if (inUse >= slots) {
      c.header("Retry-After", "30");
      return c.json({ error: "another model upload is in progress: retry when it is done" }, 503);
    }
    inUse++;
    try {
      await next();
    } finally {
      inUse--;
    }
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

  const refusals = deps.refusals ??
    new RefusalLog({
      audit: deps.audit,
      auditPerMinute: limits.auditRefusalsPerMinute,
      now,
      logError,
    });
  const trustedProxies = new Set(limits.trustedProxies);

  app.use(refusals.middleware());
  app.use(async (c, next) => {
    c.set("address", clientAddress(c, trustedProxies));
    await next();
  });
  app.use(identify(deps.token));
  app.use(rateLimit({ authenticated: limits.rate, public: limits.publicRate }, now));
  app.use(uploadSlots(limits.uploads));
  // Before the body limit, which reads a body sent without Content-Length in full.
  app.use(requestTimeouts(limits));
  app.use(bodyLimits(limits));

  app.get("/health", (c) => {
    const snapshot = publicHealth(deps.health.snapshot());
    return c.json(
      { version: deps.version, ...snapshot },
      UNAVAILABLE.has(snapshot.status) ? 503 : 200,
    );
  });
  for (const mount of mounts.filter((m) => !m.auth)) app.route(mount.path, subApp(mount));

  app.use(requireToken({ audit: deps.audit, failures: limits.authFailures, now, logError }));
  app.route("/", metricsRoutes(deps.health, deps.version, refusals));
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
