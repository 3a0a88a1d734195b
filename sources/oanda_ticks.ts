/**
 * OANDA tick quotes: `timestamp_utc,bid,ask` with ISO-8601 UTC times to the microsecond.
 * Keeps the microseconds (tens of thousands of ticks share a millisecond).
 */

import { AcceptedRows, TickAcceptor } from "./_accept.ts";
import { excerpt, FieldCursor, parseIsoUs } from "./_bytes.ts";
import { delimitedSource } from "./_delimited.ts";
import { type Plausibility, plausibility } from "../pipeline/plausibility.ts";
import { expectHeader, headerFields } from "./_header.ts";
import {
  type BadLines,
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

class TickRows extends AcceptedRows<TickAcceptor> {
  private readonly fields = new FieldCursor(COMMA);

  constructor(
    private readonly path: string,
    private readonly bad: BadLines,
    report: ReadReport,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    super(new TickAcceptor(new TickColumnsBuilder(), bad, report, limits, fromUs, toUs));
  }

  header(buf: Uint8Array, ls: number, le: number): void {
    expectHeader(this.path, headerFields(buf, ls, le), TICK_HEADER);
  }

  row(buf: Uint8Array, ls: number, limit: number, lineNo: number): number {
    const f = this.fields;
    f.reset(buf, ls, limit);
    f.skip();
    const timeUs = parseIsoUs(buf, f.fieldStart, f.fieldEnd, true);
    const bid = f.decimal();
    const ask = f.decimal();
    const complete = f.atEnd;
    const le = f.end();
    if (!complete) {
      this.bad.record(lineNo, f.fieldCountReason(ls, 3), excerpt(buf, ls, le));
    } else {
      this.acceptor.accept(lineNo, buf, ls, le, timeUs, bid, ask);
    }
    return f.nextLine;
  }
}

export function openOandaTicks(path: string, options: SourceOptions = {}): Source {
  const limits = plausibility(options.plausibility);
  return delimitedSource({
    path,
    format: "oanda-ticks",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid-ask",
    resolution: "tick",
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new TickRows(
        path,
        bad,
        report,
        limits,
        options.fromUs ?? -Infinity,
        options.toUs ?? Infinity,
      ),
  });
}
