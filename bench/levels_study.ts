/**
 * The measurement behind the default stop and target levels (docs/fusion.md, "Levels"):
 * technical-only backtests of 2017 ALONE (2018 and later are never read, so the choice
 * can be tested on them), over a grid of ATR timeframes, stop/target multiples and cost
 * floors, with halts recorded rather than enforced so every candidate trades the whole
 * year. Prints one row per candidate: trades, net, profit factor, the cost share of the
 * target, the break-even win rate, the win rate, and the percentile against random entry.
 *
 * Usage: deno run -A bench/levels_study.ts [--baseline-runs 10]
 */

import { parseArgs } from "node:util";
import { runBacktest } from "../pipeline/commands/backtest.ts";

const DATA =
  new URL("../../shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz", import.meta.url)
    .pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: { "baseline-runs": { type: "string", default: "10" } },
  strict: true,
});

const TIMEFRAMES = ["M1", "M15", "H1", "H4"] as const;
const MULTIPLES = [[1, 1.5], [1.5, 2], [2, 3]] as const;
const FLOORS = [0, 8] as const;

const pct = (x: number | null) => (x === null ? "   n/a" : `${(x * 100).toFixed(1).padStart(5)}%`);
console.log(
  "atr tf | stop x | take x | floor | trades |      net |   PF | cost/target | break-even | win rate | pctl net | pctl PF",
);
for (const atrTimeframe of TIMEFRAMES) {
  for (const [stopAtr, takeAtr] of MULTIPLES) {
    for (const minTakeCosts of FLOORS) {
      const { document: d } = await runBacktest({
        files: [DATA],
        noMl: true,
        progress: false,
        baselineRuns: Number(values["baseline-runs"]),
        config: {
          fusion: {
            weights: { technical: 1, ml: 0, llm: 0 },
            gate: 0.5,
            levels: { atrTimeframe, stopAtr, takeAtr, minTakeCosts },
          },
          risk: { onHalt: "record" },
        },
      });
      const m = d.metrics;
      const r = d.baseline.random;
      console.log(
        [
          atrTimeframe.padStart(6),
          String(stopAtr).padStart(6),
          String(takeAtr).padStart(6),
          String(minTakeCosts).padStart(5),
          String(m.trades).padStart(6),
          m.net_profit.toFixed(2).padStart(8),
          (m.profit_factor?.toFixed(2) ?? "n/a").padStart(4),
          pct(d.costs.cost_share_of_take).padStart(11),
          pct(d.costs.breakeven_win_rate).padStart(10),
          pct(m.win_rate_pct === null ? null : m.win_rate_pct / 100).padStart(8),
          (r === null ? "n/a" : r.percentile.net_profit.toFixed(0)).padStart(8),
          (r?.percentile.profit_factor?.toFixed(0) ?? "n/a").padStart(7),
        ].join(" | "),
      );
    }
  }
}
