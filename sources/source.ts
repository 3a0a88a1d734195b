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
  /** One pass over the file. */
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

/** Growable typed-array columns for bars; `take()` hands them over and starts afresh. */
export class BarColumnsBuilder {
  length = 0;
  private capacity: number;
  private openUs!: Float64Array;
  private closeUs!: Float64Array;
  private bid!: Float64Array[];
  private ask!: Float64Array[] | null;
  private spread!: Float64Array | null;
  private volume!: Float64Array | null;

  constructor(
    readonly timeframe: Timeframe,
    readonly sides: QuoteSides,
    readonly hasVolume: boolean,
    initialCapacity = 4096,
  ) {
    this.capacity = initialCapacity;
    this.allocate();
  }

  private allocate(): void {
    const n = this.capacity;
    const col = () => new Float64Array(n);
    this.openUs = col();
    this.closeUs = col();
    this.bid = [col(), col(), col(), col()];
    this.ask = this.sides === "bid-ask" ? [col(), col(), col(), col()] : null;
    this.spread = this.sides === "bid-spread" ? col() : null;
    this.volume = this.hasVolume ? col() : null;
  }

  private grow(): void {
    const old = this.take();
    this.capacity *= 2;
    this.allocate();
    const copy = (to: Float64Array, from: Float64Array | null) => from && to.set(from);
    copy(this.openUs, old.openUs);
    copy(this.closeUs, old.closeUs);
    [old.bidOpen, old.bidHigh, old.bidLow, old.bidClose].forEach((c, i) => copy(this.bid[i], c));
    if (this.ask) {
      [old.askOpen, old.askHigh, old.askLow, old.askClose].forEach((c, i) => copy(this.ask![i], c));
    }
    if (this.spread) copy(this.spread, old.spread);
    if (this.volume) copy(this.volume, old.volume);
    this.length = old.length;
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
    this.bid[0][i] = bidOpen;
    this.bid[1][i] = bidHigh;
    this.bid[2][i] = bidLow;
    this.bid[3][i] = bidClose;
    if (this.ask) {
      this.ask[0][i] = askOpen;
      this.ask[1][i] = askHigh;
      this.ask[2][i] = askLow;
      this.ask[3][i] = askClose;
    }
    if (this.spread) this.spread[i] = spread;
    if (this.volume) this.volume[i] = volume;
  }

  /** The bars so far as a batch of their own; the builder's arrays are reused. */
  take(): BarBatch {
    const n = this.length;
    const view = (c: Float64Array) => c.slice(0, n);
    const batch: BarBatch = {
      kind: "bars",
      timeframe: this.timeframe,
      length: n,
      openUs: view(this.openUs),
      closeUs: view(this.closeUs),
      bidOpen: view(this.bid[0]),
      bidHigh: view(this.bid[1]),
      bidLow: view(this.bid[2]),
      bidClose: view(this.bid[3]),
      askOpen: this.ask && view(this.ask[0]),
      askHigh: this.ask && view(this.ask[1]),
      askLow: this.ask && view(this.ask[2]),
      askClose: this.ask && view(this.ask[3]),
      spread: this.spread && view(this.spread),
      volume: this.volume && view(this.volume),
    };
    this.length = 0;
    return batch;
  }
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
