/**
 * Per-client rate limiting with token buckets: each client (its IP address as the server
 * saw it) may burst up to `burst` requests and then `perSecond` more each second; beyond
 * that it gets 429 with `Retry-After`. It runs before authentication, so guessing tokens
 * is throttled too. It must never trust a forwarded-for header, which any client can set.
 */

import type { Context, MiddlewareHandler } from "hono";

export interface RateLimitOptions {
  /** Requests a client may make at once, after a quiet spell. */
  readonly burst: number;
  /** Requests per second a client may sustain. */
  readonly perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 200, perSecond: 50 };

/** Buckets kept before the full (idle) ones are dropped, so memory stays bounded. */
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Token buckets by client key; `take` answers 0 when allowed, else the seconds to wait. */
export function createTokenBuckets(options: RateLimitOptions, now: () => number) {
  if (!(options.burst >= 1 && options.perSecond > 0)) {
    throw new RangeError(
      `Cannot rate-limit with burst ${options.burst} and ${options.perSecond}/s: need burst >= 1 and a positive rate`,
    );
  }
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, atMs: number) => {
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + (Math.max(0, atMs - bucket.atMs) / 1000) * options.perSecond,
    );
    bucket.atMs = atMs;
  };
  return {
    take(key: string): number {
      const atMs = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= MAX_CLIENTS) {
          for (const [other, state] of buckets) {
            refill(state, atMs);
            if (state.tokens >= options.burst) buckets.delete(other);
          }
        }
        bucket = { tokens: options.burst, atMs };
        buckets.set(key, bucket);
      }
      refill(bucket, atMs);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / options.perSecond;
    },
  };
}

/** The client's address from `Deno.serve`'s connection info; "unknown" without one (tests). */
function clientAddress(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/** Answers 429 (JSON, with `Retry-After` in whole seconds) to a client over its rate. */
export function rateLimit(
  options: RateLimitOptions,
  now: () => number,
  exempt: (path: string) => boolean = () => false,
): MiddlewareHandler {
  const buckets = createTokenBuckets(options, now);
  return async function rateLimit(c, next) {
    if (exempt(c.req.path)) return await next();
    const waitSeconds = buckets.take(clientAddress(c));
    if (waitSeconds > 0) {
      c.header("Retry-After", String(Math.ceil(waitSeconds)));
      return c.json({ error: "too many requests: slow down and retry later" }, 429);
    }
    await next();
  };
}
