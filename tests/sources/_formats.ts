/**
 * The four file formats as writers, for tests that build small files: a generated row
 * (UTC time, bid OHLC in cents, spread, volume) becomes that format's text fields, and
 * the fields become the columns a source must read back.
 */

import fc from "fast-check";
import { US_PER_HOUR, US_PER_MINUTE } from "@/pipeline/events.ts";
import type { FormatName } from "@/sources/mod.ts";
import type { Columns } from "./_util.ts";

/** One market row before it is written: prices in cents so any text is exact. */
export interface GenRow {
  readonly timeUs: number;
  /** Bid open, high, low, close in cents. */
  readonly bid: readonly [number, number, number, number];
  /** Ask minus bid, in cents, for every price (ticks and quote bars). */
  readonly spreadCents: number;
  /** MT5's spread in points (0.01) and tick volume. */
  readonly points: number;
  readonly volume: number;
}

export interface FormatWriter {
  readonly format: FormatName;
  /** A file name the format's detection and timeframe inference accept. */
  readonly fileName: string;
  readonly header: string | null;
  readonly delimiter: string;
  readonly fieldCount: number;
  /** Where the bid (and ask) prices sit among the fields. */
  readonly bidFields: readonly number[];
  readonly askFields: readonly number[];
  /** The smallest step between rows the writer's time text can carry. */
  readonly stepUs: number;
  /** A UTC time the writer's clock rule converts without a DST change nearby. */
  readonly baseUs: number;
  fields(row: GenRow): string[];
  /** The file's time text for a UTC instant. */
  timeText(utcUs: number): string;
  /** The columns a source must emit for these rows. */
  expected(rows: readonly GenRow[]): Columns;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const price = (cents: number, decimals = 2) => (cents / 100).toFixed(decimals);

function parts(us: number) {
  const d = new Date(Math.floor(us / 1000));
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    compactDate: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    compactTime: `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`,
    micros: ((us % 1_000_000) + 1_000_000) % 1_000_000,
  };
}

const col = (rows: readonly GenRow[], f: (r: GenRow) => number) => Float64Array.from(rows, f);
const bidColumns = (rows: readonly GenRow[]) => ({
  bidOpen: col(rows, (r) => r.bid[0] / 100),
  bidHigh: col(rows, (r) => r.bid[1] / 100),
  bidLow: col(rows, (r) => r.bid[2] / 100),
  bidClose: col(rows, (r) => r.bid[3] / 100),
});
const askColumns = (rows: readonly GenRow[]) => ({
  askOpen: col(rows, (r) => (r.bid[0] + r.spreadCents) / 100),
  askHigh: col(rows, (r) => (r.bid[1] + r.spreadCents) / 100),
  askLow: col(rows, (r) => (r.bid[2] + r.spreadCents) / 100),
  askClose: col(rows, (r) => (r.bid[3] + r.spreadCents) / 100),
});
const m1Times = (rows: readonly GenRow[]) => ({
  openUs: col(rows, (r) => r.timeUs),
  closeUs: col(rows, (r) => r.timeUs + US_PER_MINUTE),
});

/** HistData: New York local time; January 2017 is EST (UTC-5) throughout. */
export const HISTDATA: FormatWriter = {
  format: "histdata",
  fileName: "DAT_ASCII_XAUUSD_M1_2017.csv",
  header: null,
  delimiter: ";",
  fieldCount: 6,
  bidFields: [1, 2, 3, 4],
  askFields: [],
  stepUs: US_PER_MINUTE,
  baseUs: Date.UTC(2017, 0, 3, 5) * 1000,
  timeText(utcUs) {
    const p = parts(utcUs - 5 * US_PER_HOUR);
    return `${p.compactDate} ${p.compactTime}`;
  },
  fields(row) {
    return [this.timeText(row.timeUs), ...row.bid.map((c) => price(c, 6)), "0"];
  },
  expected: (rows) => ({ ...m1Times(rows), ...bidColumns(rows) }),
};

/** MT5: server time, UTC+3 while US daylight saving is in force (April 2026). */
export const MT5: FormatWriter = {
  format: "mt5",
  fileName: "XAUUSD_M1.csv",
  header: "time,open,high,low,close,tick_volume,spread,real_volume",
  delimiter: ",",
  fieldCount: 8,
  bidFields: [1, 2, 3, 4],
  askFields: [],
  stepUs: US_PER_MINUTE,
  baseUs: Date.UTC(2026, 3, 6) * 1000,
  timeText(utcUs) {
    const p = parts(utcUs + 3 * US_PER_HOUR);
    return `${p.date} ${p.time}`;
  },
  fields(row) {
    return [
      this.timeText(row.timeUs),
      ...row.bid.map((c) => price(c)),
      String(row.volume),
      String(row.points),
      "0",
    ];
  },
  expected: (rows) => ({
    ...m1Times(rows),
    ...bidColumns(rows),
    spread: col(rows, (r) => r.points * 0.01),
    volume: col(rows, (r) => r.volume),
  }),
};

/** OANDA ticks: ISO UTC to the microsecond; a row's bid is its bid close. */
export const OANDA_TICKS: FormatWriter = {
  format: "oanda-ticks",
  fileName: "XAUUSD_OANDA_ticks_test.csv",
  header: "timestamp_utc,bid,ask",
  delimiter: ",",
  fieldCount: 3,
  bidFields: [1],
  askFields: [2],
  stepUs: 1,
  baseUs: Date.UTC(2014, 4, 1) * 1000,
  timeText(utcUs) {
    const p = parts(utcUs);
    return `${p.date}T${p.time}.${pad(p.micros, 6)}Z`;
  },
  fields(row) {
    return [
      this.timeText(row.timeUs),
      price(row.bid[3], 3),
      price(row.bid[3] + row.spreadCents, 3),
    ];
  },
  expected: (rows) => ({
    timeUs: col(rows, (r) => r.timeUs),
    bid: col(rows, (r) => r.bid[3] / 100),
    ask: col(rows, (r) => (r.bid[3] + r.spreadCents) / 100),
  }),
};

/** OANDA M1 quote bars: ISO UTC bar open, bid then ask OHLC. */
export const QUOTE_BARS: FormatWriter = {
  format: "quote-bars",
  fileName: "XAUUSD_OANDA_M1_quote_test.csv",
  header: "time_utc,bid_open,bid_high,bid_low,bid_close,ask_open,ask_high,ask_low,ask_close",
  delimiter: ",",
  fieldCount: 9,
  bidFields: [1, 2, 3, 4],
  askFields: [5, 6, 7, 8],
  stepUs: US_PER_MINUTE,
  baseUs: Date.UTC(2014, 4, 1) * 1000,
  timeText(utcUs) {
    const p = parts(utcUs);
    return `${p.date}T${p.time}Z`;
  },
  fields(row) {
    return [
      this.timeText(row.timeUs),
      ...row.bid.map((c) => price(c, 3)),
      ...row.bid.map((c) => price(c + row.spreadCents, 3)),
    ];
  },
  expected: (rows) => ({ ...m1Times(rows), ...bidColumns(rows), ...askColumns(rows) }),
};

export const WRITERS: readonly FormatWriter[] = [HISTDATA, MT5, OANDA_TICKS, QUOTE_BARS];

/** The file text for rows, with the header and LF line ends. */
export function fileText(writer: FormatWriter, lines: readonly string[]): string {
  return [...(writer.header === null ? [] : [writer.header]), ...lines].map((l) => `${l}\n`).join(
    "",
  );
}

/** Fixed, valid rows `count` steps apart from the writer's base time. */
export function sampleRows(writer: FormatWriter, count: number, stepMultiple = 1): GenRow[] {
  return Array.from({ length: count }, (_, i) => ({
    timeUs: writer.baseUs + i * stepMultiple * Math.max(writer.stepUs, US_PER_MINUTE),
    bid: [182_684 + i, 182_734 + i, 182_662 + i, 182_664 + i] as const,
    spreadCents: 30,
    points: 12,
    volume: 100 + i,
  }));
}

/**
 * Valid rows in strictly increasing time, from the writer's base time: a random walk from
 * a random level, so every row is a move a market can make (`pipeline/plausibility.ts`):
 * a bar moves at most $6 from the previous close, a tick at most $0.50.
 */
export function rowsArbitrary(writer: FormatWriter, maxLength = 60): fc.Arbitrary<GenRow[]> {
  const ticks = writer.stepUs === 1;
  const cents = ticks ? 50 : 300;
  const row = fc.record({
    gap: fc.integer({ min: 1, max: ticks ? 5_000_000 : 90 }),
    open: fc.integer({ min: -cents, max: cents }),
    close: fc.integer({ min: -cents, max: cents }),
    up: fc.integer({ min: 0, max: cents }),
    down: fc.integer({ min: 0, max: cents }),
    spreadCents: fc.integer({ min: 0, max: 300 }),
    points: fc.integer({ min: 0, max: 60 }),
    volume: fc.integer({ min: 0, max: 5_000 }),
  });
  const level = fc.integer({ min: 50_000, max: 500_000 });
  return fc.tuple(level, fc.array(row, { minLength: 1, maxLength })).map(([start, specs]) => {
    let t = writer.baseUs;
    let last = start;
    return specs.map((s) => {
      t += s.gap * writer.stepUs;
      // A tick is its close: it moves by `close` alone.
      const open = ticks ? last : last + s.open;
      const close = open + s.close;
      const high = Math.max(open, close) + (ticks ? 0 : s.up);
      const low = Math.min(open, close) - (ticks ? 0 : s.down);
      last = close;
      return {
        timeUs: t,
        bid: [open, high, low, close] as const,
        spreadCents: s.spreadCents,
        points: s.points,
        volume: s.volume,
      };
    });
  });
}
