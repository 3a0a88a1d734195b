/**
 * The --from/--to window: a source keeps exactly the rows with from <= open < to,
 * counts the others in `rowsOutsideRange`, and stops reading once a row reaches `to`.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { openSource, type SourceOptions } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import {
  fileText,
  type FormatWriter,
  type GenRow,
  rowsArbitrary,
  sampleRows,
  WRITERS,
} from "./_formats.ts";
import { type Columns, readColumns, tempDir } from "./_util.ts";

const lines = (w: FormatWriter, rows: readonly GenRow[]) =>
  rows.map((r) => w.fields(r).join(w.delimiter));

/** The rows of `columns` whose time (timeUs or openUs) is in [from, to). */
function filterColumns(columns: Columns, fromUs: number, toUs: number): Columns {
  const times = columns.timeUs ?? columns.openUs;
  const keep: number[] = [];
  for (let i = 0; i < times.length; i++) if (times[i] >= fromUs && times[i] < toUs) keep.push(i);
  return Object.fromEntries(
    Object.entries(columns).map(([k, v]) => [k, Float64Array.from(keep, (i) => v[i])]),
  );
}

Deno.test("openSource() keeps exactly the rows with fromUs <= time < toUs, for any window", async (t) => {
  await using dir = await tempDir();
  let n = 0;
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const scenario = rowsArbitrary(writer, 50).chain((rows) => {
        const first = rows[0].timeUs - 2 * writer.stepUs;
        const last = rows.at(-1)!.timeUs + 2 * writer.stepUs;
        // Windows on row times exactly, between them, and beyond either end.
        const bound = fc.oneof(
          fc.constantFrom(...rows.map((r) => r.timeUs)),
          fc.integer({ min: first, max: last }),
        );
        return fc.tuple(fc.constant(rows), fc.option(bound), fc.option(bound));
      });
      await fc.assert(
        fc.asyncProperty(scenario, async ([rows, from, to]) => {
          const path = await dir.write(
            `${n++}_${writer.fileName}`,
            fileText(writer, lines(writer, rows)),
          );
          const options: SourceOptions = { fromUs: from ?? undefined, toUs: to ?? undefined };
          const all = await readColumns(await openSource(path));
          const source = await openSource(path, options);
          const ranged = await readColumns(source);
          const fromUs = from ?? -Infinity;
          const toUs = to ?? Infinity;
          const expected = filterColumns(all, fromUs, toUs);
          assert.deepEqual(
            ranged,
            expected.openUs?.length === 0 || expected.timeUs?.length === 0 ? {} : expected,
          );
          const r = source.report;
          const inside = rows.filter((row) => row.timeUs >= fromUs && row.timeUs < toUs).length;
          // Every row before `from` up to the first row at or past `to` is read and
          // counted, and so is that row; rows after it may or may not be read.
          let reach = rows.findIndex((row) => row.timeUs >= toUs);
          if (reach < 0) reach = rows.length;
          const before = rows.slice(0, reach).filter((row) => row.timeUs < fromUs).length;
          assert.equal(r.rowsEmitted, inside);
          assert.equal(r.rowsEmitted + r.rowsOutsideRange, r.linesRead - (writer.header ? 1 : 0));
          assert.ok(r.rowsOutsideRange >= before + (reach < rows.length ? 1 : 0));
          assert.ok(r.rowsOutsideRange <= rows.length - inside);
          assert.equal(
            r.firstUs,
            inside > 0 ? rows.find((row) => row.timeUs >= fromUs)!.timeUs : null,
          );
        }),
        { numRuns: 40 },
      );
    });
  }
});

Deno.test("openSource() includes a row at exactly fromUs and excludes one at exactly toUs", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const rows = sampleRows(writer, 6);
      const path = await dir.write(writer.fileName, fileText(writer, lines(writer, rows)));
      const source = await openSource(path, { fromUs: rows[1].timeUs, toUs: rows[4].timeUs });
      const columns = await readColumns(source);
      assert.deepEqual(
        Array.from(columns.timeUs ?? columns.openUs),
        [1, 2, 3].map((i) => rows[i].timeUs),
      );
      assert.equal(source.report.rowsEmitted, 3);
      assert.equal(source.report.firstUs, rows[1].timeUs);
      assert.equal(source.report.lastUs, rows[3].timeUs);
      assert.ok(source.report.rowsOutsideRange >= 2, "the row before and the row at toUs");
    });
  }
});

Deno.test("openSource() with fromUs at or after toUs emits nothing and reports no first time", async () => {
  await using dir = await tempDir();
  const writer = WRITERS[2];
  const rows = sampleRows(writer, 5);
  const path = await dir.write(writer.fileName, fileText(writer, lines(writer, rows)));
  const source = await openSource(path, { fromUs: rows[3].timeUs, toUs: rows[3].timeUs });
  assert.deepEqual(await readColumns(source), {});
  assert.equal(source.report.rowsEmitted, 0);
  assert.equal(source.report.firstUs, null);
});

Deno.test("openSource() stops at the first row at or past toUs: later lines are not read", async (t) => {
  // Whether a later bad line fails the read must not depend on where a 64 KB read
  // happens to end: reading stops at the row that reaches toUs.
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const rows = sampleRows(writer, 4);
      const text = fileText(writer, [...lines(writer, rows), "this line is never read"]);
      const path = await dir.write(writer.fileName, text);
      const source = await openSource(path, { toUs: rows[2].timeUs });
      const columns = await readColumns(source);
      assert.deepEqual(Array.from(columns.timeUs ?? columns.openUs), [
        rows[0].timeUs,
        rows[1].timeUs,
      ]);
      assert.equal(source.report.rowsOutsideRange, 1);
      assert.equal(source.report.linesRead, 3 + (writer.header ? 1 : 0));
    });
  }
});

const TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";
const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";

dataTest(
  "openSource() windows the real tick file to the microsecond and stops reading early",
  TICKS,
  async (t) => {
    const full = await readColumns(await openSource(dataPath(TICKS)));
    const windows = [
      ["the first hour", "2014-05-01T00:00:00Z", "2014-05-01T01:00:00Z"],
      // Bounds that fall between ticks, to the microsecond.
      [
        "an hour on 2014-05-02, between ticks",
        "2014-05-02T12:00:00.500000Z",
        "2014-05-02T12:59:59.999999Z",
      ],
    ] as const;
    for (const [name, from, to] of windows) {
      await t.step(name, async () => {
        const [fromUs, toUs] = [usFromIso(from), usFromIso(to)];
        const source = await openSource(dataPath(TICKS), { fromUs, toUs });
        const ranged = await readColumns(source);
        const expected = filterColumns(full, fromUs, toUs);
        assert.ok(expected.timeUs.length > 1000, `${expected.timeUs.length} ticks`);
        assert.deepEqual(ranged, expected);
        // Stopped early: far fewer lines than the file's 2,022,970.
        const tail = full.timeUs.filter((u) => u >= toUs).length;
        assert.ok(
          source.report.linesRead < 2_022_970 - tail / 2,
          `read ${source.report.linesRead} lines`,
        );
        assert.equal(source.report.rowsEmitted, expected.timeUs.length);
      });
    }
  },
);

dataTest(
  "openSource() windows HistData 2017 across the US spring change in UTC",
  HISTDATA_2017,
  async () => {
    const full = await readColumns(await openSource(dataPath(HISTDATA_2017)));
    const from = usFromIso("2017-03-10T21:00:00Z");
    const to = usFromIso("2017-03-13T12:00:00Z");
    const source = await openSource(dataPath(HISTDATA_2017), { fromUs: from, toUs: to });
    const ranged = await readColumns(source);
    assert.deepEqual(ranged, filterColumns(full, from, to));
    // Friday 16:00-16:59 EST is 21:00-21:59 UTC; the week reopens Sunday 18:01 EDT = 22:01 UTC.
    const times = Array.from(ranged.openUs);
    assert.equal(times[0], from);
    assert.ok(times.includes(usFromIso("2017-03-12T22:01:00Z")));
    assert.ok(
      !times.some((u) =>
        u > usFromIso("2017-03-10T22:00:00Z") && u < usFromIso("2017-03-12T22:01:00Z")
      ),
    );
  },
);

dataTest("openSource() windows the OANDA M1 quote bars by bar open time", M1, async () => {
  const full = await readColumns(await openSource(dataPath(M1)));
  const from = usFromIso("2014-05-07T10:30:00Z") + 1; // just after a bar's open: that bar is out
  const to = usFromIso("2014-05-08T10:30:00Z");
  const ranged = await readColumns(await openSource(dataPath(M1), { fromUs: from, toUs: to }));
  assert.deepEqual(ranged, filterColumns(full, from, to));
  assert.equal(ranged.openUs[0], usFromIso("2014-05-07T10:31:00Z"));
  assert.equal(ranged.openUs.at(-1), usFromIso("2014-05-08T10:29:00Z"));
  assert.equal(ranged.closeUs[0], ranged.openUs[0] + US_PER_MINUTE);
});
