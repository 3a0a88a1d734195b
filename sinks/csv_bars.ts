/**
 * Writes bars of one timeframe as normalised CSV: `time_utc` (bar open, ISO-8601 UTC),
 * bid OHLC, then ask OHLC where the data has asks or `spread` (price units) where it has
 * a spread. Numbers are written in JavaScript's shortest round-trip form, so a value
 * read back is the same double. It writes one string per batch, never per bar, and the
 * file appears under its name only once the run has succeeded.
 */

import type { BarEvent, EventBatch, Timeframe } from "../pipeline/events.ts";
import { isoFromUs } from "../pipeline/events.ts";
import type { QuoteSides } from "../sources/source.ts";
import type { Sink } from "./sink.ts";
import { createTextFile } from "./_text_file.ts";

export function barsCsvHeader(sides: QuoteSides): string {
  const bid = "time_utc,bid_open,bid_high,bid_low,bid_close";
  if (sides === "bid-ask") return `${bid},ask_open,ask_high,ask_low,ask_close`;
  return sides === "bid-spread" ? `${bid},spread` : bid;
}

function row(bar: BarEvent, sides: QuoteSides): string {
  const b = bar.bid;
  const head = `${isoFromUs(bar.openUs)},${b.open},${b.high},${b.low},${b.close}`;
  if (sides === "bid-ask" && bar.ask) {
    const a = bar.ask;
    return `${head},${a.open},${a.high},${a.low},${a.close}\n`;
  }
  return sides === "bid-spread" ? `${head},${bar.spread}\n` : `${head}\n`;
}

export interface CsvBarsSink extends Sink {
  /** Bars written so far. */
  readonly rows: number;
}

/** A sink writing `timeframe` bars to `path` (created or truncated). */
export function csvBarsSink(path: string, timeframe: Timeframe, sides: QuoteSides): CsvBarsSink {
  const file = createTextFile(path);
  file.write(`${barsCsvHeader(sides)}\n`);
  let rows = 0;
  return {
    name: "csv-bars",
    get rows() {
      return rows;
    },
    write(batch: EventBatch) {
      let text = "";
      for (const event of batch) {
        if (event.kind === "bar" && event.timeframe === timeframe) {
          text += row(event, sides);
          rows++;
        }
      }
      if (text !== "") file.write(text);
    },
    abort: file.abort,
    close: file.commit,
  };
}
