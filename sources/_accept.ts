/**
 * The checks every row passes before it leaves a source: valid time, strictly increasing
 * time, sane prices, ask not below bid, and the --from/--to window. A failing row goes
 * to the bad-line policy; it is never repaired, reordered or dropped without a count.
 */

import { excerpt } from "./_bytes.ts";
import {
  type BadLines,
  type BarColumnsBuilder,
  ohlcProblem,
  type ReadReport,
  type TickColumnsBuilder,
} from "./source.ts";

/** Tracks time order and the range window, shared by bar and tick acceptors. */
abstract class Acceptor {
  protected prevUs = -Infinity;
  protected prevLine = 0;
  done = false;

  constructor(
    protected readonly bad: BadLines,
    protected readonly report: ReadReport,
    private readonly fromUs: number,
    private readonly toUs: number,
  ) {}

  /** The time of the last row that passed every check. */
  get lastAcceptedUs(): number {
    return this.prevUs;
  }

  /** Null when `timeUs` may follow the previous row, else the reason. */
  protected orderProblem(timeUs: number): string | null {
    if (Number.isNaN(timeUs)) return "malformed timestamp";
    if (timeUs < this.prevUs) {
      return `timestamp out of order (earlier than line ${this.prevLine})`;
    }
    if (timeUs === this.prevUs) return `duplicate timestamp (same as line ${this.prevLine})`;
    return null;
  }

  /** Records a valid row's time; true when it falls inside the window. */
  protected admit(timeUs: number, lineNo: number): boolean {
    this.prevUs = timeUs;
    this.prevLine = lineNo;
    if (timeUs < this.fromUs) {
      this.report.rowsOutsideRange++;
      return false;
    }
    if (timeUs >= this.toUs) {
      this.report.rowsOutsideRange++;
      this.done = true;
      return false;
    }
    this.report.rowsEmitted++;
    this.report.firstUs ??= timeUs;
    this.report.lastUs = timeUs;
    return true;
  }

  protected reject(lineNo: number, reason: string, buf: Uint8Array, ls: number, le: number): void {
    this.bad.record(lineNo, reason, excerpt(buf, ls, le));
  }
}

export class BarAcceptor extends Acceptor {
  constructor(
    private readonly builder: BarColumnsBuilder,
    bad: BadLines,
    report: ReadReport,
    fromUs: number,
    toUs: number,
  ) {
    super(bad, report, fromUs, toUs);
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
    const problem = this.orderProblem(openUs) ??
      this.priceProblem(bo, bh, bl, bc, ao, ah, al, ac) ??
      (Number.isNaN(spread) && this.builder.sides === "bid-spread" || spread < 0
        ? "missing or negative spread"
        : null) ??
      (Number.isNaN(volume) && this.builder.hasVolume || volume < 0
        ? "missing or negative volume"
        : null);
    if (problem !== null) {
      this.reject(lineNo, problem, buf, ls, le);
      return false;
    }
    if (this.admit(openUs, lineNo)) {
      this.builder.push(openUs, closeUs, bo, bh, bl, bc, ao, ah, al, ac, spread, volume);
    }
    return true;
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
  ): string | null {
    const bid = ohlcProblem(bo, bh, bl, bc);
    if (bid !== null || this.builder.sides !== "bid-ask") return bid;
    const ask = ohlcProblem(ao, ah, al, ac);
    if (ask !== null) return `ask ${ask}`;
    if (ao < bo || ah < bh || al < bl || ac < bc) return "ask below bid";
    return null;
  }
}

export class TickAcceptor extends Acceptor {
  constructor(
    private readonly builder: TickColumnsBuilder,
    bad: BadLines,
    report: ReadReport,
    fromUs: number,
    toUs: number,
  ) {
    super(bad, report, fromUs, toUs);
  }

  accept(
    lineNo: number,
    buf: Uint8Array,
    ls: number,
    le: number,
    timeUs: number,
    bid: number,
    ask: number,
  ): void {
    const problem = this.orderProblem(timeUs) ??
      (Number.isNaN(bid + ask)
        ? "non-numeric price"
        : !(bid > 0 && ask > 0)
        ? "non-positive price"
        : ask < bid
        ? "ask below bid"
        : null);
    if (problem !== null) return this.reject(lineNo, problem, buf, ls, le);
    if (this.admit(timeUs, lineNo)) this.builder.push(timeUs, bid, ask);
  }
}
