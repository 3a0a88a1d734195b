/**
 * Block summaries of a table of quoted bars for the broker's scan of a quiet span
 * (`SimulatedBroker.quietSpan`): for each block of `SPAN_BLOCK` rows, the extremes the
 * scan keeps row by row, so a block no stop or target reaches is taken at once instead
 * of row by row. The random-entry baseline scans the same year's rows again and again,
 * once for each of its runs. Built once per table and kept while the table lives, so a
 * table must not change once it has been scanned (`quotedBars` makes one and no one
 * writes to it after); it never changes the table. A block with a NaN price (rows before
 * the quotes start) is marked unusable: the scan reads its rows one by one, as before.
 */

import type { QuotedBars } from "./quotes.ts";

/** Rows a block summarises: a power of two, so a row's block is a shift away. */
export const SPAN_BLOCK_SHIFT = 5;
export const SPAN_BLOCK = 1 << SPAN_BLOCK_SHIFT;

/** Column k holds block k's figure: rows [k * SPAN_BLOCK, (k + 1) * SPAN_BLOCK). */
export interface SpanBlocks {
  /** 1 when every price of the block is a number, so its summary may be used. */
  readonly usable: Uint8Array;
  /** The latest open of the block's rows (µs): the scan stops at a rollover. */
  readonly lastOpenUs: Float64Array;
  /** The lowest and highest of each side's open, high and low: what stops and targets see. */
  readonly bidFloor: Float64Array;
  readonly bidCeiling: Float64Array;
  readonly askFloor: Float64Array;
  readonly askCeiling: Float64Array;
  /** The lowest low and highest high of each side. */
  readonly bidLow: Float64Array;
  readonly bidHigh: Float64Array;
  readonly askLow: Float64Array;
  readonly askHigh: Float64Array;
  /** The rows of the lowest and highest closes of each side, the first of equals. */
  readonly bidCloseMin: Int32Array;
  readonly bidCloseMax: Int32Array;
  readonly askCloseMin: Int32Array;
  readonly askCloseMax: Int32Array;
}

/** Indices into `barExtremes`' output. */
export const BID_MIN = 0, BID_MAX = 1, ASK_MIN = 2, ASK_MAX = 3;

/**
 * Row `j`'s lowest and highest bid and ask of its open, high and low, into `out` (at
 * `BID_MIN`, `BID_MAX`, `ASK_MIN`, `ASK_MAX`): what a stop, a target and the stop-out see
 * of a bar. Data need not keep the open inside the range, so all three are asked.
 */
export function barExtremes(bars: QuotedBars, j: number, out: Float64Array): void {
  const bo = bars.bidOpen[j], bh = bars.bidHigh[j], bl = bars.bidLow[j];
  const ao = bars.askOpen[j], ah = bars.askHigh[j], al = bars.askLow[j];
  out[BID_MIN] = bo < bl ? (bo < bh ? bo : bh) : (bl < bh ? bl : bh);
  out[BID_MAX] = bo > bh ? (bo > bl ? bo : bl) : (bh > bl ? bh : bl);
  out[ASK_MIN] = ao < al ? (ao < ah ? ao : ah) : (al < ah ? al : ah);
  out[ASK_MAX] = ao > ah ? (ao > al ? ao : al) : (ah > al ? ah : al);
}

const built = new WeakMap<QuotedBars, SpanBlocks>();

/** The block summaries of `bars`, built on first use (whole blocks only). */
export function spanBlocks(bars: QuotedBars): SpanBlocks {
  let blocks = built.get(bars);
  if (blocks === undefined) {
    blocks = buildSpanBlocks(bars);
    built.set(bars, blocks);
  }
  return blocks;
}

function buildSpanBlocks(bars: QuotedBars): SpanBlocks {
  const count = bars.length >> SPAN_BLOCK_SHIFT;
  const blocks: SpanBlocks = {
    usable: new Uint8Array(count),
    lastOpenUs: new Float64Array(count),
    bidFloor: new Float64Array(count),
    bidCeiling: new Float64Array(count),
    askFloor: new Float64Array(count),
    askCeiling: new Float64Array(count),
    bidLow: new Float64Array(count),
    bidHigh: new Float64Array(count),
    askLow: new Float64Array(count),
    askHigh: new Float64Array(count),
    bidCloseMin: new Int32Array(count),
    bidCloseMax: new Int32Array(count),
    askCloseMin: new Int32Array(count),
    askCloseMax: new Int32Array(count),
  };
  for (let k = 0; k < count; k++) summariseBlock(bars, blocks, k);
  return blocks;
}

/** One row's extremes, as `barExtremes` writes them; reused. */
const row = new Float64Array(4);

/** Block `k`'s summary: a function of its own, so it is optimised after a few calls. */
function summariseBlock(bars: QuotedBars, blocks: SpanBlocks, k: number): void {
  const { openUs, bidOpen, bidHigh, bidLow, bidClose, askOpen, askHigh, askLow, askClose } = bars;
  const from = k << SPAN_BLOCK_SHIFT;
  const to = from + SPAN_BLOCK;
  let lastOpen = -Infinity;
  let bFloor = Infinity, bCeiling = -Infinity, aFloor = Infinity, aCeiling = -Infinity;
  let bLow = Infinity, bHigh = -Infinity, aLow = Infinity, aHigh = -Infinity;
  let bMin = from, bMax = from, aMin = from, aMax = from;
  for (let j = from; j < to; j++) {
    const bo = bidOpen[j], bh = bidHigh[j], bl = bidLow[j], bc = bidClose[j];
    const ao = askOpen[j], ah = askHigh[j], al = askLow[j], ac = askClose[j];
    // NaN fails every comparison: a sum of the prices is NaN when one is.
    if (Number.isNaN(bo + bh + bl + bc + ao + ah + al + ac + openUs[j])) {
      blocks.usable[k] = 0;
      return;
    }
    if (openUs[j] > lastOpen) lastOpen = openUs[j];
    barExtremes(bars, j, row);
    const bMinRow = row[BID_MIN],
      bMaxRow = row[BID_MAX],
      aMinRow = row[ASK_MIN],
      aMaxRow = row[ASK_MAX];
    if (bMinRow < bFloor) bFloor = bMinRow;
    if (bMaxRow > bCeiling) bCeiling = bMaxRow;
    if (aMinRow < aFloor) aFloor = aMinRow;
    if (aMaxRow > aCeiling) aCeiling = aMaxRow;
    if (bl < bLow) bLow = bl;
    if (bh > bHigh) bHigh = bh;
    if (al < aLow) aLow = al;
    if (ah > aHigh) aHigh = ah;
    if (bc < bidClose[bMin]) bMin = j;
    if (bc > bidClose[bMax]) bMax = j;
    if (ac < askClose[aMin]) aMin = j;
    if (ac > askClose[aMax]) aMax = j;
  }
  blocks.usable[k] = 1;
  blocks.lastOpenUs[k] = lastOpen;
  blocks.bidFloor[k] = bFloor;
  blocks.bidCeiling[k] = bCeiling;
  blocks.askFloor[k] = aFloor;
  blocks.askCeiling[k] = aCeiling;
  blocks.bidLow[k] = bLow;
  blocks.bidHigh[k] = bHigh;
  blocks.askLow[k] = aLow;
  blocks.askHigh[k] = aHigh;
  blocks.bidCloseMin[k] = bMin;
  blocks.bidCloseMax[k] = bMax;
  blocks.askCloseMin[k] = aMin;
  blocks.askCloseMax[k] = aMax;
}
