/**
 * `chooseThreshold` and `admitted` on hand-made out-of-fold predictions: six trades with
 * their p(win), outcome and net P&L, every sum worked out in the comments.
 */

import assert from "node:assert/strict";
import { admitted, chooseThreshold } from "@/models/meta/threshold.ts";

// p(win) of each trade (loss, timeout and win probabilities as rows of 3).
const P_WIN = [0.1, 0.25, 0.3, 0.45, 0.5, 0.7];
const p = P_WIN.flatMap((w) => [1 - w, 0, w]);
// Outcomes: 0 loss, 2 win.        Net P&L in price units:
const y = [0, 0, 2, 0, 2, 2];
const net = [-1, -1, 2, -1, 2, 2];

const GRID = { from: 0.2, to: 0.6, step: 0.1 };

Deno.test("admitted() sums the trades whose p(win) reaches the threshold, equal included", () => {
  // >= 0.45: trades 4, 5, 6; wins 5 and 6; net -1 + 2 + 2 = 3.
  assert.deepEqual(admitted(p, y, net, 0.45), { trades: 3, wins: 2, net: 3 });
});

Deno.test("chooseThreshold() picks the grid threshold whose admitted trades made the most", () => {
  // Grid 0.2 .. 0.6: >= 0.2 admits 5 trades, net -1 + 2 - 1 + 2 + 2 = 4;
  // >= 0.3: 4 trades, net 5; >= 0.4: 3 trades, net 3; >= 0.5: 2 trades, net 4;
  // >= 0.6: 1 trade, net 2. With at least 2 trades, 0.3 (net 5) wins.
  const choice = chooseThreshold(
    p,
    y,
    net,
    { threshold: "auto", grid: GRID, minTrades: 2 },
    "here",
  );
  assert.equal(choice.threshold, 0.3);
  assert.deepEqual([choice.trades, choice.wins, choice.net], [4, 3, 5]);
  assert.deepEqual(choice.all, { trades: 6, wins: 3, net: 3 });
  assert.equal(choice.choice, "auto");
});

Deno.test("chooseThreshold() leaves out thresholds that admit fewer than minTrades", () => {
  // With at least 5 trades only 0.2 qualifies (5 trades, net 4).
  const choice = chooseThreshold(
    p,
    y,
    net,
    { threshold: "auto", grid: GRID, minTrades: 5 },
    "here",
  );
  assert.equal(choice.threshold, 0.2);
  assert.equal(choice.net, 4);
});

Deno.test("chooseThreshold() refuses when no threshold of the grid admits minTrades", () => {
  assert.throws(
    () => chooseThreshold(p, y, net, { threshold: "auto", grid: GRID, minTrades: 6 }, "in fold 1"),
    /Cannot choose a meta threshold in fold 1: no threshold from 0.2 to 0.6 admits 6 of the 6 out-of-fold trades \(the most: 5 at 0.2\)/,
  );
});

Deno.test("chooseThreshold() checks a fixed threshold and refuses one that admits no trade", () => {
  const fixed = chooseThreshold(p, y, net, { threshold: 0.45, grid: GRID, minTrades: 1 }, "here");
  assert.deepEqual([fixed.threshold, fixed.choice, fixed.trades, fixed.net], [0.45, "fixed", 3, 3]);
  assert.throws(
    () => chooseThreshold(p, y, net, { threshold: 0.9, grid: GRID, minTrades: 1 }, "in fold 0"),
    /Cannot use the meta threshold 0.9 in fold 0: it admits 0 of the 6 out-of-fold trades \(p\(win\) reaches 0.700 at most\)/,
  );
});
