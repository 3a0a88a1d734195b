/**
 * Builders for the events a backtest produces, with defaults a test overrides field by
 * field, and one seeded synthetic run (trades, equity curve, bars, regimes, risk
 * decisions, prices) that is internally consistent: the balance moves by each trade's
 * P&L at its exit. No real data and no other stage is involved.
 */

import {
  type BarEvent,
  EVENT_VERSION,
  isoFromUs,
  type RegimeEvent,
  type RiskDecisionEvent,
  type TrendLabel,
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
  usFromIso,
  type VolatilityLabel,
} from "@/pipeline/events.ts";
import { Random } from "@/models/random.ts";
import {
  type BacktestJsonInput,
  type BacktestTrade,
  costsReport,
  type EquityPoint,
  type MetricsInput,
  type PricePoint,
} from "@/operators/backtest/mod.ts";

export const us = usFromIso;

export function trade(fields: Partial<BacktestTrade> = {}): BacktestTrade {
  return {
    v: EVENT_VERSION,
    kind: "trade",
    symbol: "XAUUSD",
    positionId: "p1",
    side: "buy",
    lots: 0.1,
    entryTimeUs: us("2024-01-08T14:00:00Z"),
    entryPrice: 2030,
    exitTimeUs: us("2024-01-08T15:00:00Z"),
    exitPrice: 2031,
    exitReason: "take_profit",
    pnl: 0,
    commission: 0,
    swap: 0,
    spreadCost: 0,
    mae: 0,
    mfe: 0,
    ...fields,
  };
}

export function bar(openIso: string, bid: number, ask: number | null, spread: number | null) {
  const openUs = us(openIso);
  const ohlc = (p: number) => ({ open: p, high: p, low: p, close: p });
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol: "XAUUSD",
    timeframe: "M1",
    openUs,
    closeUs: openUs + US_PER_MINUTE,
    bid: ohlc(bid),
    ask: ask === null ? null : ohlc(ask),
    spread,
    volume: 1,
  } satisfies BarEvent;
}

export function regime(
  iso: string,
  volatility: VolatilityLabel,
  trend: TrendLabel,
  symbol = "XAUUSD",
): RegimeEvent {
  return {
    v: EVENT_VERSION,
    kind: "regime",
    symbol,
    timeframe: "H1",
    timeUs: us(iso),
    volatility,
    trend,
    measures: {
      realisedVolatility: 0.001,
      volatilityPercentile: 0.5,
      adx: 20,
      efficiencyRatio: 0.3,
      move: 0,
    },
  };
}

export function decision(
  iso: string,
  verdict: "accept" | "reject",
  codes: readonly string[] = [],
): RiskDecisionEvent {
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: "XAUUSD",
    timeUs: us(iso),
    side: "buy",
    decision: verdict,
    lots: verdict === "accept" ? 0.1 : 0,
    stopLoss: null,
    takeProfit: null,
    reasons: codes.map((code) => ({ code, detail: `${code} detail` })),
    state: "active",
    clientOrderId: verdict === "accept" ? "o1" : null,
  };
}

/** A run with nothing in it over one week: the base a test overrides. */
export function emptyRun(fields: Partial<MetricsInput> = {}): MetricsInput {
  return {
    trades: [],
    equity: [],
    initialBalance: 10_000,
    riskDecisions: [],
    regimes: [],
    firstBar: null,
    lastBar: null,
    periodStartUs: us("2024-01-08T00:00:00Z"),
    periodEndUs: us("2024-01-12T22:00:00Z"),
    ...fields,
  };
}

/** A seeded synthetic run of about `days` calendar days from Monday 2024-01-08, with its price line. */
export function syntheticRun(
  seed: number,
  days = 60,
): { readonly run: MetricsInput; readonly prices: readonly PricePoint[] } {
  const random = new Random(seed);
  const startUs = us("2024-01-08T00:00:00Z");
  const endUs = startUs + days * US_PER_DAY;
  const prices: PricePoint[] = [];
  let close = 2030;
  for (let t = startUs; t <= endUs; t += US_PER_HOUR) {
    close += random.normal() * 3;
    prices.push({ timeUs: t, close: Number(close.toFixed(2)) });
  }
  const priceAt = (timeUs: number) => prices[Math.floor((timeUs - startUs) / US_PER_HOUR)].close;
  const trades: BacktestTrade[] = [];
  const equity: EquityPoint[] = [];
  const regimes: RegimeEvent[] = [];
  const decisions: RiskDecisionEvent[] = [];
  const volatilities: VolatilityLabel[] = ["low", "normal", "high"];
  const trends: TrendLabel[] = ["bear", "range", "bull"];
  let balance = 10_000;
  for (let day = 0; day < days - 1; day++) {
    const dayUs = startUs + day * US_PER_DAY;
    regimes.push({
      ...regime("2024-01-08T00:00:00Z", volatilities[random.int(3)], trends[random.int(3)]),
      timeUs: dayUs + US_PER_HOUR,
    });
    if (random.next() < 0.3) {
      decisions.push({
        ...decision(
          "2024-01-08T00:00:00Z",
          "reject",
          random.next() < 0.5 ? ["max_spread"] : [
            "daily_loss",
            "max_spread",
          ],
        ),
        timeUs: dayUs + 2 * US_PER_HOUR,
      });
    }
    const entryUs = dayUs + (2 + random.int(20)) * US_PER_HOUR;
    const exitUs = entryUs + (1 + random.int(3)) * US_PER_HOUR;
    const side = random.next() < 0.5 ? "buy" : "sell";
    const lots = 0.1;
    const entryPrice = priceAt(entryUs);
    const exitPrice = priceAt(exitUs);
    const stop = 5;
    const gross = (side === "buy" ? 1 : -1) * (exitPrice - entryPrice) * 100 * lots;
    const commission = 0.7;
    const swap = exitUs - entryUs > 2 * US_PER_HOUR ? -0.5 : 0;
    const pnl = Number((gross - commission + swap).toFixed(2));
    decisions.push({ ...decision("2024-01-08T00:00:00Z", "accept"), timeUs: entryUs });
    equity.push({ timeUs: entryUs, equity: balance - 0.3, balance });
    balance = Number((balance + pnl).toFixed(2));
    equity.push({ timeUs: exitUs, equity: balance, balance });
    trades.push({
      ...trade({
        positionId: `p${day + 1}`,
        side,
        lots,
        entryTimeUs: entryUs,
        entryPrice,
        exitTimeUs: exitUs,
        exitPrice,
        exitReason: pnl > 0 ? "take_profit" : pnl < -5 ? "stop_loss" : "signal",
        pnl,
        commission,
        swap,
        spreadCost: 3,
        mae: -Math.abs(pnl) / 2,
        mfe: Math.abs(pnl) / 2,
      }),
      initialRisk: day % 5 === 4 ? null : stop * 100 * lots,
    });
  }
  return {
    run: emptyRun({
      trades,
      equity,
      riskDecisions: decisions,
      regimes,
      firstBar: bar(isoFromUs(startUs), prices[0].close, prices[0].close + 0.3, null),
      lastBar: bar(isoFromUs(endUs - US_PER_MINUTE), prices.at(-1)!.close, null, 0.3),
      periodStartUs: startUs,
      periodEndUs: endUs,
    }),
    prices,
  };
}

/**
 * The issue-12 sections of a document for a run that says nothing about them: no
 * warm-up, no source voted, no halt, no costs, no baseline. Tests of those sections
 * build their own.
 */
export function decisionSections(): Pick<
  BacktestJsonInput,
  "warmup" | "sources" | "halts" | "costs" | "baseline"
> {
  const silent = {
    configured: false,
    weight: 0,
    decision_bars: 0,
    voted_bars: 0,
    coverage: 0,
    first_vote_utc: null,
    agreed: 0,
    opposed: 0,
    agreement_rate: null,
    trades_supported: { trades: 0, net_profit: 0 },
    trades_opposed: { trades: 0, net_profit: 0 },
    trades_neutral: { trades: 0, net_profit: 0 },
  };
  return {
    warmup: {
      requested_from_utc: null,
      history_start_utc: "2024-03-04T00:00:00Z",
      trading_start_utc: "2024-03-04T00:00:00Z",
      warm_bars: 0,
      required: [],
      complete: true,
      notes: [],
    },
    sources: { technical: silent, ml: silent, regime: silent, llm: silent },
    halts: [],
    costs: costsReport([], 100),
    baseline: null,
  };
}
