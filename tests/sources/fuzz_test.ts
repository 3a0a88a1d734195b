/**
 * A small fuzz campaign over every reader, part of the test suite (`deno task fuzz` runs
 * long ones): files spoilt the ways files get spoilt never crash a reader, every refusal
 * names the file and a line, and nothing a market cannot produce is ever emitted.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { dataTest } from "../_data.ts";
import {
  emptyTally,
  generatedSeeds,
  mutantArbitrary,
  REAL_FILES,
  realSeeds,
  runMutant,
} from "./_fuzz.ts";
import { WRITERS } from "./_formats.ts";
import { tempDir } from "./_util.ts";

for (const writer of WRITERS) {
  Deno.test(`openSource() answers mutants of generated ${writer.format} rows cleanly`, async () => {
    await using dir = await tempDir();
    const tally = emptyTally();
    await fc.assert(
      fc.asyncProperty(mutantArbitrary(generatedSeeds(writer, 12)), async (mutant) => {
        const verdict = await runMutant(mutant, dir.path, tally.mutants, tally);
        assert.ok(verdict.kind === "accepted" || verdict.kind === "refused", tally.failures[0]);
      }),
      { numRuns: 25 },
    );
  });
}

for (const writer of WRITERS) {
  dataTest(
    `openSource() answers mutants of real ${writer.format} rows cleanly`,
    REAL_FILES[writer.format],
    async () => {
      await using dir = await tempDir();
      const tally = emptyTally();
      const seeds = await realSeeds(writer.format, 30, 2_000);
      await fc.assert(
        fc.asyncProperty(mutantArbitrary(seeds), async (mutant) => {
          const verdict = await runMutant(mutant, dir.path, tally.mutants, tally);
          assert.ok(verdict.kind === "accepted" || verdict.kind === "refused", tally.failures[0]);
        }),
        { numRuns: 40 },
      );
    },
  );
}
