/**
 * Builders for risk tests: hand-made signals, accounts, quotes, bars, trades and
 * positions (unit-test inputs, not market data). The default instant, Wednesday
 * 2024-03-20 13:00 UTC, is inside both default sessions (London 13:00 GMT, New York
 * 09:00 EDT), away from Friday and from the fixture calendar's events.
 */

import {
  type BarEvent,
  EVENT_VERSION,
  type SignalEvent,
  type TradeEvent,
  usFromIso,
} from "@/pipeline/events.ts";
import {
  type AccountSnapshot,
  DEFAULT_RISK_CONFIG,
  NewsCalendar,
  type OpenPosition,
  parseRiskConfig,
  type PendingOrder,
  type Quote,
  type RiskConfig,
  type RiskConfigInput,
  type RiskContext,
  RiskEngine,
  type RiskEngineOptions,
  type TradeSignal,
} from "@/operators/risk/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";

export const NOW = "2024-03-20T13:00:00Z";
export const NOW_US = usFromIso(NOW);

/** A buy at the ask 2000.30 with a 3.00 stop and a 4.00 target, at `NOW`. */
export function signal(overrides: Partial<SignalEvent> = {}): TradeSignal {
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: "XAUUSD",
    timeUs: NOW_US,
    side: "buy",
    confidence: 0.7,
    entryPrice: 2000.3,
    stopLoss: 1997.3,
    takeProfit: 2004.3,
    stopDistance: 3,
    takeDistance: 4,
    stopPoints: 300,
    takePoints: 400,
    votes: [],
    regime: null,
    specHash: "test",
    modelId: null,
    ...overrides,
  } as TradeSignal;
}

/** The mirror sell: at the bid 2000.00, stop 2003.00, target 1996.00. */
export function sellSignal(overrides: Partial<SignalEvent> = {}): TradeSignal {
  return signal({ side: "sell", entryPrice: 2000, stopLoss: 2003, takeProfit: 1996, ...overrides });
}

export function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return {
    timeUs: NOW_US,
    balance: 10_000,
    equity: 10_000,
    margin: 0,
    openPositions: 0,
    positions: [],
    ...overrides,
  };
}

export function quote(overrides: Partial<Quote> = {}): Quote {
  return { timeUs: NOW_US, bid: 2000, ask: 2000.3, ...overrides };
}

export function position(overrides: Partial<OpenPosition> = {}): OpenPosition {
  return {
    positionId: "p1",
    clientOrderId: "XAUUSD-1-buy",
    symbol: "XAUUSD",
    side: "buy",
    lots: 0.16,
    entryPrice: 2000,
    stopLoss: 1997,
    takeProfit: 2006,
    initialStop: 1997,
    ...overrides,
  };
}

/** A closed trade with this net P&L, exiting at `exitIso`. */
export function trade(pnl: number, exitIso: string, positionId = `t-${exitIso}`): TradeEvent {
  const exitTimeUs = usFromIso(exitIso);
  return {
    v: EVENT_VERSION,
    kind: "trade",
    symbol: "XAUUSD",
    positionId,
    side: "buy",
    lots: 0.1,
    entryTimeUs: exitTimeUs - 600_000_000,
    entryPrice: 2000,
    exitTimeUs,
    exitPrice: 2000 + pnl / 10,
    exitReason: pnl < 0 ? "stop_loss" : "take_profit",
    pnl,
    commission: 0,
    swap: 0,
    spreadCost: 0,
    mae: 0,
    mfe: 0,
  };
}

/** An M1 bar closing at `closeIso` with these bid and ask closes. */
export function bar(
  closeIso: string,
  bidClose: number,
  askClose: number | null = bidClose + 0.3,
): BarEvent {
  const closeUs = usFromIso(closeIso);
  const bid = { open: bidClose, high: bidClose, low: bidClose, close: bidClose };
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol: "XAUUSD",
    timeframe: "M1",
    openUs: closeUs - 60_000_000,
    closeUs,
    bid,
    ask: askClose === null
      ? null
      : { open: askClose, high: askClose, low: askClose, close: askClose },
    spread: null,
    volume: 0,
  };
}

/**
 * A calendar covering 2024 (unit-test data, not real event times): a USD high-impact
 * event at 2024-03-20 18:00, a USD low one at 14:00, a EUR high one at 15:00, and
 * low-impact events on the first and last day so the whole year is covered.
 */
export function calendar(): NewsCalendar {
  return new NewsCalendar([
    { timeUs: usFromIso("2024-01-01T00:00:00Z"), currency: "USD", impact: "low", title: "start" },
    { timeUs: usFromIso("2024-03-20T14:00:00Z"), currency: "USD", impact: "low", title: "minor" },
    { timeUs: usFromIso("2024-03-20T15:00:00Z"), currency: "EUR", impact: "high", title: "eur" },
    { timeUs: usFromIso("2024-03-20T18:00:00Z"), currency: "USD", impact: "high", title: "rates" },
    { timeUs: usFromIso("2024-12-31T23:00:00Z"), currency: "USD", impact: "low", title: "end" },
  ]);
}

/** The defaults with `overrides` merged one level deep, parsed (so the checks run). */
export function config(overrides: RiskConfigInput = {}): RiskConfig {
  const merged: Record<string, unknown> = structuredClone(DEFAULT_RISK_CONFIG);
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] = typeof value === "object" && value !== null && !Array.isArray(value) &&
        typeof base === "object" && base !== null
      ? { ...base, ...value }
      : value;
  }
  return parseRiskConfig(merged, "(test)");
}

/** An engine with the fixture calendar and `config(overrides)`. */
export function engine(
  overrides: RiskConfigInput = {},
  options: Omit<RiskEngineOptions, "config"> = {},
): RiskEngine {
  return new RiskEngine({ calendar: calendar(), ...options, config: config(overrides) });
}

/** A market entry on its way to the broker: 0.16 lots bought at `NOW`, counting for 5 minutes. */
export function pendingEntry(overrides: Partial<PendingOrder> = {}): PendingOrder {
  return {
    clientOrderId: "x",
    side: "buy",
    lots: 0.16,
    risk: 49.12,
    margin: 320.05,
    timeUs: NOW_US,
    expiresUs: NOW_US + 300_000_000,
    legs: [overrides.clientOrderId ?? "x"],
    resting: false,
    ...overrides,
  };
}

/** A rule context with everything healthy: accepted by every default rule. */
export function context(overrides: Partial<RiskContext> = {}): RiskContext {
  return {
    nowUs: NOW_US,
    signal: signal(),
    clientOrderId: "XAUUSD-new-buy",
    account: account(),
    pending: [],
    issuedOrderIds: new Set(),
    dayStartEquity: 10_000,
    peakEquity: 10_000,
    dailyLimitHit: null,
    drawdownHalt: null,
    killSwitch: null,
    recentTrades: [],
    quote: quote(),
    calendar: calendar(),
    config: DEFAULT_RISK_CONFIG,
    spec: XAUUSD,
    lots: 0.16,
    // The fixture signal's 3.00 stop x 100 oz + 3.50 commission each way, no slippage.
    lossPerLot: 307,
    ...overrides,
  };
}
