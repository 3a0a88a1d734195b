import assert from "node:assert/strict";
import { EVENT_VERSION, type RiskDecisionEvent } from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import {
  parseWebhookConfig,
  type WebhookConfig,
  type WebhookNotification,
  WebhookSink,
} from "@/sinks/webhooks.ts";
import { NOW_US, trade } from "../operators/risk/_fixtures.ts";
import { closeOrder } from "../operators/execution/_fixtures.ts";

const BOT_TOKEN = "123456789:AAsecretSECRETsecret_bot-token";

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** A local receiver on port 0; `answer` picks the status of the n-th request (from 1). */
function receiver(answer: (n: number) => number | Promise<number> = () => 200) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push({ path: new URL(req.url).pathname, body: await req.json() });
    return new Response("{}", { status: await answer(received.length) });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    async waitFor(count: number): Promise<void> {
      for (let waited = 0; received.length < count; waited += 5) {
        if (waited > 3000) assert.fail(`got ${received.length} of ${count} requests`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function jsonConfig(url: string, extra: Record<string, unknown> = {}): WebhookConfig {
  return parseWebhookConfig({ format: "json", url: `${url}/hook`, backoffMs: 5, ...extra }, "test");
}

function decision(codes: string[], timeUs = NOW_US): RiskDecisionEvent {
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: "XAUUSD",
    timeUs,
    side: "buy",
    decision: codes.length > 0 ? "reject" : "accept",
    lots: codes.length > 0 ? 0 : 0.1,
    stopLoss: null,
    takeProfit: null,
    reasons: codes.map((code) => ({ code, detail: `${code} detail` })),
    state: codes.length > 0 ? "halted" : "active",
    clientOrderId: null,
    budget: null,
  };
}

Deno.test("parseWebhookConfig() refuses a bad config and names where it came from", () => {
  assert.throws(
    () => parseWebhookConfig({ format: "json", url: "ftp://example.test/x" }, "webhooks.json"),
    /Invalid webhook config in webhooks\.json/,
  );
  assert.throws(() => parseWebhookConfig({ format: "telegram" }, "cfg"), /chatId/);
  assert.throws(
    () => parseWebhookConfig({ format: "json", url: "http://a.test/", colour: 1 }, "cfg"),
    /colour/,
  );
  assert.equal(parseWebhookConfig({ format: "json", url: "http://a.test/" }, "cfg").queueSize, 100);
});

Deno.test("WebhookSink posts a JSON notification for each closed trade", async () => {
  await using target = receiver();
  const sink = new WebhookSink({ config: jsonConfig(target.url) });
  sink.write([trade(12.5, "2024-03-20T14:00:00Z")]);
  await target.waitFor(1);
  await sink.close();
  const [{ path, body }] = target.received;
  assert.equal(path, "/hook");
  const notification = body as unknown as WebhookNotification & { type: "trade" };
  assert.equal(notification.type, "trade");
  assert.equal(notification.time, "2024-03-20T14:00:00Z");
  assert.equal(notification.trade.pnl, 12.5);
  assert.equal(sink.stats.delivered, 1);
});

Deno.test("WebhookSink tells when a kill switch turns on and off, once each", async () => {
  await using target = receiver();
  const sink = new WebhookSink({ config: jsonConfig(target.url) });
  sink.write([decision(["OUTSIDE_SESSION"]), decision(["KILL_SWITCH"]), decision(["KILL_SWITCH"])]);
  sink.write([decision(["KILL_SWITCH", "SPREAD_TOO_WIDE"]), decision([])]);
  sink.write([closeOrder("c1", "p1", "sell", 0.1, NOW_US, "MAX_DRAWDOWN")]);
  await target.waitFor(3);
  await sink.close();
  assert.deepEqual(
    target.received.map(({ body }) => [body.type, body.active, body.code]),
    [["kill_switch", true, "KILL_SWITCH"], ["kill_switch", false, "KILL_SWITCH"], [
      "kill_switch",
      true,
      "MAX_DRAWDOWN",
    ]],
  );
});

Deno.test("WebhookSink tells when a component turns failed, polling the health provider", async () => {
  await using target = receiver();
  const health = createHealthRegistry();
  const feed = health.register("feed");
  feed.report("ok");
  const sink = new WebhookSink({
    config: jsonConfig(target.url, { healthPollMs: 100 }),
    health: () => health.snapshot(),
  });
  sink.checkHealth();
  feed.report("failed", "connection reset");
  await target.waitFor(1);
  sink.checkHealth();
  await sink.close();
  assert.equal(target.received.length, 1);
  assert.equal(target.received[0].body.type, "component_failed");
  assert.equal(target.received[0].body.component, "feed");
  assert.equal(target.received[0].body.detail, "connection reset");
});

Deno.test("WebhookSink sends only the notification types it is configured for", async () => {
  await using target = receiver();
  const sink = new WebhookSink({ config: jsonConfig(target.url, { notify: ["kill_switch"] }) });
  sink.write([trade(1, "2024-03-20T14:00:00Z"), decision(["KILL_SWITCH"])]);
  await target.waitFor(1);
  await sink.close();
  assert.deepEqual(target.received.map(({ body }) => body.type), ["kill_switch"]);
});

Deno.test("WebhookSink speaks the Telegram sendMessage format and never logs the bot token", async () => {
  await using target = receiver((n) => n === 1 ? 502 : 200);
  const logs: string[] = [];
  const sink = new WebhookSink({
    config: parseWebhookConfig(
      { format: "telegram", chatId: -100123, apiBase: target.url, backoffMs: 5 },
      "test",
    ),
    botToken: BOT_TOKEN,
    log: (line) => logs.push(line),
  });
  sink.write([trade(-4, "2024-03-20T14:00:00Z")]);
  await target.waitFor(2);
  await sink.close();
  const { path, body } = target.received[1];
  assert.equal(path, `/bot${BOT_TOKEN}/sendMessage`);
  assert.equal(body.chat_id, -100123);
  assert.match(String(body.text), /XAUUSD buy 0\.1 lots closed \(stop_loss\): -4\.00/);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /HTTP 502/);
  assert.ok(!logs.join("\n").includes(BOT_TOKEN.split(":")[1]), logs.join("\n"));
});

Deno.test("WebhookSink refuses Telegram without a valid bot token, without echoing it", () => {
  const config = parseWebhookConfig({ format: "telegram", chatId: 1 }, "test");
  assert.throws(() => new WebhookSink({ config }), /need a bot token: none was given/);
  const wrong = "not-a-token-but-a-secret-all-the-same";
  assert.throws(
    () => new WebhookSink({ config, botToken: wrong }),
    (error: Error) => !error.message.includes(wrong) && /is not one/.test(error.message),
  );
});

Deno.test("WebhookSink retries a failing receiver with backoff until it answers", async () => {
  await using target = receiver((n) => n <= 2 ? 503 : 200);
  const sink = new WebhookSink({ config: jsonConfig(target.url), log: () => {} });
  sink.write([trade(1, "2024-03-20T14:00:00Z")]);
  await target.waitFor(3);
  await sink.close();
  assert.deepEqual(sink.stats, { delivered: 1, failed: 0, dropped: 0, retries: 2 });
});

Deno.test("WebhookSink gives up at once on a client error such as 400", async () => {
  await using target = receiver(() => 400);
  const sink = new WebhookSink({ config: jsonConfig(target.url), log: () => {} });
  sink.write([trade(1, "2024-03-20T14:00:00Z")]);
  await target.waitFor(1);
  await sink.close();
  assert.equal(target.received.length, 1);
  assert.equal(sink.stats.failed, 1);
});

Deno.test("WebhookSink never blocks the pipeline: a stuck receiver fills the queue, which drops the oldest", async () => {
  let release = () => {};
  const stuck = new Promise<number>((resolve) => release = () => resolve(200));
  await using target = receiver(() => stuck);
  const logs: string[] = [];
  const sink = new WebhookSink({
    config: jsonConfig(target.url, { queueSize: 5, timeoutMs: 200 }),
    log: (line) => logs.push(line),
  });
  const started = performance.now();
  for (let i = 0; i < 1000; i++) sink.write([trade(i, "2024-03-20T14:00:00Z")]);
  assert.ok(performance.now() - started < 500, "write waited for delivery");
  assert.equal(sink.stats.dropped, 995);
  await sink.close();
  release();
  assert.ok(logs.some((line) => /queue full \(5\)/.test(line)));
  assert.ok(logs.some((line) => /undelivered at close/.test(line)));
});
