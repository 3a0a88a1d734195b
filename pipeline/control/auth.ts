/**
 * Bearer-token authentication and the audit trail of the control plane. The presented
 * token is compared in constant time (both sides hashed, then `timingSafeEqual`), and a
 * caller is known by the token's fingerprint. It must never log, store or echo a token:
 * audit entries carry the fingerprint only.
 */

import type { AuditEntry } from "../../sinks/journal.ts";
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";

/**
 * What the authenticated routes share through the context: `actor` (set here), the
 * `auditDetail` a route may add to its audit entry (what changed: a reason, a version),
 * and `unaudited`, set on the routes of a mount declared `audit: false`.
 */
export type ControlEnv = {
  Variables: { actor: string; auditDetail?: string; unaudited?: boolean };
};

/**
 * One authenticated call that may have changed something (any method but GET and HEAD):
 * the journal's audit row, with the caller's token fingerprint (`tokenFingerprint`) as
 * the actor, never the token.
 */
export type { AuditEntry };

/** Where audit entries go (the journal's audit table, in `serve`). */
export type AuditSink = (entry: AuditEntry) => void | Promise<void>;

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Constant-time token comparison. Hashing first gives both sides 32 bytes, so neither the
 * length nor the first differing character of the expected token shows in the timing.
 */
export function tokensEqual(expected: string, presented: string): boolean {
  return timingSafeEqual(sha256(expected), sha256(presented));
}

/** A short, stable name for a token that cannot be turned back into it. */
export function tokenFingerprint(token: string): string {
  return `token:${sha256(token).toString("hex").slice(0, 12)}`;
}

export interface RequireTokenOptions {
  readonly token: string;
  readonly audit: AuditSink;
  /** Wall clock in ms, for the audit time. */
  readonly now: () => number;
  /** Where a failing audit sink is reported; the call it records has already happened. */
  readonly logError: (error: unknown) => void;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * Answers 401 (JSON) without the right `Authorization: Bearer <token>`, sets `actor`, and
 * after the handler writes every non-GET call with its status to the audit sink.
 */
export function requireToken(options: RequireTokenOptions): MiddlewareHandler<ControlEnv> {
  const actor = tokenFingerprint(options.token);
  const authenticate = bearerAuth<ControlEnv>({
    verifyToken: (presented) => tokensEqual(options.token, presented),
    noAuthenticationHeader: { message: { error: "missing bearer token" } },
    invalidAuthenticationHeader: {
      message: { error: 'malformed Authorization header: expected "Bearer <token>"' },
    },
    invalidToken: { message: { error: "invalid bearer token" } },
  });
  return async function requireToken(c, next) {
    await authenticate(c, async () => {
      c.set("actor", actor);
      await next();
      if (SAFE_METHODS.has(c.req.method) || c.get("unaudited")) return;
      try {
        await options.audit({
          timeUs: Math.round(options.now() * 1000),
          actor,
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          detail: c.get("auditDetail") ?? null,
        });
      } catch (error) {
        options.logError(error);
      }
    });
  };
}
