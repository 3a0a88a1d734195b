/**
 * OANDA ticks and quote bars read end to end. The M1 quote file in the tick folder was
 * built from exactly those ticks (README), so it is an oracle for the tick reader, the
 * bar reader and the microseconds they keep.
 */

import assert from "node:assert/strict";
import { type Timeframe, TIMEFRAME_US, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { openSource, type Source } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import { assertBadInput, type Columns, readColumns, tempDir } from "./_util.ts";

const TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";
const M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";
const H1 = "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv";
const D1 = "xauusd_h1_d1_oanda/XAUUSD_OANDA_D1_quote_20060320-20181231.csv";

let ticksLoaded: Promise<{ source: Source; columns: Columns }> | undefined;

/** The 2 M-tick file, read once for this test file. */
function ticks() {
  ticksLoaded ??= (async () => {
    const source = await openSource(dataPath(TICKS));
    return { source, columns: await readColumns(source) };
  })();
  return ticksLoaded;
}

dataTest(
  "openSource() reads the OANDA tick file whole: 2,022,969 ticks to the microsecond",
  TICKS,
  async () => {
    const { source, columns } = await ticks();
    assert.equal(source.format, "oanda-ticks");
    assert.equal(source.sides, "bid-ask");
    assert.equal(source.resolution, "tick");
    assert.deepEqual(source.report, {
      linesRead: 2_022_970,
      rowsEmitted: 2_022_969,
      blankLines: 0,
      rowsOutsideRange: 0,
      duplicatesDropped: 0,
      badLines: {},
      badLineExamples: {},
      firstUs: usFromIso("2014-05-01T00:00:00Z") + 43_142, // 2014-05-01T00:00:00.043142Z
      lastUs: usFromIso("2014-05-15T23:59:54Z") + 766_629, // 2014-05-15T23:59:54.766629Z
    });
    assert.equal(columns.timeUs.length, 2_022_969);
    assert.equal(columns.timeUs[1], usFromIso("2014-05-01T00:00:00Z") + 45_852);
    assert.equal(columns.bid[0], 1291.677);
    assert.equal(columns.ask[0], 1292.033);
  },
);

dataTest(
  "openSource() keeps OANDA ticks strictly increasing with ask >= bid and README's spreads",
  TICKS,
  async () => {
    const { columns } = await ticks();
    const { timeUs, bid, ask } = columns;
    let sameMillisecond = 0;
    const spreads = new Float64Array(timeUs.length);
    for (let i = 0; i < timeUs.length; i++) {
      if (i > 0) {
        if (!(timeUs[i] > timeUs[i - 1])) assert.fail(`tick ${i} does not follow tick ${i - 1}`);
        if (Math.floor(timeUs[i] / 1000) === Math.floor(timeUs[i - 1] / 1000)) sameMillisecond++;
      }
      if (!(ask[i] >= bid[i])) assert.fail(`tick ${i}: ask ${ask[i]} < bid ${bid[i]}`);
      spreads[i] = Math.round((ask[i] - bid[i]) * 1000) / 1000;
    }
    // README: 90,801 ticks share a millisecond with the tick before (so µs must be kept).
    assert.equal(sameMillisecond, 90_801);
    spreads.sort();
    assert.equal(spreads[Math.floor(spreads.length / 2)], 0.28, "median spread");
    assert.equal(spreads.at(-1), 2.8, "maximum spread");
  },
);

dataTest(
  "openSource() reads no OANDA tick in the 21:15-22:00 UTC daily break or the weekend",
  TICKS,
  async () => {
    const { columns } = await ticks();
    const wrong: string[] = [];
    for (const t of columns.timeUs) {
      const date = new Date(t / 1000);
      const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
      const day = date.getUTCDay();
      const inBreak = minute >= 21 * 60 + 15 && minute < 22 * 60;
      const weekend = day === 6 || (day === 0 && minute < 22 * 60) ||
        (day === 5 && minute >= 21 * 60);
      if (inBreak || weekend) wrong.push(date.toISOString());
    }
    assert.deepEqual(wrong.slice(0, 5), []);
  },
);

dataTest(
  "openSource() reads the OANDA M1 quote bars equal to the first, max, min and last of their ticks",
  [TICKS, M1],
  async () => {
    const { columns: tick } = await ticks();
    const bars = await readColumns(await openSource(dataPath(M1)));
    assert.equal(bars.openUs.length, 15_222);
    // The bars of the ticks, built here by the README's definition.
    const keys = [
      "openUs",
      "bidOpen",
      "bidHigh",
      "bidLow",
      "bidClose",
      "askOpen",
      "askHigh",
      "askLow",
      "askClose",
    ];
    const built: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const top = () => built.openUs.length - 1;
    for (let i = 0; i < tick.timeUs.length; i++) {
      const minute = Math.floor(tick.timeUs[i] / US_PER_MINUTE) * US_PER_MINUTE;
      const bid = tick.bid[i];
      const ask = tick.ask[i];
      if (built.openUs[top()] !== minute) {
        built.openUs.push(minute);
        built.bidOpen.push(bid);
        built.bidHigh.push(bid);
        built.bidLow.push(bid);
        built.askOpen.push(ask);
        built.askHigh.push(ask);
        built.askLow.push(ask);
        built.bidClose.push(bid);
        built.askClose.push(ask);
      }
      const k = top();
      built.bidHigh[k] = Math.max(built.bidHigh[k], bid);
      built.bidLow[k] = Math.min(built.bidLow[k], bid);
      built.askHigh[k] = Math.max(built.askHigh[k], ask);
      built.askLow[k] = Math.min(built.askLow[k], ask);
      built.bidClose[k] = bid;
      built.askClose[k] = ask;
    }
    for (const key of keys) assert.deepEqual(Array.from(bars[key]), built[key], key);
  },
);

const QUOTE_FILES: ReadonlyArray<
  readonly [string, Timeframe, number, string, string]
> = [
  [M1, "M1", 15_222, "2014-05-01T00:00:00Z", "2014-05-15T23:59:00Z"],
  [H1, "H1", 75_628, "2006-03-20T00:00:00Z", "2018-12-31T21:00:00Z"],
  [D1, "D1", 3_902, "2006-03-20T00:00:00Z", "2018-12-31T00:00:00Z"],
];

for (const [file, timeframe, rows, first, last] of QUOTE_FILES) {
  dataTest(
    `openSource() reads ${file.split("/")[1]}: ${rows} ${timeframe} bid-ask bars`,
    file,
    async () => {
      const source = await openSource(dataPath(file));
      assert.equal(source.format, "quote-bars");
      assert.equal(source.sides, "bid-ask");
      assert.equal(source.resolution, timeframe, "timeframe from the _TF_ tag in the name");
      const bars = await readColumns(source);
      assert.deepEqual(source.report, {
        linesRead: rows + 1,
        rowsEmitted: rows,
        blankLines: 0,
        rowsOutsideRange: 0,
        duplicatesDropped: 0,
        badLines: {},
        badLineExamples: {},
        firstUs: usFromIso(first),
        lastUs: usFromIso(last),
      });
      for (let i = 0; i < bars.openUs.length; i++) {
        if (bars.closeUs[i] !== bars.openUs[i] + TIMEFRAME_US[timeframe]) {
          assert.fail(`bar ${i} close`);
        }
        if (i > 0 && !(bars.openUs[i] > bars.openUs[i - 1])) assert.fail(`bar ${i} order`);
        if (bars.askLow[i] < bars.bidLow[i]) assert.fail(`bar ${i}: ask low below bid low`);
      }
      if (timeframe !== "M1") {
        // README: one week is missing, 2016-12-09 -> 2016-12-16.
        const inside = Array.from(bars.openUs).filter((u) =>
          u >= usFromIso("2016-12-10") && u < usFromIso("2016-12-16")
        );
        assert.deepEqual(inside, []);
      }
      if (timeframe === "D1") {
        const sundays = Array.from(bars.openUs).filter((u) => new Date(u / 1000).getUTCDay() === 0);
        assert.ok(sundays.length > 600, `${sundays.length} Sunday stubs`);
      }
    },
  );
}

/** The first `count` lines of a plain text file. */
async function headOf(path: string, count: number): Promise<string> {
  const file = await Deno.open(path);
  try {
    const buf = new Uint8Array(16_384);
    const n = (await file.read(buf)) ?? 0;
    return new TextDecoder().decode(buf.subarray(0, n)).split("\n").slice(0, count).join("\n") +
      "\n";
  } finally {
    file.close();
  }
}

dataTest(
  "openSource() tells a quote-bar file's timeframe from its rows when the name has no tag",
  [M1, H1, D1],
  async (t) => {
    await using dir = await tempDir();
    for (const [file, timeframe] of QUOTE_FILES) {
      await t.step(`${timeframe} from the first rows of ${file.split("/")[1]}`, async () => {
        const path = await dir.write(
          `xauusd_quotes_${timeframe.toLowerCase()}.csv`,
          await headOf(dataPath(file), 11),
        );
        const source = await openSource(path);
        assert.equal(source.resolution, timeframe);
        assert.equal(source.sides, "bid-ask");
        const bars = await readColumns(source);
        assert.equal(bars.openUs.length, 10);
        assert.equal(bars.closeUs[0] - bars.openUs[0], TIMEFRAME_US[timeframe]);
      });
    }
    await t.step("the timeframe option wins over the rows", async () => {
      const path = await dir.write("bars.csv", await headOf(dataPath(M1), 11));
      assert.equal((await openSource(path, { timeframe: "M5" })).resolution, "M5");
    });
    await t.step(
      "one row cannot tell: an error naming the file and the option to pass",
      async () => {
        const path = await dir.write("one_row.csv", await headOf(dataPath(H1), 2));
        await assertBadInput(() => openSource(path), {
          file: path,
          line: null,
          reason: /cannot tell the bars' timeframe.*--input-timeframe/,
        });
      },
    );
  },
);
