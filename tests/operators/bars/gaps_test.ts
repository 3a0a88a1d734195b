import assert from "node:assert/strict";
import { dataTest } from "../../_data.ts";
import { isoFromUs, US_PER_HOUR, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { detectGapsInBatch, type Gap, gapCategory, GapDetector } from "@/operators/bars/mod.ts";
import { HISTDATA_2017_PATH, OANDA_H1_PATH, readBars } from "./_data.ts";

const minute = (iso: string) => [usFromIso(iso), usFromIso(iso) + US_PER_MINUTE] as const;

async function gapsOf(path: string): Promise<{ gaps: Gap[]; detector: GapDetector }> {
  const detector = new GapDetector();
  const gaps: Gap[] = [];
  for (const batch of await readBars(path)) gaps.push(...detectGapsInBatch(batch, detector));
  return { gaps, detector };
}

dataTest(
  "GapDetector sorts the holes of HistData 2017 into weekends, US holidays and missing minutes",
  [HISTDATA_2017_PATH],
  async () => {
    const { gaps, detector } = await gapsOf(HISTDATA_2017_PATH);
    const summary = detector.summary();
    const holidays = gaps.filter((g) => g.category === "holiday").map((g) =>
      `${isoFromUs(g.fromUs)} ${isoFromUs(g.toUs)} ${g.missingSessionMinutes}`
    );
    // Early closes (13:00 New York) and closed days; Good Friday and Christmas Monday
    // stretch their weekend, so those two holes are holidays, not weekends.
    assert.deepEqual(holidays, [
      "2017-01-16T18:01:00Z 2017-01-16T23:01:00Z 240", // Martin Luther King Day
      "2017-02-20T18:00:00Z 2017-02-20T23:01:00Z 241", // Presidents' Day
      "2017-04-13T21:00:00Z 2017-04-16T22:01:00Z 1381", // Good Friday
      "2017-05-29T17:01:00Z 2017-05-29T22:01:00Z 240", // Memorial Day
      "2017-07-04T17:19:00Z 2017-07-04T22:01:00Z 222", // Independence Day
      "2017-09-04T17:01:00Z 2017-09-04T22:01:00Z 240", // Labor Day
      "2017-11-23T18:00:00Z 2017-11-23T23:01:00Z 241", // Thanksgiving
      "2017-11-24T18:45:00Z 2017-11-26T23:01:00Z 196", // the Friday after, then the weekend
      "2017-12-22T22:00:00Z 2017-12-25T23:01:00Z 1381", // Christmas
    ]);
    // 51 weekends between 2017-01-02 and 2017-12-29: 48 plain, 3 in the holidays above.
    assert.equal(summary.byCategory.weekend.count, 48);
    assert.equal(summary.byCategory.holiday.count, 9);
    assert.equal(summary.byCategory.holiday.missingSessionMinutes, 4_382);
    // HistData's day opens at 18:01, so each daily break misses the 18:00 minute.
    assert.ok(summary.byCategory.missing.count > 240);
    assert.ok(
      gaps.filter((g) => g.category === "missing").every((g) => g.missingSessionMinutes < 120),
    );
    assert.equal(summary.largest?.missingSessionMinutes, 1_381);
    assert.equal(isoFromUs(summary.largest!.fromUs), "2017-04-13T21:00:00Z");
  },
);

dataTest(
  "GapDetector reports OANDA's missing week of December 2016 as an outage, not a holiday",
  [OANDA_H1_PATH],
  async () => {
    const { gaps, detector } = await gapsOf(OANDA_H1_PATH);
    const week = gaps.find((g) => isoFromUs(g.fromUs) === "2016-12-09T22:00:00Z");
    assert.deepEqual(week, {
      fromUs: usFromIso("2016-12-09T22:00:00Z"),
      toUs: usFromIso("2016-12-16T05:00:00Z"),
      missingSessionMinutes: 5_880,
      category: "outage",
    });
    // OANDA's weekend runs exactly Friday 17:00 to Sunday 18:00 New York: 0 minutes missing.
    assert.ok(gaps.some((g) => g.category === "weekend" && g.missingSessionMinutes === 0));
    // Its daily pause (17:15-18:00 New York) lies inside the break: counted, not reported.
    assert.ok(detector.summary().breaks > 600);
  },
);

Deno.test("GapDetector.update() counts the daily break as a break, not a gap", () => {
  const detector = new GapDetector();
  // 2017-03-07 16:59 New York (EST) then 18:00: the break, nothing missing.
  assert.equal(detector.update(...minute("2017-03-07T21:59:00Z")), null);
  assert.equal(detector.update(...minute("2017-03-07T23:00:00Z")), null);
  assert.equal(detector.summary().breaks, 1);
  assert.equal(detector.summary().largest, null);
});

Deno.test("GapDetector.update() reports a weekend even when no session minute is missing", () => {
  const detector = new GapDetector();
  detector.update(...minute("2017-03-03T21:59:00Z")); // Friday 16:59 EST
  const gap = detector.update(...minute("2017-03-05T23:00:00Z")); // Sunday 18:00 EST
  assert.deepEqual(gap, {
    fromUs: usFromIso("2017-03-03T22:00:00Z"),
    toUs: usFromIso("2017-03-05T23:00:00Z"),
    missingSessionMinutes: 0,
    category: "weekend",
  });
});

Deno.test("gapCategory() tells missing minutes, holidays and outages apart", async (t) => {
  const wednesday = usFromIso("2017-03-08T15:00:00Z");
  const cases: Array<[string, number, number, number, string]> = [
    ["a few minutes inside the session", wednesday, wednesday + 5 * US_PER_MINUTE, 5, "missing"],
    ["an early close", wednesday, wednesday + 4 * US_PER_HOUR, 240, "holiday"],
    ["a closed day", wednesday, wednesday + 24 * US_PER_HOUR, 1_380, "holiday"],
    // 3 x 1,380 = 4,140 > 2,760: longer than any holiday, never a "short" gap.
    ["several days", wednesday, wednesday + 72 * US_PER_HOUR, 4_140, "outage"],
    ["just over two sessions", wednesday, wednesday + 47 * US_PER_HOUR, 2_761, "outage"],
    ["exactly two sessions", wednesday, wednesday + 46 * US_PER_HOUR, 2_760, "holiday"],
    [
      "a weekend with a late Sunday open",
      usFromIso("2017-03-03T22:00:00Z"),
      usFromIso("2017-03-05T23:30:00Z"),
      30,
      "weekend",
    ],
  ];
  for (const [name, fromUs, toUs, minutes, category] of cases) {
    await t.step(name, () => assert.equal(gapCategory(fromUs, toUs, minutes), category));
  }
});

Deno.test("GapDetector.update() refuses a bar that opens before the previous one closed", () => {
  const detector = new GapDetector();
  detector.update(...minute("2017-03-08T15:00:00Z"));
  assert.throws(
    () => detector.update(usFromIso("2017-03-08T15:00:30Z"), usFromIso("2017-03-08T15:01:30Z")),
    /opens before the previous bar's close 2017-03-08T15:01:00Z/,
  );
});
