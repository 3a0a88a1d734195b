/**
 * `deno task fuzz`: long mutation campaigns over every reader and the EA protocol's way in,
 * on real rows of ../shared/data (tests/sources/_fuzz.ts, tests/pipeline/live/_fuzz.ts):
 * `--mutants N` per format (default 1,000), `--seed S` to replay a campaign. Prints, per
 * format, the crashes, the implausible values accepted and the refusals that name no line
 * (all must be 0, else the exit code is 1), the clean refusals and the mutants read whole.
 * Heavy by design: the test suite runs a small campaign (tests/sources/fuzz_test.ts).
 */

import fc from "fast-check";
import { parseArgs } from "node:util";
import { haveData } from "../tests/_data.ts";
import {
  emptyTally,
  mutantArbitrary,
  presentFiles,
  realSeeds,
  runMutant,
  type Tally,
} from "../tests/sources/_fuzz.ts";
import {
  envelopeMutationArbitrary,
  HISTDATA_2017,
  judgeEnvelope,
  realBars,
  spoiltEnvelope,
} from "../tests/pipeline/live/_fuzz.ts";
import { FORMATS } from "../sources/source.ts";

/** Rows of each real file the mutants are cut from (windows of 40 anywhere in them). */
const ROWS_PER_FILE = 50_000;
const WINDOW = 40;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { mutants: { type: "string", default: "1000" }, seed: { type: "string" } },
    strict: true,
  });
  const mutants = Number(values.mutants);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!(Number.isInteger(mutants) && mutants > 0) || !Number.isInteger(seed)) {
    console.error("fuzz: --mutants must be a positive integer, --seed an integer");
    Deno.exit(2);
  }
  const dir = await Deno.makeTempDir({ prefix: "gold_fuzz_" });
  const rows: Array<[string, Tally, number]> = [];
  try {
    for (const format of FORMATS) {
      if (presentFiles(format).length === 0) {
        console.error(`fuzz: no real ${format} file in ../shared/data; skipped`);
        continue;
      }
      const started = performance.now();
      const seeds = await realSeeds(format, WINDOW, ROWS_PER_FILE);
      const tally = emptyTally();
      const sample = fc.sample(mutantArbitrary(seeds), { numRuns: mutants, seed });
      for (const mutant of sample) await runMutant(mutant, dir, tally.mutants, tally);
      rows.push([format, tally, (performance.now() - started) / 1000]);
    }
    if (haveData(HISTDATA_2017)) {
      const started = performance.now();
      const bars = await realBars(ROWS_PER_FILE);
      const tally = emptyTally();
      const window = fc.nat({ max: bars.length - 10 }).map((at) => bars.slice(at, at + 10));
      const spoil = fc.array(envelopeMutationArbitrary, { minLength: 1, maxLength: 3 });
      for (const [real, m] of fc.sample(fc.tuple(window, spoil), { numRuns: mutants, seed })) {
        const verdict = judgeEnvelope(spoiltEnvelope(real, m));
        tally.mutants++;
        tally[verdict.kind]++;
        if ("detail" in verdict && tally.failures.length < 5) {
          tally.failures.push(
            `${verdict.kind}: ${verdict.detail}\n  mutations: ${JSON.stringify(m)}`,
          );
        }
      }
      rows.push(["ea-protocol", tally, (performance.now() - started) / 1000]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`deno ${Deno.version.deno}, seed ${seed}, ${mutants} mutants per format`);
  console.log(
    "| format | mutants | crashes | implausible accepted | refusals naming no line | clean refusals | read whole | refused more lines than spoilt | seconds |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [format, t, seconds] of rows) {
    console.log(
      `| ${format} | ${t.mutants} | ${t.crash} | ${t.implausible} | ${t.unnamed} | ${t.refused} | ${t.accepted} | ${t.spoiltMore} | ${
        seconds.toFixed(1)
      } |`,
    );
  }
  const failures = rows.flatMap(([format, t]) => t.failures.map((f) => `${format}: ${f}`));
  for (const failure of failures) console.error(failure);
  if (rows.some(([, t]) => t.crash + t.implausible + t.unnamed > 0)) Deno.exit(1);
}

await main();
