/** The Telegram bot against a local fake of the Bot API (./_bot_api.ts): no network. */

import assert from "node:assert/strict";
import type { AuditEntry } from "@/sinks/journal.ts";
import {
  parseTelegramConfig,
  startTelegramBot,
  type TelegramBot,
} from "@/pipeline/control/telegram.ts";
import { BOT_TOKEN as TOKEN, fakeBotApi } from "./_bot_api.ts";

const OWNER = 1001;
const STRANGER = 666;

/** A bot over the fake API with a recorded kill switch and audit. */
function bot(api: ReturnType<typeof fakeBotApi>, logs: string[] = []) {
  const audit: AuditEntry[] = [];
  const switches: [boolean, string][] = [];
  const instance: TelegramBot = startTelegramBot({
    config: parseTelegramConfig(
      { allowChatIds: [OWNER], apiBase: api.url, pollTimeoutSeconds: 1, retryMs: 100 },
      "test",
    ),
    botToken: TOKEN,
    audit: (entry) => void audit.push(entry),
    status: () => "trading: active",
    profit: () => "closed trades: 2, net +12.50",
    trades: (limit) => `last ${limit} trades`,
    killSwitch: (on, reason) => void switches.push([on, reason]),
    log: (line) => logs.push(line),
    now: () => 1_700_000_000_000,
  });
  return { instance, audit, switches };
}

Deno.test("the Telegram bot answers /status, /profit and /trades to an allowed chat, unaudited", async () => {
  const api = fakeBotApi();
  const { instance, audit } = bot(api);
  try {
    api.say(OWNER, "/status");
    api.say(OWNER, "/profit@AiGoldScalperBot");
    api.say(OWNER, "/trades 3");
    const sent = await api.replies(3);
    assert.deepEqual(sent.map((s) => [s.chat_id, s.text]), [
      [OWNER, "trading: active"],
      [OWNER, "closed trades: 2, net +12.50"],
      [OWNER, "last 3 trades"],
    ]);
    assert.deepEqual(audit, [], "reads are not audited, as GET is not over HTTP");
  } finally {
    await instance.stop();
    await api.stop();
  }
});

Deno.test("the Telegram bot's /stop, /start and /killswitch turn the kill switch and are audited", async () => {
  const api = fakeBotApi();
  const { instance, audit, switches } = bot(api);
  try {
    api.say(OWNER, "/stop news at 14:30");
    api.say(OWNER, "/start");
    api.say(OWNER, "/killswitch on spread blew out");
    api.say(OWNER, "/killswitch maybe");
    const sent = await api.replies(4);
    assert.deepEqual(switches, [
      [true, "news at 14:30"],
      [false, `/start from Telegram chat ${OWNER}`],
      [true, "spread blew out"],
    ]);
    assert.match(sent[0].text, /kill switch ON: news at 14:30/);
    assert.match(sent[3].text, /usage: \/killswitch on\|off reason/);
    assert.deepEqual(audit.map((a) => [a.actor, a.method, a.path, a.status, a.detail]), [
      [`telegram:chat:${OWNER}`, "TELEGRAM", "/stop", 200, "kill switch on: news at 14:30"],
      [
        `telegram:chat:${OWNER}`,
        "TELEGRAM",
        "/start",
        200,
        `kill switch off: /start from Telegram chat ${OWNER}`,
      ],
      [`telegram:chat:${OWNER}`, "TELEGRAM", "/killswitch", 200, "kill switch on: spread blew out"],
      [
        `telegram:chat:${OWNER}`,
        "TELEGRAM",
        "/killswitch",
        400,
        "/killswitch: expected on|off and a reason",
      ],
    ]);
    assert.equal(audit[0].timeUs, 1_700_000_000_000_000);
  } finally {
    await instance.stop();
    await api.stop();
  }
});

Deno.test("the Telegram bot refuses a chat outside the allow-list, changes nothing and audits the refusal", async () => {
  const api = fakeBotApi();
  const { instance, audit, switches } = bot(api);
  try {
    api.say(STRANGER, "/killswitch off let me trade");
    api.say(STRANGER, "/status");
    const sent = await api.replies(2);
    assert.deepEqual(switches, []);
    for (const reply of sent) {
      assert.equal(reply.chat_id, STRANGER);
      assert.match(reply.text, /Not allowed: chat 666 is not in this bot's allowChatIds/);
    }
    assert.deepEqual(audit.map((a) => [a.actor, a.path, a.status]), [
      [`telegram:chat:${STRANGER}`, "/killswitch", 403],
      [`telegram:chat:${STRANGER}`, "/status", 403],
    ]);
  } finally {
    await instance.stop();
    await api.stop();
  }
});

Deno.test("the Telegram bot retries a failing Bot API without logging its token", async () => {
  const api = fakeBotApi();
  await api.stop(); // nothing listens there any more
  const logs: string[] = [];
  const { instance } = bot(api, logs);
  for (let i = 0; i < 100 && logs.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await instance.stop();
  assert.ok(logs.length >= 2, `it kept polling: ${logs.join("\n")}`);
  assert.ok(logs.every((line) => line.startsWith("telegram: polling failed, retrying in 100 ms")));
  assert.ok(!logs.join("\n").includes("AAFakeTokenForTheLocalBotApiOnly"), logs.join("\n"));
});

Deno.test("parseTelegramConfig() names a bad key with the one meant", () => {
  assert.throws(
    () => parseTelegramConfig({ allowChatId: [1] }, '"telegram.json"'),
    {
      message:
        'Invalid Telegram config "telegram.json": allowChatIds is required; unknown key "allowChatId": did you mean "allowChatIds"?',
    },
  );
});
