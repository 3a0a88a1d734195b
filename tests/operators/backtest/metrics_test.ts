/**
 * `computeMetrics()` on tiny runs whose every figure is worked out by hand in the
 * comments, the degenerate runs (no trades, all wins, all losses), the calendar
 * conventions (17:00 New York trading days, DST-correct sessions) and the identity that
 * every breakdown adds up to the totals. These tests must never read real data.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type BacktestTrade,
  computeMetrics,
  type EquityPoint,
  EXIT_REASONS,
  metricsSchema,
  SESSIONS,
  tradingDayCloseUs,
  tradingDayOf,
} from "@/operators/backtest/mod.ts";
import { US_PER_DAY, US_PER_HOUR } from "@/pipeline/events.ts";
import { daysFromCivil } from "@/pipeline/tz.ts";
import { bar, decision, emptyRun, regime, trade, us } from "./_fixtures.ts";

const close = (actual: number | null, expected: number, tolerance = 1e-9) =>
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected}`,
  );

const point = (iso: string, equity: number, balance = equity): EquityPoint => ({
  timeUs: us(iso),
  equity,
  balance,
});

Deno.test("computeMetrics() of three trades matches the hand-computed figures", () => {
  const trades = [
    trade({ positionId: "a", pnl: 100, initialRisk: 50 }),
    trade({ positionId: "b", pnl: -50, initialRisk: 50 }),
    trade({ positionId: "c", pnl: 30, initialRisk: 30 }),
  ];
  const m = computeMetrics(emptyRun({
    trades,
    equity: [
      point("2024-01-08T15:00:00Z", 10_100),
      point("2024-01-09T15:00:00Z", 10_050),
      point("2024-01-10T15:00:00Z", 10_080),
    ],
  }));
  assert.equal(m.trades, 3);
  assert.equal(m.wins, 2);
  assert.equal(m.losses, 1);
  assert.equal(m.net_profit, 80); // 100 - 50 + 30
  assert.equal(m.gross_profit, 130); // 100 + 30
  assert.equal(m.gross_loss, -50);
  close(m.profit_factor, 2.6); // 130 / 50
  close(m.expectancy, 80 / 3);
  close(m.win_rate_pct, 200 / 3); // 2 of 3
  close(m.average_win, 65);
  close(m.average_loss, -50);
  close(m.average_r, 2 / 3); // (100/50 + -50/50 + 30/30) / 3 = (2 - 1 + 1) / 3
  assert.equal(m.r_trades, 3);
  close(m.total_return_pct, 0.8); // 10 080 / 10 000 - 1
});

Deno.test("computeMetrics() finds the max drawdown, its peak, trough and duration", () => {
  // 10 000 at the start, peak 10 500 Monday noon, trough 9 800 Wednesday noon (-700,
  // -6.667 % of 10 500), back above the peak Thursday noon: 3 days underwater. Friday's
  // dip to 10 400 is still open at the end (8 h + 24 h = 1.33 days), shorter.
  const m = computeMetrics(emptyRun({
    periodEndUs: us("2024-01-12T20:00:00Z"),
    equity: [
      point("2024-01-08T12:00:00Z", 10_500),
      point("2024-01-09T12:00:00Z", 10_000),
      point("2024-01-10T12:00:00Z", 9_800),
      point("2024-01-11T12:00:00Z", 10_600),
      point("2024-01-12T12:00:00Z", 10_400),
    ],
  }));
  assert.equal(m.max_drawdown.amount, 700);
  close(m.max_drawdown.pct, 700 / 10_500 * 100);
  assert.equal(m.max_drawdown.peak_time_utc, "2024-01-08T12:00:00Z");
  assert.equal(m.max_drawdown.trough_time_utc, "2024-01-10T12:00:00Z");
  close(m.max_drawdown_duration_days, 3);
  assert.ok(m.notes.some((n) => n.includes("Equity ended below its peak")));
});

Deno.test("computeMetrics() counts a drawdown still open at the end up to the period end", () => {
  // Peak Monday noon, never regained: Monday 12:00 to Friday 20:00 is 4 days 8 hours.
  const m = computeMetrics(emptyRun({
    periodEndUs: us("2024-01-12T20:00:00Z"),
    equity: [point("2024-01-08T12:00:00Z", 10_500), point("2024-01-09T12:00:00Z", 10_400)],
  }));
  close(m.max_drawdown_duration_days, 4 + 8 / 24);
  assert.equal(m.max_drawdown.amount, 100);
});

Deno.test("computeMetrics() takes Sharpe and Sortino from close-to-close daily returns", () => {
  // Daily returns +1 %, -1 %, +2 %, 0 %, +1 % at each 17:00 New York close (22:00 UTC
  // in January). Mean 0.006. Deviations .004 -.016 .014 -.006 .004, squares sum
  // 520e-6, sample variance 520e-6 / 4 = 130e-6. Downside: only -0.01, so the downside
  // deviation is sqrt(1e-4 / 5). Both annualised by sqrt(252).
  const returns = [0.01, -0.01, 0.02, 0, 0.01];
  const days = ["08", "09", "10", "11", "12"];
  let value = 10_000;
  const equity: EquityPoint[] = [];
  days.forEach((day, i) => {
    // An intraday dip before the close does not change the daily return.
    if (i === 1) equity.push(point(`2024-01-${day}T15:00:00Z`, 5_000));
    value *= 1 + returns[i];
    equity.push(point(`2024-01-${day}T22:00:00Z`, value));
  });
  const m = computeMetrics(emptyRun({ equity }));
  assert.equal(m.period.trading_days, 5);
  close(m.sharpe, 0.006 / Math.sqrt(130e-6) * Math.sqrt(252));
  close(m.sortino, 0.006 / Math.sqrt(1e-4 / 5) * Math.sqrt(252));
});

Deno.test("computeMetrics() counts a weekday without an equity sample as a zero return", () => {
  // Samples Monday (+2 %) and Friday (-1 %) only: returns .02 0 0 0 -.01, mean .002,
  // deviations .018 -.002 -.002 -.002 -.012, squares sum 480e-6, variance 120e-6.
  const m = computeMetrics(emptyRun({
    equity: [point("2024-01-08T22:00:00Z", 10_200), point("2024-01-12T22:00:00Z", 10_098)],
  }));
  assert.equal(m.period.trading_days, 5);
  close(m.sharpe, 0.002 / Math.sqrt(120e-6) * Math.sqrt(252));
});

Deno.test("tradingDayOf() ends each day at 17:00 New York, in EST and in EDT", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, [number, number, number]]> = [
    ["16:30 EST belongs to its own date", "2024-01-10T21:30:00Z", [2024, 1, 10]],
    ["17:00 EST exactly closes its own date", "2024-01-10T22:00:00Z", [2024, 1, 10]],
    ["17:30 EST belongs to the next date", "2024-01-10T22:30:00Z", [2024, 1, 11]],
    ["17:00 EDT exactly closes its own date", "2024-07-10T21:00:00Z", [2024, 7, 10]],
    ["a microsecond after 17:00 EDT is the next date", "2024-07-10T21:00:00.000001Z", [
      2024,
      7,
      11,
    ]],
    ["Sunday 18:00 EDT opens Monday", "2024-07-07T22:00:00Z", [2024, 7, 8]],
  ];
  for (const [name, iso, [y, m, d]] of cases) {
    await t.step(
      `${name} (${iso})`,
      () => assert.equal(tradingDayOf(us(iso)), daysFromCivil(y, m, d)),
    );
  }
  assert.equal(tradingDayCloseUs(daysFromCivil(2024, 1, 10)), us("2024-01-10T22:00:00Z"));
  assert.equal(tradingDayCloseUs(daysFromCivil(2024, 7, 10)), us("2024-07-10T21:00:00Z"));
});

Deno.test("computeMetrics() with no trades gives nulls with notes, never NaN", () => {
  const m = computeMetrics(emptyRun());
  assert.equal(m.trades, 0);
  assert.equal(m.net_profit, 0);
  for (const key of ["profit_factor", "expectancy", "win_rate_pct", "average_r"] as const) {
    assert.equal(m[key], null, key);
  }
  assert.equal(m.sharpe, null);
  assert.equal(m.sortino, null);
  assert.equal(m.calmar, null);
  assert.equal(m.buy_and_hold, null);
  assert.equal(m.exposure_pct, 0);
  assert.equal(m.max_drawdown.amount, 0);
  assert.equal(m.max_drawdown.peak_time_utc, null);
  assert.equal(m.final_equity, 10_000);
  assert.ok(m.notes.some((n) => n.startsWith("No trades")));
  assert.ok(metricsSchema.safeParse(m).success);
  assert.doesNotMatch(JSON.stringify(m), /NaN|Infinity/);
});

Deno.test("computeMetrics() with only winning trades reports profit_factor null, with a note", () => {
  const m = computeMetrics(emptyRun({
    trades: [trade({ pnl: 10 }), trade({ pnl: 20 })],
    equity: [point("2024-01-08T15:00:00Z", 10_030)],
  }));
  assert.equal(m.profit_factor, null);
  assert.equal(m.win_rate_pct, 100);
  assert.equal(m.average_loss, null);
  assert.ok(m.notes.some((n) => n.startsWith("profit_factor is null: no losing trade")));
  assert.ok(metricsSchema.safeParse(m).success);
});

Deno.test("computeMetrics() with only losing trades reports profit_factor 0", () => {
  const m = computeMetrics(emptyRun({
    trades: [trade({ pnl: -10 }), trade({ pnl: -30 })],
    equity: [point("2024-01-08T15:00:00Z", 9_960)],
  }));
  assert.equal(m.profit_factor, 0);
  assert.equal(m.win_rate_pct, 0);
  assert.equal(m.average_win, null);
  assert.equal(m.expectancy, -20);
});

Deno.test("computeMetrics() counts a zero-P&L trade as neither a win nor a loss", () => {
  const m = computeMetrics(emptyRun({
    trades: [trade({ pnl: 0 }), trade({ pnl: 10 })],
    equity: [point("2024-01-08T15:00:00Z", 10_010)],
  }));
  assert.deepEqual([m.trades, m.wins, m.losses, m.win_rate_pct], [2, 1, 0, 50]);
});

Deno.test("computeMetrics() leaves trades without an initial risk out of average_r, with a note", () => {
  const m = computeMetrics(emptyRun({
    trades: [
      trade({ pnl: 20, initialRisk: 10 }),
      trade({ pnl: 50 }),
      trade({ pnl: 5, initialRisk: null }),
    ],
    equity: [point("2024-01-08T15:00:00Z", 10_075)],
  }));
  assert.equal(m.average_r, 2);
  assert.equal(m.r_trades, 1);
  assert.ok(m.notes.some((n) => n.startsWith("average_r covers 1 of 3 trades")));
});

Deno.test("computeMetrics() computes CAGR over calendar time and Calmar from it", () => {
  // 10 000 -> 9 900 (a 1 % drawdown) -> 11 000 over exactly one 365.25-day year:
  // CAGR 10 %, Calmar 10 / 1 = 10.
  const startUs = us("2023-01-02T00:00:00Z");
  const endUs = startUs + 365.25 * US_PER_DAY;
  const m = computeMetrics(emptyRun({
    periodStartUs: startUs,
    periodEndUs: endUs,
    equity: [
      { timeUs: startUs + 10 * US_PER_DAY, equity: 9_900, balance: 9_900 },
      { timeUs: endUs - US_PER_DAY, equity: 11_000, balance: 11_000 },
    ],
  }));
  close(m.cagr_pct, 10);
  close(m.max_drawdown.pct, 1);
  close(m.calmar, 10);
  assert.ok(!m.notes.some((n) => n.includes("extrapolates")));
  // The same growth over half a year compounds to (1.1)^2 - 1 = 21 %, flagged.
  const half = computeMetrics(emptyRun({
    periodStartUs: startUs,
    periodEndUs: startUs + 365.25 / 2 * US_PER_DAY,
    equity: [{ timeUs: startUs + 100 * US_PER_DAY, equity: 11_000, balance: 11_000 }],
  }));
  close(half.cagr_pct, 21);
  assert.ok(half.notes.some((n) => n.includes("extrapolates")));
});

Deno.test("computeMetrics() measures exposure as the union of open time over the period", () => {
  // Ten days; positions open day 0-1 and day 0.5-2 (overlapping: 2 days together) and
  // day 5-6 (1 day): 3 of 10 days.
  const startUs = us("2024-01-08T00:00:00Z");
  const at = (days: number) => startUs + days * US_PER_DAY;
  const m = computeMetrics(emptyRun({
    periodStartUs: startUs,
    periodEndUs: at(10),
    trades: [
      trade({ entryTimeUs: at(0), exitTimeUs: at(1) }),
      trade({ entryTimeUs: at(0.5), exitTimeUs: at(2) }),
      trade({ entryTimeUs: at(5), exitTimeUs: at(6) }),
    ],
    equity: [{ timeUs: at(6), equity: 10_000, balance: 10_000 }],
  }));
  close(m.exposure_pct, 30);
});

Deno.test("computeMetrics() adds up costs by kind; swap keeps its booked sign", () => {
  const m = computeMetrics(emptyRun({
    trades: [
      trade({ commission: 0.7, swap: -2, spreadCost: 3, pnl: 5 }),
      trade({ commission: 1.4, swap: 0.5, spreadCost: 6, pnl: -5 }),
    ],
    equity: [point("2024-01-08T15:00:00Z", 10_000)],
  }));
  close(m.costs.commission, 2.1);
  close(m.costs.swap, -1.5);
  close(m.costs.spread, 9);
  close(m.costs.total, 2.1 + 1.5 + 9);
});

Deno.test("computeMetrics() files trades by session at entry, following each city's DST", () => {
  const at = (iso: string, pnl: number) =>
    trade({ entryTimeUs: us(iso), exitTimeUs: us(iso), pnl });
  const m = computeMetrics(emptyRun({
    periodStartUs: us("2024-01-01T00:00:00Z"),
    periodEndUs: us("2024-08-01T00:00:00Z"),
    trades: [
      at("2024-01-10T03:00:00Z", 1), // Tokyo 12:00: asia
      at("2024-01-10T12:30:00Z", 2), // London 12:30 GMT, New York 07:30 EST: london
      at("2024-03-05T12:30:00Z", 4), // same clock, before US DST: london
      at("2024-03-12T12:30:00Z", 8), // New York 08:30 EDT (US DST from 10 March), London GMT: overlap
      at("2024-07-10T12:30:00Z", 16), // London 13:30 BST, New York 08:30 EDT: overlap
      at("2024-01-10T19:00:00Z", 32), // New York 14:00 EST, London closed: new_york
      at("2024-01-10T23:00:00Z", 64), // New York 18:00 EST: off_hours
    ],
    equity: [point("2024-07-10T12:30:00Z", 10_127)],
  }));
  assert.deepEqual(Object.keys(m.by_session), [...SESSIONS]);
  const net = Object.fromEntries(Object.entries(m.by_session).map(([k, s]) => [k, s.net_profit]));
  assert.deepEqual(net, { overlap: 24, london: 6, new_york: 32, asia: 1, off_hours: 64 });
});

Deno.test("computeMetrics() files trades by the regime known at entry, per symbol", () => {
  const m = computeMetrics(emptyRun({
    regimes: [
      regime("2024-01-08T05:00:00Z", "low", "bear", "XAGUSD"),
      regime("2024-01-08T10:00:00Z", "high", "bull"),
      regime("2024-01-09T10:00:00Z", "low", "range"),
    ],
    trades: [
      trade({ entryTimeUs: us("2024-01-08T09:00:00Z"), pnl: 1 }),
      trade({ entryTimeUs: us("2024-01-08T10:00:00Z"), pnl: 2 }),
      trade({
        entryTimeUs: us("2024-01-09T12:00:00Z"),
        exitTimeUs: us("2024-01-09T13:00:00Z"),
        pnl: 4,
      }),
    ],
    equity: [point("2024-01-09T13:00:00Z", 10_007)],
  }));
  const net = Object.fromEntries(Object.entries(m.by_regime).map(([k, s]) => [k, s.net_profit]));
  assert.deepEqual(net, { high_bull: 2, low_range: 4, warming_up: 1 });
});

Deno.test("computeMetrics() counts risk rejections per reason code, once per decision", () => {
  const m = computeMetrics(emptyRun({
    riskDecisions: [
      decision("2024-01-08T10:00:00Z", "accept", ["lot_step"]),
      decision("2024-01-08T11:00:00Z", "reject", ["max_spread"]),
      decision("2024-01-08T12:00:00Z", "reject", ["daily_loss", "max_spread"]),
      decision("2024-01-08T13:00:00Z", "reject", []),
      decision("2024-01-08T14:00:00Z", "reject", ["cooldown", "cooldown"]),
    ],
  }));
  assert.deepEqual(m.risk_decisions, { accepted: 1, rejected: 4 });
  assert.deepEqual(Object.entries(m.risk_rejections_by_reason), [
    ["max_spread", 2],
    ["cooldown", 1],
    ["daily_loss", 1],
    ["unspecified", 1],
  ]);
});

Deno.test("computeMetrics() buys and holds from the first ask to the last bid", () => {
  // Ask 2 000 to bid 2 100: +5 %, and 5 % of the 10 000 notional is 500.
  const m = computeMetrics(emptyRun({
    firstBar: bar("2024-01-08T00:00:00Z", 1_999.7, 2_000, null),
    lastBar: bar("2024-01-12T21:59:00Z", 2_100, 2_100.3, null),
  }));
  assert.deepEqual(m.buy_and_hold, {
    entry_time_utc: "2024-01-08T00:00:00Z",
    entry_price: 2_000,
    exit_time_utc: "2024-01-12T22:00:00Z",
    exit_price: 2_100,
    return_pct: 5,
    pnl: 500,
  });
  // Without asks the entry is bid + spread.
  const spreadOnly = computeMetrics(emptyRun({
    firstBar: bar("2024-01-08T00:00:00Z", 1_999.5, null, 0.5),
    lastBar: bar("2024-01-12T21:59:00Z", 2_100, null, 0.5),
  }));
  assert.equal(spreadOnly.buy_and_hold?.entry_price, 2_000);
});

Deno.test("computeMetrics() notes a final balance that closed trades do not explain", () => {
  const m = computeMetrics(emptyRun({
    trades: [trade({ pnl: 10 })],
    equity: [point("2024-01-08T15:00:00Z", 10_025)],
  }));
  assert.ok(
    m.notes.some((n) => n.includes("differs from the initial balance plus net profit by 15.00")),
  );
});

Deno.test("computeMetrics() refuses inconsistent input with an actionable RangeError", async (t) => {
  await t.step("equity samples out of order", () =>
    assert.throws(
      () =>
        computeMetrics(emptyRun({
          equity: [point("2024-01-09T00:00:00Z", 1), point("2024-01-08T00:00:00Z", 1)],
        })),
      /equity sample 1 at 2024-01-08T00:00:00Z is earlier than the one before it/,
    ));
  await t.step("a trade outside the period", () =>
    assert.throws(
      () =>
        computeMetrics(emptyRun({
          trades: [trade({ positionId: "late", exitTimeUs: us("2024-02-01T00:00:00Z") })],
          equity: [point("2024-01-09T00:00:00Z", 1)],
        })),
      /trade "late" from 2024-01-08T14:00:00Z to 2024-02-01T00:00:00Z is not inside the period/,
    ));
  await t.step(
    "trades without an equity curve",
    () => assert.throws(() => computeMetrics(emptyRun({ trades: [trade()] })), RangeError),
  );
  await t.step("a negative initial risk", () =>
    assert.throws(
      () =>
        computeMetrics(emptyRun({
          trades: [trade({ positionId: "r", initialRisk: -5 })],
          equity: [point("2024-01-09T00:00:00Z", 1)],
        })),
      /trade "r" has initial risk -5/,
    ));
  await t.step(
    "a non-positive initial balance",
    () => assert.throws(() => computeMetrics(emptyRun({ initialBalance: 0 })), /initial balance 0/),
  );
});

Deno.test("computeMetrics() breakdowns add up to the totals", () => {
  const startUs = us("2024-01-01T00:00:00Z");
  const tradeArb = fc.record({
    entry: fc.integer({ min: 0, max: 60 * 24 - 2 }),
    pnl: fc.integer({ min: -500, max: 500 }),
    reason: fc.constantFrom(...EXIT_REASONS),
  });
  fc.assert(
    fc.property(fc.array(tradeArb, { maxLength: 40 }), (rows) => {
      const trades: BacktestTrade[] = rows.map((r, i) =>
        trade({
          positionId: `t${i}`,
          entryTimeUs: startUs + r.entry * US_PER_HOUR,
          exitTimeUs: startUs + (r.entry + 1) * US_PER_HOUR,
          pnl: r.pnl,
          exitReason: r.reason,
        })
      );
      const m = computeMetrics(emptyRun({
        periodStartUs: startUs,
        periodEndUs: startUs + 60 * US_PER_DAY,
        trades,
        equity: [{ timeUs: startUs, equity: 10_000, balance: 10_000 }],
        regimes: [regime("2024-01-20T00:00:00Z", "normal", "bull")],
      }));
      for (const groups of [m.by_session, m.by_regime, m.by_exit_reason]) {
        const stats = Object.values(groups);
        assert.equal(stats.reduce((s, g) => s + g.trades, 0), m.trades);
        assert.equal(stats.reduce((s, g) => s + g.net_profit, 0), m.net_profit);
        assert.equal(stats.reduce((s, g) => s + g.wins, 0), m.wins);
      }
    }),
    { seed: 20240108, numRuns: 200 },
  );
});
