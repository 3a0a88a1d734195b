/**
 * A small fuzz campaign over the EA protocol's way in (`deno task fuzz` runs long ones):
 * spoilt envelopes never crash it, every refusal is a 400 naming the field, and no bar a
 * market cannot produce is accepted.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { dataTest } from "../../_data.ts";
import {
  envelopeMutationArbitrary,
  generatedBars,
  HISTDATA_2017,
  judgeEnvelope,
  realBars,
  spoiltEnvelope,
} from "./_fuzz.ts";

const mutations = fc.array(envelopeMutationArbitrary, { minLength: 1, maxLength: 3 });

Deno.test("parseEnvelope() and FeedGuard answer spoilt envelopes of generated bars cleanly", () => {
  fc.assert(
    fc.property(generatedBars, mutations, (bars, spoil) => {
      const verdict = judgeEnvelope(spoiltEnvelope(bars, spoil));
      assert.ok(verdict.kind === "accepted" || verdict.kind === "refused", JSON.stringify(verdict));
    }),
    { numRuns: 300 },
  );
});

dataTest(
  "parseEnvelope() and FeedGuard answer spoilt envelopes of real 2017 bars cleanly",
  HISTDATA_2017,
  async () => {
    const bars = await realBars(2_000);
    const window = fc.nat({ max: bars.length - 10 }).map((at) => bars.slice(at, at + 10));
    fc.assert(
      fc.property(window, mutations, (real, spoil) => {
        const verdict = judgeEnvelope(spoiltEnvelope(real, spoil));
        assert.ok(
          verdict.kind === "accepted" || verdict.kind === "refused",
          JSON.stringify(verdict),
        );
      }),
      { numRuns: 300 },
    );
  },
);
