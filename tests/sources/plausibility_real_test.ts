/**
 * Issue 14's acceptance on the real 2017 HistData file: three rows no market makes (a
 * price that parses as Infinity, a price of 1e14, a row dated 9999) fail the read naming
 * each line in turn, and under skip are counted while every other row is kept.
 */

import assert from "node:assert/strict";
import { DEFAULT_PLAUSIBILITY, plausibilityReasons } from "@/pipeline/plausibility.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import { assertBadInput, drain, readColumns, tempDir } from "./_util.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const REASONS = plausibilityReasons(DEFAULT_PLAUSIBILITY);

/** The file's lines, decompressed. */
async function realLines(): Promise<string[]> {
  const file = await Deno.open(dataPath(HISTDATA_2017));
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip")))
    .text();
  return text.split("\n");
}

/** `line` with its high (the third field) replaced. */
const withHigh = (line: string, high: string) =>
  line.split(";").map((field, i) => i === 2 ? high : field).join(";");

dataTest(
  "openSource() on 2017 with an Infinity, a 1e14 and a year-9999 row: fails at each line, skips only them",
  HISTDATA_2017,
  async (t) => {
    const lines = await realLines();
    // 0-based indexes of the rows to spoil, spread through the year.
    const bad = [
      {
        index: 100_000,
        text: (l: string) => withHigh(l, "9".repeat(400)),
        reason: REASONS.nonFinite,
      },
      {
        index: 200_000,
        text: (l: string) => withHigh(l, "100000000000000.000000"),
        reason: REASONS.band,
      },
      { index: 300_000, text: (l: string) => `9999${l.slice(4)}`, reason: REASONS.window },
    ];
    await using dir = await tempDir();
    const write = (spoilt: typeof bad) => {
      const copy = [...lines];
      for (const b of spoilt) copy[b.index] = b.text(copy[b.index]);
      return dir.write("DAT_ASCII_XAUUSD_M1_2017.csv", copy.join("\n"));
    };

    await t.step("fail: the error names each bad line itself, one after the other", async () => {
      for (let first = 0; first < bad.length; first++) {
        const path = await write(bad.slice(first));
        await assertBadInput(async () => drain(await openSource(path)), {
          file: path,
          line: bad[first].index + 1,
          reason: new RegExp(`^${bad[first].reason.replace(/[().]/g, "\\$&")};`),
        });
      }
    });

    await t.step("skip: the three are counted and every good row is kept", async () => {
      const original = await readColumns(await openSource(dataPath(HISTDATA_2017)));
      const path = await write(bad);
      const source = await openSource(path, { onBadLine: "skip" });
      const columns = await readColumns(source);
      assert.deepEqual(source.report.badLines, {
        [REASONS.nonFinite]: 1,
        [REASONS.band]: 1,
        [REASONS.window]: 1,
      });
      // 352,360 rows in the real file, less the three.
      assert.equal(source.report.rowsEmitted, 352_357);
      const spoilt = new Set(bad.map((b) => b.index));
      for (const key of Object.keys(original)) {
        const kept = original[key].filter((_, i) => !spoilt.has(i));
        assert.deepEqual(columns[key], kept, `column ${key}`);
      }
    });
  },
);
