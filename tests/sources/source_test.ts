/**
 * The column builders of the source contract: a `BarBatchJoiner` gives the batch a
 * `BarColumnsBuilder` fed the same bars one by one gives, columns included.
 */

import assert from "node:assert/strict";
import { type BarBatch, BarBatchJoiner, BarColumnsBuilder } from "../../sources/source.ts";

type Sides = "bid-ask" | "bid-spread" | "bid";

/**
 * `n` bars from minute `from` with the columns of `sides` and a volume: ask = bid + 0.3,
 * spread 0.3, volume = the minute.
 */
function bars(from: number, n: number, sides: Sides = "bid"): BarBatch {
  const builder = new BarColumnsBuilder("M1", sides, true);
  for (let m = from; m < from + n; m++) {
    const us = m * 60_000_000;
    const bid = 1300 + m / 10;
    builder.push(
      us,
      us + 60_000_000,
      bid,
      bid + 1,
      bid - 1,
      bid + 0.5,
      bid + 0.3,
      bid + 1.3,
      bid - 0.7,
      bid + 0.8,
      0.3,
      m,
    );
  }
  return builder.take();
}

/** The bars of `batches` pushed one by one into a builder of `sides` and `volume`. */
function builtBarByBar(
  batches: readonly BarBatch[],
  sides: Sides,
  volume: boolean,
): BarBatch {
  const builder = new BarColumnsBuilder("M1", sides, volume);
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      builder.push(
        b.openUs[i],
        b.closeUs[i],
        b.bidOpen[i],
        b.bidHigh[i],
        b.bidLow[i],
        b.bidClose[i],
        b.askOpen?.[i] ?? NaN,
        b.askHigh?.[i] ?? NaN,
        b.askLow?.[i] ?? NaN,
        b.askClose?.[i] ?? NaN,
        b.spread?.[i] ?? NaN,
        b.volume?.[i] ?? NaN,
      );
    }
  }
  return builder.take();
}

Deno.test("BarBatchJoiner.take() gives what a builder fed the same bars one by one gives", () => {
  for (const sides of ["bid-ask", "bid-spread", "bid"] as const) {
    // Three batches of 3, 0 and 5 bars: 8 bars, minutes 0-7.
    const batches = [bars(0, 3, sides), bars(3, 0, sides), bars(3, 5, sides)];
    for (const volume of [true, false]) {
      const joiner = new BarBatchJoiner("M1", sides, volume);
      for (const batch of batches) joiner.add(batch);
      const joined = joiner.take();
      assert.equal(joined.length, 8);
      assert.deepEqual(joined, builtBarByBar(batches, sides, volume), `${sides}, volume ${volume}`);
    }
  }
});

Deno.test("BarBatchJoiner.take() starts afresh: a second take has only the bars added since", () => {
  const joiner = new BarBatchJoiner("M1", "bid", false);
  joiner.add(bars(0, 4));
  assert.equal(joiner.take().length, 4);
  joiner.add(bars(4, 2));
  const second = joiner.take();
  assert.deepEqual([...second.openUs], [4, 5].map((m) => m * 60_000_000));
});

Deno.test("BarBatchJoiner refuses a batch of another timeframe and names both", () => {
  const joiner = new BarBatchJoiner("M1", "bid", false);
  assert.throws(
    () => joiner.add({ ...bars(0, 1), timeframe: "H1" }),
    /Cannot join H1 bars to M1 bars/,
  );
});

/** Rows [from, to) of `batch` as a batch of views into its columns, not copies. */
function viewOf(batch: BarBatch, from: number, to: number): BarBatch {
  const view = (column: Float64Array | null) => column?.subarray(from, to) ?? null;
  return {
    kind: "bars",
    timeframe: batch.timeframe,
    length: to - from,
    openUs: view(batch.openUs)!,
    closeUs: view(batch.closeUs)!,
    bidOpen: view(batch.bidOpen)!,
    bidHigh: view(batch.bidHigh)!,
    bidLow: view(batch.bidLow)!,
    bidClose: view(batch.bidClose)!,
    askOpen: view(batch.askOpen),
    askHigh: view(batch.askHigh),
    askLow: view(batch.askLow),
    askClose: view(batch.askClose),
    spread: view(batch.spread),
    volume: view(batch.volume),
  };
}

Deno.test("BarBatchJoiner.take() of one array's consecutive views gives a view of it, not a copy", () => {
  const whole = bars(0, 8, "bid-ask");
  const joiner = new BarBatchJoiner("M1", "bid-ask", true);
  // Rows 0-2, none, 3-7: each view starts where the one before ends.
  for (const [from, to] of [[0, 3], [3, 3], [3, 8]]) joiner.add(viewOf(whole, from, to));
  const joined = joiner.take();
  assert.deepEqual(joined, whole);
  assert.equal(joined.openUs.buffer, whole.openUs.buffer);
  assert.equal(joined.askClose!.buffer, whole.askClose!.buffer);
});

Deno.test("BarBatchJoiner.take() copies views that are out of order or longer than their batch", () => {
  const whole = bars(0, 8);
  const outOfOrder = new BarBatchJoiner("M1", "bid", true);
  outOfOrder.add(viewOf(whole, 3, 8));
  outOfOrder.add(viewOf(whole, 0, 3));
  const reordered = outOfOrder.take();
  assert.notEqual(reordered.openUs.buffer, whole.openUs.buffer);
  assert.deepEqual([...reordered.openUs], [3, 4, 5, 6, 7, 0, 1, 2].map((m) => m * 60_000_000));
  // A batch of 3 rows whose columns hold 4 values: the fourth is not its bar.
  const longer = new BarBatchJoiner("M1", "bid", true);
  longer.add({ ...viewOf(whole, 0, 4), length: 3 });
  longer.add(viewOf(whole, 4, 8));
  const joined = longer.take();
  assert.equal(joined.length, 7);
  assert.deepEqual([...joined.openUs], [0, 1, 2, 4, 5, 6, 7].map((m) => m * 60_000_000));
});
