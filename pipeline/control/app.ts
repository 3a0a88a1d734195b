/**
 * The control plane: a small Hono app the composition root serves over HTTP.
 *
 * This file only wires; route groups live in their own files (authenticated ones behind
 * a Bearer token). Errors never reach a client as a message or a stack: one `onError`
 * logs them and answers a fixed body. A deliberate client error (an `HTTPException`
 * below 500, such as the 401 from Bearer auth) keeps its own response.
 */

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { HealthRegistry, HealthStatus } from "@/pipeline/health.ts";

export interface ControlAppDeps {
  readonly health: HealthRegistry;
  /** Build version, shown by `/health` so an operator knows what is running. */
  readonly version: string;
  /** Where unhandled errors go; defaults to `console.error`. */
  readonly logError?: (error: unknown) => void;
}

/**
 * Statuses that answer 503, so a supervisor or load balancer takes the process out.
 * "degraded" still answers 200: it is serving, and the body says what is wrong.
 */
const UNAVAILABLE: ReadonlySet<HealthStatus> = new Set(["failed", "stopped"]);

/** Builds the control app; tests call `app.request(...)` on it without opening a port. */
export function createControlApp(deps: ControlAppDeps): Hono {
  const logError = deps.logError ?? console.error;
  const app = new Hono();

  app.get("/health", (c) => {
    const snapshot = deps.health.snapshot();
    return c.json(
      { version: deps.version, ...snapshot },
      UNAVAILABLE.has(snapshot.status) ? 503 : 200,
    );
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) return error.getResponse();
    logError(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
