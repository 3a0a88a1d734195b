/**
 * Tests for bench/_stats.ts: the median and latency quantiles every bench table prints.
 */

import assert from "node:assert/strict";
import { median, quantile, summarise } from "../../bench/_stats.ts";

Deno.test("median() takes the middle value, or the mean of the two middle ones", () => {
  // 1 2 [3] 8 9 -> 3; 1 2 [4 6] 9 -> (4 + 6) / 2 = 5, in any input order.
  assert.equal(median([9, 1, 3, 8, 2]), 3);
  assert.equal(median([6, 1, 9, 4]), 5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("quantile() takes rank floor(q n), at or above the nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1 .. 100
  // p50: floor(0.5 x 100) = rank 50 -> 51; p99: floor(0.99 x 100) = rank 99 -> 100 (nearest
  // rank would give 99); q = 1 is clamped to the last rank, 99 -> 100.
  assert.equal(quantile(sorted, 0.5), 51);
  assert.equal(quantile(sorted, 0.99), 100);
  assert.equal(quantile(sorted, 1), 100);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

Deno.test("summarise() sorts a copy and leaves the caller's values as they were", () => {
  const values = [30, 10, 20];
  // Sorted 10 20 30: p50 rank floor(1.5) = 1 -> 20; p99 rank floor(2.97) = 2 -> 30.
  assert.deepEqual(summarise(values), { n: 3, p50: 20, p99: 30, max: 30 });
  assert.deepEqual(values, [30, 10, 20]);
});
