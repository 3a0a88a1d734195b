/**
 * `monteCarlo()`: reproducible by seed, reshuffling keeps the final equity and moves the
 * drawdown, bootstrap bands are ordered at every percentile and trade index, and tiny
 * cases whose bands are known by hand. These tests must never read real data.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { type Bands, monteCarlo } from "@/operators/backtest/mod.ts";
import { maxDrawdown } from "@/operators/backtest/_drawdown.ts";
import { percentile } from "@/operators/backtest/_stats.ts";

const PNLS = [120, -80, 45, -200, 310, -60, 15, -15, 90, -140, 75, 30];
const SUM = PNLS.reduce((a, b) => a + b, 0);

const ordered = (b: Bands) => b.p5 <= b.p25 && b.p25 <= b.p50 && b.p50 <= b.p75 && b.p75 <= b.p95;

Deno.test("monteCarlo() gives the same result for the same seed and another for another seed", () => {
  for (const method of ["reshuffle", "bootstrap"] as const) {
    const options = { method, initialBalance: 10_000, seed: 42, runs: 300 };
    assert.deepEqual(monteCarlo(PNLS, options), monteCarlo(PNLS, options));
    assert.notDeepEqual(
      monteCarlo(PNLS, options).max_drawdown,
      monteCarlo(PNLS, { ...options, seed: 43 }).max_drawdown,
    );
  }
});

Deno.test("monteCarlo() reshuffling keeps the final equity and changes the drawdown", () => {
  const mc = monteCarlo(PNLS, { method: "reshuffle", initialBalance: 10_000, seed: 7, runs: 500 });
  for (const value of Object.values(mc.final_equity)) {
    assert.ok(Math.abs(value - (10_000 + SUM)) < 1e-9, `${value} is not ${10_000 + SUM}`);
  }
  assert.ok(mc.max_drawdown.p5 < mc.max_drawdown.p95);
  // Every order loses at least the largest single loss, and at most all the losses.
  assert.ok(mc.max_drawdown.p5 >= 200);
  assert.ok(mc.max_drawdown.p95 <= 495);
  assert.equal(mc.loss_probability_pct, SUM < 0 ? 100 : 0);
});

Deno.test("monteCarlo() bootstrap bands are ordered 5 <= 25 <= 50 <= 75 <= 95 everywhere", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 60 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (pnls, seed) => {
        const mc = monteCarlo(pnls, {
          method: "bootstrap",
          initialBalance: 50_000,
          seed,
          runs: 50,
        });
        assert.ok(ordered(mc.final_equity));
        assert.ok(ordered(mc.max_drawdown));
        assert.ok(ordered(mc.max_drawdown_pct));
        mc.path.trade_index.forEach((_, i) => {
          const { p5, p25, p50, p75, p95 } = mc.path;
          assert.ok(ordered({ p5: p5[i], p25: p25[i], p50: p50[i], p75: p75[i], p95: p95[i] }));
        });
      },
    ),
    { seed: 1, numRuns: 100 },
  );
});

Deno.test("monteCarlo() paths start at the initial balance and keep the first and last index", () => {
  const pnls = Array.from({ length: 1_000 }, (_, i) => (i % 3 === 0 ? -10 : 8));
  const mc = monteCarlo(pnls, {
    method: "bootstrap",
    initialBalance: 10_000,
    seed: 3,
    runs: 100,
    pathPoints: 11,
  });
  assert.deepEqual(mc.path.trade_index, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
  assert.deepEqual([mc.path.p5[0], mc.path.p95[0]], [10_000, 10_000]);
  assert.deepEqual(mc.path.p50.at(-1), mc.final_equity.p50);
});

Deno.test("monteCarlo() of one losing trade has every band at the known values", () => {
  // One trade of -100 from 10 000: every run ends at 9 900, a 100 (1 %) drawdown.
  const mc = monteCarlo([-100], { method: "bootstrap", initialBalance: 10_000, seed: 0, runs: 20 });
  for (const value of Object.values(mc.final_equity)) assert.equal(value, 9_900);
  for (const value of Object.values(mc.max_drawdown)) assert.equal(value, 100);
  for (const value of Object.values(mc.max_drawdown_pct)) assert.equal(value, 1);
  assert.equal(mc.loss_probability_pct, 100);
  assert.deepEqual(mc.path.trade_index, [0, 1]);
});

Deno.test("monteCarlo() of no trades is flat at the initial balance", () => {
  const mc = monteCarlo([], { method: "reshuffle", initialBalance: 10_000, seed: 0, runs: 5 });
  assert.deepEqual(mc.final_equity, {
    p5: 10_000,
    p25: 10_000,
    p50: 10_000,
    p75: 10_000,
    p95: 10_000,
  });
  assert.equal(mc.max_drawdown.p95, 0);
  assert.deepEqual(mc.path.trade_index, [0]);
});

Deno.test("monteCarlo() refuses bad options with a RangeError naming the value", () => {
  const base = { method: "bootstrap", initialBalance: 10_000, seed: 1 } as const;
  assert.throws(() => monteCarlo(PNLS, { ...base, seed: -1 }), /seed -1/);
  assert.throws(() => monteCarlo(PNLS, { ...base, runs: 0 }), /runs 0/);
  assert.throws(() => monteCarlo(PNLS, { ...base, pathPoints: 1 }), /pathPoints 1/);
  assert.throws(() => monteCarlo([1, NaN], base), /trade 1 has P&L NaN/);
});

Deno.test("maxDrawdown() reports the largest fall and its peak and trough", () => {
  // 100 -> 120 (peak) -> 90 (-30, 25 %) -> 130 -> 110 (-20, 15.4 %).
  assert.deepEqual(maxDrawdown([100, 120, 90, 130, 110]), {
    amount: 30,
    pct: 25,
    peakIndex: 1,
    troughIndex: 2,
  });
  assert.deepEqual(maxDrawdown([100, 101, 102]), {
    amount: 0,
    pct: 0,
    peakIndex: -1,
    troughIndex: -1,
  });
});

Deno.test("percentile() interpolates between closest ranks like NumPy's default", () => {
  // numpy.percentile([1, 2, 3, 4], [5, 25, 50, 75, 95]) = 1.15, 1.75, 2.5, 3.25, 3.85
  const sorted = [1, 2, 3, 4];
  const expected = [1.15, 1.75, 2.5, 3.25, 3.85];
  [5, 25, 50, 75, 95].forEach((p, i) =>
    assert.ok(Math.abs(percentile(sorted, p) - expected[i]) < 1e-12)
  );
  assert.equal(percentile([7], 95), 7);
});
