/**
 * The regime folder's private `SortedWindow` against a brute-force rank of the same
 * values: the rolling percentile every volatility label rests on.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { SortedWindow } from "@/operators/regime/_sorted_window.ts";

function bruteMidRank(window: readonly number[], value: number): number {
  const below = window.filter((x) => x < value).length;
  const equal = window.filter((x) => x === value).length;
  return (below + equal / 2) / window.length;
}

Deno.test("SortedWindow.percentile() is the mid-rank among the last capacity values pushed", () => {
  // Few distinct values, so ties and repeated removals of equal values are common.
  const values = fc.array(fc.integer({ min: -5, max: 5 }).map((v) => v / 4), { maxLength: 200 });
  fc.assert(
    fc.property(values, fc.integer({ min: 1, max: 15 }), (pushed, capacity) => {
      const window = new SortedWindow(capacity);
      for (let i = 0; i < pushed.length; i++) {
        window.push(pushed[i]);
        const kept = pushed.slice(Math.max(0, i + 1 - capacity), i + 1);
        assert.equal(window.count, kept.length);
        assert.equal(window.isFull, kept.length === capacity);
        for (const probe of [pushed[i], 0, -2, 2]) {
          assert.equal(window.percentile(probe), bruteMidRank(kept, probe));
        }
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("SortedWindow ranks a flat window at 0.5, an empty one at NaN, and empties on reset()", () => {
  const window = new SortedWindow(3);
  assert.ok(Number.isNaN(window.percentile(1)));
  for (let i = 0; i < 5; i++) window.push(7);
  assert.equal(window.percentile(7), 0.5);
  window.reset();
  assert.equal(window.count, 0);
  window.push(1);
  assert.equal(window.percentile(1), 0.5);
  assert.equal(window.percentile(2), 1);
});
