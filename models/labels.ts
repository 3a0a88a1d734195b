/**
 * Triple-barrier labels for M1 bars: did a long or a short scalp, opened at a bar's close
 * and bracketed by a take-profit and a stop-loss in ATR multiples, net of the spread, hit
 * its take-profit before its stop and before the time barrier? Plus the forward log return
 * over the same horizon, for regression. Definitions, with worked numbers, are in
 * docs/labels-and-validation.md.
 * A label must never read a bar before its decision bar's close, nor one past its horizon;
 * the ATR it scales by is the one known at the decision bar's close.
 */

import { US_PER_MINUTE } from "../pipeline/events.ts";
import { Atr } from "../operators/indicators/atr.ts";
import { bidBarAt } from "../operators/indicators/indicator.ts";

/** The three classes, as in model.ts: 0 = down, 1 = flat, 2 = up. */
export const DOWN = 0;
export const FLAT = 1;
export const UP = 2;
/** `y` of a row that has no label (its `labelEndUs` is NaN). */
export const UNLABELED = 255;

/**
 * M1 bid bars in time order, with the ask side when the data has it, else a spread per bar
 * (price units), else neither (a configured spread is used). A `BarBatch` fits.
 */
export interface LabelBars {
  readonly length: number;
  readonly openUs: Float64Array;
  readonly closeUs: Float64Array;
  readonly bidOpen: Float64Array;
  readonly bidHigh: Float64Array;
  readonly bidLow: Float64Array;
  readonly bidClose: Float64Array;
  readonly askHigh?: Float64Array | null;
  readonly askLow?: Float64Array | null;
  readonly askClose?: Float64Array | null;
  readonly spread?: Float64Array | null;
}

export interface TripleBarrierOptions {
  /** The upper barrier, in ATRs above each trade's fill: the long's take-profit, the short's stop. */
  readonly upAtr?: number;
  /** The lower barrier, in ATRs below each trade's fill: the long's stop, the short's take-profit. */
  readonly downAtr?: number;
  /** The time barrier: bars after the decision bar within which a barrier must be touched. */
  readonly horizonBars?: number;
  /** Period of Wilder's ATR on the M1 bid bars, when `atr` is not given. */
  readonly atrPeriod?: number;
  /** ATR per bar as known at its close (NaN while warming up), instead of ATR(`atrPeriod`). */
  readonly atr?: Float64Array;
  /** Spread (price units) assumed on every bar when the data has neither asks nor spreads. */
  readonly spread?: number;
  /** A hole of more than this many minutes between consecutive bars in the horizon unlabels a row. */
  readonly maxGapMinutes?: number;
}

/** The options in force, recorded with a dataset so a model card states how it was labelled. */
export interface ResolvedLabelOptions {
  readonly upAtr: number;
  readonly downAtr: number;
  readonly horizonBars: number;
  readonly atrPeriod: number;
  readonly spread: number;
  readonly maxGapMinutes: number;
}

/**
 * Scalping defaults for gold M1: barriers 2 ATR(14) either side, 30 bars (30 minutes),
 * 0.30 spread for bid-only data (the typical gold spread: OANDA's 2014 median is 0.28),
 * and a row is unlabelled when its horizon holds a hole of more than 5 minutes.
 */
export const DEFAULT_LABEL_OPTIONS: ResolvedLabelOptions = {
  upAtr: 2,
  downAtr: 2,
  horizonBars: 30,
  atrPeriod: 14,
  spread: 0.30,
  maxGapMinutes: 5,
};

/** Per bar; rows without a label have `y = UNLABELED` and NaN in every other column. */
export interface TripleBarrierLabels {
  readonly options: ResolvedLabelOptions;
  readonly y: Uint8Array;
  /** Close of the bar at which the label was decided: the end of its window, the purge key. */
  readonly labelEndUs: Float64Array;
  /** Close of the last bar of the horizon (`horizonBars` after the decision bar). */
  readonly horizonEndUs: Float64Array;
  /** ln(bid close at the horizon's last bar / bid close at the decision bar). */
  readonly forwardReturn: Float64Array;
}

function positive(name: string, value: number, integer: boolean): number {
  if (!(value > 0 && Number.isFinite(value)) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `Cannot label bars: ${name} must be a positive ${
        integer ? "integer" : "number"
      }, got ${value}`,
    );
  }
  return value;
}

/** The options with defaults filled in and checked. */
export function resolveLabelOptions(options: TripleBarrierOptions = {}): ResolvedLabelOptions {
  const d = DEFAULT_LABEL_OPTIONS;
  const spread = options.spread ?? d.spread;
  if (!(spread >= 0 && Number.isFinite(spread))) {
    throw new RangeError(`Cannot label bars: spread must be 0 or more, got ${spread}`);
  }
  const maxGapMinutes = options.maxGapMinutes ?? d.maxGapMinutes;
  if (!(maxGapMinutes >= 0 && Number.isFinite(maxGapMinutes))) {
    throw new RangeError(
      `Cannot label bars: maxGapMinutes must be 0 or more, got ${maxGapMinutes}`,
    );
  }
  return {
    upAtr: positive("upAtr", options.upAtr ?? d.upAtr, false),
    downAtr: positive("downAtr", options.downAtr ?? d.downAtr, false),
    horizonBars: positive("horizonBars", options.horizonBars ?? d.horizonBars, true),
    atrPeriod: positive("atrPeriod", options.atrPeriod ?? d.atrPeriod, true),
    spread,
    maxGapMinutes,
  };
}

/** Wilder's ATR of the bid bars at each bar's close; NaN until it is stable. */
export function atrSeries(bars: LabelBars, period: number): Float64Array {
  const atr = new Atr(period);
  const out = new Float64Array(bars.length);
  const bar = { open: NaN, high: NaN, low: NaN, close: NaN };
  for (let i = 0; i < bars.length; i++) {
    out[i] = atr.update(bidBarAt(bars, i, bar)) ?? NaN;
  }
  return out;
}

/**
 * Labels every bar `t` (decision at its close) from bars `t + 1 ... t + horizonBars`:
 *
 * 1. A long fills at the ask at t's close, `a`; a short at the bid, `b`. With an ATR of
 *    `A` (at t's close) the long's take-profit is a bid of `a + upAtr·A` or more, its stop
 *    a bid of `a − downAtr·A` or less; the short's take-profit is an ask of `b − downAtr·A`
 *    or less, its stop an ask of `b + upAtr·A` or more. So each trade pays the spread.
 * 2. Bar by bar, a trade whose stop is touched is out; a trade that touches its
 *    take-profit but not its stop in the same bar wins (a bar touching both counts as the
 *    stop: the pessimistic rule, since the bar does not say which came first).
 * 3. `up` when the long wins, `down` when the short wins, `flat` when both are stopped or
 *    the time barrier comes first. The two cannot both win (the short's take-profit lies
 *    below the long's stop, the long's take-profit above the short's stop), so the label
 *    is decided at the first win, or once both are out, or at the horizon's last bar.
 * 4. Unlabelled: a horizon that runs past the last bar, holds a hole of more than
 *    `maxGapMinutes` between consecutive bars, or a decision bar without a positive ATR
 *    or with an ask below its bid (a missing spread).
 *
 * The ask of a bar is its ask column, else its bid plus its spread, else its bid plus the
 * configured spread.
 */
export function tripleBarrierLabels(
  bars: LabelBars,
  options: TripleBarrierOptions = {},
): TripleBarrierLabels {
  const o = resolveLabelOptions(options);
  const n = bars.length;
  const atr = options.atr ?? atrSeries(bars, o.atrPeriod);
  if (atr.length !== n) {
    throw new RangeError(`Cannot label bars: ${atr.length} ATR values for ${n} bars`);
  }
  const { closeUs, openUs, bidHigh, bidLow, bidClose } = bars;
  const spread = bars.spread ?? null;
  const askHigh = bars.askHigh ?? null;
  const askLow = bars.askLow ?? null;
  const askClose = bars.askClose ?? null;
  const spreadAt = (i: number) => spread === null ? o.spread : spread[i];
  const askHighAt = (i: number) => askHigh === null ? bidHigh[i] + spreadAt(i) : askHigh[i];
  const askLowAt = (i: number) => askLow === null ? bidLow[i] + spreadAt(i) : askLow[i];
  const maxGapUs = o.maxGapMinutes * US_PER_MINUTE;
  const h = o.horizonBars;

  const y = new Uint8Array(n).fill(UNLABELED);
  const labelEndUs = new Float64Array(n).fill(NaN);
  const horizonEndUs = new Float64Array(n).fill(NaN);
  const forwardReturn = new Float64Array(n).fill(NaN);
  // holes[j]: how many of bars 1 ... j open more than maxGapMinutes after the bar before.
  const holes = new Int32Array(n);
  for (let j = 1; j < n; j++) {
    holes[j] = holes[j - 1] + (openUs[j] - closeUs[j - 1] > maxGapUs ? 1 : 0);
  }
  for (let t = 0; t + h < n; t++) {
    const range = atr[t];
    if (!(range > 0) || holes[t + h] - holes[t] > 0) continue;
    const b = bidClose[t];
    const a = askClose === null ? b + spreadAt(t) : askClose[t];
    if (!(a >= b)) continue;
    const longTakeProfit = a + o.upAtr * range;
    const longStop = a - o.downAtr * range;
    const shortTakeProfit = b - o.downAtr * range;
    const shortStop = b + o.upAtr * range;
    let longIn = true;
    let shortIn = true;
    let label = FLAT;
    let end = t + h;
    for (let j = t + 1; j <= t + h; j++) {
      let longWins = false;
      let shortWins = false;
      if (longIn) {
        if (bidLow[j] <= longStop) longIn = false;
        else longWins = bidHigh[j] >= longTakeProfit;
      }
      if (shortIn) {
        if (askHighAt(j) >= shortStop) shortIn = false;
        else shortWins = askLowAt(j) <= shortTakeProfit;
      }
      if (longWins !== shortWins) label = longWins ? UP : DOWN;
      if (longWins || shortWins || (!longIn && !shortIn)) {
        end = j;
        break;
      }
    }
    y[t] = label;
    labelEndUs[t] = closeUs[end];
    horizonEndUs[t] = closeUs[t + h];
    forwardReturn[t] = Math.log(bidClose[t + h] / b);
  }
  return { options: o, y, labelEndUs, horizonEndUs, forwardReturn };
}
