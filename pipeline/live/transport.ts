/**
 * The two transports of protocol v1, both over one `EaBridge`: HTTP (`POST /v1/ea/sync`,
 * what MQL5's `WebRequest` speaks; authenticated by the control plane's Bearer check)
 * and a raw TCP socket carrying newline-delimited JSON (authenticated by its first line).
 *
 * They only frame and unframe: every decision is the bridge's. The TCP port is bounded
 * before anyone has logged in: a small first line, a login deadline, a cap on connections
 * in all and per address, an idle deadline after login, and line scanning linear in the
 * bytes received. They must never hold a line longer than its limit, keep a connection
 * past its deadline, answer before the bridge has, or leak an internal error.
 */

import { Hono } from "hono";
import type { ControlEnv } from "../control/auth.ts";
import { addressGroup } from "../control/client_address.ts";
import type { ComponentHealth } from "../health.ts";
import { within } from "../within.ts";
import { LINE_TOO_LONG, LineSplitter } from "./line_splitter.ts";
import { MAX_MESSAGES, ProtocolError } from "./protocol.ts";
import type { EaBridge } from "./bridge.ts";
/** Routes for the control plane to mount behind its Bearer auth. */
export function eaRoutes(bridge: EaBridge): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();
  app.post("/v1/ea/sync", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "the body is not JSON" }, 400);
    }
    try {
      return c.json(await bridge.handle(body));
    } catch (error) {
      if (error instanceof ProtocolError) return c.json({ error: error.message }, error.status);
      throw error;
    }
  });
  app.post("/v1/ea/reconcile", (c) => {
    const accepted = bridge.acceptReconciliation(c.get("actor") ?? "operator");
    return c.json({ accepted }, accepted ? 200 : 409);
  });
  return app;
}

/** What bounds the TCP port; every field has a `serve` flag (docs/mt5-protocol.md). */
export interface TcpLimits {
  /** Longest first line (the login), in bytes. */
  readonly loginLineBytes: number;
  /** Longest envelope line after login, in bytes. */
  readonly lineBytes: number;
  /** Time from accept to a valid login line, in ms; then the connection is closed. */
  readonly loginTimeoutMs: number;
  /** Time a logged-in connection may go without a complete line, in ms. */
  readonly idleTimeoutMs: number;
  /** Connections open at once, logged in or not; more are refused at accept. */
  readonly maxConnections: number;
  /** Connections open at once from one remote address (an IPv6 address: its /64). */
  readonly maxConnectionsPerAddress: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  loginLineBytes: 1024,
  lineBytes: MAX_MESSAGES * 1024,
  loginTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxConnections: 32,
  maxConnectionsPerAddress: 8,
};

export interface TcpOptions {
  readonly bridge: EaBridge;
  readonly hostname: string;
  readonly port: number;
  /** True when `token` is the API token; must compare in constant time. */
  readonly authorize: (token: string) => boolean;
  readonly limits?: Partial<TcpLimits>;
  /** Counts connections, logins and every refusal by cause. */
  readonly health?: ComponentHealth;
  /** Called for every failed login, with the client's address (the audit trail). */
  readonly onUnauthorized?: (address: string) => void;
  readonly logError?: (error: unknown) => void;
}

export interface TcpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The limits with defaults filled in; a RangeError names a limit that is not positive. */
export function tcpLimits(overrides: Partial<TcpLimits> = {}): TcpLimits {
  const limits = { ...DEFAULT_TCP_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`Cannot serve the EA over TCP: ${name} must be positive, got ${value}`);
    }
  }
  return limits;
}

/** How long a closing connection's last line may take to leave before the socket closes. */
const FAREWELL_MS = 1000;
const encoder = new TextEncoder();
const CLOSED_UNDER_US = [
  Deno.errors.Interrupted,
  Deno.errors.BadResource,
  Deno.errors.ConnectionReset,
];

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Writes one error line, then closes, even when the peer does not read. */
async function closeWith(conn: Deno.Conn, error: string): Promise<void> {
  const line = encoder.encode(JSON.stringify({ v: 1, error }) + "\n");
  await within(conn.write(line).catch(() => 0), FAREWELL_MS);
  closeQuietly(conn);
}

/** Listens for EAs on a TCP socket: `{"v":1,"token":...}` first, then envelope per line. */
export function serveEaTcp(options: TcpOptions): TcpServer {
  const limits = tcpLimits(options.limits);
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const connections = new Set<Deno.TcpConn>();
  const perAddress = new Map<string, number>();
  const count = (counter: string) => options.health?.count(counter);
  options.health?.report("ok", "listening for EAs");

  const release = (conn: Deno.TcpConn, group: string) => {
    connections.delete(conn);
    const left = (perAddress.get(group) ?? 1) - 1;
    if (left === 0) perAddress.delete(group);
    else perAddress.set(group, left);
    closeQuietly(conn);
  };

  const accepting = (async () => {
    for await (const conn of listener) {
      const address = (conn.remoteAddr as Deno.NetAddr).hostname;
      // An IPv6 address counts by its /64, as the control plane's limits do.
      const group = addressGroup(address);
      const fromAddress = perAddress.get(group) ?? 0;
      if (connections.size >= limits.maxConnections) {
        count("refused: connection cap");
        void closeWith(
          conn,
          `the server holds its maximum of ${limits.maxConnections} connections`,
        );
        continue;
      }
      if (fromAddress >= limits.maxConnectionsPerAddress) {
        count("refused: per-address cap");
        void closeWith(
          conn,
          `the server holds its maximum of ${limits.maxConnectionsPerAddress} connections from one address`,
        );
        continue;
      }
      count("connections");
      connections.add(conn);
      perAddress.set(group, fromAddress + 1);
      // One small reply per envelope: Nagle's delay would add tens of ms to each.
      conn.setNoDelay(true);
      serveConnection(conn, address, options, limits)
        .catch((error) => (options.logError ?? console.error)(error))
        .finally(() => release(conn, group));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of connections) closeQuietly(conn);
      await accepting;
    },
  };
}

/** One connection: login under its deadline and line limit, then envelopes until idle. */
async function serveConnection(
  conn: Deno.TcpConn,
  address: string,
  options: TcpOptions,
  limits: TcpLimits,
): Promise<void> {
  const count = (counter: string) => options.health?.count(counter);
  const send = (value: unknown) => writeAll(conn, encoder.encode(JSON.stringify(value) + "\n"));
  const splitter = new LineSplitter(limits.loginLineBytes);
  const chunk = new Uint8Array(16 * 1024);
  let authorized = false;
  /** Set when a deadline closed the connection: the read it interrupts is no error. */
  let expired = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const expireAfter = (ms: number, counter: string, error: string) => {
    clearTimeout(deadline);
    deadline = setTimeout(() => {
      expired = true;
      count(counter);
      void closeWith(conn, error);
    }, ms);
  };
  expireAfter(
    limits.loginTimeoutMs,
    "closed: login timeout",
    `no login within ${limits.loginTimeoutMs / 1000} s`,
  );
  try {
    while (true) {
      let read: number | null;
      try {
        read = await conn.read(chunk);
      } catch (error) {
        // Closed under the read (a deadline, the server's shutdown) or reset by the peer.
        if (expired || CLOSED_UNDER_US.some((type) => error instanceof type)) return;
        throw error;
      }
      if (read === null || expired) return;
      splitter.push(chunk.subarray(0, read));
      for (let line = splitter.next(); line !== undefined; line = splitter.next()) {
        if (line === LINE_TOO_LONG) {
          count("closed: line too long");
          await send({
            v: 1,
            error: `${authorized ? "line" : "login line"} longer than ${splitter.maxBytes} bytes`,
          });
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          await send({ v: 1, error: "the line is not JSON" });
          return;
        }
        if (!authorized) {
          const token = (value as { token?: unknown } | null)?.token;
          if (typeof token !== "string" || !options.authorize(token)) {
            count("unauthorized");
            options.onUnauthorized?.(address);
            await send({ v: 1, error: "unauthorized" });
            return;
          }
          authorized = true;
          splitter.maxBytes = limits.lineBytes;
          count("logins");
          await send({ v: 1, ok: true });
        } else {
          try {
            await send(await options.bridge.handle(value));
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
            await send({ v: 1, error: error.message, status: error.status });
          }
        }
        expireAfter(
          limits.idleTimeoutMs,
          "closed: idle",
          `no line for ${limits.idleTimeoutMs / 1000} s`,
        );
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
