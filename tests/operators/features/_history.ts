/**
 * The real M1 years the feature tests run on, read through `openSource` exactly as the
 * `features` command reads them (UTC times, HistData's repeated EU fall-back hour
 * dropped), and the feature engine run over them. Files are named relative to the
 * shared data folder, for `dataTest()` and `dataPath()`; this helper never invents bars.
 */

import { FeatureEngine, type FeatureSpec } from "@/operators/features/mod.ts";
import { type BarBatch, openSource, type SourceOptions } from "@/sources/mod.ts";
import { dataPath } from "../../_data.ts";

export const YEARS = [2017, 2018, 2023] as const;
export type Year = typeof YEARS[number];

/** A HistData M1 year, relative to the shared data folder. */
export function histdataRel(year: Year): string {
  return `xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${year}.csv.gz`;
}

/** M1 bid bars as columns; `openUs`/`closeUs` in UTC µs; `spread` when the data has one. */
export interface M1Bars {
  readonly length: number;
  readonly openUs: Float64Array;
  readonly closeUs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly spread: Float64Array | null;
}

/** The bars of a data file (within `options`' window), concatenated into columns. */
export async function readM1(rel: string, options: SourceOptions = {}): Promise<M1Bars> {
  const source = await openSource(dataPath(rel), options);
  if (source.resolution !== "M1") {
    throw new TypeError(`Expected M1 bars in "${rel}", found ${source.resolution}`);
  }
  const parts: BarBatch[] = [];
  for await (const batch of source.batches()) {
    if (batch.kind !== "bars") throw new TypeError(`Expected bars in "${rel}", found ticks`);
    parts.push(batch);
  }
  const length = parts.reduce((n, p) => n + p.length, 0);
  const join = (pick: (p: BarBatch) => Float64Array) => {
    const out = new Float64Array(length);
    let at = 0;
    for (const p of parts) {
      out.set(pick(p).subarray(0, p.length), at);
      at += p.length;
    }
    return out;
  };
  const asks = parts[0]?.askClose ?? null;
  return {
    length,
    openUs: join((p) => p.openUs),
    closeUs: join((p) => p.closeUs),
    open: join((p) => p.bidOpen),
    high: join((p) => p.bidHigh),
    low: join((p) => p.bidLow),
    close: join((p) => p.bidClose),
    spread: asks !== null
      ? join((p) => p.askClose!.map((ask, i) => ask - p.bidClose[i]))
      : parts[0]?.spread
      ? join((p) => p.spread!)
      : null,
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
    spread: bars.spread?.subarray(from, to) ?? null,
  };
}

/**
 * Streams `bars` through a fresh engine (given the spread when the bars have one),
 * calling `onRow` with each bar's index, its feature row (reused: copy what you keep)
 * and whether the row is ready.
 */
export function runEngine(
  spec: FeatureSpec,
  bars: M1Bars,
  onRow: (i: number, row: Float64Array, ready: boolean) => void,
): FeatureEngine {
  const spread = bars.spread;
  const engine = new FeatureEngine(spec, { hasSpread: spread !== null });
  const row = new Float64Array(engine.names.length);
  for (let i = 0; i < bars.length; i++) {
    const ready = engine.update(
      bars.openUs[i],
      bars.closeUs[i],
      bars.open[i],
      bars.high[i],
      bars.low[i],
      bars.close[i],
      spread === null ? NaN : spread[i],
      row,
    );
    onRow(i, row, ready);
  }
  return engine;
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
