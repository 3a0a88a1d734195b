/**
 * OANDA tick quotes: `timestamp_utc,bid,ask` with ISO-8601 UTC times to the microsecond.
 * Keeps the microseconds (tens of thousands of ticks share a millisecond).
 */

import { TickAcceptor } from "./_accept.ts";
import { excerpt, parseDecimal, parseIsoUs } from "./_bytes.ts";
import { delimitedSource, type RowHandler } from "./_delimited.ts";
import { expectHeader, headerFields } from "./_header.ts";
import {
  type BadLines,
  type Batch,
  type ReadReport,
  type Source,
  type SourceOptions,
  TickColumnsBuilder,
} from "./source.ts";

export const TICK_HEADER = ["timestamp_utc", "bid", "ask"] as const;
const COMMA = 44;

export function sniffOandaTicks(firstLine: string): boolean {
  return firstLine.trim().toLowerCase() === TICK_HEADER.join(",");
}

class TickRows implements RowHandler {
  private readonly builder = new TickColumnsBuilder();
  private readonly acceptor: TickAcceptor;

  constructor(
    private readonly path: string,
    private readonly bad: BadLines,
    report: ReadReport,
    fromUs: number,
    toUs: number,
  ) {
    this.acceptor = new TickAcceptor(this.builder, bad, report, fromUs, toUs);
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
    if (lineNo === 1) return expectHeader(this.path, headerFields(buf, b, fields), TICK_HEADER);
    if (fields !== 3) {
      return this.bad.record(
        lineNo,
        `expected 3 ','-separated fields, found ${fields}`,
        excerpt(buf, ls, le),
      );
    }
    this.acceptor.accept(
      lineNo,
      buf,
      ls,
      le,
      parseIsoUs(buf, b[0], b[1], true),
      parseDecimal(buf, b[2], b[3]),
      parseDecimal(buf, b[4], b[5]),
    );
  }

  flush(): Batch | null {
    return this.builder.length > 0 ? this.builder.take() : null;
  }
}

export function openOandaTicks(path: string, options: SourceOptions = {}): Source {
  return delimitedSource({
    path,
    format: "oanda-ticks",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid-ask",
    resolution: "tick",
    delimiter: COMMA,
    maxFields: 3,
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new TickRows(path, bad, report, options.fromUs ?? -Infinity, options.toUs ?? Infinity),
  });
}
