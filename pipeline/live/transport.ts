/**
 * The two transports of protocol v1, both over one `EaBridge`: HTTP (`POST /v1/ea/sync`,
 * what MQL5's `WebRequest` speaks; authenticated by the control plane's Bearer check)
 * and a raw TCP socket carrying newline-delimited JSON (authenticated by its first line).
 *
 * They only frame and unframe: every decision is the bridge's. They must never process
 * a line longer than the limit, answer before the bridge has, or leak an internal error.
 */

import { Hono } from "hono";
import type { ControlEnv } from "../control/auth.ts";
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

export interface TcpOptions {
  readonly bridge: EaBridge;
  readonly hostname: string;
  readonly port: number;
  /** True when `token` is the API token; must compare in constant time. */
  readonly authorize: (token: string) => boolean;
  /** Longest line accepted, in bytes (default: room for a full envelope). */
  readonly maxLineBytes?: number;
  readonly logError?: (error: unknown) => void;
}

export interface TcpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for EAs on a TCP socket: `{"v":1,"token":...}` first, then envelope per line. */
export function serveEaTcp(options: TcpOptions): TcpServer {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const maxLine = options.maxLineBytes ?? MAX_MESSAGES * 1024;
  const connections = new Set<Deno.TcpConn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      // One small reply per envelope: Nagle's delay would add tens of ms to each.
      conn.setNoDelay(true);
      connections.add(conn);
      serveConnection(conn, options, maxLine)
        .catch((error) => (options.logError ?? console.error)(error))
        .finally(() => {
          connections.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed by the peer
          }
        });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await accepting;
    },
  };
}

async function serveConnection(conn: Deno.TcpConn, options: TcpOptions, maxLine: number) {
  const encoder = new TextEncoder();
  const send = (value: unknown) => writeAll(conn, encoder.encode(JSON.stringify(value) + "\n"));
  let authorized = false;
  for await (const line of lines(conn.readable, maxLine)) {
    if (line === null) {
      await send({ v: 1, error: `line longer than ${maxLine} bytes` });
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
        await send({ v: 1, error: "unauthorized" });
        return;
      }
      authorized = true;
      await send({ v: 1, ok: true });
      continue;
    }
    try {
      await send(await options.bridge.handle(value));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      await send({ v: 1, error: error.message, status: error.status });
    }
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Splits a byte stream into UTF-8 lines; yields null once for a line over `maxBytes`. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<string | null> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line.length > maxBytes) {
        yield null;
        return;
      }
      if (line !== "") yield line;
    }
    if (pending.length > maxBytes) {
      yield null;
      return;
    }
  }
}
