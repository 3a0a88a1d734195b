/**
 * The optional LLM analyst: an OpenAI-compatible `POST {baseUrl}/chat/completions`
 * over `fetch`, so a local server (llama.cpp, vLLM, Ollama) serves as well as a hosted
 * one. It is built never to hold a decision up and never to invent one:
 *
 * 1. `request(summary, t)` starts a call and returns at once (at most one in flight, at
 *    most one every `requestEveryMinutes` of decision time); nothing awaits it.
 * 2. An answer is recorded against the decision `t` that asked. `voteFor(t')` returns it
 *    for later decisions `t < t' <= t + maxAgeMinutes`; after that it is dropped. Never
 *    for `t' = t` itself: live, an answer always lands after the decision that asked, so
 *    a replay from the cache uses it one decision later too and both see the same votes.
 * 3. Any failure (timeout after `timeoutMs`, HTTP error, network error, bad JSON, an
 *    answer outside the schema) leaves the source absent and is counted and logged;
 *    it never becomes a hold.
 * 4. Validated answers are recorded in SQLite by (prompt hash, model). Live mode answers
 *    a repeated prompt from the record; replay mode reads the record only.
 *
 * The API key is read from the environment variable named in the config, sent only as
 * a Bearer header, and masked in every message this module writes.
 */

import { z } from "zod";
import { isoFromUs, US_PER_MINUTE } from "../../pipeline/events.ts";
import type { LlmConfig } from "./config.ts";
import type { SourceVote } from "./fuse.ts";
import { LlmCache } from "./_llm_cache.ts";
import { type ChatMessage, chatMessages, type MarketSummary, promptHash } from "./_prompt.ts";

/** What the analyst must answer; anything else is a failure, not a vote. */
export const llmAnswerSchema = z.strictObject({
  side: z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
    z.enum(["buy", "sell", "flat"]),
  ),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string().max(500)).max(10).default([]),
});
export type LlmAnswer = z.infer<typeof llmAnswerSchema>;

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

export type LlmFailure = "timeout" | "http" | "network" | "bad_json" | "schema";

/** Counts for health reports; failures by kind. */
export interface LlmStats {
  /** Questions asked (from the record or the server). */
  requested: number;
  /** Answers from the server. */
  answered: number;
  /** Answers from the record. */
  cacheHits: number;
  /** Replay questions with no recorded answer. */
  missing: number;
  /** Questions not asked because one was still in flight. */
  skippedBusy: number;
  /** Answers dropped for being older than `maxAgeMinutes`. */
  expired: number;
  failures: Record<LlmFailure, number>;
  /** The last failure, key masked. */
  lastError: string | null;
}

export interface LlmAnalystOptions {
  readonly config: LlmConfig;
  /** Reads an environment variable; default `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
  /** Wall clock for the record's `created_at` only; default `Date.now`. */
  readonly now?: () => number;
  /** Where failures are reported; default `console.warn`. */
  readonly log?: (line: string) => void;
}

interface Received {
  readonly askedUs: number;
  readonly answer: LlmAnswer;
}

class CallError extends Error {
  constructor(readonly kind: LlmFailure, message: string) {
    super(message);
  }
}

export class LlmAnalyst {
  readonly stats: LlmStats = {
    requested: 0,
    answered: 0,
    cacheHits: 0,
    missing: 0,
    skippedBusy: 0,
    expired: 0,
    failures: { timeout: 0, http: 0, network: 0, bad_json: 0, schema: 0 },
    lastError: null,
  };
  private readonly config: LlmConfig;
  private readonly key: string | undefined;
  private readonly cache: LlmCache | null;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly closing = new AbortController();
  private inFlight: Promise<void> | null = null;
  private lastAskedUs = -Infinity;
  private latest: Received | null = null;

  constructor(options: LlmAnalystOptions) {
    this.config = options.config;
    const key = this.config.enabled && this.config.mode === "live"
      ? (options.env ?? ((name) => Deno.env.get(name)))(this.config.apiKeyEnv)
      : undefined;
    this.key = key === "" ? undefined : key;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? console.warn;
    this.cache = this.config.enabled ? new LlmCache(this.config.cachePath) : null;
  }

  /** One line for a startup log, key masked. */
  describe(): string {
    const c = this.config;
    if (!c.enabled) return "LLM analyst disabled";
    const key = this.key === undefined
      ? "no key"
      : `key from $${c.apiKeyEnv} (${maskKey(this.key)})`;
    return c.mode === "replay"
      ? `LLM analyst replaying model "${c.model}" from ${c.cachePath}`
      : `LLM analyst live: model "${c.model}" at ${c.baseUrl}, ${key}, recorded in ${c.cachePath}`;
  }

  /** Asks about the decision at `decisionTimeUs` unless one is in flight or one was asked recently. */
  request(summary: MarketSummary, decisionTimeUs: number): void {
    if (this.cache === null) return;
    if (decisionTimeUs - this.lastAskedUs < this.config.requestEveryMinutes * US_PER_MINUTE) return;
    if (this.inFlight !== null) {
      this.stats.skippedBusy++;
      return;
    }
    this.lastAskedUs = decisionTimeUs;
    this.stats.requested++;
    const messages = chatMessages(summary);
    const hash = promptHash(messages);
    const recorded = this.recorded(hash);
    if (recorded !== null) {
      this.stats.cacheHits++;
      this.latest = { askedUs: decisionTimeUs, answer: recorded };
      return;
    }
    if (this.config.mode === "replay") {
      this.stats.missing++;
      return;
    }
    const call = this.call(messages).then(
      (answer) => {
        this.stats.answered++;
        this.latest = { askedUs: decisionTimeUs, answer };
        this.cache?.put(
          hash,
          this.config.model,
          new Date(this.now()).toISOString(),
          JSON.stringify(answer),
        );
      },
      (error) => this.fail(error, decisionTimeUs),
    ).finally(() => {
      this.inFlight = null;
    });
    this.inFlight = call;
  }

  /** The answer to an earlier decision, while it is fresh; null (absent) otherwise. */
  voteFor(decisionTimeUs: number): SourceVote | null {
    const received = this.latest;
    if (received === null || received.askedUs >= decisionTimeUs) return null;
    if (decisionTimeUs - received.askedUs > this.config.maxAgeMinutes * US_PER_MINUTE) {
      this.latest = null;
      this.stats.expired++;
      return null;
    }
    const { answer } = received;
    return {
      source: "llm",
      side: answer.side,
      confidence: answer.confidence,
      reasons: [
        `${this.config.model} asked at ${isoFromUs(received.askedUs)}`,
        ...answer.reasons.slice(0, 5).map((reason) => reason.slice(0, 200)),
      ],
    };
  }

  /** Resolves once no call is in flight (for shutdown and tests; the pipeline never waits). */
  async idle(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
  }

  /** Aborts a call in flight and closes the record. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.idle();
    this.cache?.close();
  }

  /** The recorded answer to this prompt, if there is a valid one. */
  private recorded(hash: string): LlmAnswer | null {
    const text = this.cache?.get(hash, this.config.model) ?? null;
    if (text === null) return null;
    try {
      const parsed = llmAnswerSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private async call(messages: readonly ChatMessage[]): Promise<LlmAnswer> {
    const c = this.config;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    const body = {
      model: c.model,
      messages,
      temperature: c.temperature,
      max_tokens: c.maxTokens,
      ...(c.jsonResponseFormat ? { response_format: { type: "json_object" } } : {}),
    };
    const signal = AbortSignal.any([AbortSignal.timeout(c.timeoutMs), this.closing.signal]);
    let text: string;
    let status: number;
    try {
      const response = await fetch(`${c.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      throw name === "TimeoutError"
        ? new CallError("timeout", `no answer within ${c.timeoutMs} ms`)
        : new CallError("network", `${name}: ${(error as Error).message}`);
    }
    if (status < 200 || status > 299) {
      throw new CallError("http", `HTTP ${status}: ${excerpt(text)}`);
    }
    const completion = completionSchema.safeParse(parseJson(text, "response body"));
    if (!completion.success) {
      throw new CallError("schema", `not a chat completion: ${excerpt(text)}`);
    }
    const content = completion.data.choices[0].message.content;
    const answer = llmAnswerSchema.safeParse(parseJson(unfence(content), "answer"));
    if (!answer.success) {
      throw new CallError(
        "schema",
        `answer outside the schema (${answer.error.issues[0].message}): ${excerpt(content)}`,
      );
    }
    return answer.data;
  }

  private fail(error: unknown, decisionTimeUs: number): void {
    if (this.closing.signal.aborted) return;
    const kind = error instanceof CallError ? error.kind : "network";
    this.stats.failures[kind]++;
    const line = this.mask(
      `LLM analyst "${this.config.model}" at ${this.config.baseUrl} gave no vote for the ` +
        `decision at ${isoFromUs(decisionTimeUs)} (${kind}): ${(error as Error).message}`,
    );
    this.stats.lastError = line;
    this.log(line);
  }

  private mask(text: string): string {
    return this.key === undefined ? text : text.replaceAll(this.key, maskKey(this.key));
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CallError("bad_json", `${what} is not JSON: ${excerpt(text)}`);
  }
}

/** Many local models wrap JSON in a Markdown code fence; take what is inside. */
function unfence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(content);
  return fenced ? fenced[1] : content;
}

const excerpt = (text: string) =>
  JSON.stringify(text.length > 200 ? text.slice(0, 200) + "…" : text);

/** Enough of a key to tell two apart in a log, never enough to use it. */
function maskKey(key: string): string {
  return key.length >= 16 ? `…${key.slice(-4)}` : "…";
}
