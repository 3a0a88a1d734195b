/**
 * The pipeline's vocabulary: plain, immutable, versioned, JSON-serialisable events.
 *
 * Every event carries `v` (schema version) and `kind`, so a transport (the in-process
 * bus today, NATS JetStream later) can carry it without knowing its meaning.
 * Times are integer epoch **microseconds in UTC** (`...Us` fields): ticks need the
 * microseconds (tens of thousands share a millisecond) and 2^53 µs reaches year 2255.
 * This module must never hold behaviour beyond constructors and unit helpers.
 */

export const EVENT_VERSION = 1 as const;

export const US_PER_SECOND = 1_000_000;
export const US_PER_MINUTE = 60 * US_PER_SECOND;
export const US_PER_HOUR = 60 * US_PER_MINUTE;
export const US_PER_DAY = 24 * US_PER_HOUR;

export const TIMEFRAMES = ["M1", "M5", "M15", "M30", "H1", "H4", "D1"] as const;
export type Timeframe = typeof TIMEFRAMES[number];

/** Nominal length of each timeframe's bar. */
export const TIMEFRAME_US: Readonly<Record<Timeframe, number>> = {
  M1: US_PER_MINUTE,
  M5: 5 * US_PER_MINUTE,
  M15: 15 * US_PER_MINUTE,
  M30: 30 * US_PER_MINUTE,
  H1: US_PER_HOUR,
  H4: 4 * US_PER_HOUR,
  D1: US_PER_DAY,
};

export function isTimeframe(value: string): value is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(value);
}

/** One quote: bid and ask at an instant. */
export interface TickEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "tick";
  readonly symbol: string;
  readonly timeUs: number;
  readonly bid: number;
  readonly ask: number;
}

/**
 * A closed bar. Emitted only once `closeUs` has passed, so a consumer can never see a
 * forming bar. Prices are bid OHLC; `ask` is present when the data has asks, otherwise
 * `spread` (price units, at the bar's close) when the data has a spread, else neither.
 */
export interface BarEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "bar";
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly openUs: number;
  readonly closeUs: number;
  readonly bid: Ohlc;
  readonly ask: Ohlc | null;
  readonly spread: number | null;
  readonly volume: number;
}

export interface Ohlc {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** A hole in a bar stream, reported instead of ever being filled with invented bars. */
export interface GapEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "gap";
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Close of the last bar before the hole. */
  readonly fromUs: number;
  /** Open of the first bar after it. */
  readonly toUs: number;
  /** Minutes of the hole inside the gold session (Sun 18:00 to Fri 17:00 New York, less the daily 17:00-18:00 break). */
  readonly missingSessionMinutes: number;
  readonly category: GapCategory;
}

/**
 * `missing`: a short hole inside the session (under 120 session minutes); `holiday`: 120 to
 * 2,760; `outage`: more (days to years: a feed down, a mistyped date); `weekend`: the
 * weekly close (operators/bars/gaps.ts).
 */
export type GapCategory = "weekend" | "holiday" | "missing" | "outage";

/**
 * One feature row for a closed M1 bar, in the order of the spec whose hash it carries
 * (the names live in the spec, not in every event).
 */
export interface FeatureEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "features";
  readonly symbol: string;
  readonly openUs: number;
  readonly closeUs: number;
  readonly specHash: string;
  readonly values: readonly number[];
}

export type VolatilityLabel = "low" | "normal" | "high";
export type TrendLabel = "bear" | "range" | "bull";

/** The measures behind the regime labels, at the bar that changed them. */
export interface RegimeMeasures {
  /** Per-bar standard deviation of log returns, not annualised. */
  readonly realisedVolatility: number;
  /** Mid-rank percentile (0-1) of the realised volatility in its lookback. */
  readonly volatilityPercentile: number;
  readonly adx: number;
  /** Kaufman's efficiency ratio, 0 to 1. */
  readonly efficiencyRatio: number;
  /** Signed log return over the efficiency window. */
  readonly move: number;
}

/** The regime of `symbol` changed at the close of a `timeframe` bar (`timeUs`). */
export interface RegimeEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "regime";
  readonly symbol: string;
  /** The timeframe of the bars the regime is measured on. */
  readonly timeframe: Timeframe;
  /** Close of the bar that changed the labels: the moment the change became known. */
  readonly timeUs: number;
  readonly volatility: VolatilityLabel;
  readonly trend: TrendLabel;
  readonly measures: RegimeMeasures;
}

/**
 * The class probabilities a model gave one feature row: `production` drives decisions,
 * `shadow` is scored beside it for comparison and never traded.
 */
export interface PredictionEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "prediction";
  readonly symbol: string;
  readonly openUs: number;
  readonly closeUs: number;
  readonly modelId: string;
  readonly role: "production" | "shadow";
  /** Calibrated probabilities of down, flat, up. */
  readonly probabilities: readonly [number, number, number];
  /** Share of ensemble members whose most likely class is the ensemble's (1 for one model). */
  readonly agreement: number;
  /** Each member's probabilities of down, flat, up; empty for a single model. */
  readonly members: readonly (readonly [number, number, number])[];
}

export type Side = "buy" | "sell";

/** One signal source's opinion. A source with nothing to say does not vote at all. */
export interface Vote {
  readonly source: "technical" | "ml" | "regime" | "llm";
  /** "flat" is an opinion too: the source sees no edge either way. */
  readonly side: Side | "flat";
  /** 0-1, the one confidence scale used everywhere. */
  readonly confidence: number;
  /** The weight it carried after absent sources were renormalised away. */
  readonly weight: number;
  readonly reasons: readonly string[];
}

/**
 * The fused decision for one bar. Prices are absolute; distances are in price units and
 * in points (the symbol's point, 0.01 for XAUUSD). `entryPrice` is the reference the
 * levels were set from: the ask for a buy, the bid for a sell, at the decision.
 */
export interface SignalEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "signal";
  readonly symbol: string;
  /** Decision time: the close of the bar it was computed on. */
  readonly timeUs: number;
  readonly side: Side | "hold";
  readonly confidence: number;
  readonly entryPrice: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  readonly stopDistance: number | null;
  readonly takeDistance: number | null;
  readonly stopPoints: number | null;
  readonly takePoints: number | null;
  readonly votes: readonly Vote[];
  readonly regime: { readonly volatility: VolatilityLabel; readonly trend: TrendLabel } | null;
  readonly specHash: string;
  readonly modelId: string | null;
  /**
   * A share (0-1) of the risk engine's size to trade, set by a meta-labeling gate that
   * scales its passed trades (operators/meta/); the engine multiplies it into the lots and
   * rounds down, so it never raises a size. Absent means 1.
   */
  readonly sizeFactor?: number;
}

/** The level fields of a signal that opens nothing: a hold has no stop and no target. */
export const NO_LEVELS = {
  stopLoss: null,
  takeProfit: null,
  stopDistance: null,
  takeDistance: null,
  stopPoints: null,
  takePoints: null,
} as const satisfies Partial<SignalEvent>;

/** Why a risk rule rejected or adjusted an order: a stable code and a human detail. */
export interface RiskReason {
  readonly code: string;
  readonly detail: string;
}

export type TradingState = "active" | "reducing" | "halted";

/** The risk engine's verdict on one signal; every signal that is not "hold" gets one. */
export interface RiskDecisionEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "risk";
  readonly symbol: string;
  readonly timeUs: number;
  readonly side: Side;
  readonly decision: "accept" | "reject";
  /** Lots after sizing and every adjustment; 0 when rejected. */
  readonly lots: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** Every rule that rejected or adjusted, in the order they ran. */
  readonly reasons: readonly RiskReason[];
  readonly state: TradingState;
  /** The order it produced, when accepted. */
  readonly clientOrderId: string | null;
  /**
   * Account currency the order loses if it fills where expected and its stop is hit
   * without a gap, slippage and both commissions included: the unit of the trade's
   * realised R. Null when rejected.
   */
  readonly budget: number | null;
}

/**
 * A command to a broker (the simulator or the MT5 terminal); idempotent by client order
 * id. `open` is at market; `close` may be for part of a position's lots; `cancel` removes
 * a pending order (`positionId` names it: a pending order's id is its position's id).
 */
export interface OrderEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "order";
  readonly symbol: string;
  readonly timeUs: number;
  readonly clientOrderId: string;
  readonly action: "open" | "close" | "modify" | "cancel";
  readonly side: Side;
  readonly lots: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** The position a close or modify applies to; the pending order a cancel removes. */
  readonly positionId: string | null;
  readonly reason: string;
}

/**
 * A pending entry: a buy or sell limit (at a better price than now) or stop (at a worse
 * one) that opens a position when the quote reaches `price`: a buy on the ask, a sell on
 * the bid. Idempotent by client order id, which becomes the position's id when it fills.
 */
export interface PendingOrderEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "pending";
  readonly symbol: string;
  /** Decision time. */
  readonly timeUs: number;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: "limit" | "stop";
  /** The trigger price: the ask for a buy, the bid for a sell. */
  readonly price: number;
  readonly lots: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
  /** Cancelled unfilled at the first price at or after this (UTC µs); null: until cancelled. */
  readonly expiresUs: number | null;
  /** Pending orders sharing a group are one-cancels-other: the first to fill cancels the rest. */
  readonly ocoGroup: string | null;
  readonly reason: string;
}

export const EXIT_REASONS = [
  "stop_loss",
  "take_profit",
  "signal",
  "manual",
  "kill_switch",
  "max_drawdown",
  "end_of_data",
  "stop_out",
  "scale_out",
] as const;
export type ExitReason = typeof EXIT_REASONS[number];

/** How an entry filled: at market, or a pending limit or stop order reached. */
export const ENTRY_REASONS = ["market", "limit", "stop"] as const;
export type EntryReason = typeof ENTRY_REASONS[number];

/**
 * Why a broker did not execute an order: the simulator's codes (docs/execution.md), an MT5
 * retcode or the EA's own code live. `expired` and `cancelled` end orders that were valid.
 */
export type RejectReason = string;

/**
 * An order the broker did not execute, or no longer will: refused (invalid lots, no
 * margin, stops too close, an unknown position), expired (time in force, a pending
 * order's expiry) or cancelled (one-cancels-other, a cancel order, the end of the data).
 * The risk engine takes it in so its view of pending orders, stops and positions stays
 * the broker's; the journal stores it and the report counts it by reason.
 */
export interface RejectionEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "rejection";
  readonly symbol: string;
  /** When the broker refused it: on arrival, or at the price it would have filled on. */
  readonly timeUs: number;
  readonly clientOrderId: string;
  readonly action: OrderEvent["action"] | "pending";
  /** The position a close, modify or cancel named; null for an entry. */
  readonly positionId: string | null;
  readonly reason: RejectReason;
  readonly detail: string;
}

/** An execution report: an order filled, or a position's stop or target hit. */
export interface FillEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "fill";
  readonly symbol: string;
  readonly timeUs: number;
  readonly clientOrderId: string;
  readonly positionId: string;
  readonly action: "open" | "close";
  readonly side: Side;
  /** A close's lots may be part of the position's (a partial close). */
  readonly lots: number;
  readonly price: number;
  /** Account currency, for this fill. */
  readonly commission: number;
  /** Price units against the trader, beyond the quoted price. */
  readonly slippage: number;
  readonly reason: EntryReason | ExitReason;
}

/**
 * A closed position with its whole accounting, in account currency unless stated. After
 * partial closes, `lots` is what it opened with, `exitPrice` the lot-weighted average of
 * its exit fills and `exitReason` the last one's.
 */
export interface TradeEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "trade";
  readonly symbol: string;
  readonly positionId: string;
  readonly side: Side;
  readonly lots: number;
  readonly entryTimeUs: number;
  readonly entryPrice: number;
  readonly exitTimeUs: number;
  readonly exitPrice: number;
  readonly exitReason: ExitReason;
  /** Net: gross price P&L less commission, plus swap. */
  readonly pnl: number;
  readonly commission: number;
  readonly swap: number;
  /** What the bid-ask spread cost on entry and exit together. */
  readonly spreadCost: number;
  /** Worst and best open P&L while held (price units x contract x lots). */
  readonly mae: number;
  readonly mfe: number;
}

/** The account after a change: equity is balance plus open P&L, never notional. */
export interface AccountEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "account";
  readonly timeUs: number;
  readonly balance: number;
  readonly equity: number;
  readonly margin: number;
  readonly openPositions: number;
}

/**
 * A component has finished every bar of `symbol` closing at or before `timeUs`: each
 * report or order it owes for them is published before this. What lets components on
 * separate machines replay in lockstep (docs/scale-out.md); a process of its own never
 * needs one. `final` says the component will publish nothing more for the symbol.
 */
export interface WatermarkEvent {
  readonly v: typeof EVENT_VERSION;
  readonly kind: "watermark";
  readonly component: "ingest" | "strategy" | "execution";
  readonly symbol: string;
  readonly timeUs: number;
  readonly final: boolean;
}

export type MarketEvent =
  | TickEvent
  | BarEvent
  | GapEvent
  | FeatureEvent
  | RegimeEvent
  | PredictionEvent
  | SignalEvent
  | RiskDecisionEvent
  | OrderEvent
  | PendingOrderEvent
  | RejectionEvent
  | FillEvent
  | TradeEvent
  | AccountEvent
  | WatermarkEvent;

/** A batch of events in time order: the unit the pipeline moves, so no stage schedules per event. */
export type EventBatch = readonly MarketEvent[];

const MS_PER_DAY = 86_400_000;
/** The last whole-second time's day (ms since the epoch / ms per day) and its "YYYY-MM-DDT". */
let isoDay = NaN;
let isoDayText = "";
/**
 * Every day's "YYYY-MM-DDT" made so far: the chance baseline's runs jump between the days
 * of a year thousands of times. A century of days is 36,525 short strings; past
 * `DAY_TEXTS_KEPT` it starts afresh.
 */
const dayTexts = new Map<number, string>();
const DAY_TEXTS_KEPT = 1 << 16;
/** "00" to "59": the hours, minutes and seconds of a time of day. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
/** Years 0000 to 9999, where `toISOString()` writes four-digit years. */
const FOUR_DIGIT_YEARS_MS = 253_402_300_800_000;

/**
 * ISO-8601 UTC with a trailing Z; microseconds only when the time has them. A whole second
 * (every bar and equity time) is written from its day's text, made once per day and kept:
 * a year's equity curve has tens of thousands of times, and a `Date` per time was most of
 * the cost.
 */
export function isoFromUs(timeUs: number): string {
  const ms = Math.floor(timeUs / 1000);
  const rest = timeUs - ms * 1000;
  if (rest === 0 && ms % 1000 === 0 && ms >= 0 && ms < FOUR_DIGIT_YEARS_MS) {
    const day = Math.floor(ms / MS_PER_DAY);
    if (day !== isoDay) {
      isoDay = day;
      let text = dayTexts.get(day);
      if (text === undefined) {
        if (dayTexts.size === DAY_TEXTS_KEPT) dayTexts.clear();
        text = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
        dayTexts.set(day, text);
      }
      isoDayText = text;
    }
    const seconds = (ms - day * MS_PER_DAY) / 1000;
    const minutes = Math.floor(seconds / 60);
    return `${isoDayText}${TWO_DIGITS[Math.floor(minutes / 60)]}:${TWO_DIGITS[minutes % 60]}:${
      TWO_DIGITS[seconds % 60]
    }Z`;
  }
  const iso = new Date(ms).toISOString();
  if (rest === 0 && ms % 1000 === 0) return iso.slice(0, 19) + "Z";
  if (rest === 0) return iso;
  return iso.slice(0, 23) + String(rest).padStart(3, "0") + "Z";
}

/**
 * Parses an ISO-8601 date or date-time into epoch µs, keeping fractions down to the
 * microsecond. A time without an offset is read as UTC.
 */
export function usFromIso(text: string): number {
  const whole = wholeSecondUtcMs(text);
  if (whole !== null) return whole * 1000;
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6}))?)?([zZ]|[+-]\d{2}:?\d{2})?$/
      .exec(text.trim());
  const ms = match ? Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}${match[4] ?? "Z"}`) : NaN;
  // Date.parse rolls an impossible day over (2017-02-30T00:00Z is March 2): the written
  // date must exist, whatever the zone after it.
  if (match !== null && !dateExists(match[1])) {
    throw new RangeError(`Cannot read time "${text}": ${match[1]} is not a day of the calendar`);
  }
  if (match === null || Number.isNaN(ms)) {
    throw new RangeError(
      `Cannot read time "${text}": expected ISO-8601 such as 2017-01-02 or 2017-01-02T18:00:00Z`,
    );
  }
  return ms * 1000 + Number((match[3] ?? "").padEnd(6, "0"));
}

const DIGIT_0 = 48;
/** The 0-9 value of the character at `i`, or NaN when it is not a digit. */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - DIGIT_0;
  return d >= 0 && d <= 9 ? d : NaN;
}
const twoAt = (text: string, i: number) => digitAt(text, i) * 10 + digitAt(text, i + 1);

/** The last day `wholeSecondUtcMs` read: its "YYYY-MM-DDT" and its midnight in epoch ms. */
let readDayText = "";
let readDayMs = NaN;

/**
 * Epoch ms of the exact form `YYYY-MM-DDTHH:MM:SSZ` (what `isoFromUs` writes for bars and
 * equity) when it names a real calendar time, else null for `usFromIso`'s general reading.
 * A report reads tens of thousands of such times; the general path's regular expression
 * and two `Date`s each were most of that cost. Times of the day last read (most of them:
 * an equity curve's are in order) reuse its midnight.
 */
function wholeSecondUtcMs(text: string): number | null {
  if (
    text.length !== 20 || text[4] !== "-" || text[7] !== "-" || text[10] !== "T" ||
    text[13] !== ":" || text[16] !== ":" || text[19] !== "Z"
  ) return null;
  const hour = twoAt(text, 11);
  const minute = twoAt(text, 14);
  const second = twoAt(text, 17);
  // NaN fails every comparison, so a non-digit falls through to the general path.
  if (!(hour < 24 && minute < 60 && second < 60)) return null;
  const ofDayMs = ((hour * 60 + minute) * 60 + second) * 1000;
  if (readDayText !== "" && text.startsWith(readDayText)) return readDayMs + ofDayMs;
  const year = twoAt(text, 0) * 100 + twoAt(text, 2);
  const month = twoAt(text, 5);
  const day = twoAt(text, 8);
  if (!(month >= 1 && month <= 12 && day >= 1)) return null;
  // Date.UTC reads years 0-99 as 1900-1999: those go the general way.
  if (year < 100) return null;
  // Date.UTC rolls an impossible day over (2017-02-30 is March 2): such a day goes the
  // general way, which refuses it by name.
  if (day > daysInMonth(year, month)) return null;
  readDayText = text.slice(0, 11);
  readDayMs = Date.UTC(year, month - 1, day);
  return readDayMs + ofDayMs;
}

/** Does `YYYY-MM-DD` name a day of the calendar? */
function dateExists(date: string): boolean {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Days in `month` (1-12) of `year` in the proleptic Gregorian calendar `Date` uses. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}
