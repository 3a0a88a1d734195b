/**
 * Histogram binning for the tree trainers. Per feature, up to 255 bins cut at quantiles
 * of a seeded row subsample, with float32 upper edges chosen so that `x <= edges[b]`
 * (both float32) is exactly the bin test: row value x is in bin b when
 * `edges[b - 1] < x <= edges[b]`, the last bin being open above. A tree threshold is
 * always one of these edges, so a split learnt on bins routes raw rows identically.
 * It must never accept a non-finite value, nor modify the rows it reads.
 */

import { Random } from "../random.ts";
import type { Samples } from "../samples.ts";
import { drawSorted } from "./_tree.ts";

/** Options of `fitBinEdges` and `binFeatures`. */
export interface BinOptions {
  /** Most bins per feature, 2..255; default 255. */
  readonly maxBins?: number;
  /** Rows drawn (seeded, without replacement) to place the edges; default 200,000, all rows when fewer. */
  readonly sampleRows?: number;
  /** Seed of the row draw; default 0. */
  readonly seed?: number;
}

/** Feature rows as the binning reads them: row-major float32 (a `Samples` fits). */
export type FeatureRows = Pick<Samples, "rows" | "nFeatures" | "x">;

/** A feature matrix as bin codes, with the edges that define them. */
export interface BinnedFeatures {
  readonly rows: number;
  readonly nFeatures: number;
  /** Per feature, strictly increasing float32 upper edges of bins 0 .. nBins - 2. */
  readonly edges: readonly Float32Array[];
  /** Column-major bin codes: `codes[j * rows + i]` is row i's bin of feature j. */
  readonly codes: Uint8Array;
}

export const DEFAULT_MAX_BINS = 255;
const DEFAULT_SAMPLE_ROWS = 200_000;

/** The bin of `value` under `edges`: the number of edges strictly below it. */
export function binOf(edges: Float32Array, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function assertFinite(data: FeatureRows): void {
  const { x, nFeatures: f } = data;
  if (x.length !== data.rows * f) {
    throw new RangeError(
      `Cannot bin features: x holds ${x.length} values, not rows x nFeatures = ${data.rows} x ${f}`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new RangeError(
        `Cannot bin features: row ${Math.floor(i / f)}, feature ${i % f} is ${x[i]}; ` +
          "the tree trainers take only finite feature rows",
      );
    }
  }
}

/**
 * Float32 bits mapped so that unsigned order is numeric order (sorting integers is
 * several times faster than sorting floats): negatives flipped, positives offset.
 */
function sortKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

function fromSortKey(key: number): number {
  return (key & 0x80000000 ? key & 0x7fffffff : ~key) >>> 0;
}

/** A float32 edge e with a <= e < b, as near the middle as float32 allows. */
function edgeBetween(a: number, b: number): number {
  const mid = Math.fround((a + b) / 2);
  return mid < b ? mid : a;
}

/** Edges for one feature from its sorted sample: one bin per distinct value, or quantiles. */
function edgesOfSorted(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  let distinct = n === 0 ? 0 : 1;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const edges: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) {
      if (sorted[i] !== sorted[i - 1]) edges.push(edgeBetween(sorted[i - 1], sorted[i]));
    }
    return Float32Array.from(edges);
  }
  // Greedy equal-frequency: close the current bin once it holds its share of what is
  // left, so a heavily repeated value takes one bin and the rest is re-spread.
  let binsLeft = maxBins;
  let binStart = 0;
  for (let i = 1; i < n && binsLeft > 1; i++) {
    if (sorted[i] === sorted[i - 1]) continue;
    if (i - binStart >= (n - binStart) / binsLeft) {
      edges.push(edgeBetween(sorted[i - 1], sorted[i]));
      binStart = i;
      binsLeft--;
    }
  }
  return Float32Array.from(edges);
}

/**
 * Bin edges per feature from quantiles of a seeded subsample of the rows.
 *
 * @example
 * ```ts
 * const edges = fitBinEdges({ rows: 3, nFeatures: 1, x: Float32Array.of(1, 2, 3) });
 * // edges[0] is Float32Array [1.5, 2.5]: bins {1}, {2}, {3}
 * ```
 */
export function fitBinEdges(data: FeatureRows, options: BinOptions = {}): Float32Array[] {
  const maxBins = options.maxBins ?? DEFAULT_MAX_BINS;
  const sampleRows = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 255) {
    throw new RangeError(`Bin count must be an integer in 2..255, got ${maxBins}`);
  }
  if (!Number.isInteger(sampleRows) || sampleRows < 1) {
    throw new RangeError(`Binning sample must be a positive integer, got ${sampleRows}`);
  }
  assertFinite(data);
  const { rows, nFeatures: f, x } = data;
  const take = Math.min(rows, sampleRows);
  const sample = take === rows ? null : drawSorted(rows, take, new Random(options.seed ?? 0));
  // One sequential pass over the rows into sortable keys, column-major.
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const keys = new Uint32Array(take * f);
  for (let i = 0; i < take; i++) {
    const at = (sample ? sample[i] : i) * f;
    for (let j = 0; j < f; j++) keys[j * take + i] = sortKey(bits[at + j]);
  }
  const sorted = new Float32Array(take);
  const sortedBits = new Uint32Array(sorted.buffer);
  const edges: Float32Array[] = [];
  for (let j = 0; j < f; j++) {
    const column = keys.subarray(j * take, (j + 1) * take).sort();
    for (let i = 0; i < take; i++) sortedBits[i] = fromSortKey(column[i]);
    edges.push(edgesOfSorted(sorted, maxBins));
  }
  return edges;
}

/**
 * For each of the 65,536 leading 16 bits of a sort key, the bin of the least value
 * with them: a value's bin then lies between its bucket's entry and the next one's,
 * usually equal to the first. Built by one merge of buckets and edges.
 */
function bucketBins(edges: Float32Array): Uint8Array {
  const table = new Uint8Array(65_537);
  const value = new Float32Array(1);
  const valueBits = new Uint32Array(value.buffer);
  let b = 0;
  for (let t = 0; t < 65_536; t++) {
    valueBits[0] = fromSortKey(t << 16);
    while (b < edges.length && value[0] > edges[b]) b++;
    table[t] = b;
  }
  table[65_536] = edges.length;
  return table;
}

/** Bin codes (column-major) of `data` under `edges`; equal to `binOf` for every value. */
export function binRows(data: FeatureRows, edges: readonly Float32Array[]): Uint8Array {
  assertFinite(data);
  const { rows, nFeatures: f, x } = data;
  if (edges.length !== f) {
    throw new RangeError(`Cannot bin ${f} features with edges for ${edges.length}`);
  }
  const tables = edges.map(bucketBins);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const codes = new Uint8Array(rows * f);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) {
      const key = sortKey(bits[i * f + j]);
      const table = tables[j];
      const e = edges[j];
      const value = x[i * f + j];
      let lo = table[key >>> 16];
      let hi = table[(key >>> 16) + 1];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (value <= e[mid]) hi = mid;
        else lo = mid + 1;
      }
      codes[j * rows + i] = lo;
    }
  }
  return codes;
}

/** Fits edges on `data` and bins it: the input of the tree trainers. */
export function binFeatures(data: FeatureRows, options: BinOptions = {}): BinnedFeatures {
  const edges = fitBinEdges(data, options);
  return { rows: data.rows, nFeatures: data.nFeatures, edges, codes: binRows(data, edges) };
}
