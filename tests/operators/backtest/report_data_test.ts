/**
 * The report's chart and table data: equity sampled onto the candles' steps without
 * losing a trough, and month-by-month returns. Expected values are worked by hand in the
 * comments; no real data.
 */

import assert from "node:assert/strict";
import { equityOnGrid, equitySamples, monthlyReturns } from "@/operators/backtest/_report_data.ts";
import { backtestJson } from "@/operators/backtest/mod.ts";
import { decisionSections, emptyRun, trade, us } from "./_fixtures.ts";

Deno.test("equityOnGrid() ends each step at its last sample and keeps the deepest drawdown", () => {
  const sample = (timeUs: number, equity: number) => ({ timeUs, equity, balance: equity - 1 });
  const grid = equityOnGrid([0, 10, 20], [
    sample(0, 100),
    sample(5, 90), // 90 / 100 - 1 = -10 %
    sample(7, 110), // a new peak
    sample(25, 99), // 99 / 110 - 1 = -10 %
  ]);
  assert.deepEqual(grid.equity, [110, 110, 99]);
  assert.deepEqual(grid.balance, [109, 109, 98]);
  // Step 0 holds the -10 % trough although it ends at a peak; step 1 has no sample and
  // carries 110, at its peak; step 2 is 99 against the peak of 110.
  assert.deepEqual(grid.drawdown.map((d) => Number(d.toFixed(9))), [-10, 0, -10]);
});

Deno.test("monthlyReturns() divides each UTC month's closing equity by its opening equity", () => {
  const point = (iso: string, equity: number) => ({ timeUs: us(iso), equity, balance: equity });
  const doc = backtestJson({
    symbol: "XAUUSD",
    run: emptyRun({
      periodStartUs: us("2024-01-08T00:00:00Z"),
      periodEndUs: us("2024-03-08T00:00:00Z"),
      equity: [
        point("2024-01-20T10:00:00Z", 10_500),
        point("2024-02-10T10:00:00Z", 10_290),
        point("2024-03-05T10:00:00Z", 10_804.5),
      ],
      trades: [
        trade({ exitTimeUs: us("2024-01-20T10:00:00Z"), pnl: 500 }),
        trade({ exitTimeUs: us("2024-02-10T10:00:00Z"), pnl: -210 }),
        trade({ exitTimeUs: us("2024-03-05T10:00:00Z"), pnl: 514.5 }),
      ],
    }),
    config: {},
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  const [row] = monthlyReturns(doc, equitySamples(doc));
  assert.equal(row.year, 2024);
  // Jan 10,500 / 10,000 = +5 %; Feb 10,290 / 10,500 = -2 %; Mar 10,804.5 / 10,290 = +5 %.
  const round = (v: number | null) => (v === null ? null : Number(v.toFixed(9)));
  assert.deepEqual(row.months.map(round), [
    5,
    -2,
    5,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
  ]);
  // The year: 10,804.5 / 10,000 - 1 = 8.045 %.
  assert.equal(round(row.total), 8.045);
  assert.deepEqual(row.trades.slice(0, 4), [1, 1, 1, 0]);
  assert.deepEqual(row.pnl.slice(0, 3), [500, -210, 514.5]);
});
