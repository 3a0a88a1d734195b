/**
 * Small series whose answers can be worked out by hand: warm-up lengths, seeding, the
 * value each indicator gives in its degenerate cases, and argument checks.
 */

import { strictEqual, throws } from "node:assert";
import type { BarEvent } from "@/pipeline/events.ts";
import type { Indicator, PriceBar } from "@/operators/indicators/indicator.ts";
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
  spreadOf,
  SpreadStats,
  Stochastic,
  WilliamsR,
  ZScore,
} from "@/operators/indicators/mod.ts";

function flat(price: number): PriceBar {
  return { open: price, high: price, low: price, close: price };
}

function feed(indicator: Indicator, bars: readonly PriceBar[]): (number | undefined)[] {
  return bars.map((bar) => indicator.update(bar));
}

function near(actual: number | undefined, expected: number, what = ""): void {
  if (
    actual === undefined ||
    !(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)))
  ) {
    throw new Error(`${what} expected ${expected}, got ${actual}`);
  }
}

Deno.test("Sma.update() returns the mean of the last period closes", () => {
  const values = feed(new Sma(3), [1, 2, 3, 4, 5, 6].map(flat));
  strictEqual(values[1], undefined);
  [2, 3, 4, 5].forEach((mean, i) => near(values[i + 2], mean));
});

Deno.test("Ema.update() is seeded with the SMA of the first period closes", () => {
  const values = feed(new Ema(3), [1, 2, 3, 4].map(flat));
  strictEqual(values[1], undefined);
  near(values[2], 2);
  near(values[3], 3, "2 + 0.5 × (4 - 2)");
});

Deno.test("Sma.add() and Ema.add() average any series, such as another indicator's output", () => {
  const sma = new Sma(2);
  const ema = new Ema(2);
  sma.add(10);
  ema.add(10);
  near(sma.add(20), 15);
  near(ema.add(20), 15);
});

Deno.test("Rsi.update() returns undefined until 15 bars", () => {
  const rsi = new Rsi();
  strictEqual(rsi.requiredBars, 15);
  const values = feed(rsi, Array.from({ length: 15 }, (_, i) => flat(1800 + i)));
  strictEqual(values[13], undefined);
  strictEqual(values[14], 100);
});

Deno.test("Rsi.update() gives 0 when closes only fall, 50 when they never change or alternate", () => {
  strictEqual(feed(new Rsi(), Array.from({ length: 15 }, (_, i) => flat(1800 - i)))[14], 0);
  strictEqual(feed(new Rsi(), Array.from({ length: 15 }, () => flat(1800)))[14], 50);
  near(feed(new Rsi(), Array.from({ length: 15 }, (_, i) => flat(1800 + (i % 2))))[14], 50);
});

Deno.test("Macd.update() first returns a value at bar 34 with the defaults", () => {
  const macd = new Macd();
  strictEqual(macd.requiredBars, 34);
  const values = feed(macd, Array.from({ length: 34 }, (_, i) => flat(1800 + i)));
  strictEqual(values[32], undefined);
  strictEqual(Number.isFinite(values[33]), true);
  near(macd.histogram, values[33]! - macd.signal);
});

Deno.test("Macd.update() is 0 with a 0 signal on a constant close", () => {
  const macd = new Macd({ fast: 2, slow: 3, signal: 2 });
  const values = feed(macd, Array.from({ length: 6 }, () => flat(1800)));
  strictEqual(values[5], 0);
  strictEqual(macd.signal, 0);
});

Deno.test("Bollinger.update() uses the population standard deviation", () => {
  const bollinger = new Bollinger({ period: 4, multiplier: 2 });
  const middle = feed(bollinger, [1, 2, 3, 4].map(flat))[3];
  const sd = Math.sqrt(1.25);
  near(middle, 2.5);
  near(bollinger.upper, 2.5 + 2 * sd);
  near(bollinger.lower, 2.5 - 2 * sd);
  near(bollinger.percentB, (4 - (2.5 - 2 * sd)) / (4 * sd));
  near(bollinger.width, 4 * sd / 2.5);
});

Deno.test("Bollinger.percentB is 0.5 and width 0 on a flat window", () => {
  const bollinger = new Bollinger({ period: 3 });
  feed(bollinger, [flat(1800), flat(1800), flat(1800)]);
  strictEqual(bollinger.percentB, 0.5);
  strictEqual(bollinger.width, 0);
  strictEqual(bollinger.upper, 1800);
});

Deno.test("Atr.update() counts the gap from the previous close in the true range", () => {
  const atr = new Atr(1);
  strictEqual(atr.requiredBars, 2);
  strictEqual(atr.update({ open: 10, high: 10.5, low: 9.5, close: 10 }), undefined);
  strictEqual(atr.update({ open: 11.5, high: 12, low: 11, close: 11.5 }), 2);
  strictEqual(atr.update({ open: 9, high: 9.5, low: 8, close: 9 }), 3.5);
});

Deno.test("Adx.update() first returns a value at bar 28 with the defaults", () => {
  const adx = new Adx();
  strictEqual(adx.requiredBars, 28);
  const values = feed(
    adx,
    Array.from({ length: 28 }, (_, i) => ({ open: i + 1, high: i + 2, low: i, close: i + 1 })),
  );
  strictEqual(values[26], undefined);
  near(values[27], 100, "a steady rise: ADX");
  near(adx.plusDi, 50, "+DI = +DM 1 / TR 2");
  strictEqual(adx.minusDi, 0);
});

Deno.test("Adx.update() gives neither +DM nor -DM on a tie (Wilder's rule)", () => {
  const adx = new Adx(3);
  const widening = Array.from(
    { length: 8 },
    (_, i) => ({ open: 100, high: 100 + i, low: 100 - i, close: 100 }),
  );
  strictEqual(feed(adx, widening)[7], 0);
  strictEqual(adx.plusDi, 0);
  strictEqual(adx.minusDi, 0);
});

Deno.test("Stochastic.update() gives 100 at the high, 50 with no range, and %D averages %K", () => {
  const stochastic = new Stochastic({ kPeriod: 2, dPeriod: 2 });
  strictEqual(stochastic.requiredBars, 3);
  const values = feed(stochastic, [
    { open: 10, high: 11, low: 9, close: 10 },
    { open: 10, high: 12, low: 10, close: 12 },
    { open: 12, high: 12, low: 10, close: 11 },
  ]);
  strictEqual(values[1], undefined);
  near(values[2], 50, "(11 - 10) / (12 - 10)");
  near(stochastic.d, 75, "mean of 100 and 50");
  const flatWindow = new Stochastic({ kPeriod: 2, dPeriod: 1 });
  strictEqual(feed(flatWindow, [flat(5), flat(5)])[1], 50);
});

Deno.test("WilliamsR.update() runs from -100 at the low to 0 at the high, -50 with no range", () => {
  const williams = new WilliamsR(2);
  const values = feed(williams, [
    { open: 10, high: 12, low: 9, close: 10 },
    { open: 10, high: 11, low: 9, close: 9 },
    { open: 10, high: 11, low: 10, close: 11 },
  ]);
  strictEqual(values[1], -100);
  strictEqual(values[2], 0);
  strictEqual(feed(new WilliamsR(2), [flat(5), flat(5)])[1], -50);
});

Deno.test("Cci.update() divides by 0.015 × the mean absolute deviation, and gives 0 when flat", () => {
  near(feed(new Cci(3), [1, 2, 3].map(flat))[2], 100, "(3 - 2) / (0.015 × 2/3)");
  strictEqual(feed(new Cci(3), [2, 2, 2].map(flat))[2], 0);
});

Deno.test("Roc.update() is in percent and LogReturn.update() a log ratio, over period bars", () => {
  const closes = [100, 105, 110].map(flat);
  const roc = feed(new Roc(2), closes);
  strictEqual(roc[1], undefined);
  near(roc[2], 10);
  near(feed(new LogReturn(2), closes)[2], Math.log(1.1));
});

Deno.test("RollingVolatility.update() is the population σ of one-bar log returns, 0 when unchanged", () => {
  const volatility = new RollingVolatility(2);
  strictEqual(volatility.requiredBars, 3);
  near(feed(volatility, [100, 110, 100].map(flat))[2], Math.log(1.1));
  strictEqual(feed(new RollingVolatility(2), [100, 100, 100].map(flat))[2], 0);
});

Deno.test("ZScore.update() uses the population σ and gives 0 on a flat window", () => {
  near(feed(new ZScore(3), [1, 2, 3].map(flat))[2], 1 / Math.sqrt(2 / 3));
  strictEqual(feed(new ZScore(3), [7, 7, 7].map(flat))[2], 0);
});

Deno.test("HighLowDistance.update() measures the close from the rolling high and low in price units", () => {
  const distance = new HighLowDistance(2);
  const values = feed(distance, [
    { open: 10, high: 13, low: 9, close: 12 },
    { open: 12, high: 12, low: 8, close: 11 },
    { open: 11, high: 11.5, low: 10, close: 11 },
  ]);
  strictEqual(values[0], undefined);
  strictEqual(values[1], -2);
  strictEqual(values[2], -1);
  strictEqual(distance.toLow, 3);
  strictEqual(distance.high, 12);
  strictEqual(distance.low, 8);
});

Deno.test("CandleShape.update() returns the signed body and sets the wicks and range from the first bar", () => {
  const shape = new CandleShape();
  strictEqual(shape.requiredBars, 1);
  strictEqual(shape.update({ open: 11, high: 13, low: 8, close: 10 }), -1);
  strictEqual(shape.isStable, true);
  strictEqual(shape.upperWick, 2);
  strictEqual(shape.lowerWick, 2);
  strictEqual(shape.range, 5);
});

Deno.test("SpreadStats.update() returns the rolling mean spread; current is the latest", () => {
  const stats = new SpreadStats(2);
  strictEqual(stats.update(0.3), undefined);
  strictEqual(stats.current, NaN);
  near(stats.update(0.5), 0.4);
  strictEqual(stats.current, 0.5);
});

Deno.test("spreadOf() reads the ask side, else the spread field, else gives undefined", () => {
  const bar: BarEvent = {
    v: 1,
    kind: "bar",
    symbol: "XAUUSD",
    timeframe: "M1",
    openUs: 0,
    closeUs: 60_000_000,
    bid: { open: 1800, high: 1801, low: 1799, close: 1800.5 },
    ask: null,
    spread: null,
    volume: 0,
  };
  strictEqual(spreadOf(bar), undefined);
  strictEqual(spreadOf({ ...bar, spread: 0.12 }), 0.12);
  near(spreadOf({ ...bar, ask: { open: 1800.3, high: 1801.3, low: 1799.3, close: 1800.8 } }), 0.3);
});

Deno.test("Indicator constructors reject periods that are not positive integers", async (t) => {
  const cases: [string, () => unknown][] = [
    ["Sma(0)", () => new Sma(0)],
    ["Ema(2.5)", () => new Ema(2.5)],
    ["Rsi(NaN)", () => new Rsi(NaN)],
    ["Macd with slow <= fast", () => new Macd({ fast: 12, slow: 12 })],
    ["Bollinger with multiplier 0", () => new Bollinger({ multiplier: 0 })],
    ["Atr(-1)", () => new Atr(-1)],
    ["Adx(0)", () => new Adx(0)],
    ["Stochastic with dPeriod 0", () => new Stochastic({ dPeriod: 0 })],
    ["WilliamsR(0)", () => new WilliamsR(0)],
    ["Cci(0)", () => new Cci(0)],
    ["Roc(0)", () => new Roc(0)],
    ["LogReturn(0)", () => new LogReturn(0)],
    ["RollingVolatility(0)", () => new RollingVolatility(0)],
    ["ZScore(0)", () => new ZScore(0)],
    ["HighLowDistance(0)", () => new HighLowDistance(0)],
    ["SpreadStats(0)", () => new SpreadStats(0)],
  ];
  for (const [name, make] of cases) {
    await t.step(name, () => throws(make, RangeError));
  }
});
