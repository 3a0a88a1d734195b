/**
 * Bid/ask quote bars in UTC: OANDA's M1/H1/D1 files, and this project's own normalised
 * output (`deno task bars`), which adds `spread` and `volume` columns where it has them.
 * Header: `time_utc,bid_open,bid_high,bid_low,bid_close` then optionally
 * `ask_open,ask_high,ask_low,ask_close`, `spread`, `volume`. `time_utc` is the bar's open.
 */

import { isTimeframe, type Timeframe, TIMEFRAME_US, TIMEFRAMES } from "../pipeline/events.ts";
import { BadInputError } from "../pipeline/errors.ts";
import { AcceptedRows, BarAcceptor } from "./_accept.ts";
import { excerpt, FieldCursor, parseIsoUs } from "./_bytes.ts";
import { delimitedSource } from "./_delimited.ts";
import { type Plausibility, plausibility } from "../pipeline/plausibility.ts";
import { expectHeader, headerFields } from "./_header.ts";
import {
  type BadLines,
  BarColumnsBuilder,
  type QuoteSides,
  type ReadReport,
  type Source,
  type SourceOptions,
} from "./source.ts";

export interface QuoteBarsOptions extends SourceOptions {
  /** The bars' timeframe when neither the file name nor the first rows tell it. */
  readonly timeframe?: Timeframe;
}

const BID = ["time_utc", "bid_open", "bid_high", "bid_low", "bid_close"];
const ASK = ["ask_open", "ask_high", "ask_low", "ask_close"];
const COMMA = 44;

export function sniffQuoteBars(firstLine: string): boolean {
  return firstLine.trim().toLowerCase().startsWith(BID.join(","));
}

interface Layout {
  readonly columns: readonly string[];
  readonly sides: QuoteSides;
  readonly hasVolume: boolean;
}

/** The column layout a header declares, or an error naming what is wrong. */
export function quoteBarsLayout(path: string, header: string): Layout {
  const names = header.trim().toLowerCase().split(",");
  const hasAsk = names[5] === ASK[0];
  const rest = names.slice(hasAsk ? 9 : 5);
  const hasSpread = rest[0] === "spread";
  const hasVolume = rest[hasSpread ? 1 : 0] === "volume";
  const columns = [
    ...BID,
    ...(hasAsk ? ASK : []),
    ...(hasSpread ? ["spread"] : []),
    ...(hasVolume ? ["volume"] : []),
  ];
  expectHeader(path, names, columns);
  if (hasAsk && hasSpread) {
    throw new BadInputError(path, 1, "a file with ask columns must not also have a spread column");
  }
  return { columns, sides: hasAsk ? "bid-ask" : hasSpread ? "bid-spread" : "bid", hasVolume };
}

/**
 * The timeframe: the option, else a `_M1_`/`_H1_`/... tag in the file name, else the
 * smallest step between the first rows, which must be exactly one timeframe.
 */
export function quoteBarsTimeframe(
  path: string,
  headLines: readonly string[],
  option?: Timeframe,
): Timeframe {
  if (option) return option;
  const tag = /[_.-](M1|M5|M15|M30|H1|H4|D1)[_.-]/.exec(path.split("/").pop() ?? "")?.[1];
  if (tag && isTimeframe(tag)) return tag;
  const times = headLines.slice(1).map((line) => Date.parse(line.split(",")[0]) * 1000);
  let step = Infinity;
  for (let i = 1; i < times.length; i++) {
    const d = times[i] - times[i - 1];
    if (d > 0 && d < step) step = d;
  }
  const found = TIMEFRAMES.find((tf) => TIMEFRAME_US[tf] === step);
  if (!found) {
    throw new BadInputError(
      path,
      null,
      "cannot tell the bars' timeframe from the file name or the first rows; pass --input-timeframe",
    );
  }
  return found;
}

class QuoteBarRows extends AcceptedRows<BarAcceptor> {
  private readonly stepUs: number;
  private readonly fields = new FieldCursor(COMMA);
  private readonly values: Float64Array;

  constructor(
    private readonly path: string,
    private readonly layout: Layout,
    timeframe: Timeframe,
    private readonly bad: BadLines,
    report: ReadReport,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    const builder = new BarColumnsBuilder(timeframe, layout.sides, layout.hasVolume);
    super(new BarAcceptor(builder, bad, report, limits, fromUs, toUs));
    this.stepUs = TIMEFRAME_US[timeframe];
    this.values = new Float64Array(layout.columns.length);
  }

  header(buf: Uint8Array, ls: number, le: number): void {
    expectHeader(this.path, headerFields(buf, ls, le), this.layout.columns);
  }

  row(buf: Uint8Array, ls: number, limit: number, lineNo: number): number {
    const n = this.layout.columns.length;
    const f = this.fields;
    f.reset(buf, ls, limit);
    f.skip();
    const openUs = parseIsoUs(buf, f.fieldStart, f.fieldEnd, true);
    const v = this.values;
    for (let k = 1; k < n; k++) v[k] = f.decimal();
    const complete = f.atEnd;
    const le = f.end();
    if (!complete) {
      this.bad.record(lineNo, f.fieldCountReason(ls, n), excerpt(buf, ls, le));
      return f.nextLine;
    }
    const ask = this.layout.sides === "bid-ask";
    this.acceptor.accept(
      lineNo,
      buf,
      ls,
      le,
      openUs,
      openUs + this.stepUs,
      v[1],
      v[2],
      v[3],
      v[4],
      ask ? v[5] : NaN,
      ask ? v[6] : NaN,
      ask ? v[7] : NaN,
      ask ? v[8] : NaN,
      this.layout.sides === "bid-spread" ? v[5] : NaN,
      this.layout.hasVolume ? v[n - 1] : NaN,
    );
    return f.nextLine;
  }
}

export function openQuoteBars(
  path: string,
  headLines: readonly string[],
  options: QuoteBarsOptions = {},
): Source {
  const layout = quoteBarsLayout(path, headLines[0] ?? "");
  const timeframe = quoteBarsTimeframe(path, headLines, options.timeframe);
  const limits = plausibility(options.plausibility);
  return delimitedSource({
    path,
    format: "quote-bars",
    symbol: options.symbol ?? "XAUUSD",
    sides: layout.sides,
    resolution: timeframe,
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new QuoteBarRows(
        path,
        layout,
        timeframe,
        bad,
        report,
        limits,
        options.fromUs ?? -Infinity,
        options.toUs ?? Infinity,
      ),
  });
}
