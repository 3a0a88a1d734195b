/**
 * Bearer-token authentication and the audit trail of the control plane. `identify` knows
 * the caller early (the rate limit keys on it); `requireToken` refuses the rest, with a
 * bucket of failures per address beyond which it answers 429. The presented token is
 * compared in constant time (both sides hashed, then `timingSafeEqual`), and a caller is
 * known by the token's fingerprint. It must never log, store or echo a token: audit
 * entries carry the fingerprint only.
 */

import type { AuditEntry } from "../../sinks/journal.ts";
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { addressGroup } from "./client_address.ts";
import { createTokenBuckets, type RateLimitOptions, tooManyRequests } from "./rate_limit.ts";

/**
 * What the middleware and routes share through the context: `address` (the client's, set
 * first, for every request), `actor` (set by `identify` only for the right token),
 * `refusal` (why authentication failed, for the audit trail), the `auditDetail` a route
 * may add to its audit entry (what changed: a reason, a version), and `unaudited`, set on
 * the routes of a mount declared `audit: false`.
 */
export type ControlEnv = {
  Variables: {
    address: string;
    actor: string;
    refusal?: string;
    auditDetail?: string;
    unaudited?: boolean;
  };
};

/**
 * One control-plane call written to the audit trail: the journal's audit row, with the
 * caller's token fingerprint (`tokenFingerprint`) as the actor, never the token.
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

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
function presentedToken(header: string | undefined): string | "missing" | "malformed" {
  if (header === undefined || header === "") return "missing";
  return BEARER.exec(header)?.[1] ?? "malformed";
}

/**
 * Sets `actor` to the token's fingerprint when the request carries the right token, and
 * answers nothing: the rate limit that follows keys on it, and `requireToken` enforces it.
 */
export function identify(token: string): MiddlewareHandler<ControlEnv> {
  const actor = tokenFingerprint(token);
  return async function identify(c, next) {
    const presented = presentedToken(c.req.header("authorization"));
    if (presented !== "missing" && presented !== "malformed" && tokensEqual(token, presented)) {
      c.set("actor", actor);
    }
    await next();
  };
}

export interface RequireTokenOptions {
  readonly audit: AuditSink;
  /** Failed authentications per address group; beyond it 429. Null: no limit. */
  readonly failures: RateLimitOptions | null;
  /** Wall clock in ms, for the audit time and the failure buckets. */
  readonly now: () => number;
  /** Where a failing audit sink is reported; the call it records has already happened. */
  readonly logError: (error: unknown) => void;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** A refusal as JSON with a `WWW-Authenticate` challenge (RFC 6750). */
function challenge(status: 400 | 401, error: string, header: string): Response {
  return Response.json({ error }, { status, headers: { "WWW-Authenticate": header } });
}

const REFUSALS = {
  missing: () => challenge(401, "missing bearer token", 'Bearer realm=""'),
  malformed: () =>
    challenge(
      400,
      'malformed Authorization header: expected "Bearer <token>"',
      'Bearer error="invalid_request"',
    ),
  invalid: () => challenge(401, "invalid bearer token", 'Bearer error="invalid_token"'),
} as const;

/**
 * Refuses a request `identify` did not recognise: 401 (missing or wrong token) or 400
 * (malformed header), each with its challenge, and 429 once the address has failed too
 * often. Then, for an authenticated call but GET and HEAD, writes it with its status to
 * the audit sink.
 */
export function requireToken(options: RequireTokenOptions): MiddlewareHandler<ControlEnv> {
  const failures = options.failures && createTokenBuckets(options.failures, options.now);
  return async function requireToken(c, next) {
    if (c.get("actor") === undefined) {
      const presented = presentedToken(c.req.header("authorization"));
      const problem = presented === "missing" || presented === "malformed" ? presented : "invalid";
      c.set("refusal", `${problem} bearer token`);
      const waitSeconds = failures?.take(addressGroup(c.get("address"))) ?? 0;
      if (waitSeconds > 0) {
        return tooManyRequests(
          waitSeconds,
          "too many failed authentications from this address: retry later",
        );
      }
      return REFUSALS[problem]();
    }
    await next();
    if (SAFE_METHODS.has(c.req.method) || c.get("unaudited")) return;
    await writeAudit(options, {
      timeUs: Math.round(options.now() * 1000),
      actor: c.get("actor"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      detail: c.get("auditDetail") ?? null,
    });
  };
}

/** Writes an entry; a failing sink is logged, never the caller's problem. */
export async function writeAudit(
  options: Pick<RequireTokenOptions, "audit" | "logError">,
  entry: AuditEntry,
): Promise<void> {
  try {
    await options.audit(entry);
  } catch (error) {
    options.logError(error);
  }
}
