/**
 * The MetaTrader 5 export read end to end. The server clock is UTC+3 for the whole
 * file (US daylight saving is in force from 2026-03-08 to 2026-11-01), so the default
 * "us-dst" rule, a fixed `serverTime: 3` and the raw text minus three hours must agree.
 * The daily break runs from the bar opening 23:57 server (20:57 UTC) to 01:00 server
 * (22:00 UTC = 18:00 New York); Fridays end one bar earlier, at 23:56 server.
 */

import assert from "node:assert/strict";
import { US_PER_HOUR, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { openSource } from "@/sources/mod.ts";
import { serverTimeToUtc } from "@/sources/mt5.ts";
import { dataPath, dataTest } from "../_data.ts";
import { type Columns, readColumns } from "./_util.ts";

const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";

/** The file's rows split by hand, as an oracle independent of the byte readers. */
interface RawRow {
  readonly serverTime: string;
  readonly values: readonly number[];
}

async function rawRows(): Promise<RawRow[]> {
  const lines = (await Deno.readTextFile(dataPath(MT5))).split("\n").slice(1).filter((l) => l);
  return lines.map((line) => {
    const [serverTime, ...rest] = line.split(",");
    return { serverTime, values: rest.map(Number) };
  });
}

/** Server wall-clock text to UTC µs for a fixed offset, by Date. */
const serverTextToUtc = (text: string, hours: number) =>
  Date.parse(`${text.replace(" ", "T")}Z`) * 1000 - hours * US_PER_HOUR;

const hhmmUtc = (us: number) => new Date(us / 1000).toISOString().slice(11, 16);
const dateUtc = (us: number) => new Date(us / 1000).toISOString().slice(0, 10);

let loaded: Promise<{ columns: Columns; report: unknown; raw: RawRow[] }> | undefined;

/** The file read once with the default rule, with the raw rows beside it. */
function load() {
  loaded ??= (async () => {
    const source = await openSource(dataPath(MT5));
    assert.equal(source.format, "mt5");
    assert.equal(source.sides, "bid-spread");
    assert.equal(source.resolution, "M1");
    const columns = await readColumns(source);
    return { columns, report: source.report, raw: await rawRows() };
  })();
  return loaded;
}

dataTest(
  "openSource() reads the MT5 export whole: counts and first and last UTC times",
  MT5,
  async () => {
    const { columns, report } = await load();
    assert.deepEqual(report, {
      linesRead: 63_231,
      rowsEmitted: 63_230,
      blankLines: 0,
      rowsOutsideRange: 0,
      duplicatesDropped: 0,
      badLines: {},
      badLineExamples: {},
      firstUs: usFromIso("2026-03-24T14:00:00Z"), // 17:00 server (UTC+3)
      lastUs: usFromIso("2026-05-28T14:00:00Z"),
    });
    assert.equal(columns.openUs.length, 63_230);
    assert.equal(columns.askOpen, undefined, "MT5 bars carry a spread, not asks");
  },
);

dataTest("openSource() converts every MT5 row to server time minus three hours", MT5, async () => {
  const { columns, raw } = await load();
  assert.equal(raw.length, columns.openUs.length);
  for (let i = 0; i < raw.length; i++) {
    const expected = serverTextToUtc(raw[i].serverTime, 3);
    if (columns.openUs[i] !== expected || columns.closeUs[i] !== expected + US_PER_MINUTE) {
      assert.fail(`row ${i + 2} (${raw[i].serverTime}): ${columns.openUs[i]} != ${expected}`);
    }
  }
});

dataTest(
  "openSource() keeps MT5 prices, volume = tick_volume and spread in price units",
  MT5,
  async (t) => {
    const { columns, raw } = await load();
    await t.step("12 points of 0.01 are a spread of 0.12", () => {
      assert.equal(raw[0].values[5], 12);
      assert.equal(columns.spread[0], 0.12);
    });
    await t.step("every row: bid OHLC, tick volume and spread / 100 as written", () => {
      for (let i = 0; i < raw.length; i++) {
        const [open, high, low, close, tickVolume, points, realVolume] = raw[i].values;
        const row = `row ${i + 2}`;
        assert.equal(columns.bidOpen[i], open, row);
        assert.equal(columns.bidHigh[i], high, row);
        assert.equal(columns.bidLow[i], low, row);
        assert.equal(columns.bidClose[i], close, row);
        assert.equal(columns.volume[i], tickVolume, row);
        assert.ok(Math.abs(columns.spread[i] - points / 100) < 1e-12, row);
        assert.equal(realVolume, 0, `${row}: real_volume is always 0`);
      }
    });
    await t.step("spreads span 0.09 to 0.19 and are mostly 0.12 (README)", () => {
      const points = Array.from(columns.spread, (s) => Math.round(s * 100));
      assert.equal(Math.min(...points), 9);
      assert.equal(Math.max(...points), 19);
      assert.ok(points.filter((p) => p === 12).length > points.length / 2);
    });
  },
);

dataTest(
  "openSource() puts the MT5 daily break at 20:57/20:56 -> 22:00 UTC on every day",
  MT5,
  async (t) => {
    const { columns } = await load();
    const times = columns.openUs;
    const breaks: { before: number; after: number }[] = [];
    for (let i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] > 30 * US_PER_MINUTE) {
        breaks.push({
          before: times[i - 1],
          after: times[i],
        });
      } else if (times[i] - times[i - 1] > 5 * US_PER_MINUTE) {
        assert.fail(
          `an unexpected ${(times[i] - times[i - 1]) / US_PER_MINUTE}-minute hole at ${
            times[i - 1]
          }`,
        );
      }
    }
    // Known exceptions (README "Holidays"): Memorial Day 2026-05-25 closed at 21:30 server,
    // and the first quote after the 2026-04-01 break came at 01:03 server.
    const earlyClose: Record<string, string> = { "2026-05-25": "18:29" };
    const lateOpen: Record<string, string> = { "2026-04-01": "22:03" };

    await t.step("the last bar before each break opens at 20:57 UTC, 20:56 on Fridays", () => {
      for (const { before } of breaks) {
        const day = dateUtc(before);
        const friday = new Date(before / 1000).getUTCDay() === 5;
        assert.equal(hhmmUtc(before), earlyClose[day] ?? (friday ? "20:56" : "20:57"), day);
      }
    });
    await t.step("the first bar after each break opens at 22:00 UTC (01:00 server)", () => {
      for (const { before, after } of breaks) {
        assert.equal(hhmmUtc(after), lateOpen[dateUtc(before)] ?? "22:00", dateUtc(after));
      }
    });
    await t.step("there is a break after every trading day from 2026-03-24 to 2026-05-27", () => {
      const days = breaks.map((b) => dateUtc(b.before));
      assert.equal(days[0], "2026-03-24");
      assert.equal(days.at(-1), "2026-05-27");
      // Tue 24 Mar to Mon 25 May is 9 weeks (45 weekdays), plus Tue 26 and Wed 27 May,
      // less Good Friday 2026-04-03 (closed).
      assert.equal(days.length, 45 + 2 - 1);
      assert.ok(!days.includes("2026-04-03"));
      assert.deepEqual(
        days.filter((d) => new Date(d).getUTCDay() % 6 === 0),
        [],
        "no weekend days",
      );
    });
  },
);

dataTest(
  "openSource() reads MT5 alike with serverTime 3 and the default us-dst rule",
  MT5,
  async () => {
    const { columns } = await load();
    const fixed = await readColumns(await openSource(dataPath(MT5), { serverTime: 3 }));
    assert.deepEqual(fixed.openUs, columns.openUs);
    assert.deepEqual(fixed.spread, columns.spread);
  },
);

dataTest("openSource() with serverTime 2 shifts every MT5 row one hour later", MT5, async () => {
  const { columns } = await load();
  const two = await readColumns(await openSource(dataPath(MT5), { serverTime: 2 }));
  assert.equal(two.openUs.length, columns.openUs.length);
  for (let i = 0; i < two.openUs.length; i++) {
    if (two.openUs[i] !== columns.openUs[i] + US_PER_HOUR) assert.fail(`row ${i + 2}`);
  }
  assert.deepEqual(two.bidClose, columns.bidClose);
});

Deno.test("serverTimeToUtc() under us-dst is UTC+2 in winter and UTC+3 in US summer time", async (t) => {
  const cases = [
    ["winter, 2026-01-15 01:00 server", "2026-01-15T01:00:00Z", "2026-01-14T23:00:00Z"],
    ["the Friday before the US change", "2026-03-06T23:56:00Z", "2026-03-06T21:56:00Z"],
    ["the Monday after the US change", "2026-03-09T01:00:00Z", "2026-03-08T22:00:00Z"],
    ["summer, 2026-04-15 23:57 server", "2026-04-15T23:57:00Z", "2026-04-15T20:57:00Z"],
    ["the Monday after the US fall back", "2026-11-02T01:00:00Z", "2026-11-01T23:00:00Z"],
  ] as const;
  for (const [name, server, utc] of cases) {
    await t.step(
      name,
      () => assert.equal(serverTimeToUtc(usFromIso(server), "us-dst"), usFromIso(utc)),
    );
  }
  await t.step("a fixed rule subtracts its hours", () => {
    assert.equal(
      serverTimeToUtc(usFromIso("2026-01-15T01:00:00Z"), 3),
      usFromIso("2026-01-14T22:00:00Z"),
    );
    assert.equal(
      serverTimeToUtc(usFromIso("2026-01-15T01:00:00Z"), 0),
      usFromIso("2026-01-15T01:00:00Z"),
    );
  });
});
