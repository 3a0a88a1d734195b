/**
 * HistData.com "generic ASCII" M1 bars: `YYYYMMDD HHMMSS;open;high;low;close;volume`,
 * bid prices, bar open time on a New York clock with a quirk (see `HistDataClock`).
 * Converts every row to UTC. It drops exactly one known artefact, the repeated hour on
 * the EU fall-back Sunday, and counts it; any other repeat is a bad line.
 */

import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE } from "../pipeline/events.ts";
import { isEuDst, isUsDst, nyLocalToUtc, wallClockToUtc } from "../pipeline/tz.ts";
import { AcceptedRows, BarAcceptor, volumeProblem } from "./_accept.ts";
import { excerpt, FieldCursor, midnightUs, twoDigits } from "./_bytes.ts";
import { delimitedSource } from "./_delimited.ts";
import { type Plausibility, plausibility } from "../pipeline/plausibility.ts";
import {
  type BadLines,
  BarColumnsBuilder,
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

/** Is `utcUs` within a day after the EU fall-back change (when HistData repeats an hour)? */
const isFallBackDay = (utcUs: number) => isEuDst(utcUs - US_PER_DAY) && !isEuDst(utcUs);

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

class HistDataRows extends AcceptedRows<BarAcceptor> {
  /** The last rows accepted (time, open, high, low, close), to recognise the repeated hour. */
  private readonly recent = new Float64Array(RING * 5);
  private recentCount = 0;
  private readonly fields = new FieldCursor(SEMICOLON);
  private hourKey = NaN;
  private hourOffsetUs = 0;
  /** Is the current hour in the day after the EU fall-back, whose rows may come again? */
  private fallBackDay = false;

  constructor(
    private readonly bad: BadLines,
    private readonly report: ReadReport,
    private readonly clock: HistDataClock,
    limits: Plausibility,
    fromUs: number,
    toUs: number,
  ) {
    super(
      new BarAcceptor(new BarColumnsBuilder("M1", "bid", false), bad, report, limits, fromUs, toUs),
    );
  }

  row(buf: Uint8Array, ls: number, limit: number, lineNo: number): number {
    const f = this.fields;
    f.reset(buf, ls, limit);
    f.skip();
    const openUs = f.fieldEnd - f.fieldStart === 15 && buf[f.fieldStart + 8] === 32
      ? this.openTime(buf, f.fieldStart)
      : NaN;
    const o = f.decimal();
    const h = f.decimal();
    const l = f.decimal();
    const c = f.decimal();
    // Volume is always "0" and not kept, but a line with anything else there is not clean.
    const volume = volumeProblem(f.lastDecimal(), true);
    const complete = f.atEnd;
    const le = f.end();
    if (!complete) {
      this.bad.record(lineNo, f.fieldCountReason(ls, 6), excerpt(buf, ls, le));
    } else if (volume !== null) {
      this.bad.record(lineNo, volume, excerpt(buf, ls, le));
    } else if (
      openUs <= this.acceptor.lastAcceptedUs && this.isRepeatedFallBackRow(openUs, o, h, l, c)
    ) {
      this.report.duplicatesDropped++;
    } else if (
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
        NaN,
        NaN,
      )
    ) {
      // Only rows that may come again are kept for comparison: a few dozen a year.
      if (this.fallBackDay) this.remember(openUs, o, h, l, c);
    }
    return f.nextLine;
  }

  /** UTC open time of `YYYYMMDD HHMMSS` at `t`, caching the hour's offset. */
  private openTime(buf: Uint8Array, t: number): number {
    const year = twoDigits(buf, t) * 100 + twoDigits(buf, t + 2);
    const dateUs = midnightUs(year, twoDigits(buf, t + 4), twoDigits(buf, t + 6));
    const hour = twoDigits(buf, t + 9);
    const minute = twoDigits(buf, t + 11);
    const second = twoDigits(buf, t + 13);
    if (!(hour < 24 && minute < 60 && second < 60)) return NaN;
    const hourUs = dateUs + hour * US_PER_HOUR;
    if (hourUs !== this.hourKey) {
      // Offsets change only on the hour, so one conversion serves the whole local hour.
      this.hourKey = hourUs;
      this.hourOffsetUs = histDataToUtc(hourUs, year, this.clock) - hourUs;
      // The EU change is on a UTC hour, so a whole hour is in the day after it or not.
      this.fallBackDay = isFallBackDay(hourUs + this.hourOffsetUs);
    }
    return hourUs + minute * US_PER_MINUTE + second * 1_000_000 + this.hourOffsetUs;
  }

  private remember(t: number, o: number, h: number, l: number, c: number): void {
    const at = (this.recentCount++ & (RING - 1)) * 5;
    this.recent[at] = t;
    this.recent[at + 1] = o;
    this.recent[at + 2] = h;
    this.recent[at + 3] = l;
    this.recent[at + 4] = c;
  }

  /** HistData writes 19:00-19:59 twice on the EU fall-back Sunday: same times, same prices. */
  private isRepeatedFallBackRow(t: number, o: number, h: number, l: number, c: number): boolean {
    if (!isFallBackDay(t)) return false;
    for (let i = 0; i < Math.min(this.recentCount, RING); i++) {
      const at = i * 5;
      if (this.recent[at] === t) {
        return this.recent[at + 1] === o && this.recent[at + 2] === h &&
          this.recent[at + 3] === l && this.recent[at + 4] === c;
      }
    }
    return false;
  }
}

export function openHistData(path: string, options: HistDataOptions = {}): Source {
  const clock = options.histdataClock ?? "auto";
  const limits = plausibility(options.plausibility);
  return delimitedSource({
    path,
    format: "histdata",
    symbol: options.symbol ?? "XAUUSD",
    sides: "bid",
    resolution: "M1",
    onBadLine: options.onBadLine ?? "fail",
    rows: (bad, report) =>
      new HistDataRows(
        bad,
        report,
        clock,
        limits,
        options.fromUs ?? -Infinity,
        options.toUs ?? Infinity,
      ),
  });
}
