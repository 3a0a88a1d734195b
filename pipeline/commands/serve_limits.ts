/**
 * `serve`'s limit flags turned into the limits the control plane and the EA's TCP port
 * take (docs/control-plane.md and docs/mt5-protocol.md list each with its default). A
 * rate of 0 turns its limit off. It only converts: every bound is checked by the flag
 * schema in serve.ts.
 */

import type { ControlLimits } from "../control/app.ts";
import {
  burstFor,
  DEFAULT_PUBLIC_RATE_LIMIT,
  DEFAULT_RATE_LIMIT,
  type RateLimitOptions,
} from "../control/rate_limit.ts";
import type { TcpLimits } from "../live/transport.ts";

/** The limit flags, as the flag schema parsed them. */
export interface LimitFlags {
  readonly "rate-limit": number;
  readonly "public-rate-limit": number;
  readonly "auth-failure-limit": number;
  readonly "audit-refusals": number;
  readonly "trust-proxy"?: string;
  readonly "request-timeout": number;
  readonly "upload-timeout": number;
  readonly "max-uploads": number;
  readonly "max-upload-mib": number;
  readonly "ea-tcp-login-bytes": number;
  readonly "ea-tcp-login-timeout": number;
  readonly "ea-tcp-idle-timeout": number;
  readonly "ea-tcp-max-connections": number;
  readonly "ea-tcp-max-per-address": number;
}

/** A sustained rate per second with its burst, or null for 0 (off). */
const perSecond = (rate: number, defaults: RateLimitOptions): RateLimitOptions | null =>
  rate === 0 ? null : { perSecond: rate, burst: burstFor(rate, defaults) };

export function controlLimits(flags: LimitFlags): Partial<ControlLimits> {
  const failures = flags["auth-failure-limit"];
  return {
    rate: perSecond(flags["rate-limit"], DEFAULT_RATE_LIMIT),
    publicRate: perSecond(flags["public-rate-limit"], DEFAULT_PUBLIC_RATE_LIMIT),
    // N failures at once, then N a minute.
    authFailures: failures === 0 ? null : { burst: failures, perSecond: failures / 60 },
    auditRefusalsPerMinute: flags["audit-refusals"],
    trustedProxies: (flags["trust-proxy"] ?? "").split(",").map((a) => a.trim()).filter(Boolean),
    requestTimeoutMs: flags["request-timeout"] * 1000,
    uploadTimeoutMs: flags["upload-timeout"] * 1000,
    uploads: flags["max-uploads"],
    uploadBytes: Math.round(flags["max-upload-mib"] * 1024 * 1024),
  };
}

export function tcpLimitsOf(flags: LimitFlags): Partial<TcpLimits> {
  return {
    loginLineBytes: flags["ea-tcp-login-bytes"],
    loginTimeoutMs: flags["ea-tcp-login-timeout"] * 1000,
    idleTimeoutMs: flags["ea-tcp-idle-timeout"] * 1000,
    maxConnections: flags["ea-tcp-max-connections"],
    maxConnectionsPerAddress: flags["ea-tcp-max-per-address"],
  };
}
