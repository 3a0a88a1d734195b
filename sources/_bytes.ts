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

  /**
   * The next field as a plain decimal ("1291.677", "-3", "0.5", ".5", "5."), NaN when
   * malformed or missing. The digits build one integer mantissa; while it stays below
   * 2^53 and there are at most 22 decimals, mantissa and power of ten are exact doubles,
   * so one IEEE division is correctly rounded and equals `parseFloat` of the same text
   * (Clinger's fast path), with no string made. Longer numbers take `parseFloat`.
   */
  decimal(): number {
    let i = this.pos;
    const end = this.end;
    if (i > end) {
      this.overrun = true;
      return NaN;
    }
    const buf = this.buf;
    const start = i;
    const negative = i < end && buf[i] === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = i;
    let c = 0;
    while (i < end && (c = buf[i] - ZERO) >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      i++;
    }
    digits = i - digits;
    let scale = 0;
    if (i < end && buf[i] === DOT) {
      const from = ++i;
      while (i < end && (c = buf[i] - ZERO) >= 0 && c <= 9) {
        mantissa = mantissa * 10 + c;
        i++;
      }
      scale = i - from;
      digits += scale;
    }
    if (i < end && buf[i] !== this.delimiter) {
      while (i < end && buf[i] !== this.delimiter) i++;
      this.pos = i + 1;
      return NaN;
    }
    this.pos = i + 1;
    if (digits === 0) return NaN;
    if (mantissa >= EXACT_LIMIT || scale > 22) {
      return Number.parseFloat(decoder.decode(buf.subarray(start, i)));
    }
    const value = scale === 0 ? mantissa : mantissa / POW10[scale];
    return negative ? -value : value;
  }

  /** How many fields the line has, for error messages. */
  countFields(start: number): number {
    let fields = 1;
    for (let i = start; i < this.end; i++) if (this.buf[i] === this.delimiter) fields++;
    return fields;
  }
}

const wholeField = new FieldCursor(-1);

/** A whole field `buf[start, end)` as a plain decimal (`FieldCursor.decimal`), or NaN. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  wholeField.reset(buf, start, end);
  return wholeField.decimal();
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
