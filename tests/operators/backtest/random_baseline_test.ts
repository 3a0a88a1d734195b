/**
 * The random-entry baseline: ranks and rates by hand, and on a real month of 2017, the
 * idle-bar shortcut gives exactly what feeding every bar to the kernel gives, the levels
 * read from an ATR series computed once are those of a `LevelModel` fed bar by bar, and
 * Workers give exactly what one thread gives.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  calibratedEntryRate,
  defaultBaselineWorkers,
  percentileOf,
  randomRun,
  type RandomRunSetup,
  runRandomBaseline,
  startRandomBaseline,
} from "@/operators/backtest/mod.ts";
import { levelAtrSeries, LevelModel, LevelSeries, TECHNICAL_ONLY } from "@/operators/fusion/mod.ts";
import { DEFAULT_COSTS } from "@/operators/execution/mod.ts";
import { parseRiskConfig } from "@/operators/risk/mod.ts";
import { usFromIso } from "@/pipeline/events.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import { recordBars } from "@/operators/bars/mod.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { lastValueFrom } from "rxjs";
import { openSources } from "@/sources/mod.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import { defaultWorkers } from "@/pipeline/workers.ts";
import { dataPath, dataTest } from "../../_data.ts";

Deno.test("percentileOf() is the share of runs below, ties counting half", () => {
  // Below 3 in [1, 2, 3, 3, 5]: two runs, and two ties count one: (2 + 1) / 5 = 60%.
  assert.equal(percentileOf(3, [1, 2, 3, 3, 5]), 60);
  assert.equal(percentileOf(0, [1, 2]), 0);
  assert.equal(percentileOf(9, [1, 2]), 100);
});

Deno.test("calibratedEntryRate() scales the strategy's rate by its trades over the pilot's", () => {
  // 40 trades at 0.002 per bar; a pilot at that rate made 25 (the engine refused some
  // asks): 0.002 x 40 / 25 = 0.0032.
  const target = { trades: 40, entryRate: 0.002, netProfit: 0, profitFactor: null, sharpe: null };
  assert.ok(Math.abs(calibratedEntryRate(target, 25) - 0.0032) < 1e-15);
  assert.equal(calibratedEntryRate({ ...target, trades: 0 }, 25), 0, "no trades, no asks");
  assert.equal(calibratedEntryRate({ ...target, entryRate: 0.9 }, 1), 1, "never above 1");
});

const FILE = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** February to mid-March 2017 on the baseline's tape, trading from March 1. */
async function marchSetup(): Promise<RandomRunSetup> {
  const source = await openSources([dataPath(FILE)], {
    fromUs: usFromIso("2017-02-01"),
    toUs: usFromIso("2017-03-15"),
  });
  const tape = new BarColumnsBuilder("M1", source.sides, false);
  await lastValueFrom(replay$(source).pipe(recordBars(source.symbol, tape)));
  const bars = tape.take();
  let tradingStart = 0;
  while (bars.openUs[tradingStart] < usFromIso("2017-03-01")) tradingStart++;
  return {
    symbol: "XAUUSD",
    bars,
    tradingStart,
    entryRate: 0.01,
    fusion: TECHNICAL_ONLY,
    risk: parseRiskConfig({ news: { enabled: false }, spread: { assumedSpread: 0.3 } }, "test"),
    calendar: null,
    execution: {},
  };
}

/**
 * Each seed's run with the idle- and quiet-bar shortcuts is the run that feeds the kernel
 * every bar, and trades at least `minTrades` times (or the comparison says little).
 */
function sameAsEveryBar(setup: RandomRunSetup, seeds: readonly number[], minTrades: number) {
  for (const seed of seeds) {
    const fast = randomRun(setup, seed);
    const full = randomRun({ ...setup, feedEveryBar: true }, seed);
    assert.ok(fast.trades >= minTrades, `seed ${seed}: only ${fast.trades} trades, too few`);
    assert.deepEqual(fast, full);
  }
}

dataTest(
  "randomRun() skips idle bars without changing a single trade (real 2017 data)",
  FILE,
  async () => {
    const setup = await marchSetup();
    sameAsEveryBar(setup, [1, 2], 5);
  },
);

dataTest(
  "randomRun() takes quiet spans without changing a trade while stops trail, positions scale out and limits bind (real 2017 data)",
  FILE,
  async () => {
    const base = await marchSetup();
    // Every rule that acts between entries on: breakeven at 0.5R, a trail from 1R, a
    // scale-out at 1.5R; up to 3 positions, so books of both directions (lots up to 2 a
    // side); a daily loss limit of 1% that halts trading until the next day when hit (the
    // drawdown limit at 50%, or its halt would end the run).
    const risk = parseRiskConfig({
      news: { enabled: false },
      spread: { assumedSpread: 0.3 },
      positions: { maxOpen: 3, maxLotsPerDirection: 2 },
      breakeven: { enabled: true, triggerR: 0.5 },
      trailing: { enabled: true, triggerR: 1, distanceR: 0.5 },
      scaleOut: { enabled: true, triggerR: 1.5, fraction: 0.5 },
      dailyLoss: { maxPercent: 1 },
      maxDrawdownPercent: 50,
      onHalt: "halt",
    }, "test");
    const setup = { ...base, risk, entryRate: 0.02 };
    sameAsEveryBar(setup, [3, 4], 10);
  },
);

dataTest(
  "randomRun() steps the bars an order waits through when the latency is longer than a bar (real 2017 data)",
  FILE,
  async () => {
    const base = await marchSetup();
    // 61 s of latency: an order sent at a bar's close reaches the market two bars later.
    const setup = { ...base, execution: { latencyMs: 61_000, orderTimeoutSeconds: 600 } };
    sameAsEveryBar(setup, [1, 2], 5);
  },
);

dataTest(
  "randomRun() gives what stepping every bar gives across generated risk and broker settings (real 2017 data)",
  FILE,
  async () => {
    const base = await marchSetup();
    const hm = (minute: number) =>
      `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
    const settings = fc.record({
      maxOpen: fc.constantFrom(1, 2, 3),
      breakeven: fc.boolean(),
      trailing: fc.boolean(),
      scaleOut: fc.boolean(),
      entry: fc.constantFrom("market", "limit", "stop", "bracket"),
      onHalt: fc.constantFrom("halt", "record"),
      flattenOnKill: fc.boolean(),
      // Limits from tight to loose; the daily one never above the drawdown, the risk of a
      // trade never above the daily one.
      drawdown: fc.constantFrom(1, 2, 50),
      riskPercent: fc.constantFrom(0.5, 1),
      leverage: fc.constantFrom(5, 100, 500),
      marginCall: fc.constantFrom(100, 1000),
      latencyMs: fc.constantFrom(0, 250, 59_000, 61_000, 120_000),
      rolloverMinute: fc.constantFrom(0, 9 * 60 + 30, 17 * 60),
      markToMarket: fc.boolean(),
      entryRate: fc.constantFrom(0.002, 0.02),
      seed: fc.integer({ min: 0, max: 999 }),
    });
    fc.assert(
      fc.property(settings, (s) => {
        const risk = parseRiskConfig({
          news: { enabled: false },
          spread: { assumedSpread: 0.3 },
          riskPercent: s.riskPercent,
          maxDrawdownPercent: s.drawdown,
          dailyLoss: { maxPercent: Math.min(2, s.drawdown) },
          positions: { maxOpen: s.maxOpen, maxLotsPerDirection: 10 },
          breakeven: { enabled: s.breakeven, triggerR: 0.5 },
          trailing: { enabled: s.trailing, triggerR: 1, distanceR: 0.6 },
          scaleOut: { enabled: s.scaleOut, triggerR: 0.8, fraction: 0.5 },
          entry: { type: s.entry },
          onHalt: s.onHalt,
          flattenOnKill: s.flattenOnKill,
        }, "test");
        const execution = {
          latencyMs: s.latencyMs,
          orderTimeoutSeconds: s.latencyMs / 1000 + 600,
          rolloverNy: hm(s.rolloverMinute),
          markToMarket: s.markToMarket,
          broker: {
            ...XAUUSD,
            name: "test",
            leverage: s.leverage,
            marginCallLevel: s.marginCall,
            stopOutLevel: s.marginCall / 2,
            swapLongPerLot: -35,
            swapShortPerLot: 15,
            spread: { model: "default_ny_hours" as const },
          },
        };
        const setup = { ...base, risk, execution, entryRate: s.entryRate };
        assert.deepEqual(
          randomRun(setup, s.seed),
          randomRun({ ...setup, feedEveryBar: true }, s.seed),
        );
      }),
      { numRuns: 30, seed: 16 },
    );
  },
);

dataTest(
  "LevelSeries gives at every bar the distances of a LevelModel fed up to it (real 2017 data)",
  FILE,
  async () => {
    const { bars } = await marchSetup();
    const config = TECHNICAL_ONLY.levels;
    const model = new LevelModel(config, DEFAULT_COSTS);
    const series = new LevelSeries(config, DEFAULT_COSTS, levelAtrSeries(config, bars));
    let warm = 0;
    let floored = 0;
    for (let i = 0; i < bars.length; i++) {
      const bid = {
        open: bars.bidOpen[i],
        high: bars.bidHigh[i],
        low: bars.bidLow[i],
        close: bars.bidClose[i],
      };
      model.update(bars.openUs[i], bars.closeUs[i], bid);
      series.at(i);
      // A spread of 0.3 leaves the H1 levels alone; 3.0 makes the cost floor widen them.
      for (const spread of [0.3, 3]) {
        const expected = model.distances(spread, bid.close, bars.closeUs[i]);
        const fromSeries = series.distances(spread, bid.close, bars.closeUs[i]);
        assert.deepEqual(
          fromSeries === null ? null : { ...fromSeries },
          expected === null ? null : { ...expected },
          `bar ${i}`,
        );
        if (expected !== null) warm++;
        if (expected?.floored) floored++;
      }
    }
    // Both branches compared: warming up (null) and warm, floored and not.
    assert.ok(warm > 1000 && warm < 2 * bars.length, `${warm} warm decisions`);
    assert.ok(floored > 100 && floored < warm, `${floored} floored of ${warm}`);
  },
);

dataTest(
  "runRandomBaseline() gives the same report from two Workers as from this thread alone",
  FILE,
  async () => {
    const { entryRate: _, ...setup } = await marchSetup();
    const target = { trades: 8, entryRate: 0.004, netProfit: -50, profitFactor: 0.7, sharpe: -1 };
    const here = await runRandomBaseline(setup, target, { runs: 6, seed: 7, workers: 0 });
    const workers = await runRandomBaseline(setup, target, {
      runs: 6,
      seed: 7,
      workers: 2,
      here: false,
    });
    assert.deepEqual(workers, here);
    assert.equal(here.runs, 6);
  },
);

dataTest(
  "StartedBaseline.finish() tells its progress the runs finished, once after each run here",
  FILE,
  async () => {
    const { entryRate: _, ...setup } = await marchSetup();
    const calibration = { trades: 8, entryRate: 0.004 };
    const figures = { netProfit: -50, profitFactor: 0.7, sharpe: -1 };
    const told: number[] = [];
    const started = startRandomBaseline(setup, calibration, { runs: 4, seed: 7, workers: 0 });
    const report = await started.finish(figures, (finished) => told.push(finished));
    // All four runs on this thread: told 1, 2, 3, 4, and the report is the same as untold.
    assert.deepEqual(told, [1, 2, 3, 4]);
    assert.deepEqual(
      report,
      await runRandomBaseline(setup, { ...calibration, ...figures }, {
        runs: 4,
        seed: 7,
        workers: 0,
      }),
    );
  },
);

Deno.test("defaultBaselineWorkers() keeps a small baseline on this thread and shares a big one", () => {
  const cores = defaultWorkers() - 1;
  // 30 runs x 71,615 bars in a position = 2,148,450, under 3,000,000: this thread alone.
  assert.equal(defaultBaselineWorkers(30, 71_615), 0);
  // 30 x 165,507 = 4,965,210: the cores less this one.
  assert.equal(defaultBaselineWorkers(30, 165_507), cores);
  assert.equal(defaultBaselineWorkers(), cores, "without an estimate, the cores less this one");
});
