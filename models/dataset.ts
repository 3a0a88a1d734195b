/**
 * Builds a training set from a market-data file in one pass: every M1 bar goes through the
 * feature engine (features from the bar's close and before) and into columns for the
 * triple-barrier labeler (labels from the bars after), and a row is kept where both are
 * defined. The result records where it came from: file, SHA-256 of its bytes, bars read.
 * It must never let a feature read a later bar, nor keep a row whose label runs past `to`.
 */

import { basename } from "node:path";
import {
  DEFAULT_FEATURE_SPEC,
  FeatureEngine,
  type FeatureSpec,
} from "../operators/features/mod.ts";
import { usFromIso } from "../pipeline/events.ts";
import { openSource, type QuoteSides, type Source } from "../sources/mod.ts";
import {
  type LabelBars,
  type ResolvedLabelOptions,
  tripleBarrierLabels,
  type TripleBarrierOptions,
} from "./labels.ts";
import type { Samples } from "./samples.ts";
import { sha256OfFile } from "../sources/file_hash.ts";

export interface BuildDatasetOptions {
  /** The feature spec; the built-in default spec when absent. */
  readonly spec?: FeatureSpec;
  /** Keep rows decided at or after this time (UTC µs or ISO-8601). Earlier bars still warm up. */
  readonly from?: number | string;
  /** Read bars that close at or before this time (UTC µs or ISO-8601); labels never look past it. */
  readonly to?: number | string;
  /** Triple-barrier options; see labels.ts for the defaults. */
  readonly labels?: TripleBarrierOptions;
  /** Keep every k-th row (the first, the (k+1)-th ...) of those with features and a label. */
  readonly sampleEvery?: number;
  /**
   * Hash the files read into the provenance (default true). False for a source that is no
   * fixed file, such as a live journal growing to gigabytes: its provenance lists no file.
   */
  readonly hashFiles?: boolean;
}

/** Where a dataset's numbers came from, so a model card can name its data exactly. */
export interface DataProvenance {
  /** Every file read, in order, by name, with the SHA-256 of its bytes and the rows it gave. */
  readonly files: ReadonlyArray<
    { readonly file: string; readonly sha256: string; readonly rows: number }
  >;
  readonly format: string;
  readonly symbol: string;
  readonly sides: QuoteSides;
  /** M1 bars read (warm-up and unlabelled bars included). */
  readonly barsRead: number;
  /** Open time of the first bar read and close time of the last, UTC µs. */
  readonly firstUs: number;
  readonly lastUs: number;
}

/** Feature rows with labels, in time order, plus everything time-aware code needs. */
export interface Dataset extends Samples {
  /** Decision time: the close of the row's bar, UTC µs. */
  readonly timeUs: Float64Array;
  readonly openUs: Float64Array;
  /** When the row's class was decided: its label window is [timeUs, labelEndUs]. */
  readonly labelEndUs: Float64Array;
  /** Close of the horizon's last bar: the window of `forwardReturn`. */
  readonly horizonEndUs: Float64Array;
  readonly forwardReturn: Float64Array;
  readonly featureNames: readonly string[];
  readonly specHash: string;
  readonly labelOptions: ResolvedLabelOptions;
  readonly sampleEvery: number;
  readonly provenance: DataProvenance;
}

/** A growable Float64Array. */
class Column {
  length = 0;
  data = new Float64Array(1 << 16);

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

const toUs = (time: number | string | undefined, fallback: number) =>
  time === undefined ? fallback : typeof time === "number" ? time : usFromIso(time);

/**
 * The rows a dataset keeps, in µs and as a checked `sampleEvery` (default 1); `what` names
 * the dataset in errors.
 */
export function datasetWindow(
  options: Pick<BuildDatasetOptions, "from" | "to" | "sampleEvery">,
  what: string,
): { readonly fromUs: number; readonly toUs: number; readonly sampleEvery: number } {
  const sampleEvery = options.sampleEvery ?? 1;
  if (!(Number.isInteger(sampleEvery) && sampleEvery >= 1)) {
    throw new RangeError(`Cannot build ${what}: sampleEvery must be 1 or more, got ${sampleEvery}`);
  }
  return { fromUs: toUs(options.from, -Infinity), toUs: toUs(options.to, Infinity), sampleEvery };
}

/** Refuses a source that is not M1 bars: datasets are built from M1. */
export function checkM1(source: Source, what: string): void {
  if (source.resolution !== "M1") {
    throw new TypeError(
      `Cannot build ${what} from ${source.path}: it holds ${source.resolution} data; ` +
        `datasets are built from M1 bars (aggregate ticks to M1 first)`,
    );
  }
}

/**
 * Reads `input` (a path or an opened M1 `Source`) once and returns the rows decided in
 * [`from`, `to`] that have every feature and a label, every `sampleEvery`-th of them.
 * Features warm up on all bars before `from`; bars closing after `to` are not read, so a
 * row whose label window would cross `to` has no label.
 */
export async function buildDataset(
  input: string | Source,
  options: BuildDatasetOptions = {},
): Promise<Dataset> {
  const spec = options.spec ?? DEFAULT_FEATURE_SPEC;
  const { fromUs, toUs: toUsLimit, sampleEvery } = datasetWindow(options, "a dataset");
  const source = typeof input === "string"
    ? await openSource(input, Number.isFinite(toUsLimit) ? { toUs: toUsLimit } : {})
    : input;
  checkM1(source, "a dataset");
  const engine = new FeatureEngine(spec, { hasSpread: source.sides !== "bid" });
  const nFeatures = engine.names.length;
  const row = new Float64Array(nFeatures);
  const cols = {
    openUs: new Column(),
    closeUs: new Column(),
    bidOpen: new Column(),
    bidHigh: new Column(),
    bidLow: new Column(),
    bidClose: new Column(),
    askHigh: new Column(),
    askLow: new Column(),
    askClose: new Column(),
    spread: new Column(),
  };
  // Feature rows of bars decided from `from` on whose features are all ready.
  let features = new Float32Array(1 << 20);
  const featureBar = new Column();

  reading: for await (const batch of source.batches()) {
    if (batch.kind !== "bars") continue;
    for (let i = 0; i < batch.length; i++) {
      const closeUs = batch.closeUs[i];
      if (closeUs > toUsLimit) break reading;
      const bar = cols.openUs.length;
      cols.openUs.push(batch.openUs[i]);
      cols.closeUs.push(closeUs);
      cols.bidOpen.push(batch.bidOpen[i]);
      cols.bidHigh.push(batch.bidHigh[i]);
      cols.bidLow.push(batch.bidLow[i]);
      cols.bidClose.push(batch.bidClose[i]);
      if (batch.askClose) {
        cols.askHigh.push(batch.askHigh![i]);
        cols.askLow.push(batch.askLow![i]);
        cols.askClose.push(batch.askClose[i]);
      }
      const spread = batch.askClose
        ? batch.askClose[i] - batch.bidClose[i]
        : batch.spread
        ? batch.spread[i]
        : NaN;
      if (batch.spread) cols.spread.push(spread);
      const ready = engine.update(
        batch.openUs[i],
        closeUs,
        batch.bidOpen[i],
        batch.bidHigh[i],
        batch.bidLow[i],
        batch.bidClose[i],
        spread,
        row,
      );
      if (!ready || closeUs < fromUs) continue;
      const at = featureBar.length * nFeatures;
      if (at + nFeatures > features.length) {
        const grown = new Float32Array(features.length * 2);
        grown.set(features);
        features = grown;
      }
      features.set(row, at);
      featureBar.push(bar);
    }
  }

  const n = cols.openUs.length;
  if (n === 0) {
    throw new RangeError(`Cannot build a dataset from ${source.path}: no M1 bars up to "to"`);
  }
  const hasAsk = source.sides === "bid-ask";
  const bars: LabelBars = {
    length: n,
    openUs: cols.openUs.values(),
    closeUs: cols.closeUs.values(),
    bidOpen: cols.bidOpen.values(),
    bidHigh: cols.bidHigh.values(),
    bidLow: cols.bidLow.values(),
    bidClose: cols.bidClose.values(),
    askHigh: hasAsk ? cols.askHigh.values() : null,
    askLow: hasAsk ? cols.askLow.values() : null,
    askClose: hasAsk ? cols.askClose.values() : null,
    spread: source.sides === "bid-spread" ? cols.spread.values() : null,
  };
  const labels = tripleBarrierLabels(bars, options.labels);

  // Candidates: feature rows whose bar has a label; then every k-th of them.
  const keep: number[] = [];
  let candidate = 0;
  for (let r = 0; r < featureBar.length; r++) {
    const bar = featureBar.data[r];
    if (Number.isNaN(labels.labelEndUs[bar])) continue;
    if (candidate++ % sampleEvery === 0) keep.push(r);
  }
  const rows = keep.length;
  const x = new Float32Array(rows * nFeatures);
  const y = new Uint8Array(rows);
  const timeUs = new Float64Array(rows);
  const openUs = new Float64Array(rows);
  const labelEndUs = new Float64Array(rows);
  const horizonEndUs = new Float64Array(rows);
  const forwardReturn = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = keep[i];
    const bar = featureBar.data[r];
    x.set(features.subarray(r * nFeatures, (r + 1) * nFeatures), i * nFeatures);
    y[i] = labels.y[bar];
    timeUs[i] = bars.closeUs[bar];
    openUs[i] = bars.openUs[bar];
    labelEndUs[i] = labels.labelEndUs[bar];
    horizonEndUs[i] = labels.horizonEndUs[bar];
    forwardReturn[i] = labels.forwardReturn[bar];
  }
  return {
    rows,
    nFeatures,
    x,
    y,
    timeUs,
    openUs,
    labelEndUs,
    horizonEndUs,
    forwardReturn,
    featureNames: engine.names,
    specHash: engine.hash,
    labelOptions: labels.options,
    sampleEvery,
    provenance: await provenanceOf(source, n, bars.openUs[0], bars.closeUs[n - 1], {
      hashFiles: options.hashFiles,
    }),
  };
}

/**
 * Where `source`'s bars came from: every file hashed (none listed with `hashFiles: false`),
 * and the bars read between two times.
 */
export async function provenanceOf(
  source: Source,
  barsRead: number,
  firstUs: number,
  lastUs: number,
  options: Pick<BuildDatasetOptions, "hashFiles"> = {},
): Promise<DataProvenance> {
  return {
    files: options.hashFiles === false ? [] : await Promise.all(
      source.files.map(async (file, i) => ({
        file: basename(file),
        sha256: await sha256OfFile(file),
        rows: source.fileReports[i].rowsEmitted,
      })),
    ),
    format: source.format,
    symbol: source.symbol,
    sides: source.sides,
    barsRead,
    firstUs,
    lastUs,
  };
}
