/**
 * MetaTrader 5 `copy_rates_range` exports (the pandas dump): bid OHLC, tick volume and
 * the spread in points, stamped in the broker's server time. Converts to UTC with a
 * declared server-time rule; it must never guess the rule from the data.
 */

import { US_PER_HOUR, US_PER_MINUTE } from "../pipeline/events.ts";
import { isUsDst, wallClockToUtc } from "../pipeline/tz.ts";
import { BarAcceptor } from "./_accept.ts";
import { excerpt, parseDecimal, parseIsoUs } from "./_bytes.ts";
import { delimitedSource, type RowHandler } from "./_delimited.ts";
import { expectHeader, headerFields } from "./_header.ts";
import {
  type BadLines,
  BarColumnsBuilder,
  type Batch,
  type ReadReport,
  type Source,
  type SourceOptions,
} from "./source.ts";

/**
 * Broker server time: `"us-dst"` is UTC+2 in winter and UTC+3 while US daylight saving
 * is in force (the common convention: the daily break lands at 17:00 New York all year);
 * a number is a fixed offset in hours.
 */
export type ServerTimeRule = "us-dst" | number;

export interface Mt5Options extends SourceOptions {
  readonly serverTime?: ServerTimeRule;
  /** Price of one point, to turn the `spread` column into price units. */
  readonly point?: number;
}

export const MT5_HEADER = [
  "time",
  "open",
  "high",
  "low",
  "close",
  "tick_volume",
  "spread",
  "real_volume",
] as const;

const COMMA = 44;

export function sniffMt5(firstLine: string): boolean {
  return firstLine.trim().toLowerCase().startsWith("time,open,high,low,close,tick_volume,spread");
}

/** Server wall clock (as if UTC) to UTC under `rule`. */
export function serverTimeToUtc(localUs: number, rule: ServerTimeRule): number {
  return rule === "us-dst"
    ? wallClockToUtc(localUs, 2 * US_PER_HOUR, 3 * US_PER_HOUR, isUsDst)
    : localUs - rule * US_PER_HOUR;
}

class Mt5Rows implements RowHandler {
  private readonly builder = new BarColumnsBuilder("M1", "bid-spread", true);
  private readonly acceptor: BarAcceptor;

  constructor(
    private readonly path: string,
    private readonly bad: BadLines,
    report: ReadReport,
    private readonly rule: ServerTimeRule,
    private readonly point: number,
    fromUs: number,
    toUs: number,
  ) {
    this.acceptor = new BarAcceptor(this.builder, bad, report, fromUs, toUs);
  }

  get done(): boolean {
    return this.acceptor.done;
  }

  row(
    buf: Uint8Array,
    b: Int32Array,
    fields: number,
    ls: number,
    le: number,
    lineNo: number,
  ): void {
    if (lineNo === 1) return expectHeader(this.path, headerFields(buf, b, fields), MT5_HEADER);
    if (fields !== 8) {
      return this.bad.record(
        lineNo,
        `expected 8 ','-separated fields, found ${fields}`,
        excerpt(buf, ls, le),
      );
    }
    const local = parseIsoUs(buf, b[0], b[1], false);
    const openUs = Number.isNaN(local) ? NaN : serverTimeToUtc(local, this.rule);
    const points = parseDecimal(buf, b[12], b[13]);
    this.acceptor.accept(
      lineNo,
      buf,
      ls,
      le,
      openUs,
      openUs + US_PER_MINUTE,
      parseDecimal(buf, b[2], b[3]),
      parseDecimal(buf, b[4], b[5]),
      parseDecimal(buf, b[6], b[7]),
      parseDecimal(buf, b[8], b[9]),
      NaN,
      NaN,
      NaN,
      NaN,
      points * this.point,
      parseDecimal(buf, b[10], b[11]),
    );
  }

  flush(): Batch | null {
    return this.builder.length > 0 ? this.builder.take() : null;
  }
}

export function openMt5(path: string, options: Mt5Options = {}): Source {
  const rule = options.serverTime ?? "us-dst";
  const point = options.point ?? 0.01;
  return delimitedSource({
    path,
    format: "mt5",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid-spread",
    resolution: "M1",
    delimiter: COMMA,
    maxFields: 8,
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new Mt5Rows(
        path,
        bad,
        report,
        rule,
        point,
        options.fromUs ?? -Infinity,
        options.toUs ?? Infinity,
      ),
  });
}
