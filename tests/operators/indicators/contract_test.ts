/**
 * The contract every indicator honours, run against each one on random bar series:
 * undefined until `requiredBars`, then finite; `isStable` flips exactly then; getters
 * are NaN until stable; `reset()` restores the initial state; no output depends on a
 * later bar. A new indicator joins by adding one line to `CASES`. Also `bidBarAt`, which
 * feeds them a table's rows.
 */

import assert, { strictEqual } from "node:assert";
import fc from "fast-check";
import { bidBarAt, type Indicator, type PriceBar } from "@/operators/indicators/indicator.ts";
import {
  Adx,
  Atr,
  Bollinger,
  CandleShape,
  Cci,
  Ema,
  HighLowDistance,
  LogReturn,
  Macd,
  Roc,
  RollingVolatility,
  Rsi,
  Sma,
  SpreadStats,
  Stochastic,
  WilliamsR,
  ZScore,
} from "@/operators/indicators/mod.ts";

interface Case {
  readonly name: string;
  readonly make: () => Indicator;
  readonly getters: readonly string[];
}

const CASES: readonly Case[] = [
  { name: "Sma", make: () => new Sma(5), getters: [] },
  { name: "Ema", make: () => new Ema(5), getters: [] },
  { name: "Rsi", make: () => new Rsi(), getters: [] },
  {
    name: "Macd",
    make: () => new Macd({ fast: 3, slow: 6, signal: 4 }),
    getters: ["signal", "histogram"],
  },
  { name: "Macd (defaults)", make: () => new Macd(), getters: ["signal", "histogram"] },
  {
    name: "Bollinger",
    make: () => new Bollinger({ period: 6 }),
    getters: ["upper", "lower", "percentB", "width"],
  },
  { name: "Atr", make: () => new Atr(), getters: [] },
  { name: "Adx", make: () => new Adx(5), getters: ["plusDi", "minusDi"] },
  { name: "Adx (defaults)", make: () => new Adx(), getters: ["plusDi", "minusDi"] },
  { name: "Stochastic", make: () => new Stochastic(), getters: ["d"] },
  { name: "WilliamsR", make: () => new WilliamsR(), getters: [] },
  { name: "Cci", make: () => new Cci(7), getters: [] },
  { name: "Roc", make: () => new Roc(3), getters: [] },
  { name: "LogReturn", make: () => new LogReturn(3), getters: [] },
  { name: "RollingVolatility", make: () => new RollingVolatility(6), getters: [] },
  { name: "ZScore", make: () => new ZScore(6), getters: [] },
  {
    name: "HighLowDistance",
    make: () => new HighLowDistance(6),
    getters: ["toLow", "high", "low"],
  },
  {
    name: "CandleShape",
    make: () => new CandleShape(),
    getters: ["upperWick", "lowerWick", "range"],
  },
];

/**
 * Bars on a cent grid around 1800 with small moves, so flat windows, unchanged closes
 * and tied highs and lows (the degenerate cases) come up often.
 */
const barsArbitrary = fc.array(
  fc.record({
    gap: fc.integer({ min: -3, max: 3 }),
    body: fc.integer({ min: -3, max: 3 }),
    up: fc.integer({ min: 0, max: 2 }),
    down: fc.integer({ min: 0, max: 2 }),
  }),
  { maxLength: 80, size: "max" },
).map((steps) => {
  let cents = 180_000;
  return steps.map(({ gap, body, up, down }): PriceBar => {
    const open = cents + gap;
    const close = open + body;
    cents = close;
    return {
      open: open / 100,
      high: (Math.max(open, close) + up) / 100,
      low: (Math.min(open, close) - down) / 100,
      close: close / 100,
    };
  });
});

function getter(indicator: Indicator, name: string): number {
  return (indicator as unknown as Record<string, number>)[name];
}

/** Feeds the bars and checks the contract at every step; returns the outputs. */
function run(c: Case, indicator: Indicator, bars: readonly PriceBar[]): (number | undefined)[] {
  const outputs: (number | undefined)[] = [];
  strictEqual(indicator.isStable, false, `${c.name} is stable before any bar`);
  for (const name of c.getters) {
    strictEqual(getter(indicator, name), NaN, `${c.name}.${name} is not NaN before any bar`);
  }
  bars.forEach((bar, i) => {
    const value = indicator.update(bar);
    const stable = i + 1 >= indicator.requiredBars;
    strictEqual(indicator.isStable, stable, `${c.name}.isStable is ${!stable} after ${i + 1} bars`);
    if (stable) {
      strictEqual(Number.isFinite(value), true, `${c.name} gave ${value} after ${i + 1} bars`);
    } else {
      strictEqual(value, undefined, `${c.name} gave ${value} after only ${i + 1} bars`);
    }
    for (const name of c.getters) {
      const g = getter(indicator, name);
      strictEqual(
        stable ? Number.isFinite(g) : Number.isNaN(g),
        true,
        `${c.name}.${name} = ${g} after ${i + 1} bars`,
      );
    }
    outputs.push(value);
  });
  return outputs;
}

function sameOutputs(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
  what: string,
): void {
  strictEqual(a.length, b.length);
  a.forEach((value, i) =>
    strictEqual(Object.is(value, b[i]), true, `${what}: bar ${i + 1} gave ${value} then ${b[i]}`)
  );
}

for (const c of CASES) {
  Deno.test(`${c.name}.update() returns undefined until requiredBars, then finite values, as isStable flips`, () => {
    fc.assert(fc.property(barsArbitrary, (bars) => {
      run(c, c.make(), bars);
    }));
  });

  Deno.test(`${c.name}.reset() restores the initial state`, () => {
    fc.assert(fc.property(barsArbitrary, (bars) => {
      const indicator = c.make();
      const first = run(c, indicator, bars);
      indicator.reset();
      sameOutputs(first, run(c, indicator, bars), `${c.name} after reset()`);
    }));
  });

  Deno.test(`${c.name}.update() gives each bar a value that no later bar changes`, () => {
    fc.assert(fc.property(barsArbitrary, fc.nat(), (bars, cut) => {
      const prefix = bars.slice(0, bars.length === 0 ? 0 : cut % (bars.length + 1));
      const full = run(c, c.make(), bars);
      sameOutputs(run(c, c.make(), prefix), full.slice(0, prefix.length), `${c.name} on a prefix`);
    }));
  });
}

/** `SpreadStats` is fed numbers, not bars, so it runs the same checks on spreads. */
function runSpread(indicator: SpreadStats, spreads: readonly number[]): (number | undefined)[] {
  strictEqual(indicator.isStable, false);
  strictEqual(indicator.current, NaN);
  return spreads.map((spread, i) => {
    const value = indicator.update(spread);
    const stable = i + 1 >= indicator.requiredBars;
    strictEqual(indicator.isStable, stable);
    strictEqual(
      stable ? Number.isFinite(value) : value === undefined,
      true,
      `gave ${value} after ${i + 1} spreads`,
    );
    strictEqual(stable ? indicator.current === spread : Number.isNaN(indicator.current), true);
    return value;
  });
}

const spreadsArbitrary = fc.array(fc.integer({ min: 10, max: 40 }).map((points) => points / 100), {
  maxLength: 60,
  size: "max",
});

Deno.test("SpreadStats honours the indicator contract on spreads", () => {
  fc.assert(fc.property(spreadsArbitrary, fc.nat(), (spreads, cut) => {
    const indicator = new SpreadStats(5);
    const first = runSpread(indicator, spreads);
    indicator.reset();
    sameOutputs(first, runSpread(indicator, spreads), "SpreadStats after reset()");
    const prefix = spreads.slice(0, spreads.length === 0 ? 0 : cut % (spreads.length + 1));
    sameOutputs(
      runSpread(new SpreadStats(5), prefix),
      first.slice(0, prefix.length),
      "SpreadStats on a prefix",
    );
  }));
});

Deno.test("bidBarAt() writes row i's bid prices into the bar it is given and returns it", () => {
  const columns = {
    bidOpen: [1, 10],
    bidHigh: [2, 20],
    bidLow: [0.5, 5],
    bidClose: [1.5, 15],
  };
  const scratch = { open: NaN, high: NaN, low: NaN, close: NaN };
  const bar = bidBarAt(columns, 1, scratch);
  strictEqual(bar, scratch);
  assert.deepStrictEqual(bar, { open: 10, high: 20, low: 5, close: 15 });
});
