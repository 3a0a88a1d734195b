/**
 * Drawdown of an equity series whose first value is the starting equity: the largest
 * fall from the running peak, and the longest time spent below a peak. Shared by the
 * metrics (mark-to-market equity samples) and Monte Carlo (closed-trade equity paths).
 */

/** The largest fall from the running peak, in currency and in percent of that peak. */
export interface MaxDrawdown {
  readonly amount: number;
  /** The largest percentage fall, which may belong to another episode than `amount`. */
  readonly pct: number;
  /** Indices of the peak and trough of the largest `amount`; -1 when nothing fell. */
  readonly peakIndex: number;
  readonly troughIndex: number;
}

/** Scans `values` once; the running peak starts at `values[0]`. */
export function maxDrawdown(values: ArrayLike<number>): MaxDrawdown {
  scanDrawdown(values, found);
  return {
    amount: found[AMOUNT],
    pct: found[PCT],
    peakIndex: found[PEAK],
    troughIndex: found[TROUGH],
  };
}

/** `scanDrawdown`'s answer: amount, percent, peak index, trough index. */
const found = new Float64Array(4);
const AMOUNT = 0, PCT = 1, PEAK = 2, TROUGH = 3;

/**
 * The scan, with nothing to run after its loop: a first call on a long series (a year's
 * 71,615 equity points) is optimised in the middle of the loop, before the code after it
 * has ever run, and V8 entered that code again on each later call only to leave it there
 * (723 times in a year's run, Monte Carlo's 2,000 short paths). So the answer is kept in
 * `out` as the loop goes.
 */
function scanDrawdown(values: ArrayLike<number>, out: Float64Array): void {
  let peak = values[0];
  let peakAt = 0;
  out[AMOUNT] = 0;
  out[PCT] = 0;
  out[PEAK] = -1;
  out[TROUGH] = -1;
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    if (v > peak) {
      peak = v;
      peakAt = i;
      continue;
    }
    const fall = peak - v;
    if (fall > out[AMOUNT]) {
      out[AMOUNT] = fall;
      out[PEAK] = peakAt;
      out[TROUGH] = i;
    }
    if (peak > 0 && fall / peak * 100 > out[PCT]) out[PCT] = fall / peak * 100;
  }
}

/** The longest underwater spell, and whether equity was still under its peak at the end. */
export interface Underwater {
  readonly longestUs: number;
  readonly atEnd: boolean;
}

/**
 * The longest time from the moment the running peak was last set until equity first
 * gets back to it (>=). A spell still open at `endUs` counts up to `endUs`.
 */
export function longestUnderwater(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  endUs: number,
): Underwater {
  let peak = values[0];
  let peakUs = times[0];
  let under = false;
  let longestUs = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] < peak) {
      under = true;
      continue;
    }
    if (under) longestUs = Math.max(longestUs, times[i] - peakUs);
    under = false;
    peak = values[i];
    peakUs = times[i];
  }
  if (under) longestUs = Math.max(longestUs, endUs - peakUs);
  return { longestUs, atEnd: under };
}
