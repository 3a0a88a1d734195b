/**
 * The spread by hour of the New York day, measured from tick quotes (bid and ask): for
 * each hour, the number of quotes, the median and the 90th percentile of ask - bid, and
 * the median rounded up to the cent, the figure a spread model uses for bid-only bars.
 * `deno task spread-profile` runs it on a tick file; the default broker profile's table
 * (`DEFAULT_NY_HOUR_SPREADS`) is its output on the OANDA ticks in ../shared/data.
 * Pure measurement: it must never fill in an hour without quotes.
 */

import { US_PER_DAY, US_PER_HOUR } from "../../pipeline/events.ts";
import { utcToNyLocal } from "../../pipeline/tz.ts";
import type { Source } from "../../sources/source.ts";

/** One New York hour's spreads, in price units. */
export interface HourSpread {
  /** 0 is 00:00-01:00 New York. */
  readonly hour: number;
  readonly quotes: number;
  /** Null for an hour without quotes. */
  readonly median: number | null;
  readonly p90: number | null;
  /** The median rounded up to `step`: what a spread model charges. */
  readonly model: number | null;
}

export interface SpreadProfile {
  readonly hours: readonly HourSpread[];
  readonly firstUs: number;
  readonly lastUs: number;
  readonly quotes: number;
}

/** The value at rank floor((n - 1) x p) of the sorted values (the lower median for p = 0.5). */
function quantile(sorted: Float64Array, p: number): number {
  return sorted[Math.floor((sorted.length - 1) * p)];
}

/**
 * Measures a tick source's spread per New York hour. Spreads are taken to 1e-6 (the
 * float noise of ask - bid removed) and the model figure is the median rounded up to
 * `step` (the cent for XAUUSD), erring on the costly side.
 */
export async function measureSpreadProfile(source: Source, step = 0.01): Promise<SpreadProfile> {
  if (source.resolution !== "tick") {
    throw new TypeError(
      `Cannot measure spreads from ${source.path}: it holds ${source.resolution} bars; ` +
        "give a tick file with bid and ask (OANDA ticks)",
    );
  }
  const byHour: number[][] = Array.from({ length: 24 }, () => []);
  let firstUs = NaN;
  let lastUs = NaN;
  let quotes = 0;
  for await (const batch of source.batches()) {
    if (batch.kind !== "ticks") continue;
    for (let i = 0; i < batch.length; i++) {
      const local = utcToNyLocal(batch.timeUs[i]);
      const hour = Math.floor((local - Math.floor(local / US_PER_DAY) * US_PER_DAY) / US_PER_HOUR);
      byHour[hour].push(Math.round((batch.ask[i] - batch.bid[i]) * 1e6) / 1e6);
      if (quotes === 0) firstUs = batch.timeUs[i];
      lastUs = batch.timeUs[i];
      quotes++;
    }
  }
  const hours = byHour.map((values, hour): HourSpread => {
    if (values.length === 0) return { hour, quotes: 0, median: null, p90: null, model: null };
    const sorted = Float64Array.from(values).sort();
    const median = quantile(sorted, 0.5);
    const model = Number((Math.ceil(median / step - 1e-9) * step).toFixed(8));
    return { hour, quotes: values.length, median, p90: quantile(sorted, 0.9), model };
  });
  return { hours, firstUs, lastUs, quotes };
}
