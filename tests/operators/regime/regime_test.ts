/**
 * `RegimeDetector` without streams: labels for known causes (seeded synthetic bars),
 * hysteresis as properties over random series, and on real 2017 H1 bars a direct
 * recomputation of every measure and label, convergence and absence of look-ahead.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { Adx } from "@/operators/indicators/mod.ts";
import {
  REGIME_DEFAULTS,
  RegimeDetector,
  type RegimeOptions,
  type TrendLabel,
  type VolatilityLabel,
} from "@/operators/regime/mod.ts";
import { dataTest } from "../../_data.ts";
import { HISTDATA_2017, type Phase, realH1, syntheticH1, type TestBar } from "./_bars.ts";

interface Step {
  readonly volatility: VolatilityLabel | null;
  readonly trend: TrendLabel | null;
  readonly changed: boolean;
  readonly realised: number;
  readonly percentile: number;
  readonly adx: number;
  readonly efficiency: number;
  readonly move: number;
}

/** The detector's state after each bar. */
function labelsOf(bars: readonly TestBar[], detector = new RegimeDetector()): Step[] {
  return bars.map((bar) => {
    const changed = detector.update(bar);
    return {
      volatility: detector.volatility,
      trend: detector.trend,
      changed,
      realised: detector.realisedVolatility,
      percentile: detector.volatilityPercentile,
      adx: detector.adx,
      efficiency: detector.efficiencyRatio,
      move: detector.move,
    };
  });
}

const key = (s: Step) => `${s.volatility}/${s.trend}`;

Deno.test("RegimeDetector labels a calm fall, a volatility jump, a rally, a sell-off and a zigzag", () => {
  const phases: Phase[] = [
    { bars: 900, sigma: (i) => 0.002 - 0.0015 * i / 899 }, // 0-899: volatility fading
    { bars: 150, sigma: 0.004 }, // 900-1049: four times the last volatility
    { bars: 200, sigma: 0.001, drift: 0.0015 }, // 1050-1249: a steady rise
    { bars: 200, sigma: 0.001, drift: -0.0015 }, // 1250-1449: a steady fall
    { bars: 250, sigma: 0.001, noise: "zigzag" }, // 1450-1699: up, down, up: no net move
  ];
  const steps = labelsOf(syntheticH1(phases));
  const expect = (from: number, to: number, pick: (s: Step) => string | null, want: string) => {
    for (let i = from; i <= to; i++) assert.equal(pick(steps[i]), want, `bar ${i}`);
  };
  expect(
    0,
    REGIME_DEFAULTS.volatilityWindow + REGIME_DEFAULTS.percentileLookback - 2,
    key,
    "null/null",
  );
  expect(899, 899, (s) => s.volatility, "low");
  expect(900, 1049, (s) => s.volatility, "high");
  expect(1100, 1249, (s) => s.trend, "bull");
  expect(1300, 1449, (s) => s.trend, "bear");
  expect(1500, 1699, (s) => s.trend, "range");
  assert.ok(steps[1200].move > 0 && steps[1400].move < 0 && steps[1600].efficiency < 0.05);
});

Deno.test("RegimeDetector has no labels, NaN codes and NaN sinceUs until requiredBars", () => {
  const detector = new RegimeDetector({ volatilityWindow: 3, percentileLookback: 5 });
  assert.equal(detector.requiredBars, 28, "ADX(14) needs the most bars here");
  const bars = syntheticH1([{ bars: 40, sigma: 0.002, drift: 0.001 }]);
  for (let i = 0; i < detector.requiredBars - 1; i++) {
    assert.equal(detector.update(bars[i]), false);
    assert.equal(detector.volatility, null);
    assert.equal(detector.trend, null);
    assert.ok(Number.isNaN(detector.volatilityCode) && Number.isNaN(detector.trendCode));
    assert.ok(Number.isNaN(detector.sinceUs) && !detector.isStable);
  }
  const last = bars[detector.requiredBars - 1];
  assert.equal(detector.update(last), true, "the first labels are a change");
  assert.equal(detector.sinceUs, last.closeUs);
  assert.ok(detector.isStable);
  assert.equal(detector.volatilityCode, { low: -1, normal: 0, high: 1 }[detector.volatility!]);
  assert.equal(detector.trendCode, { bear: -1, range: 0, bull: 1 }[detector.trend!]);
  for (const measure of ["volatilityPercentile", "adx", "efficiencyRatio", "move"] as const) {
    assert.ok(Number.isFinite(detector[measure]), measure);
  }
});

Deno.test("RegimeDetector.update() refuses a bar that does not close after the previous one", () => {
  const detector = new RegimeDetector();
  const [bar] = syntheticH1([{ bars: 1, sigma: 0.001 }]);
  detector.update(bar);
  assert.throws(() => detector.update(bar), {
    name: "RangeError",
    message: /Cannot update the regime with the bar closing at 2017-01-02T01:00:00Z/,
  });
});

Deno.test("RegimeDetector refuses settings whose bands are out of order", async (t) => {
  const cases: ReadonlyArray<readonly [RegimeOptions, RegExp]> = [
    [{ volatilityWindow: 1 }, /"volatilityWindow" must be an integer >= 2, got "1"/],
    [{ percentileLookback: 10.5 }, /"percentileLookback" must be an integer/],
    [{ minDurationBars: 0 }, /"minDurationBars" must be an integer >= 1/],
    [{ highLeave: 0.85 }, /lowEnter < lowLeave < highLeave < highEnter/],
    [{ lowLeave: 0.1 }, /lowEnter < lowLeave/],
    [{ highEnter: 1.2 }, /highEnter < 1/],
    [{ adxLeave: 30 }, /adxLeave < adxEnter, got 30 \/ 25/],
    [{ efficiencyEnter: 0.2 }, /efficiencyLeave < efficiencyEnter/],
  ];
  for (const [options, message] of cases) {
    await t.step(JSON.stringify(options), () => {
      assert.throws(() => new RegimeDetector(options), { name: "RangeError", message });
    });
  }
});

const SMALL: RegimeOptions = {
  volatilityWindow: 4,
  percentileLookback: 20,
  adxPeriod: 3,
  efficiencyWindow: 6,
};

const phases = fc.array(
  fc.record({
    bars: fc.integer({ min: 3, max: 60 }),
    sigma: fc.constantFrom(0.0005, 0.001, 0.004),
    drift: fc.constantFrom(-0.002, 0, 0.002),
    noise: fc.constantFrom("normal" as const, "zigzag" as const),
  }),
  { minLength: 3, maxLength: 12 },
);

Deno.test("RegimeDetector keeps every label at least minDurationBars bars", () => {
  fc.assert(
    fc.property(
      phases,
      fc.integer({ min: 1, max: 12 }),
      fc.nat(),
      (spec, minDurationBars, seed) => {
        const steps = labelsOf(
          syntheticH1(spec, seed),
          new RegimeDetector({ ...SMALL, minDurationBars }),
        );
        for (const pick of [(s: Step) => s.volatility, (s: Step) => s.trend]) {
          let start = -1;
          for (let i = 1; i < steps.length; i++) {
            if (pick(steps[i - 1]) === null || pick(steps[i]) === pick(steps[i - 1])) continue;
            if (start >= 0) assert.ok(i - start >= minDurationBars, `run ${start}-${i - 1}`);
            start = i;
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("RegimeDetector changes a label only across its enter or leave threshold", () => {
  const o = { ...REGIME_DEFAULTS, ...SMALL, minDurationBars: 2 };
  fc.assert(
    fc.property(phases, fc.nat(), (spec, seed) => {
      const steps = labelsOf(syntheticH1(spec, seed), new RegimeDetector(o));
      for (let i = 1; i < steps.length; i++) {
        const [was, now] = [steps[i - 1], steps[i]];
        assert.equal(now.changed, key(now) !== key(was), `bar ${i}`);
        if (was.volatility !== null && now.volatility !== was.volatility) {
          const p = now.percentile;
          const ok = now.volatility === "high"
            ? p > o.highEnter
            : now.volatility === "low"
            ? p < o.lowEnter
            : was.volatility === "high"
            ? p < o.highLeave
            : p > o.lowLeave;
          assert.ok(ok, `bar ${i}: ${was.volatility} -> ${now.volatility} at percentile ${p}`);
        }
        if (was.trend !== null && now.trend !== was.trend) {
          const entered = now.adx >= o.adxEnter && now.efficiency >= o.efficiencyEnter;
          const ok = now.trend === "bull"
            ? entered && now.move > 0
            : now.trend === "bear"
            ? entered && now.move < 0
            : now.adx < o.adxLeave || now.efficiency < o.efficiencyLeave ||
              Math.sign(now.move) !== (was.trend === "bull" ? 1 : -1);
          assert.ok(ok, `bar ${i}: ${was.trend} -> ${now.trend}`);
        }
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("RegimeDetector.reset() gives the same labels as a new detector", () => {
  fc.assert(
    fc.property(phases, fc.nat(), (spec, seed) => {
      const bars = syntheticH1(spec, seed);
      const used = new RegimeDetector(SMALL);
      labelsOf(bars, used);
      used.reset();
      assert.deepEqual(labelsOf(bars, used), labelsOf(bars, new RegimeDetector(SMALL)));
    }),
    { numRuns: 50 },
  );
});

/**
 * The detector's measures and labels recomputed from the bars by the rules written in
 * regime.ts's header, the slow direct way: every window summed afresh, no running sums, no
 * sorted window. ADX comes from the `Adx` indicator, itself checked against
 * trading-signals in tests/operators/indicators/trading_signals_test.ts.
 */
function directRegime(bars: readonly TestBar[]) {
  const o = REGIME_DEFAULTS;
  const n = bars.length;
  const close = bars.map((b) => b.close);
  const volatility = new Float64Array(n).fill(NaN);
  for (let i = o.volatilityWindow; i < n; i++) {
    const r = [];
    for (let j = i - o.volatilityWindow + 1; j <= i; j++) r.push(Math.log(close[j] / close[j - 1]));
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    volatility[i] = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length);
  }
  const percentile = new Float64Array(n).fill(NaN);
  for (let i = o.volatilityWindow + o.percentileLookback - 1; i < n; i++) {
    let below = 0;
    let equal = 0;
    for (let j = i - o.percentileLookback + 1; j <= i; j++) {
      if (volatility[j] < volatility[i]) below++;
      else if (volatility[j] === volatility[i]) equal++;
    }
    percentile[i] = (below + equal / 2) / o.percentileLookback;
  }
  const efficiency = new Float64Array(n).fill(NaN);
  const move = new Float64Array(n).fill(NaN);
  for (let i = o.efficiencyWindow; i < n; i++) {
    let path = 0;
    for (let j = i - o.efficiencyWindow + 1; j <= i; j++) path += Math.abs(close[j] - close[j - 1]);
    const net = close[i] - close[i - o.efficiencyWindow];
    efficiency[i] = path > 0 ? Math.abs(net) / path : 0;
    move[i] = Math.log(close[i] / close[i - o.efficiencyWindow]);
  }
  const adxIndicator = new Adx(o.adxPeriod);
  const adx = bars.map((b) => adxIndicator.update(b) ?? NaN);
  // The labels: enter/leave bands, then a label holds minDurationBars bars at least.
  const first = o.volatilityWindow + o.percentileLookback - 1;
  const labels: string[] = [];
  let vol: string | null = null;
  let trend: string | null = null;
  let volAge = 0;
  let trendAge = 0;
  for (let i = 0; i < n; i++) {
    if (i < first) {
      labels.push("null/null");
      continue;
    }
    const p = percentile[i];
    const wantVol: string = vol === "high"
      ? (p < o.lowEnter ? "low" : p < o.highLeave ? "normal" : "high")
      : vol === "low"
      ? (p > o.highEnter ? "high" : p > o.lowLeave ? "normal" : "low")
      : (p > o.highEnter ? "high" : p < o.lowEnter ? "low" : "normal");
    const dir = Math.sign(move[i]);
    const enters = adx[i] >= o.adxEnter && efficiency[i] >= o.efficiencyEnter;
    const entering = enters && dir > 0 ? "bull" : enters && dir < 0 ? "bear" : null;
    const fading = adx[i] < o.adxLeave || efficiency[i] < o.efficiencyLeave;
    const wantTrend: string = trend === "bull"
      ? (entering === "bear" ? "bear" : fading || dir < 0 ? "range" : "bull")
      : trend === "bear"
      ? (entering === "bull" ? "bull" : fading || dir > 0 ? "range" : "bear")
      : entering ?? "range";
    const isFirst = vol === null;
    volAge++;
    trendAge++;
    if (wantVol !== vol && (isFirst || volAge >= o.minDurationBars)) [vol, volAge] = [wantVol, 0];
    if (wantTrend !== trend && (isFirst || trendAge >= o.minDurationBars)) {
      [trend, trendAge] = [wantTrend, 0];
    }
    labels.push(`${vol}/${trend}`);
  }
  return { volatility, percentile, efficiency, move, adx, labels };
}

dataTest(
  "RegimeDetector measures and labels on 2017 equal a direct recomputation from the bars",
  HISTDATA_2017,
  async (t) => {
    const bars = await realH1(HISTDATA_2017);
    assert.ok(bars.length > 5900, `${bars.length} H1 bars`);
    const steps = labelsOf(bars);
    const direct = directRegime(bars);
    const close = (a: number, b: number, tolerance: number, what: string, i: number) =>
      assert.ok(
        Number.isNaN(a) && Number.isNaN(b) || Math.abs(a - b) <= tolerance,
        `bar ${i} ${what}: ${a} vs ${b}`,
      );
    await t.step("realised volatility: population stdev of 24 log returns", () => {
      steps.forEach((s, i) => close(s.realised, direct.volatility[i], 1e-12, "volatility", i));
    });
    await t.step("percentile: mid-rank among the last 720 volatilities", () => {
      steps.forEach((s, i) => close(s.percentile, direct.percentile[i], 1e-12, "percentile", i));
    });
    await t.step("efficiency ratio and move over 24 bars", () => {
      steps.forEach((s, i) => {
        close(s.efficiency, direct.efficiency[i], 1e-12, "efficiency", i);
        close(s.move, direct.move[i], 1e-12, "move", i);
        close(s.adx, direct.adx[i], 0, "adx", i);
      });
    });
    await t.step("labels follow the bands and the minimum duration", () => {
      steps.forEach((s, i) => assert.equal(key(s), direct.labels[i], `bar ${i}`));
      assert.equal(new Set(direct.labels).size, 10, "all nine pairs occur, and the warm-up");
    });
  },
);

/**
 * Measured once over every start offset from 1 to 2000 bars in 2017 and 2018: the late
 * run matched the full one at most 43 bars after its warm-up. Hysteresis and the minimum
 * duration carry state, so a run that starts with a label inside a band needs the measure
 * to leave the band before the two agree; the documented tolerance is 48 bars.
 */
const CONVERGENCE_BARS = 48;

dataTest(
  "RegimeDetector started at other offsets of 2017 agrees within 48 bars after its warm-up",
  HISTDATA_2017,
  async (t) => {
    const bars = await realH1(HISTDATA_2017);
    const full = labelsOf(bars).map(key);
    for (const offset of [1, 7, 24, 100, 333, 892, 1000, 1500]) {
      await t.step(`offset ${offset}`, () => {
        const late = labelsOf(bars.slice(offset));
        const warm = late.findIndex((s) => s.volatility !== null);
        assert.equal(
          warm,
          REGIME_DEFAULTS.volatilityWindow + REGIME_DEFAULTS.percentileLookback - 1,
        );
        for (let i = warm + CONVERGENCE_BARS; i < late.length; i++) {
          assert.equal(key(late[i]), full[offset + i], `bar ${offset + i}`);
        }
      });
    }
  },
);

dataTest(
  "RegimeDetector labels up to a bar of 2017 are the same whether or not later bars exist",
  HISTDATA_2017,
  async () => {
    const bars = await realH1(HISTDATA_2017);
    const full = labelsOf(bars);
    for (const cut of [744, 800, 2000, 3500, 5000]) {
      assert.deepEqual(labelsOf(bars.slice(0, cut)), full.slice(0, cut), `cut at ${cut}`);
    }
  },
);
