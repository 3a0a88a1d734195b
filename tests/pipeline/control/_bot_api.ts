/**
 * A local fake of the Telegram Bot API: a Deno.serve on 127.0.0.1 that hands out queued
 * updates on `getUpdates` (long polling, as Telegram does) and records every
 * `sendMessage`. No network beyond loopback.
 */

import assert from "node:assert/strict";

/** A token of Telegram's shape; the fake accepts only it. */
export const BOT_TOKEN = "123456789:AAFakeTokenForTheLocalBotApiOnly_x";

interface Sent {
  readonly chat_id: number;
  readonly text: string;
}

/** The fake Bot API: `say()` queues a message from a chat, `replies()` waits for answers. */
export function fakeBotApi() {
  const queue: unknown[] = [];
  const sent: Sent[] = [];
  let nextId = 1;
  let wake: (() => void) | null = null;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const body = await request.json();
    if (path === `/bot${BOT_TOKEN}/getUpdates`) {
      if (queue.length === 0) {
        // Long polling: wait for an update or a short timeout.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const result = queue.filter((u) => (u as { update_id: number }).update_id >= body.offset);
      return Response.json({ ok: true, result });
    }
    if (path === `/bot${BOT_TOKEN}/sendMessage`) {
      sent.push(body);
      return Response.json({ ok: true, result: {} });
    }
    return Response.json({ ok: false, description: "Not Found" }, { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    say(chat: number, text: string) {
      queue.push({ update_id: nextId++, message: { chat: { id: chat }, text } });
      wake?.();
    },
    async replies(count: number): Promise<Sent[]> {
      for (let i = 0; i < 200 && sent.length < count; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(sent.length, count, `expected ${count} replies, got ${JSON.stringify(sent)}`);
      return sent;
    },
    stop: () => server.shutdown(),
  };
}
