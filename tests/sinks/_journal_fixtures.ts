/**
 * Events and helpers shared by the journal tests and the crash test's child process: one
 * trading round per index (a bar, what the model, regime, fusion and risk made of it, an
 * entry and an exit with their fills, the trade and the account), all distinct by index.
 */

import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type FillEvent,
  type MarketEvent,
  NO_LEVELS,
  type OrderEvent,
  type PredictionEvent,
  type RegimeEvent,
  type RiskDecisionEvent,
  type SignalEvent,
  type TradeEvent,
  US_PER_MINUTE,
  usFromIso,
} from "@/pipeline/events.ts";
import type { JournalStats } from "@/sinks/journal.ts";

export const T0 = usFromIso("2024-03-04T00:00:00Z");
const SYMBOL = "XAUUSD";

/** A journal path in a fresh temp dir that `await using` removes at the end of the test. */
export async function tempJournalPath(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "journal_test_" });
  return {
    path: `${dir}/journal.db`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** `JournalStats` of an empty journal, to spread the expected counts over. */
export const EMPTY_STATS: JournalStats = {
  bars: 0,
  gaps: 0,
  regimes: 0,
  predictions: 0,
  signals: 0,
  riskDecisions: 0,
  orders: 0,
  fills: 0,
  trades: 0,
  rejections: 0,
  accountStates: 0,
  modelEvents: 0,
  configChanges: 0,
  auditEntries: 0,
  eventsNotStored: 0,
  duplicatesSkipped: 0,
};

export function bar(i: number, extra: Partial<BarEvent> = {}): BarEvent {
  const openUs = T0 + i * US_PER_MINUTE;
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol: SYMBOL,
    timeframe: "M1",
    openUs,
    closeUs: openUs + US_PER_MINUTE,
    bid: { open: 2050.12 + i, high: 2051.3 + i, low: 2049.01 + i, close: 2050.77 + i },
    ask: null,
    spread: 0.31,
    volume: 120 + i,
    ...extra,
  };
}

/** The close of bar `i`: when everything decided on it happens. */
const decidedAt = (i: number) => T0 + (i + 1) * US_PER_MINUTE;
const entryId = (i: number) => `${SYMBOL}-${decidedAt(i)}-buy`;
const exitId = (i: number) => `${SYMBOL}-${decidedAt(i) + 30 * US_PER_MINUTE}-close-${entryId(i)}`;

export function prediction(
  i: number,
  role: PredictionEvent["role"] = "production",
): PredictionEvent {
  return {
    v: EVENT_VERSION,
    kind: "prediction",
    symbol: SYMBOL,
    openUs: bar(i).openUs,
    closeUs: bar(i).closeUs,
    modelId: role === "production" ? "9f3c01" : "a1b2c3",
    role,
    probabilities: [0.2, 0.3, 0.5],
    agreement: 2 / 3,
    members: [[0.1, 0.3, 0.6], [0.3, 0.3, 0.4], [0.2, 0.3, 0.5]],
  };
}

export function regime(i: number, extra: Partial<RegimeEvent> = {}): RegimeEvent {
  return {
    v: EVENT_VERSION,
    kind: "regime",
    symbol: SYMBOL,
    timeframe: "M1",
    timeUs: decidedAt(i),
    volatility: "high",
    trend: "bull",
    measures: {
      realisedVolatility: 0.00041,
      volatilityPercentile: 0.83,
      adx: 31.5,
      efficiencyRatio: 0.42,
      move: 0.0023,
    },
    ...extra,
  };
}

export function signal(i: number, extra: Partial<SignalEvent> = {}): SignalEvent {
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: SYMBOL,
    timeUs: decidedAt(i),
    side: "buy",
    confidence: 0.71,
    entryPrice: 2051.08 + i,
    stopLoss: 2048.08 + i,
    takeProfit: 2057.08 + i,
    stopDistance: 3,
    takeDistance: 6,
    stopPoints: 300,
    takePoints: 600,
    votes: [
      { source: "technical", side: "buy", confidence: 0.6, weight: 0.4, reasons: ["rsi_low"] },
      { source: "ml", side: "buy", confidence: 0.8, weight: 0.6, reasons: [] },
    ],
    regime: { volatility: "high", trend: "bull" },
    specHash: "c3d4e5",
    modelId: "9f3c01",
    ...extra,
  };
}

export function riskDecision(i: number, extra: Partial<RiskDecisionEvent> = {}): RiskDecisionEvent {
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: SYMBOL,
    timeUs: decidedAt(i),
    side: "buy",
    decision: "accept",
    lots: 0.12,
    stopLoss: 2048.08 + i,
    takeProfit: 2057.08 + i,
    reasons: [{ code: "size_capped", detail: "0.2 lots capped to 0.12 by max risk" }],
    state: "active",
    clientOrderId: entryId(i),
    budget: 36.84,
    ...extra,
  };
}

export function entryOrder(i: number, extra: Partial<OrderEvent> = {}): OrderEvent {
  return {
    v: EVENT_VERSION,
    kind: "order",
    symbol: SYMBOL,
    timeUs: decidedAt(i),
    clientOrderId: entryId(i),
    action: "open",
    side: "buy",
    lots: 0.12,
    stopLoss: 2048.08 + i,
    takeProfit: 2057.08 + i,
    positionId: null,
    reason: "signal",
    ...extra,
  };
}

export function exitOrder(i: number, extra: Partial<OrderEvent> = {}): OrderEvent {
  return {
    ...entryOrder(i),
    timeUs: decidedAt(i) + 30 * US_PER_MINUTE,
    clientOrderId: exitId(i),
    action: "close",
    side: "sell",
    stopLoss: null,
    takeProfit: null,
    positionId: entryId(i),
    ...extra,
  };
}

export function entryFill(i: number, extra: Partial<FillEvent> = {}): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: SYMBOL,
    timeUs: decidedAt(i) + 250_000,
    clientOrderId: entryId(i),
    positionId: entryId(i),
    action: "open",
    side: "buy",
    lots: 0.12,
    price: 2051.13 + i,
    commission: 0.84,
    slippage: 0.05,
    reason: "market",
    ...extra,
  };
}

export function exitFill(i: number, extra: Partial<FillEvent> = {}): FillEvent {
  return {
    ...entryFill(i),
    timeUs: decidedAt(i) + 30 * US_PER_MINUTE + 250_000,
    clientOrderId: exitId(i),
    action: "close",
    side: "sell",
    price: 2053.4 + i,
    reason: "signal",
    ...extra,
  };
}

export function trade(i: number, extra: Partial<TradeEvent> = {}): TradeEvent {
  return {
    v: EVENT_VERSION,
    kind: "trade",
    symbol: SYMBOL,
    positionId: entryId(i),
    side: "buy",
    lots: 0.12,
    entryTimeUs: entryFill(i).timeUs,
    entryPrice: entryFill(i).price,
    exitTimeUs: exitFill(i).timeUs,
    exitPrice: exitFill(i).price,
    exitReason: "signal",
    pnl: 25.56,
    commission: 1.68,
    swap: -0.12,
    spreadCost: 7.2,
    mae: -4.8,
    mfe: 31.2,
    ...extra,
  };
}

export function account(i: number, extra: Partial<AccountEvent> = {}): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: decidedAt(i),
    balance: 10_000 + i,
    equity: 10_000.5 + i,
    margin: 246.14,
    openPositions: 1,
    ...extra,
  };
}

/** Bar `i` and everything that follows from it, in time order: every stored kind once. */
export function tradingRound(i: number): MarketEvent[] {
  return [
    bar(i),
    prediction(i, "production"),
    prediction(i, "shadow"),
    regime(i),
    signal(i),
    riskDecision(i),
    entryOrder(i),
    entryFill(i),
    account(i),
    exitOrder(i),
    exitFill(i),
    trade(i),
    account(i, { timeUs: exitFill(i).timeUs, equity: 10_025.56 + i, openPositions: 0 }),
  ];
}

/** A hold as fusion makes one every minute: three votes, each with the reasons it gives. */
export function hold(i: number, extra: Partial<SignalEvent> = {}): SignalEvent {
  return {
    ...signal(i),
    side: "hold",
    confidence: 0.11235055835928696,
    entryPrice: 2050.77 + i,
    ...NO_LEVELS,
    votes: [
      {
        source: "technical",
        side: "buy",
        confidence: 0.11235055835928696,
        weight: 0.5294117647058824,
        reasons: [
          "score +0.11",
          "rsi M1 38.1: +0.59 x 0.1",
          "rsi M15 43.3: -0.34 x 0.08",
          "rsi H1 52.1: +0.10 x 0.07",
          "macd M5 cross up 4m ago: +0.60 x 0.1",
          "macd M5 histogram +0.03 atr: +0.28 x 0.15",
          "ema M1 cross down 3m ago: -0.70 x 0.1",
          "ema alignment M5 -0.75 M15 -0.34 H1 +0.35: -0.30 x 0.2",
          "stochastic M1 K 20.0 D 17.6: +1.00 x 0.1",
          "support/resistance M15 34.1 atr above support, 30.1 below resistance: +0.00 x 0.1",
        ],
      },
      {
        source: "ml",
        side: "flat",
        confidence: Math.fround(0.9296383261680603),
        weight: 0.47058823529411764,
        reasons: [
          "model 9f3c01",
          "p(down/flat/up) 0.036/0.930/0.035",
          "member agreement 1.00 of 4",
          "down does not beat flat",
        ],
      },
      {
        source: "regime",
        side: "flat",
        confidence: 0.832260042931617,
        weight: 0,
        reasons: [
          "H1 trend range (ADX 14.5, efficiency 0.17)",
          "H1 volatility normal (percentile 0.57)",
          "modifier: buy x 0.90, sell x 0.90",
        ],
      },
    ],
    regime: { volatility: "normal", trend: "range" },
    ...extra,
  };
}

/** The hold of `hold(i)` as the journal gives it back: its votes without their reasons. */
export function summarised(signal: SignalEvent): SignalEvent {
  return { ...signal, votes: signal.votes.map((vote) => ({ ...vote, reasons: [] })) };
}

/** A 4-member ensemble's prediction in float32, as onnxruntime gives it. */
export function ensemblePrediction(i: number): PredictionEvent {
  return {
    ...prediction(i),
    probabilities: [Math.fround(0.036), Math.fround(0.93), Math.fround(0.034)],
    agreement: 0.75,
    members: [
      [Math.fround(0.33), Math.fround(0.3), Math.fround(0.37)],
      [Math.fround(0.31), Math.fround(0.4), Math.fround(0.29)],
      [Math.fround(0.28), Math.fround(0.46), Math.fround(0.26)],
      [Math.fround(0.23), Math.fround(0.48), Math.fround(0.29)],
    ],
  };
}

/**
 * What `_journal_v2.sql` holds, the journal a version-2 build wrote: a trading round (its
 * predictions in float64), a prediction in float32, a hold with its reasons, and a hold
 * with no votes, regime or model.
 */
export function version2Events(): MarketEvent[] {
  return [
    ...tradingRound(0),
    ensemblePrediction(1),
    hold(1),
    hold(2, { votes: [], regime: null, modelId: null, confidence: 0 }),
  ];
}

/** Trading rounds per batch of the crash test: enough that a kill most likely lands mid-batch. */
export const ROUNDS_PER_CRASH_BATCH = 150;

/** Batch `n` of the crash test: rounds `n * ROUNDS_PER_CRASH_BATCH` onwards. */
export function crashBatch(n: number): MarketEvent[] {
  return Array.from(
    { length: ROUNDS_PER_CRASH_BATCH },
    (_, k) => tradingRound(n * ROUNDS_PER_CRASH_BATCH + k),
  ).flat();
}
