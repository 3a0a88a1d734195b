import assert from "node:assert/strict";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { startLive } from "@/pipeline/live/live.ts";
import {
  serveEaTcp,
  type TcpLimits,
  tcpLimits,
  type TcpOptions,
} from "@/pipeline/live/transport.ts";
import { engine } from "../../operators/risk/_fixtures.ts";
import { memoryJournal } from "./_memory_journal.ts";

async function withTcp(
  fn: (port: number, health: ReturnType<typeof createHealthRegistry>) => Promise<void>,
  limits: Partial<TcpLimits> = {},
  overrides: Partial<TcpOptions> = {},
) {
  const health = createHealthRegistry();
  const journal = memoryJournal();
  const live = startLive({
    stages: [],
    engine: engine({ news: { enabled: false } }, { calendar: null }),
    journalSink: journal.sink,
    journal,
    health,
  });
  const tcp = serveEaTcp({
    bridge: live.bridge,
    hostname: "127.0.0.1",
    port: 0,
    authorize: (token) => token === "right-token-right-token",
    limits,
    health: health.register("ea-tcp"),
    ...overrides,
  });
  try {
    await fn(tcp.port, health);
  } finally {
    await tcp.close();
    await live.stop();
  }
}

/** Sends lines, then reads every line the server writes until it closes the connection. */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  for (const line of lines) await conn.write(encoder.encode(line + "\n"));
  conn.closeWrite();
  const text = await new Response(conn.readable).text();
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("TCP: a wrong token is answered unauthorized and the connection closed", async () => {
  await withTcp(async (port) => {
    const replies = await converse(port, [
      JSON.stringify({ v: 1, token: "wrong" }),
      JSON.stringify({ v: 1, session: "s", seq: 1, sentUs: 0, messages: [] }),
    ]);
    assert.deepEqual(replies.map((line) => JSON.parse(line)), [{ v: 1, error: "unauthorized" }]);
  });
});

Deno.test("TCP: after the token, a bad envelope is answered with its status and field", async () => {
  await withTcp(async (port) => {
    const replies = await converse(port, [
      JSON.stringify({ v: 1, token: "right-token-right-token" }),
      JSON.stringify({ v: 1, session: "s", seq: 0, sentUs: 0, messages: [] }),
    ]);
    assert.deepEqual(JSON.parse(replies[0]), { v: 1, ok: true });
    const refusal = JSON.parse(replies[1]);
    assert.equal(refusal.status, 400);
    assert.match(refusal.error, /bad envelope at seq/);
  });
});

Deno.test("TCP: a line over the limit is refused and the connection closed", async () => {
  await withTcp(async (port) => {
    const replies = await converse(port, [
      JSON.stringify({ v: 1, token: "right-token-right-token" }),
      JSON.stringify({ pad: "x".repeat(5000) }),
    ]);
    assert.deepEqual(JSON.parse(replies.at(-1)!), { v: 1, error: "line longer than 1024 bytes" });
  }, { lineBytes: 1024 });
});

const LOGIN = JSON.stringify({ v: 1, token: "right-token-right-token" });

/** Reads the server's lines until it closes; also how long that took, in ms. */
async function untilClosed(conn: Deno.Conn): Promise<{ lines: unknown[]; ms: number }> {
  const started = performance.now();
  const text = await new Response(conn.readable).text().catch(() => "");
  const lines = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  return { lines, ms: performance.now() - started };
}

Deno.test("serveEaTcp() refuses a login line over its limit before the newline comes", async () => {
  await withTcp(async (port, health) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // 2,000 bytes and no newline: over the 64-byte login limit, so no newline is awaited.
    await conn.write(new TextEncoder().encode("x".repeat(2000)));
    const { lines } = await untilClosed(conn);
    assert.deepEqual(lines, [{ v: 1, error: "login line longer than 64 bytes" }]);
    assert.equal(health.snapshot().components["ea-tcp"].counters["closed: line too long"], 1);
  }, { loginLineBytes: 64 });
});

Deno.test("serveEaTcp() closes a connection that does not log in within the login timeout", async () => {
  await withTcp(async (port, health) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode('{"v":1,'));
    const { lines, ms } = await untilClosed(conn);
    assert.deepEqual(lines, [{ v: 1, error: "no login within 0.1 s" }]);
    assert.ok(ms >= 90 && ms < 2000, `closed after ${ms} ms`);
    assert.equal(health.snapshot().components["ea-tcp"].counters["closed: login timeout"], 1);
  }, { loginTimeoutMs: 100 });
});

Deno.test("serveEaTcp() closes a logged-in connection that sends no line within the idle timeout", async () => {
  await withTcp(async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(LOGIN + "\n"));
    const { lines } = await untilClosed(conn);
    assert.deepEqual(lines, [{ v: 1, ok: true }, { v: 1, error: "no line for 0.1 s" }]);
  }, { idleTimeoutMs: 100 });
});

Deno.test("serveEaTcp() refuses connections over its cap, in all and per address", async (t) => {
  const holdThenTry = async (port: number, held: number) => {
    const open = await Promise.all(
      Array.from({ length: held }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    // A login round trip on each makes sure the server has accepted them all.
    for (const conn of open) {
      await conn.write(new TextEncoder().encode(LOGIN + "\n"));
      await conn.read(new Uint8Array(64));
    }
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    const refused = await untilClosed(extra);
    for (const conn of open) conn.close();
    return refused.lines;
  };
  await t.step("in all", async () => {
    await withTcp(async (port, health) => {
      assert.deepEqual(await holdThenTry(port, 2), [
        { v: 1, error: "the server holds its maximum of 2 connections" },
      ]);
      assert.equal(health.snapshot().components["ea-tcp"].counters["refused: connection cap"], 1);
    }, { maxConnections: 2 });
  });
  await t.step("per address", async () => {
    await withTcp(async (port) => {
      assert.deepEqual(await holdThenTry(port, 3), [
        { v: 1, error: "the server holds its maximum of 3 connections from one address" },
      ]);
    }, { maxConnectionsPerAddress: 3 });
  });
});

Deno.test("serveEaTcp() frees a slot when a connection closes", async () => {
  await withTcp(async (port) => {
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    first.close();
    // The server notices the close on its next read; then the one slot is free again.
    let replies: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      replies = await converse(port, [LOGIN]);
      if (replies[0] === '{"v":1,"ok":true}') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(replies.map((line) => JSON.parse(line)), [{ v: 1, ok: true }]);
  }, { maxConnections: 1 });
});

Deno.test("serveEaTcp() reports each failed login with the client's address", async () => {
  const addresses: string[] = [];
  await withTcp(
    async (port) => {
      await converse(port, [JSON.stringify({ v: 1, token: "guess" })]);
      assert.deepEqual(addresses, ["127.0.0.1"]);
    },
    {},
    { onUnauthorized: (address) => void addresses.push(address) },
  );
});

Deno.test("tcpLimits() refuses a limit that is not positive, by name", () => {
  assert.throws(
    () => tcpLimits({ loginTimeoutMs: 0 }),
    /loginTimeoutMs must be positive, got 0/,
  );
});
