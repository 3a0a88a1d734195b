/**
 * `POST /ai_signal`: the original Python server's endpoint, kept so an Expert Advisor
 * written for it keeps working. It reads the original request (lenient as it was:
 * numbers or series, absent fields allowed, unknown fields ignored) and answers with the
 * original fields plus the per-source votes and absolute levels (docs/ai-signal.md).
 *
 * 1. A fresh live signal of the symbol (the pipeline's fused decision and the risk
 *    engine's verdict on it) is the answer, when there is one no older than
 *    `maxSignalAgeSeconds`.
 * 2. Otherwise the request's own RSI, MACD and Bollinger values are scored into one
 *    technical vote, and `fuseVotes` sets the stop and target from the request's ATR.
 * 3. Lots come from the risk sizing function, given the account's equity and the stop.
 *
 * It never invents data: no ATR means no stop, no equity means no size, and either
 * answers HOLD saying why. A wrong type is a 400 naming the field; nothing else leaks.
 * `SignalBoard` is the sink that keeps the latest signals and account it answers from.
 *
 * An EA asks many times per bar, and the live answer changes only with a new signal or
 * account report (once per pipeline batch) or when its age in whole seconds ticks: its
 * JSON is encoded once for those and reused, the request's time spliced in at the end.
 */

import { Hono } from "hono";
import { z } from "zod";
import {
  type EventBatch,
  isoFromUs,
  type RiskDecisionEvent,
  type SignalEvent,
} from "@/pipeline/events.ts";
import type { SymbolSpec } from "@/pipeline/symbols.ts";
import { FUSION_DEFAULTS } from "@/operators/fusion/config.ts";
import { fuseVotes, type FuseVotesOptions, type SourceVote } from "@/operators/fusion/fuse.ts";
import { DEFAULT_RISK_CONFIG, type RiskConfig } from "@/operators/risk/config.ts";
import { sizePosition } from "@/operators/risk/sizing.ts";
import { lossPerLotAtStop } from "@/operators/execution/costs.ts";
import type { Sink } from "@/sinks/sink.ts";

/** The pipeline's latest decision for a symbol and the risk engine's verdict on it. */
export interface LiveSignal {
  readonly signal: SignalEvent;
  /** Null for a hold, or when no risk stage ran. */
  readonly risk: RiskDecisionEvent | null;
}

/** The account as last reported by the broker. */
export interface AccountState {
  readonly equity: number;
  /** Margin already in use, account currency. */
  readonly marginInUse: number;
}

export interface AiSignalDeps {
  /** The latest signal of `symbol`, or null when the pipeline has none. */
  latestSignal(symbol: string): LiveSignal | null;
  /** The account, or null before the broker first reported it. */
  account(): AccountState | null;
  /** The contract of `symbol`, or null for a symbol this server does not trade. */
  spec(symbol: string): SymbolSpec | null;
  /** The symbol a request without one is about. */
  readonly defaultSymbol: string;
  /** Risk budget and caps for sizing; default `DEFAULT_RISK_CONFIG`. */
  readonly risk?: Pick<RiskConfig, "riskPercent" | "minStopDistance" | "maxMarginUsePercent">;
  /** Default `parseAiSignalConfig({})`. */
  readonly config?: AiSignalConfig;
  /** Wall clock, ms; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A sink that keeps what the endpoint answers from: each symbol's latest signal with the
 * risk verdict on it (the event at the signal's time, which follows it), and the latest
 * account report. It keeps references only, so a batch costs one pass over its events.
 *
 * @example
 * ```ts
 * const board = new SignalBoard();
 * runPipeline({ ..., sinks: [journal, board] });
 * aiSignalRoutes({ latestSignal: (s) => board.latestSignal(s), account: () => board.account(), ... });
 * ```
 */
export class SignalBoard implements Sink {
  readonly name = "ai-signal board";
  private readonly latest = new Map<
    string,
    { signal: SignalEvent; risk: RiskDecisionEvent | null }
  >();
  private lastAccount: AccountState | null = null;

  write(batch: EventBatch): void {
    for (const event of batch) {
      if (event.kind === "signal") {
        this.latest.set(event.symbol, { signal: event, risk: null });
      } else if (event.kind === "risk") {
        const entry = this.latest.get(event.symbol);
        if (entry !== undefined && entry.signal.timeUs === event.timeUs) entry.risk = event;
      } else if (event.kind === "account") {
        this.lastAccount = { equity: event.equity, marginInUse: event.margin };
      }
    }
  }

  latestSignal(symbol: string): LiveSignal | null {
    return this.latest.get(symbol) ?? null;
  }

  account(): AccountState | null {
    return this.lastAccount;
  }

  close(): void {}
}

const unit = z.number().min(0).max(1);

export const aiSignalConfigSchema = z.strictObject({
  maxSignalAgeSeconds: z.number().gt(0).max(3600).default(90).describe(
    "a live signal older than this (wall clock minus its decision time) is not used",
  ),
  weights: z.strictObject({
    rsi: unit.default(0.4).describe("weight of the request's RSI"),
    macd: unit.default(0.3).describe("weight of the request's MACD"),
    bollinger: unit.default(0.3).describe("weight of the price's place in the request's bands"),
  }).prefault({}).describe("request-indicator weights; absent indicators drop out"),
  rsiBand: z.number().min(5).max(50).default(20).describe(
    "RSI distance from 50 that scores a full +-1, read as oversold (+) / overbought (-)",
  ),
  macdAtr: z.number().gt(0).max(10).default(0.1).describe(
    "MACD histogram (or line), in the request's ATR, that scores tanh(1) = 0.76",
  ),
  gate: unit.default(FUSION_DEFAULTS.gate).describe(
    "request-indicator score magnitude below which the answer is HOLD",
  ),
  stopAtr: z.number().gt(0).max(20).default(1.5).describe(
    "stop distance in the request's ATR (the original used 1.5 x atr_h1)",
  ),
  takeAtr: z.number().gt(0).max(40).default(3).describe(
    "target distance in the request's ATR (the original used 3 x atr_h1)",
  ),
  fallbackSpreadPoints: z.number().min(0).max(10_000).default(30).describe(
    "spread in points assumed for a buy's entry when the request has a bid and no ask",
  ),
});

export type AiSignalConfig = z.infer<typeof aiSignalConfigSchema>;

/** Validates a config from outside, naming every problem. */
export function parseAiSignalConfig(value: unknown, origin = "config"): AiSignalConfig {
  const result = aiSignalConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = problemsOf(result.error).map((p) => `${p.field}: ${p.message}`);
    throw new TypeError(`ai_signal ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

const SERIES = "expected a number or a non-empty array of numbers";
const series = (item: z.ZodNumber, each: string) =>
  z.union([item, z.array(item).min(1)], { error: `${SERIES}, ${each}` });
const price = z.number().positive();
const rsiValue = z.number().min(0).max(100);

/** The original request; unknown fields (session, minutes_to_news, ...) are ignored. */
const requestSchema = z.object({
  symbol: z.string().min(1).max(32).optional(),
  bid: price.optional(),
  ask: price.optional(),
  rsi: z.object({
    h1: series(rsiValue, "each 0-100").optional(),
    h1_series: z.array(rsiValue).min(1).optional(),
  }).optional(),
  macd: z.object({
    h1: z.union([
      z.number(),
      z.array(z.number()).min(1),
      z.object({ main: series(z.number(), "any sign"), signal: series(z.number(), "any sign") }),
    ], { error: `${SERIES}, or {"main", "signal"} each a number or series` }).optional(),
    h1_series: z.array(z.number()).min(1).optional(),
  }).optional(),
  bollinger: z.object({ upper: price.optional(), lower: price.optional() })
    .refine((b) => b.upper === undefined || b.lower === undefined || b.upper > b.lower, {
      message: "upper must be above lower",
    }).optional(),
  atr: z.union([price, z.object({ h1: series(price, "each > 0") })], {
    error: 'expected a positive number or {"h1": a positive number or series}',
  }).optional(),
  advanced_indicators: z.object({ atr_h1: price.optional() }).optional(),
  test: z.boolean().optional(),
}).refine((r) => r.bid === undefined || r.ask === undefined || r.ask >= r.bid, {
  message: "ask must not be below bid",
  path: ["ask"],
});

type AiSignalRequest = z.infer<typeof requestSchema>;

/** One source's opinion in the answer, confidence 0-100 like the answer's. */
export interface AnswerComponent {
  readonly source: string;
  readonly side: "buy" | "sell" | "flat";
  readonly confidence: number;
  readonly weight: number;
  readonly reasons: readonly string[];
}

/**
 * The answer. Distances (`sl`, `tp`) are in price units, `*_points` in the symbol's
 * points, `*_price` absolute; on HOLD they are all 0 (MT5's "none"). See docs/ai-signal.md.
 */
export interface AiSignalAnswer {
  readonly signal: "BUY" | "SELL" | "HOLD";
  readonly confidence: number;
  readonly lot_size: number;
  readonly sl: number;
  readonly tp: number;
  readonly sl_points: number;
  readonly tp_points: number;
  readonly sl_price: number;
  readonly tp_price: number;
  readonly entry_price: number;
  readonly reasoning: string;
  readonly risk_level: "LOW" | "MEDIUM" | "HIGH";
  readonly signal_sources: readonly string[];
  readonly components: readonly AnswerComponent[];
  readonly risk: {
    readonly decision: "accept" | "reject";
    readonly reasons: readonly { readonly code: string; readonly detail: string }[];
  } | null;
  readonly symbol: string;
  readonly signal_time: string;
  readonly timestamp: string;
  readonly test_mode?: true;
}

/**
 * The `/ai_signal` route group, to mount on the control app (behind its auth).
 *
 * @example
 * ```ts
 * app.route("/", aiSignalRoutes({ latestSignal, account, spec, defaultSymbol: "XAUUSD" }));
 * ```
 */
export function aiSignalRoutes(deps: AiSignalDeps): Hono {
  const decide = aiSignalDecider(deps);
  const app = new Hono();
  const json = { "Content-Type": "application/json" };
  app.post("/ai_signal", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "body is not valid JSON" }, 400);
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      return c.json(
        { error: "invalid ai_signal request", problems: problemsOf(parsed.error) },
        400,
      );
    }
    const answer = decide(parsed.data);
    return "error" in answer ? c.json(answer, 400) : c.body(answer.json, 200, json);
  });
  return app;
}

/** The JSON of an answer, or a client error message. */
type Decision = { readonly json: string } | { readonly error: string };

/** The live answer last encoded, with everything it was made from. */
interface EncodedLive {
  readonly signal: SignalEvent;
  readonly risk: RiskDecisionEvent | null;
  readonly equity: number | null;
  readonly marginInUse: number | null;
  readonly ageSeconds: string;
  /** `fromLive`'s answer without its closing brace, ready for `"timestamp"`. */
  readonly head: string;
}

/** The answer's JSON with `"timestamp"` as its last field, as `{ ...answer, timestamp }` has it. */
const withTimestamp = (head: string, timestamp: string) =>
  `${head},"timestamp":${JSON.stringify(timestamp)}}`;

/** The decision behind the route: the answer's JSON, or a client error message. */
function aiSignalDecider(deps: AiSignalDeps): (request: AiSignalRequest) => Decision {
  const config = deps.config ?? parseAiSignalConfig({}, "defaults");
  const risk = deps.risk ?? DEFAULT_RISK_CONFIG;
  const now = deps.now ?? Date.now;
  const maxAgeUs = config.maxSignalAgeSeconds * 1e6;
  const fuseConfig: FuseVotesOptions["config"] = {
    weights: { technical: 1, ml: 0, llm: 0 },
    gate: config.gate,
    regime: FUSION_DEFAULTS.regime,
    // The original's levels: multiples of the request's ATR, with no cost floor.
    levels: {
      ...FUSION_DEFAULTS.levels,
      stopAtr: config.stopAtr,
      takeAtr: config.takeAtr,
      minTakeCosts: 0,
    },
  };

  let encoded: EncodedLive | null = null;
  // The time of the last request, formatted once per millisecond.
  let lastMs = NaN;
  let lastTimestamp = "";

  return (request) => {
    const symbol = request.symbol ?? deps.defaultSymbol;
    const spec = deps.spec(symbol);
    // Not the request's symbol: error bodies never echo what the client sent.
    if (spec === null) return { error: `symbol: this server trades ${deps.defaultSymbol} only` };
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTimestamp = isoFromUs(ms * 1000);
    }
    const nowUs = ms * 1000;
    const timestamp = lastTimestamp;
    if (request.test) {
      const answer: AiSignalAnswer = {
        ...hold(symbol, 0, "test request: the server is up; no decision was made", [], []),
        signal_time: timestamp,
        timestamp,
        test_mode: true,
      };
      return { json: JSON.stringify(answer) };
    }
    const live = deps.latestSignal(symbol);
    const ageUs = live === null ? Infinity : nowUs - live.signal.timeUs;
    // Either sign: a feed whose clock runs a little ahead of ours is still fresh.
    if (live !== null && Math.abs(ageUs) <= maxAgeUs) {
      return { json: withTimestamp(liveHead(live, ageUs, spec), timestamp) };
    }
    const why = live === null
      ? `no live signal for ${symbol}`
      : `the live signal is ${
        (ageUs / 1e6).toFixed(0)
      } s old (max ${config.maxSignalAgeSeconds} s)`;
    const answer: AiSignalAnswer = {
      ...fromRequest(request, symbol, spec, nowUs, why),
      signal_time: timestamp,
      timestamp,
    };
    return { json: JSON.stringify(answer) };
  };

  /** The live answer's JSON up to its timestamp: encoded again only when its inputs changed. */
  function liveHead(live: LiveSignal, ageUs: number, spec: SymbolSpec): string {
    const ageSeconds = (ageUs / 1e6).toFixed(0);
    const account = deps.account();
    const equity = account?.equity ?? null;
    const marginInUse = account?.marginInUse ?? null;
    if (
      encoded === null || encoded.signal !== live.signal || encoded.risk !== live.risk ||
      encoded.equity !== equity || encoded.marginInUse !== marginInUse ||
      encoded.ageSeconds !== ageSeconds
    ) {
      const json = JSON.stringify(fromLive(live, ageSeconds, spec));
      encoded = { ...live, equity, marginInUse, ageSeconds, head: json.slice(0, -1) };
    }
    return encoded.head;
  }

  function fromLive(
    live: LiveSignal,
    ageSeconds: string,
    spec: SymbolSpec,
  ): Omit<AiSignalAnswer, "timestamp"> {
    const { signal, risk: verdict } = live;
    const components = signal.votes.map((vote) => ({
      source: vote.source,
      side: vote.side,
      confidence: percent(vote.confidence),
      weight: vote.weight,
      reasons: vote.reasons,
    }));
    const sources = signal.votes.map((vote) => `live:${vote.source}`);
    const head = `live signal at ${
      isoFromUs(signal.timeUs)
    } (${ageSeconds} s old): ${signal.side.toUpperCase()} ${signal.confidence.toFixed(2)}`;
    const votes = signal.votes.map((v) => `${v.source} ${v.side} ${v.confidence.toFixed(2)}`);
    const signalTime = isoFromUs(signal.timeUs);
    if (signal.side === "hold" || signal.stopLoss === null) {
      return {
        ...hold(
          signal.symbol,
          signal.confidence,
          [head, ...votes].join(" | "),
          sources,
          components,
        ),
        signal_time: signalTime,
      };
    }
    const riskOut = verdict && { decision: verdict.decision, reasons: verdict.reasons };
    if (verdict?.decision === "reject") {
      const reasons = verdict.reasons.map((r) => `${r.code}: ${r.detail}`);
      return {
        ...hold(
          signal.symbol,
          signal.confidence,
          [head, ...votes, `risk rejected it`, ...reasons].join(" | "),
          sources,
          components,
        ),
        risk: riskOut,
        signal_time: signalTime,
      };
    }
    const stopLoss = verdict?.stopLoss ?? signal.stopLoss;
    const takeProfit = verdict?.takeProfit ?? signal.takeProfit;
    const stopDistance = Math.abs(signal.entryPrice - stopLoss);
    const sized = verdict === null
      ? size(spec, signal.entryPrice, stopDistance)
      : { lots: verdict.lots, why: `risk accepted ${verdict.lots} lots` };
    const reasoning = [head, ...votes, sized.why].join(" | ");
    if (sized.lots === 0) {
      return {
        ...hold(signal.symbol, signal.confidence, reasoning, sources, components),
        risk: riskOut,
        signal_time: signalTime,
      };
    }
    return {
      ...trade(spec, signal.side, signal.confidence, signal.entryPrice, stopLoss, takeProfit),
      lot_size: sized.lots,
      reasoning,
      signal_sources: sources,
      components,
      risk: riskOut,
      symbol: signal.symbol,
      signal_time: signalTime,
    };
  }

  function fromRequest(
    request: AiSignalRequest,
    symbol: string,
    spec: SymbolSpec,
    nowUs: number,
    why: string,
  ): Omit<AiSignalAnswer, "timestamp" | "signal_time"> {
    const atr = atrOf(request);
    const components = requestComponents(request, atr, config);
    const sources = components.map((c) => `request:${c.source}`);
    const head = `from the request's indicators (${why})`;
    if (components.length === 0) {
      return hold(
        symbol,
        0,
        `${head}: it carries no RSI, MACD or Bollinger value, so there is nothing to decide on`,
        sources,
        components,
      );
    }
    let weights = 0;
    let sum = 0;
    for (const c of components) {
      weights += c.weight;
      sum += c.weight * c.score;
    }
    const score = weights > 0 ? sum / weights : 0;
    const parts = [
      `${head}: score ${signed(score)}`,
      ...components.map((c) => `${c.source} ${c.reasons[0]}: ${signed(c.score)} x ${c.weight}`),
    ];
    const shown = components.map(({ score: _, ...c }) => c);
    if (request.bid === undefined) {
      parts.push("no bid in the request: no entry, stop or target can be set");
      return hold(symbol, Math.abs(score), parts.join(" | "), sources, shown);
    }
    if (atr === null) {
      parts.push("no ATR in the request: no stop can be set, so no trade");
      return hold(symbol, Math.abs(score), parts.join(" | "), sources, shown);
    }
    sources.push("request:atr");
    const vote: SourceVote = {
      source: "technical",
      side: score > 0 ? "buy" : score < 0 ? "sell" : "flat",
      confidence: Math.min(1, Math.abs(score)),
      reasons: [],
    };
    const fused = fuseVotes([vote], {
      config: fuseConfig,
      spec,
      quote: {
        symbol,
        timeUs: nowUs,
        bid: request.bid,
        ask: request.ask ?? null,
        spread: request.ask === undefined ? config.fallbackSpreadPoints * spec.point : null,
      },
      levels: {
        distances: () => ({
          stop: config.stopAtr * atr,
          take: config.takeAtr * atr,
          floored: false,
        }),
      },
      regime: null,
      specHash: "",
      modelId: null,
    });
    if (fused.side === "hold" || fused.stopLoss === null || fused.stopDistance === null) {
      parts.push(`below the gate ${config.gate}: HOLD`);
      return hold(symbol, fused.confidence, parts.join(" | "), sources, shown);
    }
    parts.push(`stop ${config.stopAtr} x ATR ${atr}, target ${config.takeAtr} x ATR`);
    const sized = size(spec, fused.entryPrice, fused.stopDistance);
    parts.push(sized.why);
    if (sized.lots === 0) return hold(symbol, fused.confidence, parts.join(" | "), sources, shown);
    return {
      ...trade(
        spec,
        fused.side,
        fused.confidence,
        fused.entryPrice,
        fused.stopLoss,
        fused.takeProfit!,
      ),
      lot_size: sized.lots,
      reasoning: parts.join(" | "),
      signal_sources: sources,
      components: shown,
      risk: null,
      symbol,
    };
  }

  /** Lots for a stop, or 0 and why not. */
  function size(
    spec: SymbolSpec,
    entryPrice: number,
    stopDistance: number,
  ): { lots: number; why: string } {
    if (stopDistance < risk.minStopDistance) {
      return {
        lots: 0,
        why:
          `STOP_TOO_CLOSE: stop distance ${stopDistance} is below minStopDistance ${risk.minStopDistance}`,
      };
    }
    const account = deps.account();
    if (account === null) return { lots: 0, why: "no account equity known yet: no size" };
    const sized = sizePosition({
      spec,
      price: entryPrice,
      equity: account.equity,
      marginInUse: account.marginInUse,
      maxMarginUsePercent: risk.maxMarginUsePercent,
      riskPercent: risk.riskPercent,
      // A stop `stopDistance` away, plus both commissions (no slippage: nothing is executed).
      lossPerLot: lossPerLotAtStop(
        { spec, slippage: 0 },
        "buy",
        entryPrice,
        entryPrice - stopDistance,
      ),
    });
    const caps = sized.reasons.map((r) => `${r.code}: ${r.detail}`);
    return {
      lots: sized.lots,
      why: [
        `${sized.lots} lots: ${risk.riskPercent}% of equity ${account.equity} over a stop of ${stopDistance}`,
        ...caps,
      ].join(" | "),
    };
  }
}

interface ScoredComponent extends AnswerComponent {
  /** In [-1, 1], positive bullish. */
  readonly score: number;
}

/** The request's indicators that are present, each scored. */
function requestComponents(
  request: AiSignalRequest,
  atr: number | null,
  config: AiSignalConfig,
): ScoredComponent[] {
  const out: ScoredComponent[] = [];
  const rsi = last(request.rsi?.h1 ?? request.rsi?.h1_series);
  if (rsi !== undefined && config.weights.rsi > 0) {
    const reason = `${rsi.toFixed(1)}, oversold below ${50 - config.rsiBand}, overbought above ${
      50 + config.rsiBand
    }`;
    out.push(component("rsi.h1", clamp((50 - rsi) / config.rsiBand), config.weights.rsi, reason));
  }
  const macd = request.macd?.h1 ?? request.macd?.h1_series;
  if (macd !== undefined && config.weights.macd > 0) {
    const isPair = typeof macd === "object" && !Array.isArray(macd);
    const value = isPair ? last(macd.main)! - last(macd.signal)! : last(macd)!;
    const what = `${isPair ? "main - signal" : "main"} ${value.toFixed(3)}`;
    const score = atr === null ? Math.sign(value) : Math.tanh(value / (config.macdAtr * atr));
    const reason = atr === null
      ? `${what}, sign only (no ATR)`
      : `${what} = ${(value / atr).toFixed(2)} ATR`;
    out.push(component("macd.h1", score, config.weights.macd, reason));
  }
  const bands = request.bollinger;
  const mid = request.bid === undefined
    ? undefined
    : request.ask === undefined
    ? request.bid
    : (request.bid + request.ask) / 2;
  if (
    bands?.upper !== undefined && bands.lower !== undefined && mid !== undefined &&
    config.weights.bollinger > 0
  ) {
    const position = (mid - bands.lower) / (bands.upper - bands.lower);
    const reason = `price ${mid} at ${
      position.toFixed(2)
    } of the bands ${bands.lower}-${bands.upper}`;
    out.push(component("bollinger", clamp(1 - 2 * position), config.weights.bollinger, reason));
  }
  return out;
}

function component(
  source: string,
  score: number,
  weight: number,
  reason: string,
): ScoredComponent {
  return {
    source,
    side: score > 0 ? "buy" : score < 0 ? "sell" : "flat",
    confidence: percent(Math.abs(score)),
    weight,
    reasons: [reason],
    score,
  };
}

/** The request's ATR in price units: `atr`, `atr.h1`, then `advanced_indicators.atr_h1`. */
function atrOf(request: AiSignalRequest): number | null {
  const atr = request.atr;
  if (typeof atr === "number") return atr;
  return last(atr?.h1) ?? request.advanced_indicators?.atr_h1 ?? null;
}

/** A HOLD answer: no size and no levels. */
function hold(
  symbol: string,
  confidence: number,
  reasoning: string,
  sources: readonly string[],
  components: readonly AnswerComponent[],
): Omit<AiSignalAnswer, "timestamp" | "signal_time"> {
  return {
    signal: "HOLD",
    confidence: percent(confidence),
    lot_size: 0,
    sl: 0,
    tp: 0,
    sl_points: 0,
    tp_points: 0,
    sl_price: 0,
    tp_price: 0,
    entry_price: 0,
    reasoning,
    risk_level: riskLevel(confidence),
    signal_sources: sources,
    components,
    risk: null,
    symbol,
  };
}

/** The levels of a trade, as distances in price units and points and as prices. */
function trade(
  spec: SymbolSpec,
  side: "buy" | "sell",
  confidence: number,
  entryPrice: number,
  stopLoss: number,
  takeProfit: number | null,
) {
  const sl = tidy(Math.abs(entryPrice - stopLoss));
  const tp = takeProfit === null ? 0 : tidy(Math.abs(takeProfit - entryPrice));
  return {
    signal: side === "buy" ? "BUY" as const : "SELL" as const,
    confidence: percent(confidence),
    sl,
    tp,
    sl_points: Math.round(sl / spec.point),
    tp_points: Math.round(tp / spec.point),
    sl_price: stopLoss,
    tp_price: takeProfit ?? 0,
    entry_price: entryPrice,
    risk_level: riskLevel(confidence),
  };
}

/** The original's mapping of confidence to a label; it is not a risk measure. */
function riskLevel(confidence: number): "LOW" | "MEDIUM" | "HIGH" {
  return confidence > 0.8 ? "LOW" : confidence > 0.6 ? "MEDIUM" : "HIGH";
}

/** Each problem with its field as a client writes it: `rsi.h1`, `rsi.h1[3]`. */
function problemsOf(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.reduce<string>(
      (at, key) =>
        typeof key === "number"
          ? `${at}[${key}]`
          : at === ""
          ? String(key)
          : `${at}.${String(key)}`,
      "",
    ) || "body",
    message: issue.message,
  }));
}

function last(value: number | readonly number[] | undefined): number | undefined {
  return typeof value === "number" ? value : value?.[value.length - 1];
}

const clamp = (x: number) => (x > 1 ? 1 : x < -1 ? -1 : x);
const percent = (x: number) => Math.round(x * 1000) / 10;
const tidy = (x: number) => Math.round(x * 1e8) / 1e8;
const signed = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);
