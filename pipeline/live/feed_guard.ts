/**
 * The EA feed held to what a market can produce: every new bar and tick of an envelope
 * passes the bounds the file readers use (`pipeline/plausibility.ts`: price band, ask/bid
 * ratio, time window, no jump far beyond the recent move) before anything in the envelope
 * is processed. The first implausible value is refused as a 400 naming its field
 * (`bad envelope at messages.3.bid: price outside 10-100000 ...`), never echoing the
 * value; the EA drops that message and sends the envelope again without it
 * (ea/AIGoldScalper.mq5, `DropRefusedMessage`).
 *
 * It keeps the last accepted bar (per timeframe) and tick, so it must see each envelope
 * once, just before the envelope is processed. A file's largest time step is not applied:
 * a terminal that was off for a month is not a mistyped date.
 */

import {
  type BarEvent,
  type Ohlc,
  type TickEvent,
  type Timeframe,
  TIMEFRAME_US,
} from "../events.ts";
import {
  askProblem,
  bandProblem,
  inWindow,
  type Plausibility,
  plausibility,
  type PlausibilityReasons,
  plausibilityReasons,
  RecentMove,
  spreadProblem,
  TICK_SPAN_US,
} from "../plausibility.ts";
import { type Envelope, ProtocolError } from "./protocol.ts";

export class FeedGuard {
  readonly #limits: Plausibility;
  readonly #reasons: PlausibilityReasons;
  #bars = new Map<Timeframe, RecentMove>();
  #ticks = new RecentMove(TICK_SPAN_US);

  constructor(limits: Partial<Plausibility> = {}) {
    this.#limits = plausibility(limits);
    this.#reasons = plausibilityReasons(this.#limits);
  }

  /** Takes `bar` as the last one accepted (the journal's, after a restart). */
  resumeAfter(bar: BarEvent): void {
    const moves = new RecentMove(TIMEFRAME_US[bar.timeframe]);
    // A first row has no move (nothing before it to measure from): only its close counts.
    moves.commit(bar.openUs, bar.bid.close, 0);
    this.#bars.set(bar.timeframe, moves);
  }

  /**
   * Throws a 400 `ProtocolError` naming the first implausible field among the envelope's
   * bars closing after `lastBarUs` (older ones are dropped unprocessed) and its ticks;
   * when there is none, takes them all as the new reference.
   */
  check(envelope: Envelope, lastBarUs: number): void {
    const bars = new Map([...this.#bars].map(([tf, moves]) => [tf, moves.clone()]));
    const ticks = this.#ticks.clone();
    let newest = lastBarUs;
    for (const [index, message] of envelope.messages.entries()) {
      let problem: [string, string] | null = null;
      if (message.kind === "bar" && message.closeUs > newest) {
        newest = message.closeUs;
        problem = this.#barProblem(message, bars);
      } else if (message.kind === "tick") {
        problem = this.#tickProblem(message, ticks);
      }
      if (problem !== null) {
        throw new ProtocolError(
          `bad envelope at messages.${index}.${problem[0]}: ${problem[1]}`,
          400,
        );
      }
    }
    this.#bars = bars;
    this.#ticks = ticks;
  }

  #barProblem(bar: BarEvent, bars: Map<Timeframe, RecentMove>): [string, string] | null {
    const limits = this.#limits;
    const reasons = this.#reasons;
    if (!inWindow(limits, bar.openUs)) return ["openUs", reasons.window];
    if (!inWindow(limits, bar.closeUs)) return ["closeUs", reasons.window];
    const bid = band(limits, reasons, bar.bid);
    if (bid !== null) return ["bid", bid];
    if (bar.ask !== null) {
      const [b, a] = [bar.bid, bar.ask];
      const ask = askProblem(
        limits,
        reasons,
        b.open,
        b.high,
        b.low,
        b.close,
        a.open,
        a.high,
        a.low,
        a.close,
      );
      if (ask !== null) return ["ask", ask];
    }
    const spread = bar.spread === null
      ? null
      : spreadProblem(limits, reasons, bar.bid.low, bar.spread);
    if (spread !== null) return ["spread", spread];
    let moves = bars.get(bar.timeframe);
    if (moves === undefined) {
      moves = new RecentMove(TIMEFRAME_US[bar.timeframe]);
      bars.set(bar.timeframe, moves);
    }
    if (moves.multiple(bar.openUs, bar.bid.high, bar.bid.low) > limits.maxJump) {
      return ["bid", reasons.jump];
    }
    moves.commit(bar.openUs, bar.bid.close, moves.lastMove);
    return null;
  }

  #tickProblem(tick: TickEvent, ticks: RecentMove): [string, string] | null {
    const limits = this.#limits;
    const reasons = this.#reasons;
    if (!inWindow(limits, tick.timeUs)) return ["timeUs", reasons.window];
    const band = bandProblem(limits, reasons, tick.bid, tick.bid, tick.bid, tick.bid);
    if (band !== null) return ["bid", band];
    if (bandProblem(limits, reasons, tick.ask, tick.ask, tick.ask, tick.ask) !== null) {
      return ["ask", reasons.band];
    }
    if (tick.ask > tick.bid * limits.maxAskBid) return ["ask", reasons.askBid];
    if (ticks.multiple(tick.timeUs, tick.bid, tick.bid) > limits.maxJump) {
      return ["bid", reasons.jump];
    }
    ticks.commit(tick.timeUs, tick.bid, ticks.lastMove);
    return null;
  }
}

function band(
  limits: Plausibility,
  reasons: PlausibilityReasons,
  side: Ohlc,
): string | null {
  return bandProblem(limits, reasons, side.open, side.high, side.low, side.close);
}
