/**
 * The checks every row passes before it leaves a source: a valid, plausible time that
 * moves forward by less than the largest step, plausible prices (finite, inside the band,
 * consistent OHLC, ask not below bid nor too far above it, no jump far beyond the recent
 * move: `pipeline/plausibility.ts`), and the --from/--to window. A failing row goes to the
 * bad-line policy, named by its own line; it is never repaired, reordered or dropped
 * without a count.
 *
 * A row that moves forward by more than an hour (or its own span, if longer) is held until
 * the next row: if that one falls between the row before and the held row, the held row is
 * the mistyped one (a stray 2017-01-19 between two 2017-01-03 rows) and is refused, so the
 * good rows after it are not lost as "out of order". A shorter step is taken as it comes:
 * a row a few minutes early is then the one refused, as out of order. The first row of a
 * file has no row before it and is judged by the window and the band alone.
 */

import {
  askProblem,
  bandProblem,
  inWindow,
  type Plausibility,
  type PlausibilityReasons,
  plausibilityReasons,
  RecentMove,
  spreadProblem,
  TICK_SPAN_US,
} from "../pipeline/plausibility.ts";
import { TIMEFRAME_US, US_PER_HOUR } from "../pipeline/events.ts";
import { excerpt } from "./_bytes.ts";
import type { RowHandler } from "./_delimited.ts";
import {
  type BadLines,
  type BarColumnsBuilder,
  type Batch,
  ohlcProblem,
  type ReadReport,
  type TickColumnsBuilder,
} from "./source.ts";

/**
 * Why a volume column's value is bad, or null: NaN (missing or not a number) only when
 * `required`, never negative or infinite. `name` is the column's.
 */
export function volumeProblem(volume: number, required: boolean, name = "volume"): string | null {
  if (volume >= 0 && volume < Infinity) return null;
  if (volume === Infinity) return `non-finite ${name}`;
  return Number.isNaN(volume) && !required ? null : `missing or negative ${name}`;
}

/** Time order, plausibility, the held row and the range window, shared by bars and ticks. */
abstract class Acceptor {
  /** The last row committed (accepted and no longer held). */
  protected prevUs = -Infinity;
  protected prevLine = 0;
  done = false;
  // The report's counts, kept here and written by `sync()`.
  private emitted = 0;
  private outside = 0;
  private firstUs = NaN;
  private lastUs = NaN;
  protected readonly reasons: PlausibilityReasons;
  protected readonly moves: RecentMove;
  // The bounds as plain fields: read on every row.
  protected readonly minPrice: number;
  protected readonly maxPrice: number;
  protected readonly maxAskBid: number;
  private readonly maxJump: number;
  private readonly latestUs: number;
  private readonly maxStepUs: number;
  /** A row further than this after the previous one is held until the next row. */
  private readonly holdAfterUs: number;
  /** Steps up to this are neither held nor too long: the usual row's. */
  private readonly usualStepUs: number;
  /** The values of a row that takes the slow path (time first). */
  protected readonly row: Float64Array;
  /** The held row's values, its line and a copy of its text (the block may be gone). */
  protected readonly held: Float64Array;
  private heldLine = 0;
  private heldText: Uint8Array = new Uint8Array(0);

  constructor(
    protected readonly bad: BadLines,
    protected readonly report: ReadReport,
    protected readonly limits: Plausibility,
    /** A row's own span (timeframe, or a second for ticks). */
    spanUs: number,
    width: number,
    private readonly fromUs: number,
    private readonly toUs: number,
  ) {
    this.reasons = plausibilityReasons(limits);
    this.moves = new RecentMove(spanUs);
    this.holdAfterUs = Math.max(spanUs, US_PER_HOUR);
    this.row = new Float64Array(width);
    this.held = new Float64Array(width);
    this.minPrice = limits.minPrice;
    this.maxPrice = limits.maxPrice;
    this.maxAskBid = limits.maxAskBid;
    this.maxJump = limits.maxJump;
    this.latestUs = limits.latestUs;
    this.maxStepUs = limits.maxTimeStepUs;
    this.usualStepUs = Math.min(this.holdAfterUs, this.maxStepUs);
  }

  /** The time of the last row that passed every check, held or not. */
  get lastAcceptedUs(): number {
    return this.heldLine !== 0 ? this.held[0] : this.prevUs;
  }

  /** The file has ended: a row still held is kept (nothing came to contradict it). */
  finish(): void {
    if (this.heldLine !== 0) this.commitHeld(this.heldLine);
    this.sync();
  }

  /** The rows kept since the last call, as a batch, or null; the report is brought up to date. */
  flush(): Batch | null {
    this.sync();
    return this.take();
  }

  protected abstract take(): Batch | null;

  /**
   * Is `timeUs` the usual step after the last row: later by at most an hour (nothing held,
   * nothing to hold), inside the window? Its row then needs no more time checks.
   */
  protected usualStep(timeUs: number): boolean {
    const step = timeUs - this.prevUs;
    return this.heldLine === 0 && step > 0 && step <= this.usualStepUs && timeUs < this.latestUs;
  }

  /** Is the row reaching [low, high] at `timeUs` within the largest jump? */
  protected noJump(timeUs: number, high: number, low: number): boolean {
    return this.moves.within(timeUs, high, low, this.maxJump);
  }

  /**
   * Null when the row at `timeUs` (line `lineNo`) may follow the rows before it, else the
   * reason. A held row is settled by it first.
   */
  protected timeProblem(timeUs: number, lineNo: number): string | null {
    if (this.heldLine !== 0) this.settle(timeUs, lineNo);
    if (Number.isNaN(timeUs)) return "malformed timestamp";
    if (!inWindow(this.limits, timeUs)) return this.reasons.window;
    if (this.heldLine !== 0 && timeUs === this.held[0]) {
      return `duplicate timestamp (same as line ${this.heldLine})`;
    }
    if (timeUs < this.prevUs) return `timestamp out of order (earlier than line ${this.prevLine})`;
    if (timeUs === this.prevUs) return `duplicate timestamp (same as line ${this.prevLine})`;
    if (timeUs - this.prevUs > this.maxStepUs && this.prevLine !== 0) {
      return this.reasons.step(this.prevLine);
    }
    return null;
  }

  /**
   * Judges the held row by the row at `timeUs` (line `lineNo`) that follows it: later, and
   * the held row stands; between the last committed row and the held one, and the held row
   * is refused. A row with no plausible time says nothing and leaves it held.
   */
  private settle(timeUs: number, lineNo: number): void {
    if (!inWindow(this.limits, timeUs)) return;
    if (timeUs > this.held[0]) return this.commitHeld(this.heldLine);
    if (timeUs > this.prevUs) {
      const line = this.heldLine;
      this.heldLine = 0;
      this.bad.record(
        line,
        `timestamp out of order (later than line ${lineNo}, which follows line ${this.prevLine})`,
        excerpt(this.heldText, 0, this.heldText.length),
      );
    }
  }

  /** The jump reason when the row reaching [low, high] is too far from the last close. */
  protected jumpProblem(timeUs: number, high: number, low: number): string | null {
    return this.moves.multiple(timeUs, high, low) > this.maxJump ? this.reasons.jump : null;
  }

  /**
   * Holds a row that passed every check when it steps forward by more than an hour or its
   * span (the caller then fills `held`); false when it is to be committed at once.
   */
  protected hold(timeUs: number, lineNo: number, buf: Uint8Array, ls: number, le: number): boolean {
    if (!(timeUs - this.prevUs > this.holdAfterUs && this.prevLine !== 0)) return false;
    this.heldLine = lineNo;
    this.heldText = buf.slice(ls, le);
    return true;
  }

  /**
   * Commits a row that passed every check (its close and `RecentMove` move given); true
   * when it falls inside --from/--to, so the caller appends it.
   */
  protected admit(timeUs: number, lineNo: number, close: number, move: number): boolean {
    this.moves.commit(timeUs, close, move);
    this.prevUs = timeUs;
    this.prevLine = lineNo;
    if (timeUs < this.fromUs) {
      this.outside++;
      return false;
    }
    if (timeUs >= this.toUs) {
      this.outside++;
      this.done = true;
      return false;
    }
    if (this.emitted++ === 0) this.firstUs = timeUs;
    this.lastUs = timeUs;
    return true;
  }

  /** Writes the counts so far into the report (per block, not per row: no allocation). */
  protected sync(): void {
    const r = this.report;
    r.rowsEmitted = this.emitted;
    r.rowsOutsideRange = this.outside;
    r.firstUs = this.emitted > 0 ? this.firstUs : null;
    r.lastUs = this.emitted > 0 ? this.lastUs : null;
  }

  /** Commits the row in `held`, read from line `lineNo`. */
  protected abstract commitHeld(lineNo: number): void;

  protected clearHeld(): void {
    this.heldLine = 0;
  }

  protected reject(lineNo: number, reason: string, buf: Uint8Array, ls: number, le: number): void {
    this.bad.record(lineNo, reason, excerpt(buf, ls, le));
  }
}

/** `held` layout for a bar. */
const OPEN_US = 0, CLOSE_US = 1, BID = 2, ASK = 6, SPREAD = 10, VOLUME = 11, BAR_MOVE = 12;

export class BarAcceptor extends Acceptor {
  private readonly hasVolume: boolean;
  private readonly sides: BarColumnsBuilder["sides"];
  private readonly hasAsk: boolean;
  private readonly hasSpread: boolean;

  constructor(
    private readonly builder: BarColumnsBuilder,
    bad: BadLines,
    report: ReadReport,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    super(bad, report, limits, TIMEFRAME_US[builder.timeframe], 13, fromUs, toUs);
    this.hasVolume = builder.hasVolume;
    this.sides = builder.sides;
    this.hasAsk = builder.sides === "bid-ask";
    this.hasSpread = builder.sides === "bid-spread";
  }

  /** Checks and keeps one bar; pass NaN for columns the format lacks. False when refused. */
  accept(
    lineNo: number,
    buf: Uint8Array,
    ls: number,
    le: number,
    openUs: number,
    closeUs: number,
    bo: number,
    bh: number,
    bl: number,
    bc: number,
    ao: number,
    ah: number,
    al: number,
    ac: number,
    spread: number,
    volume: number,
  ): boolean {
    // The usual bar passes these plain comparisons (false for NaN) and is kept at once;
    // any other goes through every check by name.
    const r = this.maxAskBid;
    if (
      this.usualStep(openUs) && bl >= this.minPrice && bh <= this.maxPrice && bl <= bo &&
      bl <= bc && bh >= bo && bh >= bc &&
      (this.hasAsk
        ? al <= ao && al <= ac && ah >= ao && ah >= ac && ao >= bo && ah >= bh && al >= bl &&
          ac >= bc && ao <= bo * r && ah <= bh * r && al <= bl * r && ac <= bc * r
        : !this.hasSpread || (spread >= 0 && spread <= bl * (r - 1))) &&
      (volume >= 0 ? volume < Infinity : !this.hasVolume && volume !== volume) &&
      this.noJump(openUs, bh, bl)
    ) {
      if (this.admit(openUs, lineNo, bc, this.moves.lastMove)) {
        this.builder.push(openUs, closeUs, bo, bh, bl, bc, ao, ah, al, ac, spread, volume);
      }
      return true;
    }
    const v = this.row;
    v[OPEN_US] = openUs;
    v[CLOSE_US] = closeUs;
    v[BID] = bo;
    v[BID + 1] = bh;
    v[BID + 2] = bl;
    v[BID + 3] = bc;
    v[ASK] = ao;
    v[ASK + 1] = ah;
    v[ASK + 2] = al;
    v[ASK + 3] = ac;
    v[SPREAD] = spread;
    v[VOLUME] = volume;
    return this.acceptChecked(lineNo, buf, ls, le);
  }

  /**
   * `accept` for any bar but the usual, its values in `row`: every check, named, and a held
   * row settled.
   */
  private acceptChecked(lineNo: number, buf: Uint8Array, ls: number, le: number): boolean {
    const v = this.row;
    const [openUs, bh, bl, volume] = [v[OPEN_US], v[BID + 1], v[BID + 2], v[VOLUME]];
    const problem = this.timeProblem(openUs, lineNo) ??
      this.priceProblem(
        v[BID],
        bh,
        bl,
        v[BID + 3],
        v[ASK],
        v[ASK + 1],
        v[ASK + 2],
        v[ASK + 3],
        v[SPREAD],
      ) ??
      volumeProblem(volume, this.hasVolume) ??
      this.jumpProblem(openUs, bh, bl);
    if (problem !== null) {
      this.reject(lineNo, problem, buf, ls, le);
      return false;
    }
    v[BAR_MOVE] = this.moves.lastMove;
    if (this.hold(openUs, lineNo, buf, ls, le)) this.held.set(v);
    else this.commit(v, lineNo);
    return true;
  }

  /** Commits the bar in `v` (the row, or the held one), read from line `lineNo`. */
  private commit(v: Float64Array, lineNo: number): void {
    if (this.admit(v[OPEN_US], lineNo, v[BID + 3], v[BAR_MOVE])) {
      this.builder.push(
        v[OPEN_US],
        v[CLOSE_US],
        v[BID],
        v[BID + 1],
        v[BID + 2],
        v[BID + 3],
        v[ASK],
        v[ASK + 1],
        v[ASK + 2],
        v[ASK + 3],
        v[SPREAD],
        v[VOLUME],
      );
    }
  }

  protected take(): Batch | null {
    return this.builder.length > 0 ? this.builder.take() : null;
  }

  protected commitHeld(lineNo: number): void {
    this.clearHeld();
    this.commit(this.held, lineNo);
  }

  private priceProblem(
    bo: number,
    bh: number,
    bl: number,
    bc: number,
    ao: number,
    ah: number,
    al: number,
    ac: number,
    spread: number,
  ): string | null {
    const sides = this.sides;
    const bid = ohlcProblem(bo, bh, bl, bc) ??
      bandProblem(this.limits, this.reasons, bo, bh, bl, bc);
    if (bid !== null) return bid;
    if (sides === "bid-spread") {
      if (!(spread >= 0)) return "missing or negative spread";
      return spreadProblem(this.limits, this.reasons, bl, spread);
    }
    if (sides === "bid-ask") {
      const ask = ohlcProblem(ao, ah, al, ac);
      if (ask !== null) return `ask ${ask}`;
      return askProblem(this.limits, this.reasons, bo, bh, bl, bc, ao, ah, al, ac);
    }
    return null;
  }
}

/** `held` layout for a tick. */
const TIME_US = 0, TICK_BID = 1, TICK_ASK = 2, TICK_MOVE = 3;

export class TickAcceptor extends Acceptor {
  constructor(
    private readonly builder: TickColumnsBuilder,
    bad: BadLines,
    report: ReadReport,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    super(bad, report, limits, TICK_SPAN_US, 4, fromUs, toUs);
  }

  /** Checks and keeps one tick. */
  accept(
    lineNo: number,
    buf: Uint8Array,
    ls: number,
    le: number,
    timeUs: number,
    bid: number,
    ask: number,
  ): void {
    // The usual tick passes these plain comparisons (false for NaN) and is kept at once.
    if (
      this.usualStep(timeUs) && bid >= this.minPrice && ask >= bid && ask <= this.maxPrice &&
      ask <= bid * this.maxAskBid && this.noJump(timeUs, bid, bid)
    ) {
      if (this.admit(timeUs, lineNo, bid, this.moves.lastMove)) this.builder.push(timeUs, bid, ask);
      return;
    }
    const v = this.row;
    v[TIME_US] = timeUs;
    v[TICK_BID] = bid;
    v[TICK_ASK] = ask;
    this.acceptChecked(lineNo, buf, ls, le);
  }

  /**
   * `accept` for any tick but the usual, its values in `row`: every check, named, and a
   * held row settled.
   */
  private acceptChecked(lineNo: number, buf: Uint8Array, ls: number, le: number): void {
    const v = this.row;
    const [timeUs, bid, ask] = [v[TIME_US], v[TICK_BID], v[TICK_ASK]];
    const problem = this.timeProblem(timeUs, lineNo) ??
      (bid >= this.minPrice && ask >= bid && ask <= this.maxPrice && ask <= bid * this.maxAskBid
        ? null
        : this.tickPriceProblem(bid, ask)) ??
      this.jumpProblem(timeUs, bid, bid);
    if (problem !== null) return this.reject(lineNo, problem, buf, ls, le);
    v[TICK_MOVE] = this.moves.lastMove;
    if (this.hold(timeUs, lineNo, buf, ls, le)) this.held.set(v);
    else this.commit(v, lineNo);
  }

  /** Commits the tick in `v` (the row, or the held one), read from line `lineNo`. */
  private commit(v: Float64Array, lineNo: number): void {
    if (this.admit(v[TIME_US], lineNo, v[TICK_BID], v[TICK_MOVE])) {
      this.builder.push(v[TIME_US], v[TICK_BID], v[TICK_ASK]);
    }
  }

  protected take(): Batch | null {
    return this.builder.length > 0 ? this.builder.take() : null;
  }

  protected commitHeld(lineNo: number): void {
    this.clearHeld();
    this.commit(this.held, lineNo);
  }

  private tickPriceProblem(bid: number, ask: number): string {
    if (Number.isNaN(bid + ask)) return "non-numeric price";
    if (!(bid > 0 && ask > 0)) return "non-positive price";
    return bandProblem(this.limits, this.reasons, bid, ask, bid, ask) ??
      (ask < bid ? "ask below bid" : this.reasons.askBid);
  }
}

/**
 * A reader's rows handed to an acceptor, which answers for them: whether the reader is
 * done, the end of the file, the batches. The reader adds how it reads a row (and a header).
 */
export abstract class AcceptedRows<A extends BarAcceptor | TickAcceptor> implements RowHandler {
  constructor(protected readonly acceptor: A) {}

  get done(): boolean {
    return this.acceptor.done;
  }

  abstract row(buf: Uint8Array, lineStart: number, limit: number, lineNo: number): number;

  finish(): void {
    this.acceptor.finish();
  }

  flush(): Batch | null {
    return this.acceptor.flush();
  }
}
