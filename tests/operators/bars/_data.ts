/**
 * The real files the bars tests check against, read through `openSource` exactly as the
 * pipeline reads them, and the registration of tests that need them: when a file is
 * absent the test is reported as ignored and a line says why, so it never passes silently.
 * This helper must never fall back to invented data.
 */

import { dataPath } from "../../_data.ts";
import { openSource } from "@/sources/mod.ts";
import type { BarBatch, SourceOptions, TickBatch } from "@/sources/source.ts";

const DATA_ROOT = dataPath(".");

export const TICKS_PATH =
  `${DATA_ROOT}/xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`;
export const TICK_M1_ORACLE_PATH =
  `${DATA_ROOT}/xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv`;
export const OANDA_H1_PATH =
  `${DATA_ROOT}/xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv`;
export const OANDA_D1_PATH =
  `${DATA_ROOT}/xauusd_h1_d1_oanda/XAUUSD_OANDA_D1_quote_20060320-20181231.csv`;
export const HISTDATA_2017_PATH = `${DATA_ROOT}/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz`;

/** Every batch of a bar file, in order. */
export async function readBars(path: string): Promise<BarBatch[]> {
  const batches: BarBatch[] = [];
  for await (const batch of (await openSource(path)).batches()) {
    if (batch.kind !== "bars") throw new TypeError(`Expected bars in "${path}", found ticks`);
    batches.push(batch);
  }
  return batches;
}

/** Every batch of a tick file (within `options`' time window), in order. */
export async function readTicks(path: string, options: SourceOptions = {}): Promise<TickBatch[]> {
  const batches: TickBatch[] = [];
  for await (const batch of (await openSource(path, options)).batches()) {
    if (batch.kind !== "ticks") throw new TypeError(`Expected ticks in "${path}", found bars`);
    batches.push(batch);
  }
  return batches;
}

/** One batch holding all of `batches`' rows, for row-by-row comparison. */
export function concatBars(batches: readonly BarBatch[]): BarBatch {
  const length = batches.reduce((n, b) => n + b.length, 0);
  const join = (pick: (b: BarBatch) => Float64Array | null): Float64Array | null => {
    if (batches.length === 0 || pick(batches[0]) === null) return null;
    const out = new Float64Array(length);
    let at = 0;
    for (const b of batches) {
      out.set(pick(b)!, at);
      at += b.length;
    }
    return out;
  };
  return {
    kind: "bars",
    timeframe: batches[0]?.timeframe ?? "M1",
    length,
    openUs: join((b) => b.openUs)!,
    closeUs: join((b) => b.closeUs)!,
    bidOpen: join((b) => b.bidOpen)!,
    bidHigh: join((b) => b.bidHigh)!,
    bidLow: join((b) => b.bidLow)!,
    bidClose: join((b) => b.bidClose)!,
    askOpen: join((b) => b.askOpen),
    askHigh: join((b) => b.askHigh),
    askLow: join((b) => b.askLow),
    askClose: join((b) => b.askClose),
    spread: join((b) => b.spread),
    volume: join((b) => b.volume),
  };
}

export const PRICE_COLUMNS = [
  "bidOpen",
  "bidHigh",
  "bidLow",
  "bidClose",
  "askOpen",
  "askHigh",
  "askLow",
  "askClose",
] as const;

/**
 * The first difference between two bar batches over times and the price columns both
 * have, as a readable line, or null when they are equal value for value.
 */
export function firstBarDifference(actual: BarBatch, expected: BarBatch): string | null {
  if (actual.length !== expected.length) {
    return `length ${actual.length}, expected ${expected.length}`;
  }
  const columns = ["openUs", "closeUs", ...PRICE_COLUMNS] as const;
  for (const column of columns) {
    const a = actual[column];
    const e = expected[column];
    if (e === null) continue;
    if (a === null) return `column ${column} missing`;
    for (let i = 0; i < expected.length; i++) {
      if (a[i] !== e[i]) {
        const at = new Date(expected.openUs[i] / 1000).toISOString();
        return `row ${i} (${at}) ${column}: ${a[i]}, expected ${e[i]}`;
      }
    }
  }
  return null;
}
