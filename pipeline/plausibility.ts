/**
 * What a market can produce: the bounds every reader (`sources/_accept.ts`) and the EA feed
 * (`pipeline/live/feed_guard.ts`) hold prices and times to before they enter the pipeline,
 * and the measure of recent moves a jump is judged against. A value outside them is a bad
 * line (or a 400 on the EA protocol), named where it is; it must never be clamped, repaired
 * or guessed at. Defaults and the measurement behind them: docs/data.md "Plausibility".
 */

import { isoFromUs, US_PER_DAY, US_PER_MINUTE, US_PER_SECOND } from "./events.ts";

export interface Plausibility {
  /** Lowest price accepted, bid or ask (`--min-price`). */
  readonly minPrice: number;
  /** Highest price accepted, bid or ask (`--max-price`). */
  readonly maxPrice: number;
  /**
   * Largest move from the previous row's close, in multiples of the recent move
   * (`--max-jump`; see `RecentMove` for how the recent move is measured).
   */
  readonly maxJump: number;
  /** Largest ask / bid ratio; for spread-only data, (bid + spread) / bid (`--max-ask-bid`). */
  readonly maxAskBid: number;
  /** Times accepted are in [earliestUs, latestUs) (`--earliest`, `--latest`). */
  readonly earliestUs: number;
  readonly latestUs: number;
  /** Largest step forward in time from one row to the next inside a file (`--max-time-step-days`). */
  readonly maxTimeStepUs: number;
}

/**
 * Generous for gold, measured on every file in ../shared/data (docs/data.md): the largest
 * real jump is 71x the recent move (the 2017-06-26 flash crash), the largest ask/bid ratio
 * 1.0118 (OANDA H1, 2008), the longest step 7 days (a missing week in OANDA's H1 and D1).
 */
export const DEFAULT_PLAUSIBILITY: Plausibility = {
  minPrice: 10,
  maxPrice: 100_000,
  maxJump: 200,
  maxAskBid: 1.05,
  earliestUs: Date.UTC(1970, 0, 1) * 1000,
  latestUs: Date.UTC(2100, 0, 1) * 1000,
  maxTimeStepUs: 30 * US_PER_DAY,
};

/** The defaults with `overrides` applied; a RangeError names a bound that makes no sense. */
export function plausibility(overrides: Partial<Plausibility> = {}): Plausibility {
  const p: Plausibility = { ...DEFAULT_PLAUSIBILITY, ...withoutUndefined(overrides) };
  const positive = (name: string, value: number) => {
    if (!(value > 0 && Number.isFinite(value))) {
      throw new RangeError(`${name} must be a positive number, got ${value}`);
    }
  };
  positive("the lowest price (--min-price)", p.minPrice);
  positive("the highest price (--max-price)", p.maxPrice);
  positive("the largest jump (--max-jump)", p.maxJump);
  positive("the largest time step (--max-time-step-days)", p.maxTimeStepUs);
  if (!(p.maxPrice > p.minPrice)) {
    throw new RangeError(
      `the highest price (--max-price) ${p.maxPrice} must exceed the lowest (--min-price) ${p.minPrice}`,
    );
  }
  if (!(p.maxAskBid >= 1 && Number.isFinite(p.maxAskBid))) {
    throw new RangeError(
      `the largest ask/bid ratio (--max-ask-bid) must be at least 1, got ${p.maxAskBid}`,
    );
  }
  if (!(p.latestUs > p.earliestUs)) {
    throw new RangeError(
      `the plausible window is empty: --latest ${isoFromUs(p.latestUs)} is not after --earliest ${
        isoFromUs(p.earliestUs)
      }`,
    );
  }
  return p;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The reasons a bad value is refused with: fixed per bound, so skip mode counts them together. */
export function plausibilityReasons(p: Plausibility) {
  const days = p.maxTimeStepUs / US_PER_DAY;
  return {
    nonFinite: "non-finite price",
    band: `price outside ${p.minPrice}-${p.maxPrice} (--min-price, --max-price)`,
    jump: `price jump beyond ${p.maxJump}x the recent move (--max-jump)`,
    askBid: `ask/bid ratio above ${p.maxAskBid} (--max-ask-bid)`,
    window: `timestamp outside ${isoFromUs(p.earliestUs).slice(0, 10)} to ${
      isoFromUs(p.latestUs).slice(0, 10)
    } (--earliest, --latest)`,
    step: (line: number) =>
      `timestamp more than ${days} days after line ${line} (--max-time-step-days)`,
  } as const;
}

export type PlausibilityReasons = ReturnType<typeof plausibilityReasons>;

/** Null when every price is finite and inside the band, else the reason. NaN is the caller's. */
export function bandProblem(
  p: Plausibility,
  reasons: PlausibilityReasons,
  open: number,
  high: number,
  low: number,
  close: number,
): string | null {
  if (!Number.isFinite(open + high + low + close)) return reasons.nonFinite;
  const min = p.minPrice, max = p.maxPrice;
  return open >= min && high >= min && low >= min && close >= min && open <= max &&
      high <= max && low <= max && close <= max
    ? null
    : reasons.band;
}

/**
 * Null when an ask OHLC is plausible beside its bid OHLC: not below it, inside the band,
 * and within the ask/bid ratio on each of the four prices; else the reason.
 */
export function askProblem(
  p: Plausibility,
  reasons: PlausibilityReasons,
  bo: number,
  bh: number,
  bl: number,
  bc: number,
  ao: number,
  ah: number,
  al: number,
  ac: number,
): string | null {
  if (ao < bo || ah < bh || al < bl || ac < bc) return "ask below bid";
  const r = p.maxAskBid;
  return bandProblem(p, reasons, ao, ah, al, ac) ??
    (ao > bo * r || ah > bh * r || al > bl * r || ac > bc * r ? reasons.askBid : null);
}

/**
 * Null when a spread keeps the ask within the ask/bid ratio of a bar whose bid low is `low`
 * (spread-only data: its lowest ask is low + spread), else the reason. Its sign is the caller's.
 */
export function spreadProblem(
  p: Plausibility,
  reasons: PlausibilityReasons,
  low: number,
  spread: number,
): string | null {
  return spread > low * (p.maxAskBid - 1) ? reasons.askBid : null;
}

/** Is `timeUs` inside the plausible window? False for NaN. */
export function inWindow(p: Plausibility, timeUs: number): boolean {
  return timeUs >= p.earliestUs && timeUs < p.latestUs;
}

/**
 * A quiet market's move, per square root of a minute, as a fraction of the price: the floor
 * under the recent move, so that a flat stretch (a holiday's identical bars) does not make
 * the first real move look like a jump. About a quiet hour's typical M1 range of gold.
 */
const QUIET_MOVE = 2e-4;
/** Weight of each new row in the recent move (an exponential average over ~32 rows). */
const WEIGHT = 1 / 32;
/** Time since the previous row widens the allowance, as its square root, up to an hour (or the span). */
const MAX_ELAPSED_US = 60 * US_PER_MINUTE;

/**
 * The recent move of a price series, and how far outside it a new row lies.
 *
 * A row's move is its true range against the previous close (for a tick, the change of
 * its bid), divided by the square root of the minutes since the previous row (at least the
 * row's own span: the timeframe, or a second for ticks; at most an hour, or the span when
 * longer), as a random walk spreads. The recent move is an exponential average of accepted rows' moves, never below
 * `QUIET_MOVE` of the price. A row is a jump when its move exceeds `maxJump` recent moves.
 * Only accepted rows are committed, so one bad row does not move the yardstick; after an
 * hour of refusals a real shift of up to about 30% (at the floor, 200 x 2e-4 x sqrt(60)) is
 * accepted, so a genuine level change is never refused for long.
 */
export class RecentMove {
  private prevUs = NaN;
  private prevClose = NaN;
  private average = NaN;
  /** The normalised move of the row last passed to `multiple()`, to hand to `commit()`. */
  lastMove = NaN;
  /** 1 / sqrt(the span in minutes): most rows follow the previous one by their span. */
  private readonly perSpan: number;
  /** Time counts up to an hour, or the span when it is longer (H4, D1 bars). */
  private readonly maxElapsedUs: number;

  /** `spanUs`: a row's own time span: the bars' timeframe, or a second for ticks. */
  constructor(private readonly spanUs: number) {
    this.perSpan = 1 / Math.sqrt(spanUs / US_PER_MINUTE);
    this.maxElapsedUs = Math.max(spanUs, MAX_ELAPSED_US);
  }

  /** How many recent moves a row reaching [low, high] at `timeUs` lies from the last close; 0 for the first row. */
  multiple(timeUs: number, high: number, low: number): number {
    const move = this.move(timeUs, high, low);
    return move === 0 ? 0 : move / this.unit();
  }

  /** Is the row reaching [low, high] at `timeUs` within `limit` recent moves? (No division.) */
  within(timeUs: number, high: number, low: number, limit: number): boolean {
    return this.move(timeUs, high, low) <= limit * this.unit();
  }

  /** The row's move per square-root minute since the last close (0 for the first row), kept as `lastMove`. */
  private move(timeUs: number, high: number, low: number): number {
    const prev = this.prevClose;
    if (Number.isNaN(prev)) return (this.lastMove = 0);
    const elapsed = timeUs - this.prevUs;
    const range = (high > prev ? high : prev) - (low < prev ? low : prev);
    const counted = elapsed < this.maxElapsedUs ? elapsed : this.maxElapsedUs;
    return (this.lastMove = elapsed <= this.spanUs
      ? range * this.perSpan
      : range / Math.sqrt(counted / US_PER_MINUTE));
  }

  /** The recent move, never below the quiet floor. */
  private unit(): number {
    const floor = QUIET_MOVE * this.prevClose;
    return this.average > floor ? this.average : floor;
  }

  /** Records an accepted row, with the `lastMove` its `multiple()` left. */
  commit(timeUs: number, close: number, move: number): void {
    if (!Number.isNaN(this.prevClose)) {
      this.average = Number.isNaN(this.average)
        ? move
        : this.average + WEIGHT * (move - this.average);
    }
    this.prevUs = timeUs;
    this.prevClose = close;
  }

  /** A copy, to judge a batch of rows before committing any (the EA feed). */
  clone(): RecentMove {
    const copy = new RecentMove(this.spanUs);
    copy.prevUs = this.prevUs;
    copy.prevClose = this.prevClose;
    copy.average = this.average;
    return copy;
  }
}

/** A tick's own span for `RecentMove`. */
export const TICK_SPAN_US = US_PER_SECOND;
