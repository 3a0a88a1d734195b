/**
 * The report's issue-12 sections from hand-built runs: per-source attribution
 * (`SourceAttribution`), costs against the levels (`costsReport`) and halts
 * (`haltsReport`). Every expected figure is worked out in the comments.
 */

import assert from "node:assert/strict";
import {
  costsReport,
  entrySides,
  haltsReport,
  SourceAttribution,
} from "@/operators/backtest/mod.ts";
import { EVENT_VERSION, NO_LEVELS, type SignalEvent, type Vote } from "@/pipeline/events.ts";
import { trade, us } from "./_fixtures.ts";

function signal(
  iso: string,
  side: SignalEvent["side"],
  votes: [Vote["source"], Vote["side"]][],
): SignalEvent {
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: "XAUUSD",
    timeUs: us(iso),
    side,
    confidence: 0.6,
    entryPrice: 2030,
    ...NO_LEVELS,
    votes: votes.map(([source, s]) => ({
      source,
      side: s,
      confidence: 0.5,
      weight: 0.5,
      reasons: [],
    })),
    regime: null,
    specHash: "",
    modelId: null,
  };
}

const SETUP = {
  technical: { configured: true, weight: 0.45 },
  ml: { configured: true, weight: 0.4 },
  regime: { configured: true, weight: 0 },
  llm: { configured: false, weight: 0.15 },
};

Deno.test("SourceAttribution counts coverage, agreement and the trades each source backed", () => {
  const a = new SourceAttribution();
  // Four decision bars. The model votes on three of them (coverage 3/4 = 0.75).
  a.onSignal(signal("2024-01-08T14:00:00Z", "hold", [["technical", "flat"], ["regime", "buy"]]));
  const o1 = signal("2024-01-08T14:01:00Z", "buy", [["technical", "buy"], ["ml", "sell"], [
    "regime",
    "buy",
  ]]);
  a.onSignal(o1);
  const o2 = signal("2024-01-08T14:02:00Z", "sell", [["technical", "sell"], ["ml", "sell"], [
    "regime",
    "buy",
  ]]);
  a.onSignal(o2);
  a.onSignal(
    signal("2024-01-08T14:03:00Z", "hold", [["technical", "buy"], ["ml", "flat"], [
      "regime",
      "buy",
    ]]),
  );
  // o1 (a buy the model opposed) lost 30; o2 (a sell the model backed) won 50.
  a.onTrade(trade({ positionId: "o1", side: "buy", pnl: -30 }), entrySides(o1));
  a.onTrade(trade({ positionId: "o2", side: "sell", pnl: 50 }), entrySides(o2));
  const r = a.report(SETUP, {
    technical: us("2024-01-08T10:00:00Z"),
    ml: us("2024-01-08T14:02:00Z"),
    regime: null,
    llm: null,
  });
  assert.equal(a.decisionBars, 4);
  // The first vote comes from the warm-up record, passed in.
  assert.deepEqual(
    [r.ml.voted_bars, r.ml.coverage, r.ml.first_vote_utc, r.regime.first_vote_utc],
    [3, 0.75, "2024-01-08T14:02:00Z", null],
  );
  // Sided decisions: the buy at 14:01 and the sell at 14:02. The model opposed the
  // first and agreed with the second: 1 of 2. The technical scorer agreed with both.
  assert.deepEqual([r.ml.agreed, r.ml.opposed, r.ml.agreement_rate], [1, 1, 0.5]);
  assert.deepEqual([r.technical.agreed, r.technical.opposed, r.technical.agreement_rate], [
    2,
    0,
    1,
  ]);
  assert.deepEqual(r.ml.trades_supported, { trades: 1, net_profit: 50 });
  assert.deepEqual(r.ml.trades_opposed, { trades: 1, net_profit: -30 });
  // The regime said buy on both: it backed o1 (-30) and opposed o2 (+50).
  assert.deepEqual(r.regime.trades_supported, { trades: 1, net_profit: -30 });
  assert.deepEqual(r.regime.trades_opposed, { trades: 1, net_profit: 50 });
  // The LLM never voted: every trade is neutral for it, and it is marked unconfigured.
  assert.deepEqual([r.llm.configured, r.llm.coverage, r.llm.trades_neutral.trades], [false, 0, 2]);
});

Deno.test("SourceAttribution.firstVotes() keeps the warm-up's first votes and adds those of the traded period", () => {
  const a = new SourceAttribution();
  a.onSignal(signal("2024-01-08T14:00:00Z", "hold", [["technical", "flat"]]));
  a.onSignal(signal("2024-01-08T14:01:00Z", "buy", [["technical", "buy"], ["ml", "buy"]]));
  a.onSignal(signal("2024-01-08T14:02:00Z", "buy", [["technical", "buy"], ["ml", "sell"]]));
  // Technical voted in the warm-up at 10:00; the model first in the traded period, at
  // 14:01; the regime and the LLM never.
  assert.deepEqual(
    a.firstVotes({ technical: us("2024-01-08T10:00:00Z"), ml: null, regime: null, llm: null }),
    {
      technical: us("2024-01-08T10:00:00Z"),
      ml: us("2024-01-08T14:01:00Z"),
      regime: null,
      llm: null,
    },
  );
});

Deno.test("costsReport() gives per-trade costs in price units, their share of the levels and the break-even win rate", () => {
  // Two 0.1-lot trades on a 100-oz contract: one price unit is worth 10 per trade.
  // Spread cost 3 and 3 -> 0.3 each; commission 0.7 and 0.7 -> 0.07; swap -1.0 (paid)
  // and 0 -> 0.1 and 0, mean 0.05; slippage 0.04 and 0.02 -> mean 0.03.
  const trades = [
    {
      ...trade({ spreadCost: 3, commission: 0.7, swap: -1 }),
      slippage: 0.04,
      stopDistance: 3,
      takeDistance: 4,
    },
    {
      ...trade({ spreadCost: 3, commission: 0.7, swap: 0 }),
      slippage: 0.02,
      stopDistance: 5,
      takeDistance: 6,
    },
  ];
  const c = costsReport(trades, 100);
  assert.deepEqual(c.per_trade, {
    spread: 0.3,
    slippage: 0.03,
    commission: 0.07,
    swap: 0.05,
    total: 0.45,
  });
  // Average stop 4, target 5: 0.45 / 4 = 0.1125, 0.45 / 5 = 0.09;
  // break-even p = (S + c) / (S + T) = 4.45 / 9 = 0.4944.
  assert.equal(c.average_stop_distance, 4);
  assert.equal(c.average_take_distance, 5);
  assert.equal(c.cost_share_of_stop, 0.1125);
  assert.equal(c.cost_share_of_take, 0.09);
  assert.equal(c.breakeven_win_rate, 0.4944);
});

Deno.test("costsReport() of no trades has zero costs and no shares", () => {
  const c = costsReport([], 100);
  assert.equal(c.per_trade.total, 0);
  assert.deepEqual([c.cost_share_of_take, c.breakeven_win_rate], [null, null]);
});

Deno.test("haltsReport() clips each halt to the period and gives the share it kept closed", () => {
  // A 10-day period. A daily-loss halt of 1 day (0.1 of it), a drawdown halt 2 days
  // before the end that never lifted (0.2), and a recorded breach (trading went on: 0).
  const start = us("2024-01-01T00:00:00Z");
  const end = us("2024-01-11T00:00:00Z");
  const report = haltsReport(
    [
      {
        timeUs: us("2024-01-03T00:00:00Z"),
        code: "DAILY_LOSS_LIMIT",
        detail: "d",
        untilUs: us("2024-01-04T00:00:00Z"),
        enforced: true,
      },
      {
        timeUs: us("2024-01-05T00:00:00Z"),
        code: "MAX_DRAWDOWN",
        detail: "r",
        untilUs: us("2024-01-05T00:00:00Z"),
        enforced: false,
      },
      {
        timeUs: us("2024-01-09T00:00:00Z"),
        code: "MAX_DRAWDOWN",
        detail: "m",
        untilUs: null,
        enforced: true,
      },
    ],
    start,
    end,
  );
  assert.deepEqual(report.map((h) => [h.code, h.until_utc, h.enforced, h.untraded_share]), [
    ["DAILY_LOSS_LIMIT", "2024-01-04T00:00:00Z", true, 0.1],
    ["MAX_DRAWDOWN", "2024-01-05T00:00:00Z", false, 0],
    ["MAX_DRAWDOWN", null, true, 0.2],
  ]);
});
