/**
 * The real M1 years the feature tests run on, read through `openSource` exactly as the
 * `features` command reads them (UTC times, HistData's repeated EU fall-back hour
 * dropped), and the feature engine run over them. Files are named relative to the
 * shared data folder, for `dataTest()` and `dataPath()`; this helper never invents bars.
 */

import { FeatureEngine, type FeatureSpec } from "@/operators/features/mod.ts";
import { openSource, type SourceOptions } from "@/sources/mod.ts";
import { dataPath } from "../../_data.ts";

export const YEARS = [2017, 2018, 2023] as const;
export type Year = typeof YEARS[number];

/** A HistData M1 year, relative to the shared data folder. */
export function histdataRel(year: Year): string {
  return `xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${year}.csv.gz`;
}

/** M1 bid bars as columns; `openUs`/`closeUs` in UTC µs. */
export interface M1Bars {
  readonly length: number;
  readonly openUs: Float64Array;
  readonly closeUs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
}

/** The bars of a data file (within `options`' window), concatenated into columns. */
export async function readM1(rel: string, options: SourceOptions = {}): Promise<M1Bars> {
  const source = await openSource(dataPath(rel), options);
  if (source.resolution !== "M1") {
    throw new TypeError(`Expected M1 bars in "${rel}", found ${source.resolution}`);
  }
  const parts: M1Bars[] = [];
  for await (const batch of source.batches()) {
    if (batch.kind !== "bars") throw new TypeError(`Expected bars in "${rel}", found ticks`);
    parts.push({
      length: batch.length,
      openUs: batch.openUs,
      closeUs: batch.closeUs,
      open: batch.bidOpen,
      high: batch.bidHigh,
      low: batch.bidLow,
      close: batch.bidClose,
    });
  }
  const length = parts.reduce((n, p) => n + p.length, 0);
  const join = (pick: (p: M1Bars) => Float64Array) => {
    const out = new Float64Array(length);
    let at = 0;
    for (const p of parts) {
      out.set(pick(p).subarray(0, p.length), at);
      at += p.length;
    }
    return out;
  };
  return {
    length,
    openUs: join((p) => p.openUs),
    closeUs: join((p) => p.closeUs),
    open: join((p) => p.open),
    high: join((p) => p.high),
    low: join((p) => p.low),
    close: join((p) => p.close),
  };
}

const years = new Map<Year, Promise<M1Bars>>();

/** A whole HistData year, read once per test module. */
export function histdataYear(year: Year): Promise<M1Bars> {
  let loaded = years.get(year);
  if (loaded === undefined) {
    loaded = readM1(histdataRel(year));
    years.set(year, loaded);
  }
  return loaded;
}

/** The bars `from` (inclusive) to `to` (exclusive) as views, without copying. */
export function sliceBars(bars: M1Bars, from: number, to = bars.length): M1Bars {
  return {
    length: to - from,
    openUs: bars.openUs.subarray(from, to),
    closeUs: bars.closeUs.subarray(from, to),
    open: bars.open.subarray(from, to),
    high: bars.high.subarray(from, to),
    low: bars.low.subarray(from, to),
    close: bars.close.subarray(from, to),
  };
}

/**
 * Streams `bars` through a fresh bid-only engine, calling `onRow` with each bar's index,
 * its feature row (reused: copy what you keep) and whether the row is ready.
 */
export function runEngine(
  spec: FeatureSpec,
  bars: M1Bars,
  onRow: (i: number, row: Float64Array, ready: boolean) => void,
): FeatureEngine {
  const engine = new FeatureEngine(spec, { hasSpread: false });
  const row = new Float64Array(engine.names.length);
  for (let i = 0; i < bars.length; i++) {
    const ready = engine.update(
      bars.openUs[i],
      bars.closeUs[i],
      bars.open[i],
      bars.high[i],
      bars.low[i],
      bars.close[i],
      NaN,
      row,
    );
    onRow(i, row, ready);
  }
  return engine;
}

/** The index of the first ready row of `spec` over `bars`, or -1. */
export function firstReady(spec: FeatureSpec, bars: M1Bars): number {
  let first = -1;
  runEngine(spec, bars, (i, _row, ready) => {
    if (ready && first < 0) first = i;
  });
  return first;
}

/** The index of the first bar opening at or after `us` (bars.length when none). */
export function indexAtOrAfter(bars: M1Bars, us: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bars.openUs[mid] < us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A seeded PRNG (mulberry32) in [0, 1), so sampled checkpoints are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The first column where two rows differ by `Object.is` (equal bits up to NaN payloads,
 * and 0 differs from -0), or -1 when they are identical.
 */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Rows of ${a.length} and ${b.length} values`);
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return j;
  return -1;
}
