/**
 * Byte-level field readers for the CSV hot path: decimals and timestamps straight from
 * a Uint8Array, so no line is ever decoded to a string. Every reader returns NaN for
 * malformed input and leaves the judgement (and the error message) to its caller.
 */

import { US_PER_HOUR, US_PER_MINUTE, US_PER_SECOND } from "../pipeline/events.ts";
import { daysFromCivil } from "../pipeline/tz.ts";

const ZERO = 48;
const DOT = 46;
const MINUS = 45;
/** Powers of ten that are exact doubles (10^22 is the last). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Integers below 2^53 are exact doubles, so are sums and products of them that stay below. */
const EXACT_LIMIT = 2 ** 53;
const decoder = new TextDecoder();

const NEWLINE = 10;
const CR = 13;

/**
 * Reads one line's fields left to right in a single pass, so a row costs one walk over
 * its bytes, and finds the line's end on the way: the cursor is handed a whole block of
 * lines and a line ends at its "\n" (a "\r" before it is not content) or at the limit. A
 * missing or malformed field reads as NaN; `atEnd` says whether the line had exactly the
 * fields read.
 */
export class FieldCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private limit = 0;
  /** Where the line's content ends (before "\r\n" or "\n"), once found; -1 before. */
  private contentEnd = -1;
  /** Set when a read went past the last field: the line had fewer fields than read. */
  private overrun = false;
  /** Bounds of the field last passed by `skip()`. */
  fieldStart = 0;
  fieldEnd = 0;
  /** Where the next line starts, once the line's end is found (`end()`). */
  nextLine = 0;

  constructor(private readonly delimiter: number) {}

  /** Starts a line at `start`; it ends at the first "\n" before `limit`, or at `limit`. */
  reset(buf: Uint8Array, start: number, limit: number): void {
    this.buf = buf;
    this.pos = start;
    this.limit = limit;
    this.contentEnd = -1;
    this.overrun = false;
  }

  /** True when the reads so far took exactly the line's fields: none left, none missing. */
  get atEnd(): boolean {
    return this.contentEnd >= 0 && this.pos > this.contentEnd && !this.overrun;
  }

  /** The end of the line's content, found now if the reads have not reached it. */
  end(): number {
    if (this.contentEnd < 0) {
      let i = this.pos;
      while (i < this.limit && this.buf[i] !== NEWLINE) i++;
      this.lineEndsAt(i);
    }
    return this.contentEnd;
  }

  /** The field that started at `pos` ended at `i`, a "\n" or the limit: so does the line. */
  private lineEndsAt(i: number): void {
    const content = i > this.pos && this.buf[i - 1] === CR ? i - 1 : i;
    this.contentEnd = content;
    this.nextLine = i < this.limit ? i + 1 : this.limit;
    this.pos = content + 1;
  }

  /** True when the line's fields are used up (and marks a read past them). */
  private usedUp(): boolean {
    if (this.contentEnd >= 0 && this.pos > this.contentEnd) {
      this.overrun = true;
      return true;
    }
    return false;
  }

  /** Passes over the next field, recording its bounds; false when there is none. */
  skip(): boolean {
    if (this.usedUp()) return false;
    const buf = this.buf;
    const limit = this.limit;
    const d = this.delimiter;
    let i = this.pos;
    let b = 0;
    while (i < limit && (b = buf[i]) !== d && b !== NEWLINE) i++;
    this.fieldStart = this.pos;
    if (i < limit && b === d) {
      this.fieldEnd = i;
      this.pos = i + 1;
    } else {
      this.lineEndsAt(i);
      this.fieldEnd = this.contentEnd;
    }
    return true;
  }

  /**
   * The next field as a plain decimal ("1291.677", "-3", "0.5", ".5", "5."), NaN when
   * malformed or missing, with no string made. Up to 9 digits before and 9 after the point
   * are read as two small integers (fast, exact); the mantissa they make, while below 2^53,
   * and the power of ten are exact doubles, so one IEEE division is correctly rounded and
   * equals `parseFloat` of the same text (Clinger's fast path). Longer numbers take
   * `parseFloat` (`longDecimal`).
   */
  decimal(): number {
    if (this.contentEnd >= 0 && this.pos > this.contentEnd) {
      this.overrun = true;
      return NaN;
    }
    const buf = this.buf;
    const limit = this.limit;
    const start = this.pos;
    let i = start;
    const negative = i < limit && buf[i] === MINUS;
    if (negative) i++;
    const intFrom = i;
    let units = 0;
    let c = 0;
    let stop = Math.min(limit, i + 9);
    while (i < stop && (c = buf[i] - ZERO) >= 0 && c <= 9) {
      units = units * 10 + c;
      i++;
    }
    let digits = i - intFrom;
    let fraction = 0;
    let scale = 0;
    if (i < limit && buf[i] === DOT) {
      const from = ++i;
      stop = Math.min(limit, i + 9);
      while (i < stop && (c = buf[i] - ZERO) >= 0 && c <= 9) {
        fraction = fraction * 10 + c;
        i++;
      }
      scale = i - from;
      digits += scale;
    }
    if (i < limit && (c = buf[i] - ZERO) >= 0 && c <= 9) return this.longDecimal(start);
    if (!this.endField(i) || digits === 0) return NaN;
    const mantissa = scale === 0 ? units : units * POW10[scale] + fraction;
    if (mantissa >= EXACT_LIMIT) return this.longDecimal(start);
    const value = scale === 0 ? mantissa : mantissa / POW10[scale];
    return negative ? -value : value;
  }

  /** A decimal with too many digits for the fast path: `parseFloat` of its text. */
  private longDecimal(start: number): number {
    const buf = this.buf;
    const limit = this.limit;
    let i = start;
    if (i < limit && buf[i] === MINUS) i++;
    let digits = 0;
    let dots = 0;
    for (; i < limit; i++) {
      const b = buf[i];
      if (b >= ZERO && b <= ZERO + 9) digits++;
      else if (b === DOT && dots === 0) dots++;
      else break;
    }
    if (!this.endField(i) || digits === 0) return NaN;
    return Number.parseFloat(decoder.decode(buf.subarray(start, i)));
  }

  /**
   * Ends the field at `i`: true at the delimiter or the line's end; false (the rest of the
   * field passed over) when something else is there, which makes the field malformed.
   */
  private endField(i: number): boolean {
    const buf = this.buf;
    const limit = this.limit;
    const stop = i < limit ? buf[i] : NEWLINE;
    if (stop === this.delimiter) {
      this.pos = i + 1;
      return true;
    }
    if (stop === NEWLINE || (stop === CR && (i + 1 === limit || buf[i + 1] === NEWLINE))) {
      this.lineEndsAt(stop === CR ? i + 1 : i);
      return true;
    }
    const d = this.delimiter;
    let b = 0;
    while (i < limit && (b = buf[i]) !== d && b !== NEWLINE) i++;
    if (i < limit && b === d) this.pos = i + 1;
    else this.lineEndsAt(i);
    return false;
  }

  /**
   * The next field, meant as the line's last, as a decimal: a column checked but not kept.
   * One read, as `decimal()`; only a field it refuses that ends in a "\r" (a line ending
   * "\r\r\n") is read again as a whole field, which allows that "\r", so such lines read
   * as they always have. `atEnd` then says whether the line had exactly the fields read.
   */
  lastDecimal(): number {
    const start = this.pos;
    const value = this.decimal();
    if (value === value || !this.atEnd) return value;
    const end = this.contentEnd;
    return end > start && this.buf[end - 1] === CR ? parseDecimal(this.buf, start, end) : value;
  }

  /** How many fields the line from `start` has, for error messages. */
  countFields(start: number): number {
    const end = this.end();
    let fields = 1;
    for (let i = start; i < end; i++) if (this.buf[i] === this.delimiter) fields++;
    return fields;
  }

  /** Why the line from `start` is bad when it should have had `expected` fields. */
  fieldCountReason(start: number, expected: number): string {
    const d = String.fromCharCode(this.delimiter);
    return `expected ${expected} '${d}'-separated fields, found ${this.countFields(start)}`;
  }
}

const wholeField = new FieldCursor(-1);

/** A whole field `buf[start, end)` as a plain decimal (`FieldCursor.decimal`), or NaN. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  wholeField.reset(buf, start, end);
  const value = wholeField.decimal();
  return wholeField.atEnd && wholeField.nextLine === end ? value : NaN;
}

/** An unsigned integer of exactly `width` digits at `at`, or NaN. */
export function parseDigits(buf: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = at; i < at + width; i++) {
    const c = buf[i] - ZERO;
    if (!(c >= 0 && c <= 9)) return NaN;
    value = value * 10 + c;
  }
  return value;
}

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A calendar date and time of day as µs since the epoch, or NaN when any part is invalid. */
export function civilToUs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month])) return NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) {
    return NaN;
  }
  if (!(hour < 24 && minute < 60 && second < 60)) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000_000 + hour * US_PER_HOUR +
    minute * US_PER_MINUTE + second * US_PER_SECOND;
}

/** Two digits at `at` as a number, or NaN. */
export function twoDigits(buf: Uint8Array, at: number): number {
  const tens = buf[at] - ZERO;
  const units = buf[at + 1] - ZERO;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : NaN;
}

/** The last calendar day converted (as yyyymmdd) and its midnight: rows come day by day. */
let cachedDay = NaN;
let cachedDayUs = NaN;

/** Midnight UTC of a calendar date as µs, NaN when invalid; converted once per day, not per row. */
export function midnightUs(year: number, month: number, day: number): number {
  const key = year * 10_000 + month * 100 + day;
  if (key !== cachedDay) {
    cachedDay = key;
    cachedDayUs = civilToUs(year, month, day, 0, 0, 0);
  }
  return cachedDayUs;
}

/**
 * `YYYY-MM-DD?HH:MM:SS[.f{1,9}][Z]` where `?` is `T` or a space; fractions below a
 * microsecond are refused rather than rounded. The `Z`, when `requireZ`, must be there.
 */
export function parseIsoUs(buf: Uint8Array, start: number, end: number, requireZ: boolean): number {
  if (end - start < 19) return NaN;
  if (buf[start + 4] !== MINUS || buf[start + 7] !== MINUS) return NaN;
  const sep = buf[start + 10];
  if (sep !== 84 && sep !== 32) return NaN;
  if (buf[start + 13] !== 58 || buf[start + 16] !== 58) return NaN;
  const year = twoDigits(buf, start) * 100 + twoDigits(buf, start + 2);
  const month = twoDigits(buf, start + 5);
  const day = twoDigits(buf, start + 8);
  const hour = twoDigits(buf, start + 11);
  const minute = twoDigits(buf, start + 14);
  const second = twoDigits(buf, start + 17);
  if (!(hour < 24 && minute < 60 && second < 60)) return NaN;
  const base = midnightUs(year, month, day) + hour * US_PER_HOUR + minute * US_PER_MINUTE +
    second * US_PER_SECOND;
  let i = start + 19;
  let fraction = 0;
  if (i < end && buf[i] === DOT) {
    const digitsStart = ++i;
    while (i < end && buf[i] >= ZERO && buf[i] <= ZERO + 9) i++;
    const width = i - digitsStart;
    if (width === 0 || width > 6) return NaN;
    fraction = parseDigits(buf, digitsStart, width) * POW10[6 - width];
  }
  if (i < end && buf[i] === 90) i++;
  else if (requireZ) return NaN;
  return i === end ? base + fraction : NaN;
}

/** The text of a line for an error message, cut to a readable length. */
export function excerpt(buf: Uint8Array, start: number, end: number): string {
  const text = decoder.decode(buf.subarray(start, Math.min(end, start + 120)));
  return end - start > 120 ? `${text}…` : text;
}
