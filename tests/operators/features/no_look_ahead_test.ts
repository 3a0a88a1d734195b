/**
 * No look-ahead: the feature rows up to an M1 bar t are identical, bit for bit, whether
 * or not the bars after t exist. Per year, a fresh engine is fed the bars up to t only,
 * and its rows are compared with those of the engine fed the whole year, at 25 cuts:
 * around the first ready row; just before, at and just after an H1, an H4 and a D1
 * close; a week's close and reopening; a holiday early close (a day bucket that closes
 * only when the next day's first bar arrives); the US spring change; the EU and US
 * autumn changes. The autumn cuts and their uncut run start at a trading day 35 days
 * before the EU change, to keep the suite fast; the uncut run still goes on to the end
 * of the year. (That a file cut with `--to` gives a prefix of the same CSV is checked
 * end to end in features_command_test.ts.)
 */

import assert from "node:assert/strict";
import { DEFAULT_FEATURE_SPEC } from "@/operators/features/mod.ts";
import { US_PER_DAY } from "@/pipeline/events.ts";
import { dataTest } from "../../_data.ts";
import {
  firstDifference,
  histdataRel,
  histdataYear,
  type M1Bars,
  runEngine,
  sliceBars,
  YEARS,
} from "./_history.ts";
import {
  groupBars,
  londonOffsetHours,
  newYorkOffsetHours,
  type TimeframeBars,
} from "./_reference.ts";

const spec = DEFAULT_FEATURE_SPEC;

/** The first M1 bar after `after` whose close is the end of one of `bars`' buckets. */
function closingBar(m1: M1Bars, bars: TimeframeBars, after: number): number {
  const ends = new Set(bars.endUs);
  for (let i = after + 1; i < m1.length; i++) if (ends.has(m1.closeUs[i])) return i;
  throw new RangeError("No bucket closes after the given bar");
}

/** The first bar after `after` followed by a break in the data that `accept` likes. */
function beforeBreak(
  m1: M1Bars,
  after: number,
  accept: (lastClose: number, nextOpen: number) => boolean,
): number {
  for (let i = after + 1; i + 1 < m1.length; i++) {
    if (m1.openUs[i + 1] > m1.closeUs[i] && accept(m1.closeUs[i], m1.openUs[i + 1])) return i;
  }
  throw new RangeError("No such break in the data");
}

interface Cut {
  readonly label: string;
  readonly t: number;
}

/** Where to cut each year: `early` ones run from the first bar, `autumn` ones from `autumnStart`. */
function cuts(
  m1: M1Bars,
  firstReady: number,
): { early: Cut[]; autumn: Cut[]; autumnStart: number } {
  const h1 = groupBars(m1, "H1", spec.dayStart);
  const h4 = groupBars(m1, "H4", spec.dayStart);
  const d1 = groupBars(m1, "D1", spec.dayStart);
  const around = (label: string, t: number, offsets: readonly number[]): Cut[] =>
    offsets.map((n) => ({ label: `${label} ${n < 0 ? "" : "+"}${n}`, t: t + n }));
  const weekend = (a: number, b: number) => b - a > US_PER_DAY;
  const springForward = (a: number, b: number) => newYorkOffsetHours(a) < newYorkOffsetHours(b);
  const usFallBack = (a: number, b: number) => newYorkOffsetHours(a) > newYorkOffsetHours(b);
  const euFallBack = (a: number, b: number) => londonOffsetHours(a) > londonOffsetHours(b);
  const dayEnds = new Set(d1.endUs);
  const holiday = (a: number, b: number) =>
    !dayEnds.has(a) && !weekend(a, b) && b - a > 2 * 3_600e6;
  const spring = beforeBreak(m1, 0, springForward);
  const early = [
    ...around("first ready row", firstReady, [-1, 0]),
    ...around("H1 close", closingBar(m1, h1, firstReady + 30), [-1, 0, 1]),
    ...around("H4 close", closingBar(m1, h4, firstReady + 1440), [-1, 0, 1]),
    ...around("D1 close", closingBar(m1, d1, firstReady + 2880), [-1, 0, 1]),
    ...around("week close", beforeBreak(m1, firstReady, weekend), [0, 1]),
    ...around("holiday early close", beforeBreak(m1, firstReady, holiday), [0, 1]),
    ...around("US spring clock change", spring, [0, 1]),
    { label: "first H4 close after the US spring change", t: closingBar(m1, h4, spring + 1) },
  ];
  const eu = beforeBreak(m1, spring, euFallBack);
  const autumn = beforeBreak(m1, eu, usFallBack);
  // In 2023 HistData writes 19:00-19:59 twice after the EU change: bars +121 to +180.
  const late = [
    ...around("EU autumn clock change", eu, [0, 1, 151, 181]),
    ...around("US autumn clock change", autumn, [0, 1]),
    { label: "first D1 close after the US autumn change", t: closingBar(m1, d1, autumn + 1) },
  ];
  const autumnStart = d1.openUs[d1.openUs.findIndex((us) => us >= m1.openUs[eu] - 35 * US_PER_DAY)];
  return { early, autumn: late, autumnStart: m1.openUs.findIndex((us) => us >= autumnStart) };
}

/** Rows from `from` up to `to` (inclusive) of the uncut run starting at `from`. */
function uncutRows(m1: M1Bars, from: number, to: number): Float64Array[] {
  const rows: Float64Array[] = [];
  runEngine(spec, sliceBars(m1, from), (i, row) => {
    if (from + i <= to) rows.push(row.slice());
  });
  return rows;
}

for (const year of YEARS) {
  dataTest(
    `FeatureEngine.update() rows up to a bar are the same whether or not later bars exist, at 25 cuts of ${year}`,
    histdataRel(year),
    async (t) => {
      const m1 = await histdataYear(year);
      let firstReady = -1;
      runEngine(spec, sliceBars(m1, 0, 40_000), (i, _row, ready) => {
        if (ready && firstReady < 0) firstReady = i;
      });
      const { early, autumn, autumnStart } = cuts(m1, firstReady);
      assert.equal(early.length + autumn.length, 25);
      for (const [from, group] of [[0, early], [autumnStart, autumn]] as const) {
        const reference = uncutRows(m1, from, Math.max(...group.map((c) => c.t)));
        for (const cut of group) {
          const at = new Date(m1.openUs[cut.t] / 1000).toISOString();
          await t.step(`${cut.label} (${at})`, () => {
            const cutBars = sliceBars(m1, from, cut.t + 1);
            runEngine(spec, cutBars, (i, row) => {
              const j = firstDifference(row, reference[i]);
              if (j >= 0) {
                assert.fail(
                  `${spec.features[j].name} at bar ${from + i}: ${row[j]} cut, ${
                    reference[i][j]
                  } uncut`,
                );
              }
            });
          });
        }
      }
    },
  );
}
