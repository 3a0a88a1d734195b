import assert from "node:assert/strict";
import { createTokenBuckets } from "@/pipeline/control/rate_limit.ts";

Deno.test("createTokenBuckets() allows a burst, then the sustained rate, per key", () => {
  let nowMs = 0;
  const buckets = createTokenBuckets({ burst: 3, perSecond: 2 }, () => nowMs);
  assert.deepEqual([1, 2, 3].map(() => buckets.take("a")), [0, 0, 0]);
  assert.equal(buckets.take("a"), 0.5, "one token comes back in half a second");
  assert.equal(buckets.take("b"), 0);
  nowMs += 500;
  assert.equal(buckets.take("a"), 0);
  assert.ok(buckets.take("a") > 0);
  nowMs += 60_000;
  assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a") === 0), [true, true, true, false]);
});

Deno.test("createTokenBuckets() refuses a burst below 1 or a rate that is not positive", () => {
  assert.throws(() => createTokenBuckets({ burst: 0, perSecond: 1 }, Date.now), RangeError);
  assert.throws(() => createTokenBuckets({ burst: 5, perSecond: 0 }, Date.now), RangeError);
});

Deno.test("createTokenBuckets() keeps at most 10,000 buckets, dropping the least recently used", () => {
  const buckets = createTokenBuckets({ burst: 1, perSecond: 1 }, () => 0);
  assert.equal(buckets.take("first"), 0);
  for (let i = 0; i < 10_050; i++) buckets.take(`client-${i}`);
  assert.equal(buckets.size, 10_000);
  // "first" was dropped, so it starts again with a full bucket instead of an empty one.
  assert.equal(buckets.take("first"), 0);
});
