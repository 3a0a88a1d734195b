/**
 * Time-ordered splits for out-of-sample evaluation: walk-forward folds (expanding or
 * rolling training windows) and a train / validation / test hold-out by dates. Training
 * only ever uses rows decided before the test starts, and a training row is purged when
 * its label window `[timeUs, labelEndUs]` reaches into the test period or the embargo
 * before it. Every split returns row indices in time order.
 * It must never shuffle rows, nor put a row whose label saw test-period bars in training.
 */

import { isoFromUs, usFromIso } from "../pipeline/events.ts";

export type WalkForwardScheme = "expanding" | "rolling";

export interface WalkForwardOptions {
  /** Number of test folds. */
  readonly folds: number;
  /** `expanding`: train on everything before the fold; `rolling`: on the last `trainSpanUs` only. */
  readonly scheme: WalkForwardScheme;
  /**
   * Length of each test fold in µs, the folds ending at the last row. When absent, the
   * rows are cut into `folds + 1` blocks of equal row count: the first trains only.
   */
  readonly testSpanUs?: number;
  /** Rolling scheme: how far back training reaches from the test start; default: up to the first test. */
  readonly trainSpanUs?: number;
  /**
   * Gap between the last training information and the test start: a training row is kept
   * only when `labelEndUs < testStartUs - embargoUs`. 0 purges overlap and nothing more.
   */
  readonly embargoUs: number;
  /** A fold with fewer training rows after purging is an error, not a silent skip. */
  readonly minTrainRows: number;
}

/** One fold: row indices (ascending) and the time ranges they were drawn from. */
export interface Fold {
  /** 0-based, in time order. */
  readonly fold: number;
  readonly train: Int32Array;
  readonly test: Int32Array;
  /** Training rows are decided in [trainStartUs, testStartUs) and their labels end before `trainEndUs`. */
  readonly trainStartUs: number;
  /** `testStartUs - embargoUs`. */
  readonly trainEndUs: number;
  /** Test rows are decided in [testStartUs, testEndUs). */
  readonly testStartUs: number;
  readonly testEndUs: number;
  /** Rows in the training window left out because their label window reached the test. */
  readonly purged: number;
  /** Further rows left out because their label window reached into the embargo. */
  readonly embargoed: number;
}

function checkRows(what: string, timeUs: ArrayLike<number>, labelEndUs: ArrayLike<number>): void {
  if (timeUs.length !== labelEndUs.length) {
    throw new RangeError(
      `Cannot ${what}: ${timeUs.length} decision times but ${labelEndUs.length} label ends`,
    );
  }
  for (let i = 0; i < timeUs.length; i++) {
    if (!(labelEndUs[i] >= timeUs[i])) {
      throw new RangeError(
        `Cannot ${what}: row ${i} has label end ${labelEndUs[i]} before its time ${timeUs[i]}`,
      );
    }
    if (i > 0 && !(timeUs[i] >= timeUs[i - 1])) {
      throw new RangeError(
        `Cannot ${what}: rows are not in time order at row ${i} (${timeUs[i - 1]} then ${
          timeUs[i]
        })`,
      );
    }
  }
}

/** Indices of rows decided in [fromUs, toUs), in order (times are sorted). */
function rowsIn(timeUs: ArrayLike<number>, fromUs: number, toUs: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < timeUs.length && timeUs[i] < toUs; i++) {
    if (timeUs[i] >= fromUs) out.push(i);
  }
  return Int32Array.from(out);
}

interface Purged {
  readonly rows: Int32Array;
  readonly purged: number;
  readonly embargoed: number;
}

/** Rows decided in [fromUs, testStartUs) whose labels end before `testStartUs - embargoUs`. */
function trainingRows(
  timeUs: ArrayLike<number>,
  labelEndUs: ArrayLike<number>,
  fromUs: number,
  testStartUs: number,
  embargoUs: number,
): Purged {
  const out: number[] = [];
  let purged = 0;
  let embargoed = 0;
  for (let i = 0; i < timeUs.length && timeUs[i] < testStartUs; i++) {
    if (timeUs[i] < fromUs) continue;
    if (labelEndUs[i] >= testStartUs) purged++;
    else if (labelEndUs[i] >= testStartUs - embargoUs) embargoed++;
    else out.push(i);
  }
  return { rows: Int32Array.from(out), purged, embargoed };
}

function checkCount(name: string, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new RangeError(
      `Cannot split rows: ${name} must be an integer of ${min} or more, got ${value}`,
    );
  }
  return value;
}

function checkSpan(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(value >= min && Number.isFinite(value))) {
    throw new RangeError(`Cannot split rows: ${name} must be ${min} µs or more, got ${value}`);
  }
}

/**
 * Walk-forward folds over rows in time order (never shuffled):
 *
 * 1. Test folds are consecutive, disjoint time ranges ending at the last row: `folds`
 *    spans of `testSpanUs`, or without it the last `folds` of `folds + 1` equal row blocks.
 * 2. Training rows are decided before the fold's start (from the first row when
 *    expanding, from `testStartUs - trainSpanUs` when rolling) and are purged when their
 *    label ends at or after `testStartUs - embargoUs`. Training never uses rows after the
 *    test, so the embargo sits between training and test.
 * 3. A fold with fewer than `minTrainRows` training rows, or no test rows, is an error.
 */
export function walkForwardFolds(
  timeUs: ArrayLike<number>,
  labelEndUs: ArrayLike<number>,
  options: WalkForwardOptions,
): Fold[] {
  checkRows("build walk-forward folds", timeUs, labelEndUs);
  const folds = checkCount("folds", options.folds, 1);
  const minTrainRows = checkCount("minTrainRows", options.minTrainRows, 1);
  checkSpan("embargoUs", options.embargoUs, 0);
  checkSpan("testSpanUs", options.testSpanUs, 1);
  checkSpan("trainSpanUs", options.trainSpanUs, 1);
  const n = timeUs.length;
  if (n < folds + 1) {
    throw new RangeError(`Cannot build ${folds} walk-forward folds from ${n} rows`);
  }
  const endUs = timeUs[n - 1] + 1;
  const starts: number[] = [];
  for (let k = 1; k <= folds; k++) {
    starts.push(
      options.testSpanUs === undefined
        ? timeUs[Math.floor((k * n) / (folds + 1))]
        : endUs - (folds - k + 1) * options.testSpanUs,
    );
  }
  const trainSpanUs = options.trainSpanUs ?? starts[0] - timeUs[0];
  return starts.map((testStartUs, fold) => {
    const testEndUs = fold + 1 < folds ? starts[fold + 1] : endUs;
    const trainStartUs = options.scheme === "rolling" ? testStartUs - trainSpanUs : timeUs[0];
    const train = trainingRows(timeUs, labelEndUs, trainStartUs, testStartUs, options.embargoUs);
    const test = rowsIn(timeUs, testStartUs, testEndUs);
    const at = `fold ${fold} (test from ${isoFromUs(testStartUs)} to ${isoFromUs(testEndUs)})`;
    if (test.length === 0) {
      throw new RangeError(`Cannot build ${at}: it has no test rows; use fewer folds`);
    }
    if (train.rows.length < minTrainRows) {
      throw new RangeError(
        `Cannot build ${at}: ${train.rows.length} training rows after purging and embargo, ` +
          `fewer than minTrainRows ${minTrainRows}; use fewer folds, a shorter testSpanUs ` +
          `or a longer trainSpanUs`,
      );
    }
    return {
      fold,
      train: train.rows,
      test,
      trainStartUs,
      trainEndUs: testStartUs - options.embargoUs,
      testStartUs,
      testEndUs,
      purged: train.purged,
      embargoed: train.embargoed,
    };
  });
}

export interface HoldOutOptions {
  /** Validation rows are decided from here (UTC µs or ISO-8601) until the test start. */
  readonly validationStart: number | string;
  /** Test rows are decided from here until `testEnd`. */
  readonly testStart: number | string;
  /** End of the test period (exclusive); after the last row when absent. */
  readonly testEnd?: number | string;
  /** As in walk-forward: each earlier part's labels must end `embargoUs` before the next part starts. */
  readonly embargoUs: number;
}

export interface HoldOutSplit {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
  readonly validationStartUs: number;
  readonly testStartUs: number;
  readonly testEndUs: number;
  /** Train and validation rows left out because their label reached the next part or its embargo. */
  readonly purged: number;
}

const asUs = (time: number | string) => typeof time === "number" ? time : usFromIso(time);

/**
 * Train / validation / test by dates, for a final untouched test period: train rows are
 * decided before `validationStart`, validation rows before `testStart`, each purged like a
 * walk-forward training set against the part that follows it.
 */
export function holdOutSplit(
  timeUs: ArrayLike<number>,
  labelEndUs: ArrayLike<number>,
  options: HoldOutOptions,
): HoldOutSplit {
  checkRows("split train, validation and test", timeUs, labelEndUs);
  checkSpan("embargoUs", options.embargoUs, 0);
  const validationStartUs = asUs(options.validationStart);
  const testStartUs = asUs(options.testStart);
  const testEndUs = options.testEnd === undefined
    ? (timeUs.length > 0 ? timeUs[timeUs.length - 1] + 1 : testStartUs)
    : asUs(options.testEnd);
  if (!(validationStartUs <= testStartUs && testStartUs < testEndUs)) {
    throw new RangeError(
      `Cannot split train, validation and test: need validation start ${
        isoFromUs(validationStartUs)
      } <= test start ${isoFromUs(testStartUs)} < test end ${isoFromUs(testEndUs)}`,
    );
  }
  const e = options.embargoUs;
  const train = trainingRows(timeUs, labelEndUs, -Infinity, validationStartUs, e);
  const validation = trainingRows(timeUs, labelEndUs, validationStartUs, testStartUs, e);
  return {
    train: train.rows,
    validation: validation.rows,
    test: rowsIn(timeUs, testStartUs, testEndUs),
    validationStartUs,
    testStartUs,
    testEndUs,
    purged: train.purged + train.embargoed + validation.purged + validation.embargoed,
  };
}
