/**
 * The private rolling helpers against brute force on random series: the monotonic deque
 * behind every rolling high and low, and the anchored window behind every rolling mean
 * and variance, through many ring wraps and rebases, and the plain lookback ring.
 */

import { strictEqual } from "node:assert";
import fc from "fast-check";
import { RollingExtreme } from "@/operators/indicators/_rolling_extreme.ts";
import { RollingWindow } from "@/operators/indicators/_rolling_window.ts";
import { Lookback } from "@/operators/indicators/_lookback.ts";

/** Values on a coarse grid, so ties and flat stretches are common. */
const series = fc.array(fc.integer({ min: -4, max: 4 }).map((v) => 1800 + v / 4), {
  maxLength: 300,
  size: "max",
});
const period = fc.integer({ min: 1, max: 12 });

Deno.test("RollingExtreme keeps the max and min of the last period values", () => {
  fc.assert(fc.property(series, period, (values, n) => {
    const max = new RollingExtreme(n, "max");
    const min = new RollingExtreme(n, "min");
    strictEqual(max.value, NaN);
    values.forEach((v, i) => {
      max.push(v);
      min.push(v);
      const window = values.slice(Math.max(0, i - n + 1), i + 1);
      strictEqual(max.value, Math.max(...window), `max at ${i}`);
      strictEqual(min.value, Math.min(...window), `min at ${i}`);
      strictEqual(max.count, window.length);
    });
  }));
});

Deno.test("RollingWindow gives the mean, population variance and values of the last period pushes", () => {
  fc.assert(fc.property(series, period, (values, n) => {
    const window = new RollingWindow(n);
    values.forEach((v, i) => {
      window.push(v);
      const last = values.slice(Math.max(0, i - n + 1), i + 1);
      const mean = last.reduce((a, b) => a + b, 0) / last.length;
      const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / last.length;
      strictEqual(window.count, last.length);
      strictEqual(window.isFull, last.length === n);
      strictEqual(window.isFlat, last.every((x) => x === v), `isFlat at ${i}`);
      strictEqual(
        Math.abs(window.mean - mean) < 1e-9,
        true,
        `mean at ${i}: ${window.mean} vs ${mean}`,
      );
      strictEqual(Math.abs(window.deviation(v) - (v - mean)) < 1e-9, true, `deviation at ${i}`);
      strictEqual(Math.abs(window.variance - variance) < 1e-9, true, `variance at ${i}`);
      last.forEach((x, j) => strictEqual(window.at(last.length - 1 - j), x));
    });
  }));
});

Deno.test("RollingWindow.reset() forgets every value", () => {
  const window = new RollingWindow(3);
  [1, 2, 3, 4].forEach((v) => window.push(v));
  window.reset();
  strictEqual(window.count, 0);
  window.push(10);
  strictEqual(window.mean, 10);
  strictEqual(window.variance, 0);
});

Deno.test("Lookback gives the values of the last size pushes", () => {
  fc.assert(fc.property(series, period, (values, n) => {
    const lookback = new Lookback(n);
    values.forEach((v, i) => {
      lookback.push(v);
      const last = values.slice(Math.max(0, i - n + 1), i + 1);
      strictEqual(lookback.isFull, last.length === n);
      last.forEach((x, j) =>
        strictEqual(lookback.at(last.length - 1 - j), x, `at(${j}) after ${i}`)
      );
    });
  }));
});

Deno.test("Lookback.reset() forgets every value", () => {
  const lookback = new Lookback(2);
  [1, 2].forEach((v) => lookback.push(v));
  lookback.reset();
  strictEqual(lookback.isFull, false);
  lookback.push(7);
  strictEqual(lookback.at(0), 7);
});
