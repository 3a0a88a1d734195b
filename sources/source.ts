/**
 * The source contract: a market-data file read as column-wise batches in UTC, with a
 * report of everything it saw, dropped or refused. Batches are typed-array columns so
 * the hot path (parse -> aggregate -> resample -> write) allocates per batch, never per
 * row; `pipeline/replay.ts` turns them into events for the Rx spine.
 * A source must never invent, reorder or silently drop a row.
 */

import type { Timeframe } from "../pipeline/events.ts";
import { BadInputError } from "../pipeline/errors.ts";
import type { Plausibility } from "../pipeline/plausibility.ts";

export const FORMATS = ["histdata", "mt5", "oanda-ticks", "quote-bars"] as const;
export type FormatName = typeof FORMATS[number];

export type BadLinePolicy = "fail" | "skip";

/** Bars in time order; ask columns when the data has asks, else `spread` when it has one. */
export interface BarBatch {
  readonly kind: "bars";
  readonly timeframe: Timeframe;
  readonly length: number;
  readonly openUs: Float64Array;
  readonly closeUs: Float64Array;
  readonly bidOpen: Float64Array;
  readonly bidHigh: Float64Array;
  readonly bidLow: Float64Array;
  readonly bidClose: Float64Array;
  readonly askOpen: Float64Array | null;
  readonly askHigh: Float64Array | null;
  readonly askLow: Float64Array | null;
  readonly askClose: Float64Array | null;
  /** Spread in price units (not points). */
  readonly spread: Float64Array | null;
  readonly volume: Float64Array | null;
}

export interface TickBatch {
  readonly kind: "ticks";
  readonly length: number;
  readonly timeUs: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
}

export type Batch = BarBatch | TickBatch;

/** What the data carries besides bid prices. */
export type QuoteSides = "bid-ask" | "bid-spread" | "bid";

/** Everything a read saw: the data-quality summary starts here. */
export interface ReadReport {
  linesRead: number;
  rowsEmitted: number;
  blankLines: number;
  /** Rows validated but outside --from/--to. */
  rowsOutsideRange: number;
  /** Known, expected repeats dropped by a format rule (HistData's EU fall-back hour). */
  duplicatesDropped: number;
  /** Bad lines skipped under `--on-bad-line=skip`, by reason. */
  badLines: Record<string, number>;
  /** The first bad line of each reason, for the report. */
  badLineExamples: Record<string, string>;
  firstUs: number | null;
  lastUs: number | null;
}

export function emptyReport(): ReadReport {
  return {
    linesRead: 0,
    rowsEmitted: 0,
    blankLines: 0,
    rowsOutsideRange: 0,
    duplicatesDropped: 0,
    badLines: {},
    badLineExamples: {},
    firstUs: null,
    lastUs: null,
  };
}

export interface SourceOptions {
  readonly onBadLine?: BadLinePolicy;
  /** Keep rows whose (open) time is at or after this UTC µs. */
  readonly fromUs?: number;
  /** Keep rows whose (open) time is before this UTC µs. */
  readonly toUs?: number;
  readonly symbol?: string;
  /** Bounds on prices and times beyond the defaults (`DEFAULT_PLAUSIBILITY`). */
  readonly plausibility?: Partial<Plausibility>;
}

export interface Source {
  /** The file, or for several read as one (`concat.ts`), their paths joined by " + ". */
  readonly path: string;
  /** Every file read, in order. */
  readonly files: readonly string[];
  /** Each file's own report, in the order of `files`; complete once `batches()` has finished. */
  readonly fileReports: readonly ReadReport[];
  readonly format: FormatName;
  readonly symbol: string;
  readonly sides: QuoteSides;
  /** Bars' timeframe, or "tick". */
  readonly resolution: Timeframe | "tick";
  /** Filled in as `batches()` runs; complete once it has finished. */
  readonly report: ReadReport;
  /**
   * One pass over the file. Each batch's columns are the consumer's to keep: a source
   * never writes into a batch it has yielded.
   */
  batches(): AsyncGenerator<Batch>;
}

/** Applies the bad-line policy: throws under "fail", counts under "skip". */
export class BadLines {
  constructor(
    private readonly file: string,
    private readonly policy: BadLinePolicy,
    private readonly report: ReadReport,
  ) {}

  record(line: number, reason: string, text: string): void {
    if (this.policy === "fail") {
      throw new BadInputError(
        this.file,
        line,
        `${reason}; pass --on-bad-line=skip to skip and count such lines`,
        text,
      );
    }
    this.report.badLines[reason] = (this.report.badLines[reason] ?? 0) + 1;
    this.report.badLineExamples[reason] ??= `line ${line}: ${text}`;
  }
}

/** Why a bid or ask OHLC cannot be a real bar, or null when it can. */
export function ohlcProblem(open: number, high: number, low: number, close: number): string | null {
  if (Number.isNaN(open + high + low + close)) return "non-numeric price";
  if (!(open > 0 && high > 0 && low > 0 && close > 0)) return "non-positive price";
  if (high < low) return "high < low";
  if (open > high || open < low || close > high || close < low) {
    return "open or close outside the high-low range";
  }
  return null;
}

const NO_COLUMN = new Float64Array(0);

/** `c` in a new array of `capacity`, its first `length` values kept. */
function resized(c: Float64Array, capacity: number, length: number): Float64Array {
  if (c === NO_COLUMN) return c;
  const next = new Float64Array(capacity);
  next.set(c.subarray(0, length));
  return next;
}

/**
 * Growable typed-array columns for bars, one field each (no per-row indirection). The
 * columns are reused from batch to batch: `take()` hands a tight copy over and starts
 * afresh in the same arrays.
 */
export class BarColumnsBuilder {
  length = 0;
  private capacity: number;
  private readonly hasAsk: boolean;
  private readonly hasSpread: boolean;
  private openUs: Float64Array;
  private closeUs: Float64Array;
  private bidOpen: Float64Array;
  private bidHigh: Float64Array;
  private bidLow: Float64Array;
  private bidClose: Float64Array;
  private askOpen: Float64Array;
  private askHigh: Float64Array;
  private askLow: Float64Array;
  private askClose: Float64Array;
  private spread: Float64Array;
  private volume: Float64Array;

  constructor(
    readonly timeframe: Timeframe,
    readonly sides: QuoteSides,
    readonly hasVolume: boolean,
    initialCapacity = 4096,
  ) {
    const n = initialCapacity;
    this.capacity = n;
    this.hasAsk = sides === "bid-ask";
    this.hasSpread = sides === "bid-spread";
    const col = (present: boolean) => present ? new Float64Array(n) : NO_COLUMN;
    this.openUs = col(true);
    this.closeUs = col(true);
    this.bidOpen = col(true);
    this.bidHigh = col(true);
    this.bidLow = col(true);
    this.bidClose = col(true);
    this.askOpen = col(this.hasAsk);
    this.askHigh = col(this.hasAsk);
    this.askLow = col(this.hasAsk);
    this.askClose = col(this.hasAsk);
    this.spread = col(this.hasSpread);
    this.volume = col(hasVolume);
  }

  private grow(): void {
    const n = this.capacity * 2;
    const len = this.length;
    this.openUs = resized(this.openUs, n, len);
    this.closeUs = resized(this.closeUs, n, len);
    this.bidOpen = resized(this.bidOpen, n, len);
    this.bidHigh = resized(this.bidHigh, n, len);
    this.bidLow = resized(this.bidLow, n, len);
    this.bidClose = resized(this.bidClose, n, len);
    this.askOpen = resized(this.askOpen, n, len);
    this.askHigh = resized(this.askHigh, n, len);
    this.askLow = resized(this.askLow, n, len);
    this.askClose = resized(this.askClose, n, len);
    this.spread = resized(this.spread, n, len);
    this.volume = resized(this.volume, n, len);
    this.capacity = n;
  }

  /** Appends one bar; pass NaN for the columns the data does not have. */
  push(
    openUs: number,
    closeUs: number,
    bidOpen: number,
    bidHigh: number,
    bidLow: number,
    bidClose: number,
    askOpen: number,
    askHigh: number,
    askLow: number,
    askClose: number,
    spread: number,
    volume: number,
  ): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.openUs[i] = openUs;
    this.closeUs[i] = closeUs;
    this.bidOpen[i] = bidOpen;
    this.bidHigh[i] = bidHigh;
    this.bidLow[i] = bidLow;
    this.bidClose[i] = bidClose;
    if (this.hasAsk) {
      this.askOpen[i] = askOpen;
      this.askHigh[i] = askHigh;
      this.askLow[i] = askLow;
      this.askClose[i] = askClose;
    }
    if (this.hasSpread) this.spread[i] = spread;
    if (this.hasVolume) this.volume[i] = volume;
  }

  /** The bars so far as a batch of their own; the builder's arrays are reused. */
  take(): BarBatch {
    const n = this.length;
    const batch = barBatchOf(
      this.timeframe,
      this.sides,
      this.hasVolume,
      n,
      (name) => this[name].slice(0, n),
    );
    this.length = 0;
    return batch;
  }
}

/**
 * Bar batches kept whole as they pass, joined into one by `take()`: each bar is copied
 * once, where a `BarColumnsBuilder` fed bar by bar copies it again at every growth and on
 * `take()` (a year of M1 bars: docs/results/bench.md). Its batch has the columns a
 * builder of the same sides and volume would give.
 */
export class BarBatchJoiner {
  private kept: BarBatch[] = [];
  private length = 0;

  constructor(
    readonly timeframe: Timeframe,
    readonly sides: QuoteSides,
    readonly hasVolume: boolean,
  ) {}

  /** Keeps `batch`, which must be of this joiner's timeframe and sides, uncopied. */
  add(batch: BarBatch): void {
    if (batch.timeframe !== this.timeframe) {
      throw new RangeError(`Cannot join ${batch.timeframe} bars to ${this.timeframe} bars`);
    }
    this.kept.push(batch);
    this.length += batch.length;
  }

  /**
   * Every bar kept, in order, as one batch; the joiner starts afresh. A column whose
   * batches are consecutive views of one array (a pass from the read cache) is that
   * array's view, not a copy.
   */
  take(): BarBatch {
    const { kept, length } = this;
    const joined = barBatchOf(this.timeframe, this.sides, this.hasVolume, length, (name) => {
      const whole = consecutiveViews(kept, name, length);
      if (whole !== null) return whole;
      const column = new Float64Array(length);
      let at = 0;
      for (const batch of kept) {
        const values = batch[name];
        if (values === null) {
          throw new RangeError(`Cannot join a bar batch without its ${name} column`);
        }
        column.set(values.subarray(0, batch.length), at);
        at += batch.length;
      }
      return column;
    });
    this.kept = [];
    this.length = 0;
    return joined;
  }
}

/**
 * Column `name` of `batches` as one view, when each batch's column is exactly its rows and
 * starts in the same buffer right where the one before ends; else null.
 */
function consecutiveViews(
  batches: readonly BarBatch[],
  name: BarColumn,
  length: number,
): Float64Array | null {
  const first = batches[0]?.[name];
  if (first === null || first === undefined) return null;
  let end = first.byteOffset;
  for (const batch of batches) {
    const part = batch[name];
    if (
      part === null || part.buffer !== first.buffer || part.byteOffset !== end ||
      part.length !== batch.length
    ) return null;
    end += part.byteLength;
  }
  return new Float64Array(first.buffer, first.byteOffset, length);
}

/** The names of a bar batch's columns. */
export type BarColumn = Exclude<keyof BarBatch, "kind" | "timeframe" | "length">;

/**
 * A batch of `length` bars with the columns its sides and volume call for (the asks for
 * bid-ask data, a spread for bid-spread data), each made by `column`: the one rule every
 * builder of batches follows.
 */
export function barBatchOf(
  timeframe: Timeframe,
  sides: QuoteSides,
  hasVolume: boolean,
  length: number,
  column: (name: BarColumn) => Float64Array,
): BarBatch {
  const ask = sides === "bid-ask";
  return {
    kind: "bars",
    timeframe,
    length,
    openUs: column("openUs"),
    closeUs: column("closeUs"),
    bidOpen: column("bidOpen"),
    bidHigh: column("bidHigh"),
    bidLow: column("bidLow"),
    bidClose: column("bidClose"),
    askOpen: ask ? column("askOpen") : null,
    askHigh: ask ? column("askHigh") : null,
    askLow: ask ? column("askLow") : null,
    askClose: ask ? column("askClose") : null,
    spread: sides === "bid-spread" ? column("spread") : null,
    volume: hasVolume ? column("volume") : null,
  };
}

/** Growable typed-array columns for ticks. */
export class TickColumnsBuilder {
  length = 0;
  private timeUs: Float64Array;
  private bid: Float64Array;
  private ask: Float64Array;

  constructor(private capacity = 8192) {
    this.timeUs = new Float64Array(capacity);
    this.bid = new Float64Array(capacity);
    this.ask = new Float64Array(capacity);
  }

  push(timeUs: number, bid: number, ask: number): void {
    if (this.length === this.capacity) {
      this.capacity *= 2;
      const grow = (c: Float64Array) => {
        const next = new Float64Array(this.capacity);
        next.set(c);
        return next;
      };
      this.timeUs = grow(this.timeUs);
      this.bid = grow(this.bid);
      this.ask = grow(this.ask);
    }
    const i = this.length++;
    this.timeUs[i] = timeUs;
    this.bid[i] = bid;
    this.ask[i] = ask;
  }

  take(): TickBatch {
    const n = this.length;
    const batch: TickBatch = {
      kind: "ticks",
      length: n,
      timeUs: this.timeUs.slice(0, n),
      bid: this.bid.slice(0, n),
      ask: this.ask.slice(0, n),
    };
    this.length = 0;
    return batch;
  }
}
