/**
 * Mutation fuzzing of the file readers: stretches of real lines from ../shared/data (or, for
 * the tests that run without it, rows the format writers generate) spoilt the ways files
 * get spoilt (digit explosions, Infinity and NaN, mistyped years, a byte order mark, cut
 * lines, binary junk, swapped fields, huge lines, a slipped decimal point, a cut gzip), and
 * the judge of a reader's answer: a clean refusal names the file and a line, and whatever
 * is accepted is something a market can produce. Shared by tests/sources/fuzz_test.ts (a
 * small campaign) and bench/fuzz.ts (`deno task fuzz`, long ones).
 */

import fc from "fast-check";
import { BadInputError } from "@/pipeline/errors.ts";
import { TIMEFRAME_US } from "@/pipeline/events.ts";
import {
  DEFAULT_PLAUSIBILITY,
  type Plausibility,
  RecentMove,
  TICK_SPAN_US,
} from "@/pipeline/plausibility.ts";
import { lineBlocks } from "@/sources/_lines.ts";
import { type Batch, type FormatName, openSource, type Source } from "@/sources/mod.ts";
import { dataPath, haveData } from "../_data.ts";
import { fileText, type FormatWriter, rowsArbitrary } from "./_formats.ts";
import { gzip } from "./_util.ts";

/** The real files of each format, relative to the data folder. */
export const REAL_FILES: Readonly<Record<FormatName, readonly string[]>> = {
  histdata: [
    "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz",
    "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz",
    "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2023.csv.gz",
  ],
  mt5: ["xauusd_m1_mt5_export/XAUUSD_M1.csv"],
  "oanda-ticks": ["xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz"],
  "quote-bars": [
    "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv",
    "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv",
    "xauusd_h1_d1_oanda/XAUUSD_OANDA_D1_quote_20060320-20181231.csv",
  ],
};

/** Lines of one file to spoil: its header (or null) and consecutive rows. */
export interface Seed {
  /** A name the format's detection and timeframe inference accept. */
  readonly fileName: string;
  readonly header: string | null;
  readonly rows: readonly string[];
}

/** The header (or null) and the first `limit` rows of a real file. */
export async function realLines(
  rel: string,
  hasHeader: boolean,
  limit: number,
): Promise<{ header: string | null; rows: string[] }> {
  const decoder = new TextDecoder();
  const lines: string[] = [];
  let carry = "";
  const blocks = lineBlocks(dataPath(rel));
  for await (const { buf, start, end } of blocks) {
    const parts = (carry + decoder.decode(buf.subarray(start, end))).split("\n");
    carry = parts.pop() ?? "";
    lines.push(...parts);
    if (lines.length > limit) break;
  }
  await blocks.return(undefined);
  if (carry !== "") lines.push(carry);
  const header = hasHeader ? lines.shift() ?? null : null;
  return { header, rows: lines.slice(0, limit) };
}

/** The real files of `format` present in the data folder. */
export function presentFiles(format: FormatName): string[] {
  return REAL_FILES[format].filter((rel) => haveData(rel));
}

/** Windows of `size` consecutive real rows anywhere in the first `limit` rows of each file. */
export async function realSeeds(
  format: FormatName,
  size: number,
  limit: number,
): Promise<fc.Arbitrary<Seed>> {
  const files = await Promise.all(
    presentFiles(format).map(async (rel) => ({
      fileName: rel.split("/").pop()!.replace(/\.gz$/, ""),
      ...(await realLines(rel, format !== "histdata", limit)),
    })),
  );
  if (files.length === 0) throw new Error(`No real ${format} file in the data folder`);
  return fc.constantFrom(...files).chain((file) =>
    fc.nat({ max: Math.max(0, file.rows.length - size) }).map((at) => ({
      fileName: file.fileName,
      header: file.header,
      rows: file.rows.slice(at, at + size),
    }))
  );
}

/** Rows a format writer generates (a random walk), for tests that run without the data. */
export function generatedSeeds(writer: FormatWriter, size: number): fc.Arbitrary<Seed> {
  return rowsArbitrary(writer, size).map((rows) => ({
    fileName: writer.fileName,
    header: writer.header,
    rows: fileText(writer, rows.map((r) => writer.fields(r).join(writer.delimiter)))
      .split("\n").slice(writer.header === null ? 0 : 1, -1),
  }));
}

/** One way of spoiling a file; the numbers pick lines, fields and positions modulo their count. */
export type Mutation =
  | { readonly kind: "digits"; readonly line: number; readonly field: number; readonly n: number }
  | {
    readonly kind: "token";
    readonly line: number;
    readonly field: number;
    readonly token: string;
  }
  | { readonly kind: "year"; readonly line: number; readonly year: string }
  | {
    readonly kind: "time digit";
    readonly line: number;
    readonly at: number;
    readonly digit: number;
  }
  | { readonly kind: "bom"; readonly line: number }
  | { readonly kind: "cut line"; readonly line: number; readonly at: number }
  | { readonly kind: "junk"; readonly line: number; readonly at: number; readonly bytes: number[] }
  | { readonly kind: "swap fields"; readonly line: number; readonly a: number; readonly b: number }
  | { readonly kind: "huge line"; readonly line: number; readonly times: number }
  | { readonly kind: "scale"; readonly line: number; readonly factor: number }
  | { readonly kind: "duplicate line"; readonly line: number }
  | { readonly kind: "delete line"; readonly line: number }
  | { readonly kind: "swap lines"; readonly line: number }
  | { readonly kind: "delimiter"; readonly line: number; readonly to: string }
  | { readonly kind: "extra field"; readonly line: number }
  | { readonly kind: "line end"; readonly line: number; readonly end: string }
  | { readonly kind: "no rows"; readonly blank: boolean }
  | { readonly kind: "cut file"; readonly at: number };

const line = fc.nat();
const field = fc.nat();

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("digits"), line, field, n: fc.integer({ min: 16, max: 500 }) }),
  fc.record({
    kind: fc.constant("token"),
    line,
    field,
    token: fc.constantFrom(
      "Infinity",
      "-Infinity",
      "NaN",
      "1e400",
      "1e14",
      "100000000000000",
      "-0",
      "0",
      "",
      " ",
      "0x10",
      "1,5",
      "\u0661\u0662\u0663",
      "12.5.3",
      "-1291.5",
      "0.0000001",
    ),
  }),
  fc.record({
    kind: fc.constant("year"),
    line,
    year: fc.oneof(
      fc.constantFrom("9999", "0017", "2917", "1969", "2100", "0000"),
      fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, "0")),
    ),
  }),
  fc.record({
    kind: fc.constant("time digit"),
    line,
    at: fc.nat({ max: 26 }),
    digit: fc.nat({ max: 9 }),
  }),
  fc.record({ kind: fc.constant("bom"), line }),
  fc.record({ kind: fc.constant("cut line"), line, at: fc.nat() }),
  fc.record({
    kind: fc.constant("junk"),
    line,
    at: fc.nat(),
    bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 24 }),
  }),
  fc.record({ kind: fc.constant("swap fields"), line, a: field, b: field }),
  fc.record({
    kind: fc.constant("huge line"),
    line,
    times: fc.integer({ min: 2_000, max: 20_000 }),
  }),
  fc.record({
    kind: fc.constant("scale"),
    line,
    factor: fc.constantFrom(10, 0.1, 100, 1.5, 0.5),
  }),
  fc.record({ kind: fc.constant("duplicate line"), line }),
  fc.record({ kind: fc.constant("delete line"), line }),
  fc.record({ kind: fc.constant("swap lines"), line }),
  fc.record({ kind: fc.constant("delimiter"), line, to: fc.constantFrom(",", ";", "\t", " ", "") }),
  fc.record({ kind: fc.constant("extra field"), line }),
  fc.record({ kind: fc.constant("line end"), line, end: fc.constantFrom("\r", "\r\r", "\n\r") }),
  fc.record({ kind: fc.constant("no rows"), blank: fc.boolean() }),
  fc.record({ kind: fc.constant("cut file"), at: fc.nat() }),
);

/** A spoilt file: the lines it came from, what was done, and how it is stored. */
export interface Mutant {
  readonly seed: Seed;
  readonly mutations: readonly Mutation[];
  /** Written as gzip, whole or cut short. */
  readonly gzip: "no" | "whole" | "cut";
}

export function mutantArbitrary(seeds: fc.Arbitrary<Seed>): fc.Arbitrary<Mutant> {
  return fc.record({
    seed: seeds,
    mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }),
    gzip: fc.constantFrom<Mutant["gzip"]>("no", "no", "no", "whole", "cut"),
  });
}

const delimiterOf = (row: string) => row.includes(";") ? ";" : ",";
const at = (n: number, length: number) => length === 0 ? 0 : n % length;

/** Applies one mutation to the rows (a latin1 byte string each: one char per byte). */
function apply(rows: string[], m: Mutation): string[] {
  if (m.kind === "no rows") return m.blank ? ["", ""] : [];
  if (m.kind === "cut file") {
    const text = rows.join("\n");
    return text.slice(0, at(m.at, text.length)).split("\n");
  }
  if (rows.length === 0) return rows;
  const i = at(m.line, rows.length);
  const row = rows[i];
  const d = delimiterOf(row);
  const fields = row.split(d);
  const set = (text: string) => rows.map((r, k) => k === i ? text : r);
  const setField = (f: number, value: string) =>
    set(fields.map((v, k) => k === at(f, fields.length) ? value : v).join(d));
  switch (m.kind) {
    case "digits":
      return setField(m.field, "9".repeat(m.n));
    case "token":
      return setField(m.field, m.token);
    case "year":
      return set(m.year + row.slice(4));
    case "time digit": {
      const k = at(m.at, Math.min(row.length, 27));
      return /\d/.test(row[k] ?? "") ? set(row.slice(0, k) + m.digit + row.slice(k + 1)) : rows;
    }
    case "bom":
      return set(`\xEF\xBB\xBF${row}`);
    case "cut line":
      return set(row.slice(0, at(m.at, row.length)));
    case "junk": {
      const k = at(m.at, row.length + 1);
      return set(row.slice(0, k) + String.fromCharCode(...m.bytes) + row.slice(k));
    }
    case "swap fields": {
      const a = at(m.a, fields.length);
      const b = at(m.b, fields.length);
      [fields[a], fields[b]] = [fields[b], fields[a]];
      return set(fields.join(d));
    }
    case "huge line":
      return set(row + (d + fields.at(-1)).repeat(m.times));
    case "scale":
      return set(
        fields.map((v, k) => k > 0 && /^\d+\.\d+$/.test(v) ? String(Number(v) * m.factor) : v)
          .join(d),
      );
    case "duplicate line":
      return [...rows.slice(0, i + 1), row, ...rows.slice(i + 1)];
    case "delete line":
      return rows.filter((_, k) => k !== i);
    case "swap lines": {
      const j = (i + 1) % rows.length;
      return rows.map((r, k) => k === i ? rows[j] : k === j ? rows[i] : r);
    }
    case "delimiter":
      return set(fields.join(m.to));
    case "extra field":
      return set(row + d + fields.at(-1));
    case "line end":
      return set(row + m.end);
  }
}

/** The mutant's file as bytes, and how many lines it has. */
export async function mutantBytes(mutant: Mutant): Promise<{ bytes: Uint8Array; lines: number }> {
  const rows = mutant.mutations.reduce(apply, [...mutant.seed.rows]);
  const text = [...(mutant.seed.header === null ? [] : [mutant.seed.header]), ...rows]
    .map((l) => `${l}\n`).join("");
  const plain = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  const lines = text.split("\n").length - 1;
  if (mutant.gzip === "no") return { bytes: plain, lines };
  const packed = await gzip(plain);
  return {
    bytes: mutant.gzip === "whole" ? packed : packed.subarray(0, packed.length >> 1),
    lines,
  };
}

/**
 * What a reader made of a file:
 * - `accepted`: read whole under "fail"; everything emitted is plausible;
 * - `refused`: a `BadInputError` naming the file (and the line, when a line is at fault);
 * - `crash`: any other error;
 * - `unnamed`: a refusal that does not name the file, or names a line the file lacks;
 * - `implausible`: a value a market cannot produce was emitted.
 */
export type Verdict =
  | { readonly kind: "accepted" | "refused"; readonly spoiltMore: boolean }
  | { readonly kind: "crash" | "unnamed" | "implausible"; readonly detail: string };

/** Whole-file refusals, which have no line to name. */
const WHOLE_FILE = [
  /^file is empty/,
  /^file has only blank lines$/,
  /^file has a header but no rows$/,
  /^cannot tell the bars' timeframe/,
];

/** Reads `path` under "fail" then "skip" and judges both answers. */
export async function judge(path: string, lines: number, spoilt: number): Promise<Verdict> {
  let refused = false;
  let spoiltMore = false;
  for (const onBadLine of ["fail", "skip"] as const) {
    let source: Source | null = null;
    try {
      source = await openSource(path, { onBadLine });
      const problem = implausibility(await allBatches(source), DEFAULT_PLAUSIBILITY, source);
      if (problem !== null) return { kind: "implausible", detail: `${onBadLine}: ${problem}` };
      if (onBadLine === "skip") {
        const bad = Object.values(source.report.badLines).reduce((a, b) => a + b, 0);
        spoiltMore = bad > spoilt;
      }
    } catch (error) {
      if (!(error instanceof BadInputError)) {
        return { kind: "crash", detail: `${onBadLine}: ${(error as Error)?.stack ?? error}` };
      }
      const named = error.file === path &&
        (error.line === null
          ? WHOLE_FILE.some((re) => re.test(error.reason))
          : error.line >= 1 && error.line <= lines + 1);
      if (!named) return { kind: "unnamed", detail: `${onBadLine}: ${error.message}` };
      if (onBadLine === "fail") refused = true;
    }
  }
  return { kind: refused ? "refused" : "accepted", spoiltMore };
}

async function allBatches(source: Source): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of source.batches()) batches.push(batch);
  return batches;
}

/**
 * Null when every emitted row is one a market can produce under `p`, else what is wrong:
 * finite prices in the band, consistent OHLC, ask within the ratio, times in the window,
 * strictly increasing by at most the largest step, and no jump beyond the recent move
 * (replayed with `RecentMove` over the rows emitted, as the reader measured them).
 */
export function implausibility(
  batches: readonly Batch[],
  p: Plausibility,
  source: Source,
): string | null {
  const span = source.resolution === "tick" ? TICK_SPAN_US : TIMEFRAME_US[source.resolution];
  const moves = new RecentMove(span);
  let prev = NaN;
  const inBand = (...xs: number[]) => xs.every((x) => x >= p.minPrice && x <= p.maxPrice);
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const t = b.kind === "bars" ? b.openUs[i] : b.timeUs[i];
      if (!(t >= p.earliestUs && t < p.latestUs)) return `time ${t} outside the window`;
      if (!(t > prev || Number.isNaN(prev))) return `time ${t} not after ${prev}`;
      if (t - prev > p.maxTimeStepUs) return `time ${t} more than the largest step after ${prev}`;
      prev = t;
      let high: number, low: number, close: number;
      if (b.kind === "ticks") {
        const [bid, ask] = [b.bid[i], b.ask[i]];
        if (!inBand(bid, ask) || ask < bid || ask > bid * p.maxAskBid) {
          return `tick ${bid}/${ask} at ${t}`;
        }
        high = low = close = bid;
      } else {
        const [o, h, l, c] = [b.bidOpen[i], b.bidHigh[i], b.bidLow[i], b.bidClose[i]];
        if (!inBand(o, h, l, c) || !(l <= o && l <= c && h >= o && h >= c)) {
          return `bid ${o}/${h}/${l}/${c} at ${t}`;
        }
        if (b.askOpen) {
          const ask = [b.askOpen[i], b.askHigh![i], b.askLow![i], b.askClose![i]];
          const bid = [o, h, l, c];
          if (!inBand(...ask) || ask.some((a, k) => a < bid[k] || a > bid[k] * p.maxAskBid)) {
            return `ask ${ask.join("/")} at ${t}`;
          }
        }
        if (b.spread && !(b.spread[i] >= 0 && b.spread[i] <= l * (p.maxAskBid - 1))) {
          return `spread ${b.spread[i]} at ${t}`;
        }
        if (b.volume && !(b.volume[i] >= 0 && Number.isFinite(b.volume[i]))) {
          return `volume ${b.volume[i]} at ${t}`;
        }
        if (!(b.closeUs[i] > t)) return `close ${b.closeUs[i]} not after open ${t}`;
        [high, low, close] = [h, l, c];
      }
      if (moves.multiple(t, high, low) > p.maxJump) return `a jump beyond ${p.maxJump}x at ${t}`;
      moves.commit(t, close, moves.lastMove);
    }
  }
  return null;
}

/** Tallies of a campaign, by verdict. */
export interface Tally {
  mutants: number;
  accepted: number;
  refused: number;
  spoiltMore: number;
  crash: number;
  unnamed: number;
  implausible: number;
  /** The first few failures, for the report. */
  failures: string[];
}

export const emptyTally = (): Tally => ({
  mutants: 0,
  accepted: 0,
  refused: 0,
  spoiltMore: 0,
  crash: 0,
  unnamed: 0,
  implausible: 0,
  failures: [],
});

/** Writes the mutant to `dir`, judges it, and adds the verdict to `tally`. */
export async function runMutant(
  mutant: Mutant,
  dir: string,
  n: number,
  tally: Tally,
): Promise<Verdict> {
  const { bytes, lines } = await mutantBytes(mutant);
  const name = `${n}_${mutant.seed.fileName}${mutant.gzip === "no" ? "" : ".gz"}`;
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, bytes);
  const verdict = await judge(path, lines, mutant.mutations.length);
  await Deno.remove(path);
  tally.mutants++;
  tally[verdict.kind]++;
  if ("spoiltMore" in verdict && verdict.spoiltMore) tally.spoiltMore++;
  if ("detail" in verdict && tally.failures.length < 5) {
    tally.failures.push(
      `${verdict.kind}: ${verdict.detail}\n  mutations: ${JSON.stringify(mutant.mutations)}`,
    );
  }
  return verdict;
}
