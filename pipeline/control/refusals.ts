/**
 * The record of refused callers: every 401 and 403 (and the 429s of the rate limits)
 * counted by status for `/metrics`, and each failed authentication written to the audit
 * trail with the client's address, at most `auditPerMinute` entries a minute so a flood
 * cannot fill the disk; the entries left out are counted and named in the next one
 * written. The EA's TCP port reports its failed logins here too.
 * It must never write a token, a request body or a header value other than the address.
 */

import type { MiddlewareHandler } from "hono";
import type { AuditSink, ControlEnv } from "./auth.ts";
import { writeAudit } from "./auth.ts";
import { createTokenBuckets } from "./rate_limit.ts";

/** Statuses counted in `/metrics` as refusals. */
const REFUSED_STATUSES = [401, 403, 429] as const;

export const DEFAULT_AUDIT_REFUSALS_PER_MINUTE = 12;

/** A refused path is written at most this long; the rest is cut (an attacker chooses it). */
const MAX_PATH_CHARS = 200;

export interface RefusalLogOptions {
  readonly audit: AuditSink;
  /** Refusal entries written a minute, at most (and at once, after a quiet minute). */
  readonly auditPerMinute: number;
  /** Wall clock in ms. */
  readonly now: () => number;
  readonly logError: (error: unknown) => void;
}

/** What one refusal was, for the audit trail. */
export interface Refusal {
  readonly address: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Why, in words ("invalid bearer token"). */
  readonly reason: string;
}

export class RefusalLog {
  readonly #options: RefusalLogOptions;
  readonly #counts = new Map<number, number>(REFUSED_STATUSES.map((s) => [s, 0]));
  readonly #budget: ReturnType<typeof createTokenBuckets>;
  /** Left out since the last entry written. */
  #notWritten = 0;
  #notWrittenTotal = 0;

  constructor(options: RefusalLogOptions) {
    this.#options = options;
    this.#budget = createTokenBuckets(
      { burst: options.auditPerMinute, perSecond: options.auditPerMinute / 60 },
      options.now,
    );
  }

  /** Counts a response's status when it is a refusal. */
  count(status: number): void {
    const seen = this.#counts.get(status);
    if (seen !== undefined) this.#counts.set(status, seen + 1);
  }

  /** Refusals by status since start, every counted status present. */
  counts(): ReadonlyMap<number, number> {
    return this.#counts;
  }

  /** Audit entries left out by the rate limit since start. */
  get notWrittenTotal(): number {
    return this.#notWrittenTotal;
  }

  /** Writes a refusal to the audit trail, unless over the rate (then counts it). */
  async audit(refusal: Refusal): Promise<void> {
    if (this.#budget.take("audit") > 0) {
      this.#notWritten++;
      this.#notWrittenTotal++;
      return;
    }
    const skipped = this.#notWritten;
    this.#notWritten = 0;
    const path = refusal.path.length > MAX_PATH_CHARS
      ? `${refusal.path.slice(0, MAX_PATH_CHARS)}…`
      : refusal.path;
    await writeAudit(this.#options, {
      timeUs: Math.round(this.#options.now() * 1000),
      actor: "anonymous",
      method: refusal.method,
      path,
      status: refusal.status,
      detail: `refused ${refusal.address}: ${refusal.reason}${
        skipped > 0 ? `; ${skipped} refusals before this one not written (audit rate limit)` : ""
      }`,
    });
  }

  /**
   * The control plane's outermost middleware: counts every refused status and audits
   * each failed authentication (`refusal` set by `requireToken`) and every 403.
   */
  middleware(): MiddlewareHandler<ControlEnv> {
    return async (c, next) => {
      await next();
      const status = c.res.status;
      this.count(status);
      const reason = c.get("refusal");
      if (reason === undefined && status !== 403) return;
      await this.audit({
        address: c.get("address"),
        method: c.req.method,
        path: c.req.path,
        status,
        reason: reason ?? "forbidden",
      });
    };
  }
}
