/**
 * `backtestJson()`: the document validates against the exported schema, survives a
 * round trip through JSON text unchanged, carries the trade tags the breakdowns used,
 * and refuses what JSON would silently change. These tests must never read real data.
 */

import assert from "node:assert/strict";
import {
  backtestJson,
  type BacktestJsonInput,
  backtestJsonSchema,
  monteCarlo,
  parseBacktestJson,
  withBaseline,
} from "@/operators/backtest/mod.ts";
import {
  decisionSections,
  emptyRun,
  reportSections,
  RUN_CONTEXT,
  syntheticRun,
} from "./_fixtures.ts";

const SHA = "a".repeat(64);

function input(seed = 5): BacktestJsonInput {
  const { run } = syntheticRun(seed);
  const pnls = run.trades.map((t) => t.pnl);
  return {
    symbol: "XAUUSD",
    run,
    config: {
      risk: { perTradePct: 0.5, maxSpreadPoints: 40 },
      symbol: "XAUUSD",
      sessions: ["london"],
    },
    ...RUN_CONTEXT,
    dataFiles: [{ name: "DAT_ASCII_XAUUSD_M1_2024.csv", sha256: SHA, rows: 86_400 }],
    monteCarlo: [
      monteCarlo(pnls, {
        method: "reshuffle",
        initialBalance: run.initialBalance,
        seed: 1,
        runs: 200,
      }),
      monteCarlo(pnls, {
        method: "bootstrap",
        initialBalance: run.initialBalance,
        seed: 1,
        runs: 200,
      }),
    ],
    ...decisionSections(),
  };
}

Deno.test("backtestJson() produces a document the exported schema accepts", () => {
  const doc = backtestJson(input());
  assert.ok(backtestJsonSchema.safeParse(doc).success);
  assert.equal(doc.schema_version, 2);
  assert.equal(doc.trades.length, doc.metrics.trades);
  assert.deepEqual(doc.data_files, [{
    name: "DAT_ASCII_XAUUSD_M1_2024.csv",
    sha256: SHA,
    rows: 86_400,
  }]);
  assert.deepEqual(doc.monte_carlo.map((mc) => mc.method), ["reshuffle", "bootstrap"]);
});

Deno.test("backtestJson() survives a round trip through JSON text unchanged", () => {
  const doc = backtestJson(input());
  const text = JSON.stringify(doc);
  assert.doesNotMatch(text, /NaN|Infinity/);
  assert.deepEqual(parseBacktestJson(JSON.parse(text), "read back"), doc);
});

Deno.test("backtestJson() writes trades in snake_case with ISO-8601 UTC times and their tags", () => {
  const { run } = syntheticRun(5);
  const doc = backtestJson(input());
  const first = doc.trades[0];
  assert.deepEqual(Object.keys(first), [
    "id",
    "symbol",
    "side",
    "lots",
    "entry_time_utc",
    "entry_price",
    "exit_time_utc",
    "exit_price",
    "exit_reason",
    "pnl",
    "commission",
    "swap",
    "spread_cost",
    "mae",
    "mfe",
    "initial_risk",
    "r_multiple",
    "loss_over_budget",
    "session",
    "regime",
  ]);
  assert.match(first.entry_time_utc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(first.pnl, run.trades[0].pnl);
  assert.equal(first.r_multiple, run.trades[0].pnl / run.trades[0].initialRisk!);
  // The fixture leaves every fifth trade without an initial risk.
  assert.equal(doc.trades[4].initial_risk, null);
  assert.equal(doc.trades[4].r_multiple, null);
  // The tags are the ones the breakdowns counted.
  for (const [session, stats] of Object.entries(doc.metrics.by_session)) {
    assert.equal(doc.trades.filter((t) => t.session === session).length, stats.trades);
  }
  for (const [regime, stats] of Object.entries(doc.metrics.by_regime)) {
    assert.equal(doc.trades.filter((t) => t.regime === regime).length, stats.trades);
  }
});

Deno.test("backtestJson() of a run without trades is still a valid document", () => {
  const doc = backtestJson({
    symbol: "XAUUSD",
    run: emptyRun(),
    config: {},
    ...RUN_CONTEXT,
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  assert.deepEqual(doc.trades, []);
  assert.equal(doc.metrics.profit_factor, null);
  assert.ok(backtestJsonSchema.safeParse(JSON.parse(JSON.stringify(doc))).success);
});

Deno.test("backtestJson() refuses a config value JSON would change", () => {
  assert.throws(
    () => backtestJson({ ...input(), config: { risk: { perTradePct: NaN } } }),
    /config\.risk\.perTradePct is NaN/,
  );
  assert.throws(
    () => backtestJson({ ...input(), config: { cap: Infinity } }),
    /config\.cap is Infinity/,
  );
});

Deno.test("backtestJsonSchema rejects a NaN metric and a bad SHA-256, naming the field", () => {
  const doc = backtestJson(input());
  const broken = { ...doc, metrics: { ...doc.metrics, sharpe: NaN } };
  assert.throws(() => parseBacktestJson(broken, "test"), /metrics\.sharpe/);
  const badHash = { ...doc, data_files: [{ name: "x.csv", sha256: "ABC", rows: 1 }] };
  assert.throws(() => parseBacktestJson(badHash, "test"), /data_files\.0\.sha256/);
});

Deno.test("withBaseline() puts the baseline in, and refuses a bad one naming its field", () => {
  const doc = backtestJson(input());
  const { random } = reportSections().baseline;
  assert.deepEqual(withBaseline(doc, random), { ...doc, baseline: { random } });
  assert.deepEqual(withBaseline(doc, null), doc);
  const bad = { ...random!, percentile: { ...random!.percentile, sharpe: NaN } };
  assert.throws(
    () => withBaseline(doc, bad),
    /^TypeError: Backtest JSON for XAUUSD is invalid: baseline\.random\.percentile\.sharpe: /,
  );
});

Deno.test("backtestJsonSchema names the first bad equity point by its index and counts the rest", () => {
  const doc = backtestJson(input());
  const good = { time_utc: "2018-01-02T00:00:00Z", equity: 10_000, balance: 10_000 };
  const curve = [good, { ...good, equity: NaN }, { ...good, time_utc: "2018-01-02" }, {
    ...good,
    peak: 1,
  }];
  assert.throws(
    () => parseBacktestJson({ ...doc, equity_curve: curve }, "test"),
    /equity_curve\.1: equity: expected a finite number; equity_curve: and 2 more bad points/,
  );
  assert.throws(
    () => parseBacktestJson({ ...doc, equity_curve: [{ ...good, peak: 1 }] }, "test"),
    /equity_curve\.0: unknown key "peak"/,
  );
  assert.ok(parseBacktestJson({ ...doc, equity_curve: [good] }, "test"));
});
