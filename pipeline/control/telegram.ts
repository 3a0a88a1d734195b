/**
 * The control plane over Telegram: a bot that long-polls the Bot API (`getUpdates`) and
 * answers /status, /profit, /trades, /stop, /start and /killswitch from the chats of an
 * allow-list. A command that changes something, and every command from a chat that is not
 * allowed, goes to the same audit sink as the HTTP API (the journal's audit table), with
 * the chat as the actor. `sinks/webhooks.ts` still sends the outbound alerts.
 *
 * It must never act on a chat outside the allow-list, never log or echo the bot token,
 * and never fail the server: a Bot API outage is retried with a pause, a failing command
 * answers with its error.
 */

import { z } from "zod";
import { type AuditSink, writeAudit } from "./auth.ts";
import { mask } from "./secrets.ts";
import { describeZodError } from "../issues.ts";

export const telegramConfigSchema = z.strictObject({
  allowChatIds: z.array(z.union([z.number().int(), z.string().regex(/^-?\d+$/)])).min(1)
    .describe(
      "the chats whose commands are obeyed (numeric chat ids; the bot answers others with their id)",
    ),
  apiBase: z.url({ protocol: /^https?$/ }).default("https://api.telegram.org").describe(
    "the Bot API's origin; only a test or a local Bot API server changes it",
  ),
  pollTimeoutSeconds: z.number().int().min(0).max(50).default(30).describe(
    "long-polling wait of one getUpdates call",
  ),
  retryMs: z.number().int().min(100).max(600_000).default(5000).describe(
    "pause before polling again after the Bot API failed",
  ),
  tradesShown: z.number().int().min(1).max(50).default(5).describe(
    "trades /trades lists without a count",
  ),
});
export type TelegramConfig = z.infer<typeof telegramConfigSchema>;

/** Validates a `--telegram` config read from outside, naming `where` and every bad key. */
export function parseTelegramConfig(input: unknown, where: string): TelegramConfig {
  const parsed = telegramConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(
      `Invalid Telegram config ${describeZodError(parsed.error, where, telegramConfigSchema)}`,
    );
  }
  return parsed.data;
}

/** What the commands read and change; serve builds it from the running mode. */
export interface TelegramControls {
  /** Trading state, health and models, as text. */
  status(): string;
  /** Closed-trade P&L, today and in all, with balance and equity, as text. */
  profit(): string;
  /** The latest `limit` closed trades, as text. */
  trades(limit: number): string;
  /** The risk engine's manual kill switch; null where the mode has none. */
  readonly killSwitch: ((on: boolean, reason: string) => void | Promise<void>) | null;
}

export interface TelegramBotOptions extends TelegramControls {
  readonly config: TelegramConfig;
  readonly botToken: string;
  readonly audit: AuditSink;
  /** Where polling problems go (never with the token); default `console.warn`. */
  readonly log?: (line: string) => void;
  /** Wall clock in ms, for audit times; default `Date.now`. */
  readonly now?: () => number;
}

export interface TelegramBot {
  /** Commands answered so far (refusals included). */
  readonly handled: () => number;
  /** Stops polling (an open long poll is aborted) and waits for the loop to end. */
  stop(): Promise<void>;
}

/** The part of a Bot API `Update` the bot reads. */
const updateSchema = z.object({
  update_id: z.number().int(),
  message: z.object({
    chat: z.object({ id: z.union([z.number(), z.string()]) }),
    from: z.object({ username: z.string().optional() }).optional(),
    text: z.string().optional(),
  }).optional(),
});
const updatesSchema = z.object({ ok: z.boolean(), result: z.array(z.unknown()).optional() });

export const HELP_TEXT = [
  "/status - trading state, health and models",
  "/profit - closed-trade P&L today and in all",
  "/trades [n] - the latest closed trades",
  "/stop [reason] - halt new trades (the kill switch; open positions are closed when risk.flattenOnKill)",
  "/start - lift the kill switch: trading resumes",
  "/killswitch on|off reason - the kill switch, as POST /v1/kill-switch",
].join("\n");

interface Reply {
  readonly text: string;
  /** Audited with this status (a change or a refusal); undefined for a read. */
  readonly audit?: { readonly status: number; readonly detail: string };
}

/** Runs one command from an allowed chat. */
async function command(
  name: string,
  args: string,
  chat: string,
  options: TelegramBotOptions,
): Promise<Reply> {
  const killSwitch = options.killSwitch;
  const toggle = async (on: boolean, reason: string, path: string): Promise<Reply> => {
    if (killSwitch === null) {
      return {
        text: "this server has no kill switch (a scale-out role without the risk engine)",
        audit: { status: 404, detail: `${path}: no kill switch here` },
      };
    }
    await killSwitch(on, reason);
    return {
      text: on
        ? `kill switch ON: ${reason}. New trades are halted.`
        : `kill switch off: ${reason}. Trading resumes (other halts, if any, still hold: /status).`,
      audit: { status: 200, detail: `kill switch ${on ? "on" : "off"}: ${reason}` },
    };
  };
  switch (name) {
    case "status":
      return { text: options.status() };
    case "profit":
      return { text: options.profit() };
    case "trades": {
      const n = args === "" ? options.config.tradesShown : Number(args);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        return { text: `/trades takes a count from 1 to 50, not "${args}"` };
      }
      return { text: options.trades(n) };
    }
    case "stop":
      return await toggle(true, args || `/stop from Telegram chat ${chat}`, "/stop");
    case "start":
      return await toggle(false, args || `/start from Telegram chat ${chat}`, "/start");
    case "killswitch": {
      const match = /^(on|off)\s+(\S.*)$/s.exec(args);
      if (match === null) {
        return {
          text: "usage: /killswitch on|off reason (a reason is required either way)",
          audit: { status: 400, detail: "/killswitch: expected on|off and a reason" },
        };
      }
      return await toggle(match[1] === "on", match[2].trim(), "/killswitch");
    }
    case "help":
      return { text: HELP_TEXT };
    default:
      return { text: `unknown command /${name}\n${HELP_TEXT}` };
  }
}

/** Starts long polling; `stop()` ends it. */
export function startTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { config, botToken } = options;
  const log = options.log ?? console.warn;
  const now = options.now ?? Date.now;
  const base = `${config.apiBase.replace(/\/+$/, "")}/bot${botToken}`;
  const allowed = new Set(config.allowChatIds.map(String));
  const stopping = new AbortController();
  const scrub = (text: string) => text.replaceAll(botToken, mask(botToken));
  let handled = 0;

  const call = async (method: string, body: unknown, timeoutMs: number): Promise<unknown> => {
    const response = await fetch(`${base}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]),
    });
    const json = await response.json().catch(() => null);
    if (!response.ok) throw new Error(`${method} answered HTTP ${response.status}`);
    return json;
  };

  const auditTo = {
    audit: options.audit,
    logError: (error: unknown) =>
      log(`telegram: cannot write the audit entry: ${(error as Error).message}`),
  };
  const audit = (chat: string, path: string, status: number, detail: string) =>
    writeAudit(auditTo, {
      timeUs: Math.round(now() * 1000),
      actor: `telegram:chat:${chat}`,
      method: "TELEGRAM",
      path,
      status,
      detail,
    });

  const handle = async (raw: unknown) => {
    const update = updateSchema.safeParse(raw);
    const message = update.success ? update.data.message : undefined;
    if (message?.text === undefined || !message.text.startsWith("/")) return;
    const chat = String(message.chat.id);
    const [head, ...rest] = message.text.trim().split(/\s+/);
    const name = head.slice(1).replace(/@.*$/, "").toLowerCase();
    const args = rest.join(" ").trim();
    handled++;
    let reply: Reply;
    if (!allowed.has(chat)) {
      reply = {
        text: `Not allowed: chat ${chat} is not in this bot's allowChatIds.`,
        audit: { status: 403, detail: `/${name} refused: chat not in allowChatIds` },
      };
    } else {
      try {
        reply = await command(name, args, chat, options);
      } catch (error) {
        reply = {
          text: `/${name} failed: ${(error as Error).message}`,
          audit: { status: 500, detail: `/${name} failed: ${(error as Error).message}` },
        };
      }
    }
    if (reply.audit !== undefined) {
      await audit(chat, `/${name}`, reply.audit.status, reply.audit.detail);
    }
    try {
      await call("sendMessage", { chat_id: message.chat.id, text: reply.text }, 10_000);
    } catch (error) {
      if (!stopping.signal.aborted) {
        log(`telegram: cannot answer chat ${chat}: ${scrub((error as Error).message)}`);
      }
    }
  };

  const loop = (async () => {
    let offset = 0;
    while (!stopping.signal.aborted) {
      try {
        const json = updatesSchema.parse(
          await call(
            "getUpdates",
            { offset, timeout: config.pollTimeoutSeconds, allowed_updates: ["message"] },
            (config.pollTimeoutSeconds + 10) * 1000,
          ),
        );
        if (!json.ok) throw new Error("getUpdates answered ok: false");
        for (const raw of json.result ?? []) {
          const id = (raw as { update_id?: unknown }).update_id;
          if (typeof id === "number") offset = Math.max(offset, id + 1);
          await handle(raw);
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        log(
          `telegram: polling failed, retrying in ${config.retryMs} ms: ${
            scrub((error as Error).message)
          }`,
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, config.retryMs);
          stopping.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      }
    }
  })();

  return {
    handled: () => handled,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
