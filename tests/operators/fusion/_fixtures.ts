/**
 * Inputs for the fusion tests: seeded synthetic M1 bars, predictions, regime events, a
 * fixed market summary, and a local OpenAI-compatible server. Synthetic bars are unit-test
 * input only, to pin a behaviour to a known cause; they never stand in for market data.
 */

import {
  type BarEvent,
  EVENT_VERSION,
  type PredictionEvent,
  type RegimeEvent,
  type TrendLabel,
  US_PER_MINUTE,
  usFromIso,
  type VolatilityLabel,
} from "@/pipeline/events.ts";
import type { MarketSummary } from "@/operators/fusion/mod.ts";

export const SYMBOL = "XAUUSD";
export const START_US = usFromIso("2017-03-06T00:00:00Z");

/** mulberry32: the same series on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One M1 bid bar opening at `openUs`, with wicks 0.05 beyond the body. */
export function m1(openUs: number, open: number, close: number, symbol = SYMBOL): BarEvent {
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol,
    timeframe: "M1",
    openUs,
    closeUs: openUs + US_PER_MINUTE,
    bid: {
      open,
      high: Math.max(open, close) + 0.05,
      low: Math.min(open, close) - 0.05,
      close,
    },
    ask: null,
    spread: null,
    volume: 0,
  };
}

/** `count` consecutive M1 bars from `START_US`: a seeded walk with `drift` per bar. */
export function walk(count: number, options: { drift?: number; seed?: number } = {}): BarEvent[] {
  const random = seeded(options.seed ?? 1);
  const bars: BarEvent[] = [];
  let price = 1200;
  for (let i = 0; i < count; i++) {
    const open = price;
    price = Math.round((price + (options.drift ?? 0) + (random() - 0.5) * 0.6) * 100) / 100;
    bars.push(m1(START_US + i * US_PER_MINUTE, open, price));
  }
  return bars;
}

export function prediction(
  bar: BarEvent,
  probabilities: readonly [number, number, number],
  role: PredictionEvent["role"] = "production",
  modelId = "a".repeat(64),
): PredictionEvent {
  return {
    v: EVENT_VERSION,
    kind: "prediction",
    symbol: bar.symbol,
    openUs: bar.openUs,
    closeUs: bar.closeUs,
    modelId,
    role,
    probabilities,
    agreement: 1,
    members: [],
  };
}

export function regimeEvent(
  timeUs: number,
  trend: TrendLabel,
  volatility: VolatilityLabel = "normal",
): RegimeEvent {
  return {
    v: EVENT_VERSION,
    kind: "regime",
    symbol: SYMBOL,
    timeframe: "H1",
    timeUs,
    volatility,
    trend,
    measures: {
      realisedVolatility: 0.001,
      volatilityPercentile: volatility === "high" ? 0.9 : volatility === "low" ? 0.1 : 0.5,
      adx: trend === "range" ? 15 : 30,
      efficiencyRatio: trend === "range" ? 0.1 : 0.4,
      move: trend === "bear" ? -0.01 : 0.01,
    },
  };
}

/** A fixed summary, as the operator would build it at `timeUs`. */
export function summaryAt(timeUs: number): MarketSummary {
  const perFrame = (m1: number, m5: number, m15: number, h1: number) => ({
    M1: m1,
    M5: m5,
    M15: m15,
    H1: h1,
  });
  return {
    symbol: SYMBOL,
    timeUs,
    bid: 1234.56,
    technical: {
      close: 1234.56,
      atr: perFrame(0.4, 0.9, 1.6, 3.2),
      rsi: perFrame(28.4, 41, 55.2, 61.7),
      emaGapAtr: perFrame(-0.3, 0.1, 0.6, 1.2),
      macdHistogramM5: 0.042,
      stochasticK: 12.5,
      stochasticD: 18.25,
      support: 1232.1,
      resistance: 1240,
    },
    regime: { trend: "bull", volatility: "normal" },
    newsProximity: 0,
  };
}

/** A chat completion whose message content is `content`. */
export function completion(content: string): Response {
  return Response.json({
    id: "chatcmpl-test",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  });
}

export interface TestServer {
  readonly baseUrl: string;
  /** Requests received, with their parsed JSON bodies. */
  readonly received: {
    readonly method: string;
    readonly url: string;
    readonly headers: Headers;
    readonly body: Record<string, unknown>;
  }[];
  stop(): Promise<void>;
}

/**
 * An OpenAI-compatible server on 127.0.0.1 and a free port, answering with `handler`;
 * `stopping` aborts when the test stops it, so a slow handler can end at once.
 */
export function startServer(
  handler: (request: Request, stopping: AbortSignal) => Response | Promise<Response>,
): TestServer {
  const received: TestServer["received"] = [];
  const stopping = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const { method, url, headers } = request;
      received.push({ method, url, headers, body: await request.json() });
      return handler(request, stopping.signal);
    },
  );
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    received,
    stop: () => {
      stopping.abort();
      return server.shutdown();
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(id);
      resolve();
    }, { once: true });
  });
}
