/**
 * MetaTrader 5 `copy_rates_range` exports (the pandas dump): bid OHLC, tick volume and
 * the spread in points, stamped in the broker's server time. Converts to UTC with a
 * declared server-time rule; it must never guess the rule from the data.
 */

import { US_PER_HOUR, US_PER_MINUTE } from "../pipeline/events.ts";
import { isUsDst, wallClockToUtc } from "../pipeline/tz.ts";
import { AcceptedRows, BarAcceptor, volumeProblem } from "./_accept.ts";
import { excerpt, FieldCursor, parseIsoUs } from "./_bytes.ts";
import { delimitedSource } from "./_delimited.ts";
import { type Plausibility, plausibility } from "../pipeline/plausibility.ts";
import { expectHeader, headerFields } from "./_header.ts";
import {
  type BadLines,
  BarColumnsBuilder,
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

class Mt5Rows extends AcceptedRows<BarAcceptor> {
  private readonly fields = new FieldCursor(COMMA);

  constructor(
    private readonly path: string,
    private readonly bad: BadLines,
    report: ReadReport,
    private readonly rule: ServerTimeRule,
    private readonly point: number,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    const builder = new BarColumnsBuilder("M1", "bid-spread", true);
    super(new BarAcceptor(builder, bad, report, limits, fromUs, toUs));
  }

  header(buf: Uint8Array, ls: number, le: number): void {
    expectHeader(this.path, headerFields(buf, ls, le), MT5_HEADER);
  }

  row(buf: Uint8Array, ls: number, limit: number, lineNo: number): number {
    const f = this.fields;
    f.reset(buf, ls, limit);
    f.skip();
    const local = parseIsoUs(buf, f.fieldStart, f.fieldEnd, false);
    const openUs = Number.isNaN(local) ? NaN : serverTimeToUtc(local, this.rule);
    const o = f.decimal();
    const h = f.decimal();
    const l = f.decimal();
    const c = f.decimal();
    const volume = f.decimal();
    const spread = f.decimal() * this.point;
    // real_volume is always 0 and not kept, but a line with anything else there is not clean.
    const realVolume = volumeProblem(f.lastDecimal(), true, "real_volume");
    const complete = f.atEnd;
    const le = f.end();
    if (!complete) {
      this.bad.record(lineNo, f.fieldCountReason(ls, 8), excerpt(buf, ls, le));
    } else if (realVolume !== null) {
      this.bad.record(lineNo, realVolume, excerpt(buf, ls, le));
    } else {
      this.acceptor.accept(
        lineNo,
        buf,
        ls,
        le,
        openUs,
        openUs + US_PER_MINUTE,
        o,
        h,
        l,
        c,
        NaN,
        NaN,
        NaN,
        NaN,
        spread,
        volume,
      );
    }
    return f.nextLine;
  }
}

export function openMt5(path: string, options: Mt5Options = {}): Source {
  const rule = options.serverTime ?? "us-dst";
  const point = options.point ?? 0.01;
  const limits = plausibility(options.plausibility);
  return delimitedSource({
    path,
    format: "mt5",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid-spread",
    resolution: "M1",
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new Mt5Rows(
        path,
        bad,
        report,
        rule,
        point,
        limits,
        options.fromUs ?? -Infinity,
        options.toUs ?? Infinity,
      ),
  });
}
