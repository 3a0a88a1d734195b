import assert from "node:assert/strict";
import { backtestJson, backtestSummary } from "@/operators/backtest/mod.ts";
import { decisionSections, emptyRun, trade, us } from "./_fixtures.ts";

/**
 * Three trades on a 10,000 account: +30 (take profit) and -10 (stop) closing in January,
 * +15 (take profit) closing in February. By hand: net 35; January +20 on 10,000 = 0.20 %;
 * February +15 on the 10,020 it started with = 0.1497 % (0.15 %).
 */
function document(sections: Partial<ReturnType<typeof decisionSections>> = {}) {
  const trades = [
    trade({
      positionId: "a",
      entryTimeUs: us("2024-01-08T14:00:00Z"),
      exitTimeUs: us("2024-01-08T15:00:00Z"),
      pnl: 30,
      exitReason: "take_profit",
    }),
    trade({
      positionId: "b",
      entryTimeUs: us("2024-01-09T09:00:00Z"),
      exitTimeUs: us("2024-01-09T10:00:00Z"),
      pnl: -10,
      exitReason: "stop_loss",
    }),
    trade({
      positionId: "c",
      entryTimeUs: us("2024-02-01T14:00:00Z"),
      exitTimeUs: us("2024-02-01T16:00:00Z"),
      pnl: 15,
      exitReason: "take_profit",
    }),
  ];
  let balance = 10_000;
  const equity = trades.map((t) => {
    balance += t.pnl;
    return { timeUs: t.exitTimeUs, equity: balance, balance };
  });
  return backtestJson({
    symbol: "XAUUSD",
    run: emptyRun({ trades, equity, periodEndUs: us("2024-02-02T00:00:00Z") }),
    config: { ml: null },
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
    ...sections,
  });
}

/** The lines of `text` under the heading that starts with `title`, up to the blank line. */
function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith(title));
  assert.ok(at >= 0, `no "${title}" in:\n${text}`);
  const end = lines.indexOf("", at);
  return lines.slice(at + 1, end === -1 ? undefined : end);
}

const cells = (line: string) => line.trim().split(/\s{2,}/);

Deno.test("backtestSummary() totals the result and says the run was technical only", () => {
  const text = backtestSummary(document());
  assert.match(text, /net profit\s+35\.00 \(0\.35% of 10,000\.00\)/);
  assert.match(text, /trades\s+3 \(2 won, 1 lost; win rate 66\.7%\)/);
  assert.match(text, /signals\s+technical only/);
});

Deno.test("backtestSummary() breaks trades down per exit reason with a total row", () => {
  const rows = section(backtestSummary(document()), "by exit reason").slice(2).map(cells);
  // columns: reason, trades, wins, win %, net P&L, avg P&L, profit factor
  assert.deepEqual(rows, [
    ["stop_loss", "1", "0", "0.0%", "-10.00", "-10.00", "0.00"],
    ["take_profit", "2", "2", "100.0%", "45.00", "22.50", "n/a"],
    ["total", "3", "2", "66.7%", "35.00", "11.67", "4.50"], // 45 / 10
  ]);
});

Deno.test("backtestSummary() sums each month's trades with the return on its starting balance", () => {
  const rows = section(backtestSummary(document()), "by month").slice(2).map(cells);
  assert.deepEqual(rows, [
    ["2024-01", "2", "1", "50.0%", "20.00", "0.20%"],
    ["2024-02", "1", "1", "100.0%", "15.00", "0.15%"],
  ]);
});

Deno.test("backtestSummary() lists only the sessions that traded", () => {
  const rows = section(backtestSummary(document()), "by session").slice(2).map(cells);
  // 14:00 UTC (entries a and c) is the London / New York overlap; 09:00 UTC (b) is London.
  assert.deepEqual(rows.map((r) => [r[0], r[1]]), [["overlap", "2"], ["london", "1"], [
    "total",
    "3",
  ]]);
});

Deno.test("backtestSummary() puts the halts before anything else", () => {
  const text = backtestSummary(document({
    halts: [{
      time_utc: "2024-01-09T10:00:00Z",
      code: "DAILY_LOSS",
      detail: "equity 2.1% below the day's start",
      until_utc: "2024-01-09T22:00:00Z",
      enforced: true,
      untraded_share: 0.012,
    }],
  }));
  assert.equal(
    text.split("\n")[0],
    "HALTED at 2024-01-09T10:00:00Z: DAILY_LOSS, equity 2.1% below the day's start (1.2% of the period untraded until 2024-01-09T22:00:00Z)",
  );
  assert.match(backtestSummary(document()), /^XAUUSD backtest\n/, "no halts: the result first");
});

Deno.test("backtestSummary() ranks the run among the random-entry runs", () => {
  const bands = (p5: number, p50: number, p95: number) => ({ p5, p25: p50, p50, p75: p50, p95 });
  const text = backtestSummary(document({
    baseline: {
      runs: 30,
      seed: 7,
      entry_rate: 0.01,
      trades: bands(2, 3, 4),
      net_profit: bands(-40, -5, 25),
      profit_factor: null,
      sharpe: bands(-1, 0, 1),
      percentile: { net_profit: 96.7, profit_factor: null, sharpe: 80 },
    },
  }));
  const rows = section(text, "chance: 30 random-entry runs (seed 7)").slice(2).map(cells);
  assert.deepEqual(rows[0], ["net profit", "35.00", "-40.00", "-5.00", "25.00", "97"]);
  assert.deepEqual(rows[1], ["profit factor", "4.50", "n/a", "n/a", "n/a", "n/a"]);
});

Deno.test("backtestSummary() warns once, beside the sources, of a model that sat out decisions", () => {
  const doc = document();
  // The model voted on 420 of 1,000 decision bars: 42.0%, under 99%.
  const ml = {
    ...doc.sources.ml,
    configured: true,
    weight: 0.4,
    decision_bars: 1000,
    voted_bars: 420,
    coverage: 0.42,
    first_vote_utc: "2024-01-08T01:00:00Z",
  };
  const note = "The model voted on 42.0% of the decision bars (under 99%), first at " +
    "2024-01-08T01:00:00Z: this run is not a fair test of the model.";
  const text = backtestSummary({
    ...doc,
    sources: { ...doc.sources, ml },
    metrics: { ...doc.metrics, notes: [...doc.metrics.notes, note] },
  });
  assert.equal(text.split(note).length - 1, 1, text);
  const lines = section(text, "signal sources");
  assert.equal(lines.at(-1), `WARNING: ${note}`);
});
