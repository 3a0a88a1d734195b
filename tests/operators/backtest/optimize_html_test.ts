/**
 * `optimizeHtml()`: every candidate with its in-sample score in every fold, each fold's
 * choice marked with its out-of-sample result, the per-fold grid over two parameters
 * taking the best score over the rest, and the heat colours at their ends. Hand-made folds
 * (no backtest runs); the page is static, so its text is the test's subject.
 */

import assert from "node:assert/strict";
import {
  type Candidate,
  type FoldResult,
  gridCandidates,
  heatColor,
  optimizeHtml,
  type ParamsFile,
  type RunSummary,
} from "@/operators/backtest/mod.ts";

const summary = (net: number): RunSummary => ({
  trades: 10,
  net_profit: net,
  sharpe: null,
  calmar: null,
  max_drawdown_pct: 1.5,
  score: net,
});

/** A 2 x 3 grid: stopAtr 1.5 or 3, riskPercent 0.25, 0.5 or 1, in grid order. */
const candidates: Candidate[] = gridCandidates([
  { path: "fusion.levels.stopAtr", values: [1.5, 3] },
  { path: "risk.riskPercent", values: [0.25, 0.5, 1] },
]);

function fold(k: number, scores: (number | null)[], chosen: number, outNet: number): FoldResult {
  return {
    fold: k,
    inSample: { fromUs: 0, toUs: 86_400_000_000 * (k + 1) },
    outOfSample: { fromUs: 86_400_000_000 * (k + 1), toUs: 86_400_000_000 * (k + 2) },
    chosen: candidates[chosen],
    inSampleResult: summary(scores[chosen]!),
    outOfSampleResult: summary(outNet),
    scores,
  };
}

const folds = [
  fold(0, [-10, -20, null, 5, -1, -3], 3, -42.5),
  fold(1, [1, 2, 3, 4, 5, 6], 5, 17.25),
];

const document: ParamsFile = {
  version: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  data: [{ name: "DAT_ASCII_XAUUSD_M1_2017.csv.gz", sha256: "a".repeat(64) }],
  range: { from: "2017-01-02T23:01:00Z", to: "2017-03-01T00:00:00Z" },
  space: { "fusion.levels.stopAtr": [1.5, 3], "risk.riskPercent": [0.25, 0.5, 1] },
  search: { method: "grid", candidates: 6, samples: null, seed: null },
  objective: "net_profit",
  folds: [],
  stitched: { trades: 20, net_profit: -25.25, worst_max_drawdown_pct: 1.5, mean_score: -12.63 },
  chosen: { "fusion.levels.stopAtr": 3, "risk.riskPercent": 1 },
  config: {},
};

const page = optimizeHtml({ document, id: "f".repeat(64), candidates, folds });
const flat = page.replace(/>\s+</g, "><");
const cells = (html: string) =>
  [...html.matchAll(/<td class="s( chosen)?" style="[^"]*">([^<]*)<\/td>/g)].map((m) => m[2]);

Deno.test("optimizeHtml() lists every candidate with its in-sample score in each fold", () => {
  const table = flat.slice(flat.indexOf("<h2>Every candidate</h2>"));
  // Row by row: fold 1's score then fold 2's; candidate 2 had no figure in fold 1.
  assert.deepEqual(cells(table), [
    "-10.00",
    "1.00",
    "-20.00",
    "2.00",
    "n/a",
    "3.00",
    "5.00 ★",
    "4.00",
    "-1.00",
    "5.00",
    "-3.00",
    "6.00 ★",
  ]);
});

Deno.test("optimizeHtml() grids two parameters per fold with the best score of each cell", () => {
  const grids = flat.slice(flat.indexOf("by parameter</h2>"), flat.indexOf("<h2>Every candidate"));
  // riskPercent has the most values, so it makes the rows; stopAtr the columns (1.5, 3).
  // Fold 1: 0.25 -> -10 | 5 ★, 0.5 -> -20 | -1, 1 -> n/a | -3; fold 2: 1 | 4, 2 | 5, 3 | 6 ★.
  assert.deepEqual(cells(grids), [
    "-10.00",
    "5.00 ★",
    "-20.00",
    "-1.00",
    "n/a",
    "-3.00",
    "1.00",
    "4.00",
    "2.00",
    "5.00",
    "3.00",
    "6.00 ★",
  ]);
});

Deno.test("optimizeHtml() shows each fold's choice and its out-of-sample result", () => {
  assert.match(flat, /#3 fusion\.levels\.stopAtr = 3, risk\.riskPercent = 0\.25/);
  assert.match(flat, /<td><b>out<\/b><\/td>.*?<td class="n neg">-42\.50<\/td>/);
  assert.match(flat, /<td class="n pos">17\.25<\/td>/);
  assert.match(flat, /Stitched out of sample: <b>20 trades, net profit -25\.25<\/b>/);
});

Deno.test("heatColor() runs red to yellow to green over the fold's range, grey without a figure", () => {
  assert.equal(heatColor(-10, -10, 10), "rgb(248,105,107)");
  assert.equal(heatColor(0, -10, 10), "rgb(255,235,132)");
  assert.equal(heatColor(10, -10, 10), "rgb(99,190,123)");
  assert.equal(heatColor(null, -10, 10), "#e6e6e6");
  // One finite score: nothing to compare it with, shown as the best.
  assert.equal(heatColor(3, 3, 3), "rgb(99,190,123)");
});
