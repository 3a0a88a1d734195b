/**
 * Warm-up: once warm, a feature row does not depend on where the history starts. Per
 * year, three engines run over the same bars from three starts: the first bar, and the
 * first bar of the 4th and of the 11th trading day (+3 and +10 days; starts on a day
 * boundary, so every higher-timeframe bucket of the later runs is whole). From 21,000
 * bars after each later start (every run is ready by then: warm-up is about 20,400 bars)
 * their rows are compared with the first run's, per feature, in windows of weeks.
 *
 * What is allowed, per feature (|difference| / max(1, |value|)):
 * - finite-window kinds (returns, ROC, stochastic %K, %R, high/low, candle, session):
 *   bit for bit equal. Kinds kept as running sums (SMA, Bollinger, z-score, CCI,
 *   volatility, stochastic %D) re-anchor their sums every `period` bars counted from
 *   the start, so the rounding differs with the start: up to `SUM_ROUNDING`.
 * - EMA and Wilder kinds (EMA gap, MACD, RSI, ATR, ADX) and anything scaled by ATR
 *   remember their start, and the difference decays geometrically, by timeframe:
 *   `DECAY` gives the bound from each number of weeks on (0: bit for bit).
 */

import assert from "node:assert/strict";
import { DEFAULT_FEATURE_SPEC, FeatureEngine } from "@/operators/features/mod.ts";
import type { Timeframe } from "@/pipeline/events.ts";
import { dataTest } from "../../_data.ts";
import { histdataRel, histdataYear, YEARS } from "./_history.ts";
import { DOCUMENTED_DEFAULTS, groupBars, memoryOf } from "./_reference.ts";

const spec = DEFAULT_FEATURE_SPEC;
const OFFSET_DAYS = [3, 10] as const;
const WARM_BARS = 21_000;
const WEEK_US = 7 * 24 * 3_600e6;
/** Window starts, in weeks after the comparison starts. */
const WEEKS = [0, 1, 4, 8, 13, 26] as const;
const SUM_ROUNDING = 1e-11;
const RUNNING_SUMS = new Set(["sma_gap", "bollinger", "zscore", "cci", "volatility"]);

/** [from week, bound]: the largest difference allowed from that week on. */
const DECAY: Readonly<Record<Timeframe, ReadonlyArray<readonly [number, number]>>> = {
  M1: [[0, 0]],
  M5: [[0, 0]],
  M15: [[0, 0]],
  M30: [[0, 0]],
  H1: [[0, 1e-4], [1, 1e-6], [4, 1e-11], [8, 0]],
  H4: [[0, 1e-2], [1, 1e-3], [4, 1e-5], [8, 1e-9], [13, 1e-13], [26, 0]],
  D1: [[0, 1e-2], [4, 1e-3], [8, 1e-4], [13, 1e-4], [26, 1e-6]],
};

type Class = "exact" | "sums" | "decay";

function classOf(j: number): Class {
  const def = spec.features[j];
  const memory = memoryOf(def.kind, { ...DOCUMENTED_DEFAULTS[def.kind], ...def.params });
  if (memory === Infinity || def.scale === "atr") return "decay";
  if (RUNNING_SUMS.has(def.kind) || (def.kind === "stochastic" && def.output === "d")) {
    return "sums";
  }
  return "exact";
}

function allowed(j: number, week: number): number {
  const def = spec.features[j];
  const sums = RUNNING_SUMS.has(def.kind) || (def.kind === "stochastic" && def.output === "d")
    ? SUM_ROUNDING
    : 0;
  if (classOf(j) !== "decay") return sums;
  let bound = Infinity;
  for (const [from, b] of DECAY[def.timeframe]) if (week >= from) bound = b;
  return Math.max(bound, sums);
}

const format = (d: number) => (d === 0 ? "0" : d.toExponential(0));

for (const year of YEARS) {
  dataTest(
    `FeatureEngine rows after warm-up do not depend on where the history of ${year} starts, within the documented decay`,
    histdataRel(year),
    async () => {
      const m1 = await histdataYear(year);
      const d1 = groupBars(m1, "D1", spec.dayStart);
      const starts = [
        0,
        ...OFFSET_DAYS.map((d) => m1.openUs.findIndex((us) => us >= d1.openUs[d])),
      ];
      const engines = starts.map(() => new FeatureEngine(spec, { hasSpread: false }));
      const rows = starts.map(() => new Float64Array(spec.features.length));
      const compareFrom = starts.map((s) => s + WARM_BARS);
      // worst[run][feature][window]
      const worst = OFFSET_DAYS.map(() => spec.features.map(() => WEEKS.map(() => 0)));
      for (let i = 0; i < m1.length; i++) {
        for (let e = 0; e < engines.length; e++) {
          if (i < starts[e]) continue;
          const ready = engines[e].update(
            m1.openUs[i],
            m1.closeUs[i],
            m1.open[i],
            m1.high[i],
            m1.low[i],
            m1.close[i],
            NaN,
            rows[e],
          );
          if (i >= compareFrom[e]) assert.ok(ready, `run ${e} is ready ${WARM_BARS} bars in`);
        }
        for (let e = 1; e < engines.length; e++) {
          if (i < compareFrom[e]) continue;
          const weeks = (m1.openUs[i] - m1.openUs[compareFrom[e]]) / WEEK_US;
          const w = WEEKS.findLastIndex((from) => weeks >= from);
          for (let j = 0; j < rows[0].length; j++) {
            const a = rows[e][j];
            const b = rows[0][j];
            if (Object.is(a, b)) continue;
            const d = Math.abs(a - b) / Math.max(1, Math.abs(b));
            const slot = worst[e - 1][j];
            slot[w] = Math.max(slot[w], Number.isNaN(d) ? Infinity : d);
          }
        }
      }
      const failures: string[] = [];
      for (const [r, run] of worst.entries()) {
        for (const [j, windows] of run.entries()) {
          for (const [w, d] of windows.entries()) {
            if (d > allowed(j, WEEKS[w])) {
              failures.push(
                `+${OFFSET_DAYS[r]} days, ${spec.features[j].name}, from week ${WEEKS[w]}: ` +
                  `${d} > ${allowed(j, WEEKS[w])}`,
              );
            }
          }
        }
      }
      assert.deepEqual(failures, []);
      // The measured decay, worst over both later starts, by class and timeframe.
      const groups = new Map<string, number[]>();
      for (let j = 0; j < spec.features.length; j++) {
        const c = classOf(j);
        const key = c === "decay" ? `decay ${spec.features[j].timeframe}` : c;
        const w = groups.get(key) ?? WEEKS.map(() => 0);
        for (const run of worst) run[j].forEach((d, k) => (w[k] = Math.max(w[k], d)));
        groups.set(key, w);
      }
      console.log(
        `${year}, weeks from ${WEEKS.join("/")}: ` +
          [...groups].map(([key, w]) => `${key} ${w.map(format).join("/")}`).join("; "),
      );
    },
  );
}
