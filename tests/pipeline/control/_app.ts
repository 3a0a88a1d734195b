/** Shared fixtures of the control-plane tests: a token, its header, and an app with fakes. */

import { type ControlAppDeps, createControlApp } from "@/pipeline/control/app.ts";
import type { AuditEntry } from "@/pipeline/control/auth.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";

export const TOKEN = "test-token-0123456789abcdefABCDEF_-";

/** Request options carrying the test token (and a JSON body, when given). */
export function authed(init: RequestInit & { json?: unknown } = {}): RequestInit {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("Authorization", `Bearer ${TOKEN}`);
  if (json === undefined) return { ...rest, headers };
  headers.set("Content-Type", "application/json");
  return { ...rest, headers, body: JSON.stringify(json) };
}

/** An app with a fixed clock, no rate limits unless asked, and every audit entry collected. */
export function testApp(overrides: Partial<ControlAppDeps> = {}) {
  const audited: AuditEntry[] = [];
  const logged: unknown[] = [];
  const health = overrides.health ?? createHealthRegistry({ now: () => 0 });
  const app = createControlApp({
    health,
    version: "1.2.3",
    token: TOKEN,
    audit: (entry) => void audited.push(entry),
    logError: (error) => void logged.push(error),
    now: () => Date.UTC(2026, 10, 25, 12),
    ...overrides,
    limits: { rate: null, publicRate: null, authFailures: null, ...overrides.limits },
  });
  return { app, audited, logged, health };
}
