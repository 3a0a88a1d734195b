import assert from "node:assert/strict";
import fc from "fast-check";
import { Random } from "@/models/random.ts";

Deno.test("Random.firstBelow() makes the draws and stops at the step of a loop of next()", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      // From never drawing below it to always: rates as the chance baseline uses them.
      fc.constantFrom(0, 1e-5, 0.0004, 0.02, 0.5, 1),
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 0, max: 5_000 }),
      (seed, p, from, steps) => {
        const to = from + steps;
        const looped = new Random(seed);
        let step = from;
        while (step < to && !(looped.next() < p)) step++;
        const fast = new Random(seed);
        assert.equal(fast.firstBelow(p, from, to), step);
        // The same state after: the next draws agree too.
        for (let k = 0; k < 4; k++) assert.equal(fast.nextUint32(), looped.nextUint32());
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

Deno.test("Random.firstBelow() draws nothing on an empty range", () => {
  const random = new Random(1);
  const untouched = new Random(1);
  assert.equal(random.firstBelow(0.5, 10, 10), 10);
  assert.equal(random.nextUint32(), untouched.nextUint32());
});
