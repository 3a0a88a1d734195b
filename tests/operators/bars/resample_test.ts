import assert from "node:assert/strict";
import { dataTest } from "../../_data.ts";
import { type Timeframe, US_PER_HOUR, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { type BarBatch, BarColumnsBuilder } from "@/sources/source.ts";
import {
  type BarSink,
  type DayStart,
  resampleBatch,
  Resampler,
  ResamplerCascade,
} from "@/operators/bars/mod.ts";
import {
  concatBars,
  firstBarDifference,
  HISTDATA_2017_PATH,
  OANDA_D1_PATH,
  OANDA_H1_PATH,
  readBars,
} from "./_data.ts";

/** Resamples every batch and flushes at the end, as the batch path does. */
function resampleAll(
  batches: readonly BarBatch[],
  timeframe: Timeframe,
  dayStart: DayStart = "utc",
): BarBatch {
  const first = batches[0];
  const sides = first.askOpen ? "bid-ask" : first.spread ? "bid-spread" : "bid";
  const out = new BarColumnsBuilder(timeframe, sides, first.volume !== null);
  const resampler = new Resampler(timeframe, out, { dayStart });
  for (const batch of batches) resampleBatch(batch, resampler);
  resampler.flush();
  return out.take();
}

/** A sink that keeps each bar's open and close. */
class TimesSink implements BarSink {
  readonly bars: Array<{ openUs: number; closeUs: number; bidClose: number; volume: number }> = [];
  push(
    openUs: number,
    closeUs: number,
    _bo: number,
    _bh: number,
    _bl: number,
    bidClose: number,
    _ao: number,
    _ah: number,
    _al: number,
    _ac: number,
    _spread: number,
    volume: number,
  ): void {
    this.bars.push({ openUs, closeUs, bidClose, volume });
  }
}

/** Feeds one synthetic M1 bid bar (price = minute index) at `openUs`. */
function feedMinute(resampler: Resampler, openUs: number, price = 1): void {
  resampler.update(
    openUs,
    openUs + US_PER_MINUTE,
    price,
    price,
    price,
    price,
    NaN,
    NaN,
    NaN,
    NaN,
    NaN,
    1,
  );
}

// Oracle: OANDA's own D1 bars are its H1 bars grouped by UTC calendar day (data README).
dataTest(
  "Resampler reproduces all 3,902 OANDA D1 bid/ask bars from the H1 bars exactly",
  [OANDA_H1_PATH, OANDA_D1_PATH],
  async () => {
    const d1 = resampleAll(await readBars(OANDA_H1_PATH), "D1");
    const oracle = concatBars(await readBars(OANDA_D1_PATH));
    assert.equal(oracle.length, 3_902);
    assert.equal(firstBarDifference(d1, oracle), null);
  },
);

dataTest(
  "Resampler turns HistData 2017 M1 into the same H1 bars as a group-by per UTC hour",
  [HISTDATA_2017_PATH],
  async () => {
    const m1 = concatBars(await readBars(HISTDATA_2017_PATH));
    const h1 = resampleAll([m1], "H1");
    const rows: number[][] = [];
    for (let i = 0; i < m1.length; i++) {
      const hour = Math.floor(m1.openUs[i] / US_PER_HOUR) * US_PER_HOUR;
      const last = rows[rows.length - 1];
      if (last === undefined || last[0] !== hour) {
        rows.push([hour, m1.bidOpen[i], m1.bidHigh[i], m1.bidLow[i], m1.bidClose[i]]);
      } else {
        last[2] = Math.max(last[2], m1.bidHigh[i]);
        last[3] = Math.min(last[3], m1.bidLow[i]);
        last[4] = m1.bidClose[i];
      }
    }
    const column = (k: number) => Float64Array.from(rows, (r) => r[k]);
    const expected: BarBatch = {
      kind: "bars",
      timeframe: "H1",
      length: rows.length,
      openUs: column(0),
      closeUs: column(0).map((t) => t + US_PER_HOUR),
      bidOpen: column(1),
      bidHigh: column(2),
      bidLow: column(3),
      bidClose: column(4),
      askOpen: null,
      askHigh: null,
      askLow: null,
      askClose: null,
      spread: null,
      volume: null,
    };
    assert.ok(rows.length > 5_000, `only ${rows.length} hours`);
    assert.equal(firstBarDifference(h1, expected), null);
  },
);

dataTest(
  "Resampler.update() emits each real H1 bar only once its last minute has closed",
  [HISTDATA_2017_PATH],
  async () => {
    const sink = new TimesSink();
    const resampler = new Resampler("H1", sink);
    const m1 = concatBars(await readBars(HISTDATA_2017_PATH));
    let seen = 0;
    for (let i = 0; i < m1.length; i++) {
      resampler.update(
        m1.openUs[i],
        m1.closeUs[i],
        m1.bidOpen[i],
        m1.bidHigh[i],
        m1.bidLow[i],
        m1.bidClose[i],
        NaN,
        NaN,
        NaN,
        NaN,
        NaN,
        1,
      );
      for (; seen < sink.bars.length; seen++) {
        // The input in hand has reached the bucket's end: it closes it or lies beyond it.
        assert.ok(sink.bars[seen].closeUs <= m1.closeUs[i]);
        // And every later input lies beyond it, so nothing of the bucket was still to come.
        if (i + 1 < m1.length) assert.ok(m1.openUs[i + 1] >= sink.bars[seen].closeUs);
      }
    }
    assert.ok(sink.bars.length > 5_000);
  },
);

Deno.test("Resampler.update() emits an H1 bar only once its last minute has closed", () => {
  const sink = new TimesSink();
  const resampler = new Resampler("H1", sink);
  const t0 = usFromIso("2017-03-06T10:00:00Z");
  for (let m = 0; m < 59; m++) feedMinute(resampler, t0 + m * US_PER_MINUTE, m);
  assert.equal(sink.bars.length, 0);
  assert.equal(resampler.forming, true);
  feedMinute(resampler, t0 + 59 * US_PER_MINUTE, 59);
  assert.deepEqual(sink.bars, [
    { openUs: t0, closeUs: t0 + US_PER_HOUR, bidClose: 59, volume: 60 },
  ]);
});

Deno.test("Resampler.update() emits a bucket whose last minutes are missing when a later bar arrives", () => {
  const sink = new TimesSink();
  const resampler = new Resampler("M5", sink);
  const t0 = usFromIso("2017-03-06T10:00:00Z");
  feedMinute(resampler, t0, 1);
  feedMinute(resampler, t0 + US_PER_MINUTE, 2);
  assert.equal(sink.bars.length, 0);
  // 10:05-10:10 is empty: no bar for it; 10:10 closes 10:00-10:05.
  feedMinute(resampler, t0 + 10 * US_PER_MINUTE, 3);
  assert.deepEqual(sink.bars, [
    { openUs: t0, closeUs: t0 + 5 * US_PER_MINUTE, bidClose: 2, volume: 2 },
  ]);
  resampler.flush();
  assert.equal(sink.bars.length, 2);
  assert.equal(sink.bars[1].openUs, t0 + 10 * US_PER_MINUTE);
  assert.throws(() => feedMinute(resampler, t0 + 11 * US_PER_MINUTE), RangeError);
});

Deno.test("Resampler.closeBefore() emits the forming bucket only once the time reaches its end", () => {
  const sink = new TimesSink();
  const resampler = new Resampler("M15", sink);
  const t0 = usFromIso("2017-03-06T10:00:00Z");
  resampler.closeBefore(t0); // nothing forming: nothing to emit
  feedMinute(resampler, t0, 1);
  feedMinute(resampler, t0 + US_PER_MINUTE, 2);
  resampler.closeBefore(t0 + 14 * US_PER_MINUTE); // 10:14 is still inside 10:00-10:15
  assert.equal(sink.bars.length, 0);
  resampler.closeBefore(t0 + 15 * US_PER_MINUTE); // 10:15 is the end: 10:00-10:15 is over
  assert.deepEqual(sink.bars, [
    { openUs: t0, closeUs: t0 + 15 * US_PER_MINUTE, bidClose: 2, volume: 2 },
  ]);
  assert.equal(resampler.forming, false);
  resampler.closeBefore(t0 + 16 * US_PER_MINUTE); // emitted once only
  assert.equal(sink.bars.length, 1);
  feedMinute(resampler, t0 + 20 * US_PER_MINUTE, 3); // the next bucket starts as usual
  resampler.flush();
  assert.equal(sink.bars[1].openUs, t0 + 15 * US_PER_MINUTE);
});

Deno.test("Resampler.update() refuses a bar that crosses a bucket end or goes back in time", () => {
  const resampler = new Resampler("H1", new TimesSink());
  const t0 = usFromIso("2017-03-06T10:00:00Z");
  assert.throws(
    () =>
      resampler.update(
        t0 + 30 * US_PER_MINUTE,
        t0 + 90 * US_PER_MINUTE,
        1,
        1,
        1,
        1,
        NaN,
        NaN,
        NaN,
        NaN,
        NaN,
        1,
      ),
    /crosses the bucket end 2017-03-06T11:00:00Z/,
  );
  const fresh = new Resampler("H1", new TimesSink());
  feedMinute(fresh, t0 + 5 * US_PER_MINUTE);
  assert.throws(() => feedMinute(fresh, t0), /starts before 2017-03-06T10:06:00Z/);
});

const newYorkClock = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const newYorkTime = (us: number) => newYorkClock.format(new Date(us / 1000));

dataTest(
  "Resampler with dayStart new-york-17 opens every 2017 D1 bar at 17:00 New York across both DST changes",
  [HISTDATA_2017_PATH],
  async () => {
    const d1 = resampleAll(await readBars(HISTDATA_2017_PATH), "D1", "new-york-17");
    const utcHours = new Set<number>();
    for (let i = 0; i < d1.length; i++) {
      assert.equal(newYorkTime(d1.openUs[i]), "17:00", `bar ${i} open`);
      assert.equal(newYorkTime(d1.closeUs[i]), "17:00", `bar ${i} close`);
      // Gold trades no Saturday, so no traded day holds a DST change: all last 24 h.
      assert.equal(d1.closeUs[i] - d1.openUs[i], 24 * US_PER_HOUR);
      utcHours.add(new Date(d1.openUs[i] / 1000).getUTCHours());
    }
    assert.deepEqual([...utcHours].sort(), [21, 22]);
    const open = (iso: string) => d1.openUs.indexOf(usFromIso(iso));
    // The last winter day before the 2017-03-12 change, the first summer day, and back.
    assert.ok(open("2017-03-09T22:00:00Z") >= 0);
    assert.ok(open("2017-03-12T21:00:00Z") >= 0);
    assert.ok(open("2017-11-02T21:00:00Z") >= 0);
    assert.ok(open("2017-11-05T22:00:00Z") >= 0);
  },
);

Deno.test("Resampler with dayStart new-york-17 makes the spring-forward day 23 h and cuts its last H4 bucket", async (t) => {
  // 2017-03-11 17:00 EST (22:00Z) to 2017-03-12 17:00 EDT (21:00Z).
  const dayStart = usFromIso("2017-03-11T22:00:00Z");
  const dayEnd = usFromIso("2017-03-12T21:00:00Z");
  const minutes = (23 * US_PER_HOUR) / US_PER_MINUTE;
  const run = (timeframe: Timeframe) => {
    const sink = new TimesSink();
    const resampler = new Resampler(timeframe, sink, { dayStart: "new-york-17" });
    for (let m = 0; m < minutes; m++) feedMinute(resampler, dayStart + m * US_PER_MINUTE);
    return sink.bars.map((b) => [b.openUs, b.closeUs]);
  };
  await t.step("D1", () => assert.deepEqual(run("D1"), [[dayStart, dayEnd]]));
  await t.step("H4", () => {
    const h4 = run("H4");
    assert.equal(h4.length, 6);
    assert.deepEqual(h4[0], [dayStart, dayStart + 4 * US_PER_HOUR]);
    assert.deepEqual(h4[5], [dayStart + 20 * US_PER_HOUR, dayEnd]);
  });
  await t.step("H1 is UTC-aligned either way", () => {
    assert.equal(run("H1")[0][0] % US_PER_HOUR, 0);
  });
});

Deno.test("Resampler keeps the last bar's spread and sums volume", () => {
  const out = new BarColumnsBuilder("M5", "bid-spread", true);
  const resampler = new Resampler("M5", out);
  const t0 = usFromIso("2026-03-24T14:00:00Z");
  const prices = [[4400, 4402, 4399, 4401], [4401, 4405, 4400, 4404], [4404, 4404, 4396, 4397]];
  prices.forEach(([o, h, l, c], m) =>
    resampler.update(
      t0 + m * US_PER_MINUTE,
      t0 + (m + 1) * US_PER_MINUTE,
      o,
      h,
      l,
      c,
      NaN,
      NaN,
      NaN,
      NaN,
      [0.1, 0.11, 0.12][m],
      10 + m,
    )
  );
  resampler.flush();
  const bar = out.take();
  assert.deepEqual(
    [
      bar.bidOpen[0],
      bar.bidHigh[0],
      bar.bidLow[0],
      bar.bidClose[0],
      bar.spread![0],
      bar.volume![0],
    ],
    [4400, 4405, 4396, 4397, 0.12, 33],
  );
  assert.deepEqual([bar.openUs[0], bar.closeUs[0]], [t0, t0 + 5 * US_PER_MINUTE]);
});

/** Keeps every bar it is given with the index of the input bar that was being fed. */
class RecordingSink implements BarSink {
  readonly bars: number[][] = [];
  at = -1;
  push(...bar: Parameters<BarSink["push"]>): void {
    this.bars.push([this.at, ...bar.slice(0, 6)]);
  }
}

dataTest(
  "ResamplerCascade emits each level's bars at the same M1 bar as a Resampler fed every bar, and the same at flush(), on HistData 2017",
  [HISTDATA_2017_PATH],
  async () => {
    const m1 = concatBars(await readBars(HISTDATA_2017_PATH));
    const levels = ["M5", "M15", "M30", "H1", "H4", "D1"] as const;
    const viaCascade = levels.map(() => new RecordingSink());
    const direct = levels.map(() => new RecordingSink());
    const options = { dayStart: "new-york-17" as const };
    const cascade = new ResamplerCascade(levels.map((tf, k) => [tf, viaCascade[k]]), options);
    const resamplers = levels.map((tf, k) => new Resampler(tf, direct[k], options));
    for (let i = 0; i < m1.length; i++) {
      for (const sink of [...viaCascade, ...direct]) sink.at = i;
      const bar = [
        m1.openUs[i],
        m1.closeUs[i],
        m1.bidOpen[i],
        m1.bidHigh[i],
        m1.bidLow[i],
      ] as const;
      cascade.update(...bar, m1.bidClose[i], NaN, NaN, NaN, NaN, NaN, 0);
      for (const r of resamplers) r.update(...bar, m1.bidClose[i], NaN, NaN, NaN, NaN, NaN, 0);
    }
    // The end of data: each level's forming bucket, as flushing each resampler gives it.
    for (const sink of [...viaCascade, ...direct]) sink.at = m1.length;
    cascade.flush();
    for (const r of resamplers) r.flush();
    for (const [k, tf] of levels.entries()) {
      assert.ok(direct[k].bars.length > 250, `${tf}: ${direct[k].bars.length} bars`);
      assert.deepEqual(viaCascade[k].bars, direct[k].bars, tf);
    }
  },
);

Deno.test("ResamplerCascade refuses a level that is not coarser than the one before", () => {
  const sink = new TimesSink();
  assert.throws(
    () => new ResamplerCascade([["H1", sink], ["M15", sink]]),
    /Cannot cascade H1 into M15: each level must be coarser/,
  );
});
