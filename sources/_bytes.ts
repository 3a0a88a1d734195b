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
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const decoder = new TextDecoder();

/** Where the last `scanDecimal` stopped: the delimiter's index, or `end`. */
let scanStop = 0;

/**
 * A plain decimal ("1291.677", "-3", "0.5") from `start` up to `delimiter` or `end`,
 * NaN when malformed. With at most 15 significant digits the integer mantissa and the
 * power of ten are exact doubles, so one IEEE division is correctly rounded and equals
 * `parseFloat` of the same text (Clinger's fast path); longer numbers take `parseFloat`.
 */
function scanDecimal(buf: Uint8Array, start: number, end: number, delimiter: number): number {
  let i = start;
  let negative = false;
  if (i < end && buf[i] === MINUS) {
    negative = true;
    i++;
  }
  const digitsFrom = i;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  let valid = true;
  for (; i < end; i++) {
    const byte = buf[i];
    if (byte === delimiter) break;
    const c = byte - ZERO;
    if (c >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      if (mantissa !== 0) digits++;
      if (scale >= 0) scale++;
    } else if (byte === DOT && scale < 0) {
      scale = 0;
    } else {
      valid = false;
    }
  }
  scanStop = i;
  if (!valid || i - digitsFrom - (scale >= 0 ? 1 : 0) <= 0) return NaN;
  if (digits > 15 || scale > 15) {
    return Number.parseFloat(decoder.decode(buf.subarray(start, i)));
  }
  const value = scale > 0 ? mantissa / POW10[scale] : mantissa;
  return negative ? -value : value;
}

/** A whole field `buf[start, end)` as a plain decimal, or NaN. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  return scanDecimal(buf, start, end, -1);
}

/**
 * Reads one line's fields left to right in a single pass, so a row costs one walk over
 * its bytes. A missing or malformed field reads as NaN; `atEnd` says whether the line
 * had exactly the fields read.
 */
export class FieldCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  /** Set when a read went past the last field: the line had fewer fields than read. */
  private overrun = false;
  /** Bounds of the field last passed by `skip()`. */
  fieldStart = 0;
  fieldEnd = 0;

  constructor(private readonly delimiter: number) {}

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.overrun = false;
  }

  /** True when the reads so far took exactly the line's fields: none left, none missing. */
  get atEnd(): boolean {
    return this.pos > this.end && !this.overrun;
  }

  /** Passes over the next field, recording its bounds; false when there is none. */
  skip(): boolean {
    if (this.pos > this.end) {
      this.overrun = true;
      return false;
    }
    const buf = this.buf;
    let i = this.pos;
    while (i < this.end && buf[i] !== this.delimiter) i++;
    this.fieldStart = this.pos;
    this.fieldEnd = i;
    this.pos = i + 1;
    return true;
  }

  decimal(): number {
    if (this.pos > this.end) {
      this.overrun = true;
      return NaN;
    }
    const value = scanDecimal(this.buf, this.pos, this.end, this.delimiter);
    this.pos = scanStop + 1;
    return value;
  }

  /** How many fields the line has, for error messages. */
  countFields(start: number): number {
    let fields = 1;
    for (let i = start; i < this.end; i++) if (this.buf[i] === this.delimiter) fields++;
    return fields;
  }
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
  const base = civilToUs(
    parseDigits(buf, start, 4),
    parseDigits(buf, start + 5, 2),
    parseDigits(buf, start + 8, 2),
    parseDigits(buf, start + 11, 2),
    parseDigits(buf, start + 14, 2),
    parseDigits(buf, start + 17, 2),
  );
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
