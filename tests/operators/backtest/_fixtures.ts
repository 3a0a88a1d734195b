/**
 * Builders for the events a backtest produces, with defaults a test overrides field by
 * field, and one seeded synthetic run (trades, equity curve, bars, regimes, risk
 * decisions, H1 candles) that is internally consistent: the balance moves by each trade's
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
  type BacktestJson,
  type BacktestJsonInput,
  type BacktestTrade,
  brokerSummary,
  type Candle,
  type CandleSeries,
  costsReport,
  type EquityPoint,
  type MetricsInput,
  type SourceReport,
} from "@/operators/backtest/mod.ts";
import { SimulatedBroker } from "@/operators/execution/mod.ts";

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
    budget: verdict === "accept" ? 50 : null,
  };
}

/** The document's news and broker sections of a run without a calendar on the default profile. */
export const RUN_CONTEXT = {
  news: { enabled: false, calendar: null, calendar_sha256: null },
  broker: (() => {
    const broker = new SimulatedBroker();
    return brokerSummary(broker.settings.profile, null, broker.stats);
  })(),
} as const;

/** A run with nothing in it over one week: the base a test overrides. */
export function emptyRun(fields: Partial<MetricsInput> = {}): MetricsInput {
  return {
    trades: [],
    equity: [],
    initialBalance: 10_000,
    riskDecisions: [],
    rejections: [],
    regimes: [],
    firstBar: null,
    lastBar: null,
    periodStartUs: us("2024-01-08T00:00:00Z"),
    periodEndUs: us("2024-01-12T22:00:00Z"),
    ...fields,
  };
}

/** A seeded synthetic run of about `days` calendar days from Monday 2024-01-08, with H1 candles. */
export function syntheticRun(
  seed: number,
  days = 60,
): { readonly run: MetricsInput; readonly candles: CandleSeries } {
  const random = new Random(seed);
  const startUs = us("2024-01-08T00:00:00Z");
  const endUs = startUs + days * US_PER_DAY;
  const prices: Candle[] = [];
  let close = 2030;
  for (let t = startUs; t <= endUs; t += US_PER_HOUR) {
    const open = close;
    close = Number((close + random.normal() * 3).toFixed(2));
    const wick = Number(random.next().toFixed(2));
    prices.push({
      openUs: t,
      open,
      high: Math.max(open, close) + wick,
      low: Math.min(open, close) - wick,
      close,
    });
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
    candles: { timeframe: "H1", candles: prices },
  };
}

const group = (trades: number, net: number) => ({ trades, net_profit: net });

/** A source's figures: `voted` of 1,000 decision bars, with hand-picked agreement counts. */
function source(configured: boolean, weight: number, voted: number): SourceReport {
  return {
    configured,
    weight,
    decision_bars: 1000,
    voted_bars: voted,
    coverage: voted / 1000,
    first_vote_utc: voted === 0 ? null : "2024-01-08T01:00:00Z",
    agreed: Math.round(voted * 0.1),
    opposed: Math.round(voted * 0.05),
    agreement_rate: voted === 0 ? null : 2 / 3,
    trades_supported: group(20, -150.5),
    trades_opposed: group(5, 12.25),
    trades_neutral: group(34, -80),
  };
}

/**
 * A document's decision sections with values written by hand, to lay over a real or
 * synthetic document: a model that voted on 42 % of the bars, an enforced drawdown halt
 * for the last 28 % of the period and a recorded daily-loss one, costs, the chance
 * baseline, and the news and broker parts.
 */
export function reportSections(): Pick<
  BacktestJson,
  "warmup" | "sources" | "halts" | "costs" | "baseline" | "news" | "broker"
> {
  const bands = (p50: number) => ({ p5: p50 - 2, p25: p50 - 1, p50, p75: p50 + 1, p95: p50 + 2 });
  return {
    warmup: {
      requested_from_utc: "2024-01-08T00:00:00Z",
      history_start_utc: "2023-12-04T00:00:00Z",
      trading_start_utc: "2024-01-08T00:00:00Z",
      warm_bars: 34_560,
      required: [
        { source: "ml", timeframe: "M1", bars: 20_400 },
        { source: "regime", timeframe: "H1", bars: 744 },
      ],
      complete: true,
      notes: ["every configured source voted by the first trading bar"],
    },
    sources: {
      technical: source(true, 0.5, 1000),
      ml: source(true, 0.3, 420),
      regime: source(true, 0.2, 1000),
      llm: source(false, 0, 0),
    },
    halts: [{
      time_utc: "2024-02-20T14:00:00Z",
      code: "MAX_DRAWDOWN",
      detail: "equity 10 % below its peak",
      until_utc: null,
      enforced: true,
      untraded_share: 0.28,
    }, {
      time_utc: "2024-01-15T15:00:00Z",
      code: "DAILY_LOSS",
      detail: "the day lost 2 % of its starting equity",
      until_utc: "2024-01-15T22:00:00Z",
      enforced: false,
      untraded_share: 0,
    }],
    costs: {
      trades: 59,
      per_trade: { spread: 0.3, slippage: 0.04, commission: 0.07, swap: 0.01, total: 0.42 },
      average_stop_distance: 0.84,
      average_take_distance: 1.26,
      cost_share_of_stop: 0.5,
      cost_share_of_take: 1 / 3,
      breakeven_win_rate: 0.56,
    },
    baseline: {
      random: {
        runs: 30,
        seed: 7,
        entry_rate: 0.012,
        trades: bands(60),
        net_profit: bands(-300),
        profit_factor: bands(0.4),
        sharpe: bands(-3),
        percentile: { net_profit: 62.5, profit_factor: 55, sharpe: null },
      },
    },
    news: { enabled: true, calendar: "calendar_2024.csv", calendar_sha256: "c".repeat(64) },
    broker: { ...RUN_CONTEXT.broker, name: "ecn-demo" },
  };
}

/**
 * The issue-12 sections of a document for a run that says nothing about them: no
 * warm-up, no source voted, no halt, no costs, no baseline; no news filter, the default
 * broker. Tests of those sections build their own.
 */
export function decisionSections(): Pick<
  BacktestJsonInput,
  "warmup" | "sources" | "halts" | "costs" | "baseline" | "news" | "broker"
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
    ...RUN_CONTEXT,
  };
}
