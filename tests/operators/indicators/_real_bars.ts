/**
 * Loads real XAUUSD bars from ../shared/data for the indicator tests, as plain
 * Float64Arrays (the indicators only need prices, not times).
 *
 * Tests on real data register through `dataTest()` (tests/_data.ts): when the data is absent
 * the test is reported as ignored and a line says why, so it never passes silently.
 * This helper must never fall back to invented bars.
 */

import { dataPath } from "../../_data.ts";

const DATA_ROOT = dataPath(".");

export type HistdataYear = 2017 | 2018 | 2023;

export interface PriceBarArrays {
  readonly length: number;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
}

export function histdataPath(year: HistdataYear): string {
  return `${DATA_ROOT}/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${year}.csv.gz`;
}

export const OANDA_M1_QUOTES_PATH =
  `${DATA_ROOT}/xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv`;

/** The rows of a text file, streamed (gunzipped when the name ends in .gz). */
async function* lines(path: string): AsyncGenerator<string> {
  const file = await Deno.open(path);
  const bytes = path.endsWith(".gz")
    ? file.readable.pipeThrough(new DecompressionStream("gzip"))
    : file.readable;
  let rest = "";
  for await (const chunk of bytes.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    yield* parts;
  }
  if (rest !== "") yield rest;
}

class Column {
  values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  done(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

function number(text: string, path: string, row: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || text === "") {
    throw new Error(`Cannot read "${path}": row ${row} has "${text}" where a price belongs`);
  }
  return value;
}

const histdataCache = new Map<HistdataYear, Promise<PriceBarArrays>>();

/**
 * A year of HistData M1 bid bars (`YYYYMMDD HHMMSS;open;high;low;close;volume`), rows
 * as they are (the 2023 holes and its repeated DST hour are irrelevant to the math).
 */
export function histdataM1(year: HistdataYear): Promise<PriceBarArrays> {
  let loaded = histdataCache.get(year);
  if (loaded === undefined) {
    loaded = loadHistdata(histdataPath(year));
    histdataCache.set(year, loaded);
  }
  return loaded;
}

async function loadHistdata(path: string): Promise<PriceBarArrays> {
  const open = new Column();
  const high = new Column();
  const low = new Column();
  const close = new Column();
  let row = 0;
  for await (const line of lines(path)) {
    row++;
    if (line.trim() === "") continue;
    const fields = line.split(";");
    open.push(number(fields[1], path, row));
    high.push(number(fields[2], path, row));
    low.push(number(fields[3], path, row));
    close.push(number(fields[4], path, row));
  }
  return {
    length: close.length,
    open: open.done(),
    high: high.done(),
    low: low.done(),
    close: close.done(),
  };
}

/** The close spread (ask close - bid close) of OANDA's M1 quote bars, 1 to 15 May 2014. */
export async function oandaM1Spreads(): Promise<Float64Array> {
  const spreads = new Column();
  let row = 0;
  for await (const line of lines(OANDA_M1_QUOTES_PATH)) {
    row++;
    if (row === 1 || line.trim() === "") continue;
    const fields = line.split(",");
    spreads.push(
      number(fields[8], OANDA_M1_QUOTES_PATH, row) - number(fields[4], OANDA_M1_QUOTES_PATH, row),
    );
  }
  return spreads.done();
}
