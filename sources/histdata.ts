/**
 * HistData.com "generic ASCII" M1 bars: `YYYYMMDD HHMMSS;open;high;low;close;volume`,
 * bid prices, bar open time on a New York clock with a quirk (see `HistDataClock`).
 * Converts every row to UTC. It drops exactly one known artefact, the repeated hour on
 * the EU fall-back Sunday, and counts it; any other repeat is a bad line.
 */

import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE } from "../pipeline/events.ts";
import { isEuDst, isUsDst, nyLocalToUtc, wallClockToUtc } from "../pipeline/tz.ts";
import { BarAcceptor } from "./_accept.ts";
import { civilToUs, excerpt, parseDecimal, parseDigits } from "./_bytes.ts";
import { delimitedSource, type RowHandler } from "./_delimited.ts";
import {
  type BadLines,
  BarColumnsBuilder,
  type Batch,
  type ReadReport,
  type Source,
  type SourceOptions,
} from "./source.ts";

/**
 * - `new-york`: New York local time, EST/EDT (what the 2017-2018 files show).
 * - `new-york-eu-windows`: New York time except between the US and EU daylight-saving
 *   changes, where it stays on UTC-5 (what the files from 2019 on show).
 * - `auto`: `new-york` up to 2018, `new-york-eu-windows` from 2019.
 */
export type HistDataClock = "auto" | "new-york" | "new-york-eu-windows";

export interface HistDataOptions extends SourceOptions {
  readonly histdataClock?: HistDataClock;
}

const SEMICOLON = 59;
const RING = 256;

const bothDst = (utcUs: number) => isEuDst(utcUs) && isUsDst(utcUs);

/** HistData's wall clock to UTC for a row of `year`. */
export function histDataToUtc(localUs: number, year: number, clock: HistDataClock): number {
  const euWindows = clock === "new-york-eu-windows" || (clock === "auto" && year >= 2019);
  return euWindows
    ? wallClockToUtc(localUs, -5 * US_PER_HOUR, -4 * US_PER_HOUR, bothDst)
    : nyLocalToUtc(localUs);
}

export function sniffHistData(firstLine: string): boolean {
  return /^\d{8} \d{6};/.test(firstLine);
}

class HistDataRows implements RowHandler {
  private readonly builder = new BarColumnsBuilder("M1", "bid", false);
  private readonly acceptor: BarAcceptor;
  /** The last rows accepted (time, open, high, low, close), to recognise the repeated hour. */
  private readonly recent = new Float64Array(RING * 5);
  private recentCount = 0;

  constructor(
    private readonly bad: BadLines,
    private readonly report: ReadReport,
    private readonly clock: HistDataClock,
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
    if (fields !== 6) {
      return this.bad.record(
        lineNo,
        `expected 6 ';'-separated fields, found ${fields}`,
        excerpt(buf, ls, le),
      );
    }
    const t = b[0];
    const year = parseDigits(buf, t, 4);
    const local = b[1] - t === 15 && buf[t + 8] === 32
      ? civilToUs(
        year,
        parseDigits(buf, t + 4, 2),
        parseDigits(buf, t + 6, 2),
        parseDigits(buf, t + 9, 2),
        parseDigits(buf, t + 11, 2),
        parseDigits(buf, t + 13, 2),
      )
      : NaN;
    const openUs = Number.isNaN(local) ? NaN : histDataToUtc(local, year, this.clock);
    const o = parseDecimal(buf, b[2], b[3]);
    const h = parseDecimal(buf, b[4], b[5]);
    const l = parseDecimal(buf, b[6], b[7]);
    const c = parseDecimal(buf, b[8], b[9]);
    if (openUs <= this.acceptor.lastAcceptedUs && this.isRepeatedFallBackRow(openUs, o, h, l, c)) {
      this.report.duplicatesDropped++;
      return;
    }
    const accepted = this.acceptor.accept(
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
      NaN,
      NaN,
    );
    if (accepted) this.remember(openUs, o, h, l, c);
  }

  private remember(t: number, o: number, h: number, l: number, c: number): void {
    const at = (this.recentCount++ % RING) * 5;
    this.recent[at] = t;
    this.recent[at + 1] = o;
    this.recent[at + 2] = h;
    this.recent[at + 3] = l;
    this.recent[at + 4] = c;
  }

  /** HistData writes 19:00-19:59 twice on the EU fall-back Sunday: same times, same prices. */
  private isRepeatedFallBackRow(t: number, o: number, h: number, l: number, c: number): boolean {
    if (!(isEuDst(t - US_PER_DAY) && !isEuDst(t))) return false;
    for (let i = 0; i < Math.min(this.recentCount, RING); i++) {
      const at = i * 5;
      if (this.recent[at] === t) {
        return this.recent[at + 1] === o && this.recent[at + 2] === h &&
          this.recent[at + 3] === l && this.recent[at + 4] === c;
      }
    }
    return false;
  }

  flush(): Batch | null {
    return this.builder.length > 0 ? this.builder.take() : null;
  }
}

export function openHistData(path: string, options: HistDataOptions = {}): Source {
  const clock = options.histdataClock ?? "auto";
  return delimitedSource({
    path,
    format: "histdata",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid",
    resolution: "M1",
    delimiter: SEMICOLON,
    maxFields: 6,
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new HistDataRows(bad, report, clock, options.fromUs ?? -Infinity, options.toUs ?? Infinity),
  });
}
