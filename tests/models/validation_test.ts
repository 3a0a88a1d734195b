/**
 * Walk-forward folds and the hold-out split: hand-counted sizes for expanding and rolling
 * windows with purging and embargo, and properties on random label windows: no training
 * row's label window reaches its test range, test folds are disjoint and in order, and
 * nothing is dropped but what purging and embargo drop.
 * These tests must never read real data.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import fc from "fast-check";
import { type Fold, holdOutSplit, walkForwardFolds } from "@/models/validation.ts";
import { US_PER_DAY, usFromIso } from "@/pipeline/events.ts";

/** 1,000 rows at times 0 ... 999, each label decided 5 later. */
const TIMES = Float64Array.from({ length: 1000 }, (_, i) => i);
const ENDS = TIMES.map((t) => t + 5);

const sizes = (folds: Fold[]) => folds.map((f) => [f.train.length, f.test.length]);

Deno.test("walkForwardFolds() cuts folds + 1 equal blocks and purges labels that reach the test", () => {
  const folds = walkForwardFolds(TIMES, ENDS, {
    folds: 4,
    scheme: "expanding",
    embargoUs: 0,
    minTrainRows: 1,
  });
  // Test blocks start at 200, 400, 600, 800; training labels must end before the start,
  // so rows decided at start - 5 ... start - 1 are purged.
  deepStrictEqual(folds.map((f) => [f.testStartUs, f.testEndUs]), [
    [200, 400],
    [400, 600],
    [600, 800],
    [800, 1000],
  ]);
  deepStrictEqual(sizes(folds), [[195, 200], [395, 200], [595, 200], [795, 200]]);
  deepStrictEqual(folds.map((f) => [f.purged, f.embargoed]), [[5, 0], [5, 0], [5, 0], [5, 0]]);
  strictEqual(folds[1].train[0], 0);
  strictEqual(folds[1].train.at(-1), 394);
});

Deno.test("walkForwardFolds() rolls a window as long as the first training block by default", () => {
  const folds = walkForwardFolds(TIMES, ENDS, {
    folds: 4,
    scheme: "rolling",
    embargoUs: 10,
    minTrainRows: 1,
  });
  // Window 200 back from each start; labels must end before start - 10.
  deepStrictEqual(sizes(folds), [[185, 200], [185, 200], [185, 200], [185, 200]]);
  deepStrictEqual(folds.map((f) => [f.trainStartUs, f.trainEndUs]), [
    [0, 190],
    [200, 390],
    [400, 590],
    [600, 790],
  ]);
  deepStrictEqual(folds.map((f) => [f.purged, f.embargoed]), [[5, 10], [5, 10], [5, 10], [5, 10]]);
  strictEqual(folds[3].train[0], 600);
});

Deno.test("walkForwardFolds() lays test spans back from the last row and honours trainSpanUs", () => {
  const folds = walkForwardFolds(TIMES, ENDS, {
    folds: 3,
    scheme: "rolling",
    testSpanUs: 100,
    trainSpanUs: 300,
    embargoUs: 0,
    minTrainRows: 1,
  });
  deepStrictEqual(folds.map((f) => [f.testStartUs, f.testEndUs]), [[700, 800], [800, 900], [
    900,
    1000,
  ]]);
  deepStrictEqual(sizes(folds), [[295, 100], [295, 100], [295, 100]]);
  const expanding = walkForwardFolds(TIMES, ENDS, {
    folds: 3,
    scheme: "expanding",
    testSpanUs: 100,
    embargoUs: 0,
    minTrainRows: 1,
  });
  deepStrictEqual(sizes(expanding), [[695, 100], [795, 100], [895, 100]]);
});

Deno.test("walkForwardFolds() refuses a fold short of minTrainRows, unsorted rows and bad windows", () => {
  const options = { folds: 4, scheme: "expanding", embargoUs: 0, minTrainRows: 300 } as const;
  throws(() => walkForwardFolds(TIMES, ENDS, options), /fold 0 .*195 training rows/);
  const unsorted = TIMES.slice();
  unsorted[10] = 3;
  throws(() => walkForwardFolds(unsorted, ENDS, { ...options, minTrainRows: 1 }), /time order/);
  throws(
    () => walkForwardFolds(TIMES, TIMES.map((t) => t - 1), { ...options, minTrainRows: 1 }),
    /before its time/,
  );
  throws(() => walkForwardFolds(TIMES, ENDS, { ...options, folds: 0 }), RangeError);
  throws(() => walkForwardFolds(TIMES, ENDS, { ...options, embargoUs: -1 }), RangeError);
});

const rowsArb = fc.record({
  steps: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 30, maxLength: 400 }),
  windows: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 400, maxLength: 400 }),
  folds: fc.integer({ min: 1, max: 6 }),
  scheme: fc.constantFrom("expanding" as const, "rolling" as const),
  embargoUs: fc.integer({ min: 0, max: 30 }),
  testSpanUs: fc.option(fc.integer({ min: 20, max: 150 }), { nil: undefined }),
  trainSpanUs: fc.option(fc.integer({ min: 20, max: 600 }), { nil: undefined }),
});

Deno.test("walkForwardFolds() never trains on a row whose label window overlaps its test range", () => {
  fc.assert(
    fc.property(rowsArb, (c) => {
      let time = 1_000;
      const timeUs = Float64Array.from(c.steps, (s) => (time += s));
      const labelEndUs = timeUs.map((t, i) => t + c.windows[i]);
      let folds: Fold[];
      try {
        folds = walkForwardFolds(timeUs, labelEndUs, { ...c, minTrainRows: 1 });
      } catch (error) {
        // Too few rows for these folds: refused with a reason, never a silent empty fold.
        ok(error instanceof RangeError && /^Cannot build/.test(error.message), String(error));
        return;
      }
      strictEqual(folds.length, c.folds);
      folds.forEach((f, k) => {
        ok(f.train.length >= 1 && f.test.length >= 1);
        for (const i of f.train) {
          // [timeUs, labelEndUs] ends before the embargo that precedes [testStart, testEnd).
          ok(labelEndUs[i] < f.testStartUs - c.embargoUs, `fold ${k} trains on row ${i}`);
          ok(timeUs[i] >= f.trainStartUs);
          if (c.scheme === "expanding") strictEqual(f.trainStartUs, timeUs[0]);
        }
        for (const i of f.test) ok(timeUs[i] >= f.testStartUs && timeUs[i] < f.testEndUs);
        const inWindow = timeUs.filter((t) => t >= f.trainStartUs && t < f.testStartUs).length;
        strictEqual(f.train.length + f.purged + f.embargoed, inWindow);
        for (const ids of [f.train, f.test]) {
          for (let j = 1; j < ids.length; j++) ok(ids[j] > ids[j - 1]);
        }
        if (k > 0) {
          const before = folds[k - 1];
          strictEqual(before.testEndUs, f.testStartUs);
          ok(before.test.at(-1)! < f.test[0]);
          if (c.scheme === "expanding") ok(f.train.length >= before.train.length);
        }
      });
      // The test folds cover every row from the first test start on, once.
      const tested = folds.reduce((n, f) => n + f.test.length, 0);
      strictEqual(tested, timeUs.filter((t) => t >= folds[0].testStartUs).length);
    }),
    { numRuns: 300 },
  );
});

Deno.test("walkForwardFolds() trains a rolling fold on a subset of the expanding fold", () => {
  let compared = 0;
  const runs = 200;
  fc.assert(
    fc.property(rowsArb, (c) => {
      let time = 0;
      const timeUs = Float64Array.from(c.steps, (s) => (time += s + 1));
      const labelEndUs = timeUs.map((t, i) => t + c.windows[i]);
      const options = { ...c, minTrainRows: 1 };
      const build = (scheme: "expanding" | "rolling"): Fold[] | Error => {
        try {
          return walkForwardFolds(timeUs, labelEndUs, { ...options, scheme });
        } catch (error) {
          ok(error instanceof RangeError && /^Cannot build/.test(error.message), String(error));
          return error;
        }
      };
      const expanding = build("expanding");
      const rolling = build("rolling");
      if (expanding instanceof Error) {
        // Same test folds and fewer training rows: what expanding cannot build, rolling cannot.
        ok(rolling instanceof Error, `rolling built folds where expanding failed: ${expanding}`);
        return;
      }
      if (rolling instanceof Error) {
        // Only its shorter training window can fail it.
        ok(/training rows after purging and embargo/.test(rolling.message), rolling.message);
        return;
      }
      compared++;
      expanding.forEach((e, k) => {
        const r = rolling[k];
        deepStrictEqual(r.test, e.test);
        const all = new Set(e.train);
        ok(r.train.length <= e.train.length);
        for (const i of r.train) ok(all.has(i));
      });
    }),
    { numRuns: runs },
  );
  // The comparison is the point: about half the random cases reach it (105 of 200 in one
  // run); fewer than a quarter would mean the property has stopped testing anything.
  ok(compared >= runs / 4, `only ${compared} of ${runs} cases built both schemes`);
});

Deno.test("holdOutSplit() splits by dates and purges each part against the next", () => {
  const start = usFromIso("2017-01-02T00:00:00Z");
  const hour = US_PER_DAY / 24;
  // One row an hour for 30 days, each label decided 2 hours later.
  const timeUs = Float64Array.from({ length: 30 * 24 }, (_, i) => start + i * hour);
  const labelEndUs = timeUs.map((t) => t + 2 * hour);
  const split = holdOutSplit(timeUs, labelEndUs, {
    validationStart: "2017-01-20",
    testStart: "2017-01-25",
    embargoUs: hour,
  });
  const at = (iso: string) => (usFromIso(iso) - start) / hour;
  strictEqual(split.train.length, at("2017-01-20") - 3);
  strictEqual(split.validation.length, at("2017-01-25") - at("2017-01-20") - 3);
  strictEqual(split.test.length, timeUs.length - at("2017-01-25"));
  strictEqual(split.purged, 6);
  strictEqual(split.test[0], at("2017-01-25"));
  ok(labelEndUs[split.train.at(-1)!] < split.validationStartUs - hour);
  ok(labelEndUs[split.validation.at(-1)!] < split.testStartUs - hour);
  throws(
    () =>
      holdOutSplit(timeUs, labelEndUs, {
        validationStart: "2017-01-25",
        testStart: "2017-01-20",
        embargoUs: 0,
      }),
    /validation start .* <= test start/,
  );
});
