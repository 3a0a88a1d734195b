/**
 * Rate limiting with token buckets: a client may burst up to `burst` requests and then
 * `perSecond` more each second; beyond that it gets 429 with `Retry-After`. Callers are
 * kept apart so that nobody can spend another's budget: an authenticated request (the
 * right token, checked before this runs) draws on the bucket of its token and address,
 * every other request on its address group's public bucket. Failed authentications have
 * a bucket of their own (auth.ts). It must never key a bucket on anything a client can
 * choose but its address, and never let the number of buckets grow without bound.
 */

import type { MiddlewareHandler } from "hono";
import type { ControlEnv } from "./auth.ts";
import { addressGroup } from "./client_address.ts";

export interface RateLimitOptions {
  /** Requests a client may make at once, after a quiet spell. */
  readonly burst: number;
  /** Requests per second a client may sustain. */
  readonly perSecond: number;
}

/** Each holder of the token, per address: the EA, the dashboard, a script. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 200, perSecond: 50 };
/** Each address group without the token: `/health`, the dashboard page, wrong tokens. */
export const DEFAULT_PUBLIC_RATE_LIMIT: RateLimitOptions = { burst: 60, perSecond: 20 };
/** Failed authentications per address group: 10 at once, then one every 6 s. */
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitOptions = { burst: 10, perSecond: 10 / 60 };

/** The burst that goes with a sustained rate set from the command line. */
export function burstFor(perSecond: number, defaults: RateLimitOptions): number {
  return Math.max(defaults.burst, Math.ceil(4 * perSecond));
}

/** Buckets kept; past it the least recently used goes (a fresh client starts full anyway). */
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
  // Map order is use order: a key taken is moved to the end, so the first is the oldest.
  const buckets = new Map<string, Bucket>();
  return {
    take(key: string): number {
      const atMs = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= MAX_CLIENTS) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: options.burst, atMs };
      } else {
        buckets.delete(key);
        bucket.tokens = Math.min(
          options.burst,
          bucket.tokens + (Math.max(0, atMs - bucket.atMs) / 1000) * options.perSecond,
        );
        bucket.atMs = atMs;
      }
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / options.perSecond;
    },
    get size(): number {
      return buckets.size;
    },
  };
}

/** A 429 (JSON, with `Retry-After` in whole seconds). */
export function tooManyRequests(waitSeconds: number, error: string): Response {
  return Response.json({ error }, {
    status: 429,
    headers: { "Retry-After": String(Math.max(1, Math.ceil(waitSeconds))) },
  });
}

export interface RateLimitLimits {
  /** Per token and address; null turns it off. */
  readonly authenticated: RateLimitOptions | null;
  /** Per address group, for every request without the right token; null turns it off. */
  readonly public: RateLimitOptions | null;
}

/**
 * Answers 429 to a client over its rate. Runs after `identify` (auth.ts), which sets
 * `actor` for the right token and `address` for every request.
 */
export function rateLimit(
  limits: RateLimitLimits,
  now: () => number,
): MiddlewareHandler<ControlEnv> {
  const authenticated = limits.authenticated && createTokenBuckets(limits.authenticated, now);
  const anonymous = limits.public && createTokenBuckets(limits.public, now);
  return async function rateLimit(c, next) {
    const actor = c.get("actor");
    const group = addressGroup(c.get("address"));
    const buckets = actor === undefined ? anonymous : authenticated;
    const waitSeconds = buckets?.take(actor === undefined ? group : `${actor} ${group}`) ?? 0;
    if (waitSeconds > 0) {
      return tooManyRequests(waitSeconds, "too many requests: slow down and retry later");
    }
    await next();
  };
}
