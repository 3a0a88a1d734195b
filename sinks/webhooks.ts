/**
 * Webhook notifications: a sink that tells a person, by HTTP POST, when a trade closes, a
 * kill switch turns on or off, and a component fails. The body is JSON of its own
 * (`WebhookNotification`) or the Telegram bot API's `sendMessage`.
 *
 * It must never block or fail the pipeline: `write` only queues, a bounded queue drops its
 * oldest notification when full, and delivery (retried with backoff) runs on its own.
 * It must never log a secret: the bot token and a webhook URL's path stay out of logs.
 */

import { z } from "zod";
import { type EventBatch, isoFromUs, type TradeEvent } from "@/pipeline/events.ts";
import type { HealthSnapshot, HealthStatus } from "@/pipeline/health.ts";
import { mask } from "@/pipeline/control/secrets.ts";
import { describeZodError } from "@/pipeline/issues.ts";
import { within } from "@/pipeline/within.ts";
import type { Sink } from "@/sinks/sink.ts";

/** Risk reason codes that mean a kill switch is on (manual, or the drawdown one). */
export const KILL_SWITCH_CODES: ReadonlySet<string> = new Set(["KILL_SWITCH", "MAX_DRAWDOWN"]);

export const NOTIFICATION_TYPES = ["trade", "kill_switch", "component_failed"] as const;
export type NotificationType = typeof NOTIFICATION_TYPES[number];

const common = {
  /** Which notifications to send; all by default. */
  notify: z.array(z.enum(NOTIFICATION_TYPES)).min(1).default([...NOTIFICATION_TYPES]),
  /** Notifications waiting for delivery; the oldest is dropped past this. */
  queueSize: z.number().int().min(1).max(10_000).default(100),
  /** Tries per notification, the first included. */
  maxAttempts: z.number().int().min(1).max(20).default(5),
  /** Wait before the second try; doubles each time, up to `maxBackoffMs`. */
  backoffMs: z.number().int().min(1).default(1000),
  maxBackoffMs: z.number().int().min(1).default(60_000),
  /** One POST's time limit. */
  timeoutMs: z.number().int().min(1).max(120_000).default(10_000),
  /** How often the health provider is polled for failed components. */
  healthPollMs: z.number().int().min(100).default(5000),
};

export const webhookConfigSchema = z.discriminatedUnion("format", [
  z.object({
    format: z.literal("json"),
    url: z.url({ protocol: /^https?$/ }),
    ...common,
  }).strict(),
  z.object({
    format: z.literal("telegram"),
    chatId: z.union([z.number().int(), z.string().min(1)]),
    /** The bot API's origin; only a test or a local Bot API server changes it. */
    apiBase: z.url({ protocol: /^https?$/ }).default("https://api.telegram.org"),
    ...common,
  }).strict(),
]);
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

/** Telegram's bot token shape: a numeric bot id, a colon, and the secret part. */
const botTokenSchema = z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, {
  message: "expected a Telegram bot token such as 123456789:AA...",
});

/** Validates a webhook config read from outside, naming `where` in the error. */
export function parseWebhookConfig(input: unknown, where: string): WebhookConfig {
  const parsed = webhookConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(
      `Invalid webhook config ${
        describeZodError(parsed.error, `in ${where}`, webhookConfigSchema)
      }`,
    );
  }
  return parsed.data;
}

/** The JSON body of a `json` webhook. Times are ISO-8601 UTC. */
export type WebhookNotification =
  | {
    readonly v: 1;
    readonly type: "trade";
    readonly time: string;
    readonly trade: TradeEvent;
  }
  | {
    readonly v: 1;
    readonly type: "kill_switch";
    readonly time: string;
    readonly symbol: string;
    /** True when it turned on, false when trading resumed. */
    readonly active: boolean;
    readonly code: string;
    readonly detail: string;
  }
  | {
    readonly v: 1;
    readonly type: "component_failed";
    readonly time: string;
    readonly component: string;
    readonly detail: string;
  };

export interface WebhookSinkOptions {
  readonly config: WebhookConfig;
  /** The Telegram bot token (a secret from the environment or the secrets file). */
  readonly botToken?: string;
  /** Polled every `healthPollMs` for components turning "failed". */
  readonly health?: () => HealthSnapshot;
  /** Where delivery problems go; default `console.warn`. Never handed a secret. */
  readonly log?: (message: string) => void;
  /** Wall clock in ms, for component failures (which have no event time). */
  readonly now?: () => number;
}

/** What delivery did so far, for tests and health. */
export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
}

/** The human line a Telegram message carries. */
export function notificationText(notification: WebhookNotification): string {
  switch (notification.type) {
    case "trade": {
      const t = notification.trade;
      const pnl = `${t.pnl >= 0 ? "+" : ""}${t.pnl.toFixed(2)}`;
      return `${t.symbol} ${t.side} ${t.lots} lots closed (${t.exitReason}): ${pnl}, entry ${
        t.entryPrice.toFixed(2)
      }, exit ${t.exitPrice.toFixed(2)} at ${notification.time}`;
    }
    case "kill_switch":
      return notification.active
        ? `${notification.symbol} kill switch ON (${notification.code}): ${notification.detail} at ${notification.time}`
        : `${notification.symbol} kill switch off: trading resumed at ${notification.time}`;
    case "component_failed":
      return `component ${notification.component} FAILED: ${notification.detail} at ${notification.time}`;
  }
}

/**
 * The webhook sink. Keep one per target; `close` stops polling and waits (at most one
 * POST's time limit) for the queue to drain.
 */
export class WebhookSink implements Sink {
  readonly name = "webhooks";
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, retries: 0 };
  readonly #config: WebhookConfig;
  readonly #botToken: string | null;
  readonly #health?: () => HealthSnapshot;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  readonly #queue: WebhookNotification[] = [];
  readonly #componentStatus = new Map<string, HealthStatus>();
  /** The kill-switch code in force per symbol, as the latest decisions show it. */
  readonly #killSwitch = new Map<string, string>();
  readonly #stop = new AbortController();
  #pumping: Promise<void> | null = null;
  #poller: ReturnType<typeof setInterval> | undefined;

  constructor(options: WebhookSinkOptions) {
    this.#config = options.config;
    this.#log = options.log ?? console.warn;
    this.#now = options.now ?? Date.now;
    this.#health = options.health;
    if (options.config.format === "telegram") {
      const token = botTokenSchema.safeParse(options.botToken ?? "");
      if (!token.success) {
        throw new RangeError(
          `Telegram webhooks need a bot token: ${
            options.botToken ? `${mask(options.botToken)} is not one` : "none was given"
          } (${token.error.issues[0].message})`,
        );
      }
      this.#botToken = token.data;
    } else {
      this.#botToken = null;
    }
    if (this.#health && this.#wants("component_failed")) {
      this.#poller = setInterval(() => this.checkHealth(), options.config.healthPollMs);
    }
  }

  write(batch: EventBatch): void {
    for (const event of batch) {
      if (event.kind === "trade") {
        this.#enqueue({ v: 1, type: "trade", time: isoFromUs(event.exitTimeUs), trade: event });
      } else if (event.kind === "risk") {
        const kill = event.reasons.find((reason) => KILL_SWITCH_CODES.has(reason.code));
        this.#killSwitchSeen(event.symbol, event.timeUs, kill ?? null);
      } else if (event.kind === "order" && KILL_SWITCH_CODES.has(event.reason)) {
        // A flattening close: the kill switch fired even if no signal has been refused yet.
        this.#killSwitchSeen(event.symbol, event.timeUs, {
          code: event.reason,
          detail: `closing ${event.positionId ?? "a position"}`,
        });
      }
    }
  }

  /** Compares the health provider's components with the last look; pushed or polled. */
  checkHealth(): void {
    if (!this.#health) return;
    const snapshot = this.#health();
    for (const [component, { status, detail }] of Object.entries(snapshot.components)) {
      const before = this.#componentStatus.get(component);
      this.#componentStatus.set(component, status);
      if (status === "failed" && before !== "failed") {
        this.#enqueue({
          v: 1,
          type: "component_failed",
          time: new Date(this.#now()).toISOString(),
          component,
          detail,
        });
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#poller);
    const pumping = this.#pumping;
    if (pumping !== null) await within(pumping, this.#config.timeoutMs);
    this.#stop.abort();
    if (this.#queue.length > 0) {
      this.#log(`webhooks: ${this.#queue.length} notification(s) undelivered at close`);
      this.stats.dropped += this.#queue.length;
      this.#queue.length = 0;
    }
    await this.#pumping;
  }

  #wants(type: NotificationType): boolean {
    return this.#config.notify.includes(type);
  }

  /** Notifies only when the kill-switch state of `symbol` changes. */
  #killSwitchSeen(
    symbol: string,
    timeUs: number,
    kill: { readonly code: string; readonly detail: string } | null,
  ): void {
    const before = this.#killSwitch.get(symbol) ?? null;
    if ((kill?.code ?? null) === before) return;
    if (kill === null) this.#killSwitch.delete(symbol);
    else this.#killSwitch.set(symbol, kill.code);
    this.#enqueue({
      v: 1,
      type: "kill_switch",
      time: isoFromUs(timeUs),
      symbol,
      active: kill !== null,
      code: kill?.code ?? before ?? "",
      detail: kill?.detail ?? "trading resumed",
    });
  }

  #enqueue(notification: WebhookNotification): void {
    if (!this.#wants(notification.type) || this.#stop.signal.aborted) return;
    if (this.#queue.length >= this.#config.queueSize) {
      const oldest = this.#queue.shift()!;
      this.stats.dropped++;
      this.#log(`webhooks: queue full (${this.#config.queueSize}), dropped a ${oldest.type}`);
    }
    this.#queue.push(notification);
    this.#pumping ??= this.#pump().finally(() => this.#pumping = null);
  }

  /** Delivers the queue in order, one notification at a time. */
  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stop.signal.aborted) {
      const notification = this.#queue[0];
      await this.#deliver(notification);
      if (this.#queue[0] === notification) this.#queue.shift();
    }
  }

  async #deliver(notification: WebhookNotification): Promise<void> {
    const { maxAttempts, backoffMs, maxBackoffMs } = this.#config;
    for (let attempt = 1;; attempt++) {
      const outcome = await this.#post(notification);
      if (outcome === "ok") {
        this.stats.delivered++;
        return;
      }
      const final = outcome.permanent || attempt >= maxAttempts || this.#stop.signal.aborted;
      this.#log(
        `webhooks: ${notification.type} to ${this.#target()} failed (try ${attempt}/${maxAttempts}): ${outcome.reason}${
          final ? "; giving up" : ""
        }`,
      );
      if (final) {
        this.stats.failed++;
        return;
      }
      this.stats.retries++;
      await this.#sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1)));
    }
  }

  /** One POST; a 4xx other than 408 and 429 will not get better by retrying. */
  async #post(
    notification: WebhookNotification,
  ): Promise<"ok" | { reason: string; permanent: boolean }> {
    const { url, body } = this.#request(notification);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#config.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return "ok";
      const status = response.status;
      return {
        reason: `HTTP ${status}`,
        permanent: status >= 400 && status < 500 && status !== 408 && status !== 429,
      };
    } catch (error) {
      return { reason: this.#scrub(String((error as Error).message ?? error)), permanent: false };
    }
  }

  #request(notification: WebhookNotification): { url: string; body: unknown } {
    const config = this.#config;
    if (config.format === "json") return { url: config.url, body: notification };
    return {
      url: `${config.apiBase.replace(/\/+$/, "")}/bot${this.#botToken}/sendMessage`,
      body: { chat_id: config.chatId, text: notificationText(notification) },
    };
  }

  /** The target as logs may show it: the origin only (a URL's path can hold a secret). */
  #target(): string {
    const config = this.#config;
    return config.format === "json"
      ? `${new URL(config.url).origin}/...`
      : `telegram chat ${config.chatId} (bot ${mask(this.#botToken ?? "")})`;
  }

  /** Removes the bot token and the webhook URL from an error message before it is logged. */
  #scrub(message: string): string {
    let out = message;
    if (this.#botToken) out = out.replaceAll(this.#botToken, mask(this.#botToken));
    if (this.#config.format === "json") out = out.replaceAll(this.#config.url, this.#target());
    return out;
  }

  /** Waits `ms`, or less when the sink is closing. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}
