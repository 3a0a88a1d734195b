import assert from "node:assert/strict";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { startLive } from "@/pipeline/live/live.ts";
import { serveEaTcp } from "@/pipeline/live/transport.ts";
import { engine } from "../../operators/risk/_fixtures.ts";
import { memoryJournal } from "./_memory_journal.ts";

async function withTcp(fn: (port: number) => Promise<void>, maxLineBytes?: number) {
  const journal = memoryJournal();
  const live = startLive({
    stages: [],
    engine: engine({ news: { enabled: false } }, { calendar: null }),
    journalSink: journal.sink,
    journal,
    health: createHealthRegistry(),
  });
  const tcp = serveEaTcp({
    bridge: live.bridge,
    hostname: "127.0.0.1",
    port: 0,
    authorize: (token) => token === "right-token-right-token",
    maxLineBytes,
  });
  try {
    await fn(tcp.port);
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
  }, 1024);
});
