/**
 * The read cache: a big file's batches, as a whole pass of its reader gave them, kept on
 * disk so a later pass over the same bytes with the same options reads them back instead
 * of inflating and parsing the file again (a year of HistData M1: 17 MB of columns, read
 * in milliseconds, where parsing keeps a thread busy for 0.2 s). Research runs the same
 * year again and again; this is freqtrade's converted data files, made and used without
 * a step of their own.
 *
 * An entry is named by a key of the file's SHA-256, the reader's options and
 * `READ_CACHE_VERSION`, and holds each batch's columns and the report as it stood after
 * each batch, so a pass from the cache yields the same batches and keeps the same report
 * as the reader would. It must never serve what another file, other options or another
 * version of the reader would not have given: a key it does not hold is a miss, and so is
 * a damaged or foreign entry (a pass from the file replaces it). Only a whole pass is
 * kept (one stopped early or failed writes nothing), written whole under another name and
 * renamed into place, so a reader never sees half an entry. Writing is best effort: a
 * cache that cannot be written costs a warning, never the run.
 */

import { basename } from "node:path";
import { canonicalJson } from "../pipeline/canonical_json.ts";
import { sharedSha256OfFile } from "./file_hash.ts";
import {
  barBatchOf,
  type Batch,
  emptyReport,
  type QuoteSides,
  type ReadReport,
  type Source,
} from "./source.ts";
import type { FormatName } from "./source.ts";
import type { Timeframe } from "../pipeline/events.ts";

/**
 * Bump with every change to what a reader yields for a file and options (sources/, the
 * time zones, the plausibility rules): entries of another version are misses. A test
 * (tests/sources/read_cache_test.ts) fingerprints those modules, so a change to them
 * without a bump fails it.
 */
export const READ_CACHE_VERSION = 1;

/**
 * Entries kept in a cache folder: the least recently used go first. An optimisation keeps
 * two windows a fold (3 folds by default) beside the years backtested whole.
 */
export const READ_CACHE_ENTRIES = 16;

const MAGIC = "AGS-READ";
const ENTRY_SUFFIX = ".columns";
const PARTIAL_SUFFIX = ".partial";
/** Magic, then the header's length (u32, little-endian), then the header. */
const PREAMBLE_BYTES = MAGIC.length + 4;

/** What an entry says of itself, as JSON before its columns. */
interface EntryHeader {
  readonly magic: typeof MAGIC;
  readonly version: number;
  readonly key: string;
  readonly format: FormatName;
  readonly symbol: string;
  readonly sides: QuoteSides;
  readonly resolution: Timeframe | "tick";
  readonly kind: Batch["kind"];
  /** The columns the batches have, each stored for every row, in this order. */
  readonly columns: readonly string[];
  /** Each batch's rows and the report right after it. */
  readonly batches: readonly { readonly length: number; readonly report: ReadReport }[];
  /** The report once the pass had ended. */
  readonly report: ReadReport;
}

/**
 * The key of a pass over `path` with `options`: its bytes' SHA-256, its name (a quote-bar
 * file's timeframe may come from it), the options that shape what the reader yields (not
 * where it runs, nor the cache itself) and the version.
 */
export async function readCacheKey(path: string, options: object): Promise<string> {
  const { thread: _thread, cache: _cache, ...shaping } = options as Record<string, unknown>;
  const text = [
    READ_CACHE_VERSION,
    await sharedSha256OfFile(path),
    basename(path),
    // Keys sorted: the same options, the same text.
    canonicalJson(shaping),
  ].join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const entryPath = (dir: string, key: string) => `${dir}/${key}${ENTRY_SUFFIX}`;

/**
 * The header of an entry of this version for `key`, and where its columns start, from the
 * entry's first bytes and its size; null when it is another version's, another key's or
 * damaged (cut short, grown, not an entry).
 */
function headerOf(
  start: Uint8Array,
  size: number,
  key: string,
): { header: EntryHeader; dataAt: number; rows: number } | null {
  if (start.length < PREAMBLE_BYTES) return null;
  if (new TextDecoder().decode(start.subarray(0, MAGIC.length)) !== MAGIC) return null;
  const headerBytes = new DataView(start.buffer, start.byteOffset).getUint32(MAGIC.length, true);
  const headerEnd = PREAMBLE_BYTES + headerBytes;
  if (headerEnd > start.length) return null;
  let header: EntryHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(start.subarray(PREAMBLE_BYTES, headerEnd)));
  } catch {
    return null;
  }
  if (header.magic !== MAGIC || header.version !== READ_CACHE_VERSION || header.key !== key) {
    return null;
  }
  const rows = header.batches.reduce((sum, b) => sum + b.length, 0);
  const dataAt = Math.ceil(headerEnd / 8) * 8;
  if (size !== dataAt + header.columns.length * rows * 8) return null;
  return { header, dataAt, rows };
}

/** The first `bytes` of `file` (fewer when it is shorter). */
async function firstBytes(file: Deno.FsFile, bytes: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(bytes);
  let read = 0;
  while (read < bytes) {
    const n = await file.read(buffer.subarray(read));
    if (n === null) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/**
 * The source `key` names in `dir`, read from its entry, or null when there is none (or
 * it is damaged, or of another version). Opening reads only the entry's header; a pass
 * reads its columns, and its batches are views of them.
 */
export async function cachedSource(dir: string, key: string, path: string): Promise<Source | null> {
  const file = entryPath(dir, key);
  // An entry this process is still writing (the pass before ended first): read it once written.
  await writingEntry.get(file);
  let found: ReturnType<typeof headerOf>;
  try {
    using handle = await Deno.open(file);
    const { size } = await handle.stat();
    const preamble = await firstBytes(handle, PREAMBLE_BYTES);
    const headerBytes = preamble.length < PREAMBLE_BYTES
      ? 0
      : new DataView(preamble.buffer).getUint32(MAGIC.length, true);
    const rest = await firstBytes(handle, Math.min(headerBytes, size));
    const start = new Uint8Array(preamble.length + rest.length);
    start.set(preamble);
    start.set(rest, preamble.length);
    found = headerOf(start, size, key);
  } catch (error) {
    // No entry is a miss; so is one that cannot be read, which the pass will try to replace.
    if (!(error instanceof Deno.errors.NotFound)) {
      console.error(
        `note: the read cache entry ${file} cannot be read (${(error as Error).message}); ` +
          `reading ${path} itself`,
      );
    }
    return null;
  }
  if (found === null) return null;
  const { header, dataAt, rows } = found;
  // The least recently used entries are the ones dropped.
  const now = new Date();
  await Deno.utime(file, now, now).catch(() => {});
  const report = emptyReport();
  return {
    path,
    files: [path],
    fileReports: [report],
    format: header.format,
    symbol: header.symbol,
    sides: header.sides,
    resolution: header.resolution,
    report,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      // Read whole into a fresh buffer, so the columns' views are aligned; checked again,
      // as another run may have dropped or replaced the entry since it was opened.
      const bytes = await Deno.readFile(file).catch(() => null);
      if (bytes === null || bytes.byteOffset !== 0 || headerOf(bytes, bytes.length, key) === null) {
        throw new Error(
          `the read cache entry for ${path} (${file}) went away or changed after it was opened, ` +
            "perhaps dropped by another run: run again, or pass --no-cache",
        );
      }
      const columns = new Map(
        header.columns.map((name, i) => [
          name,
          new Float64Array(bytes.buffer, dataAt + i * rows * 8, rows),
        ]),
      );
      let from = 0;
      for (const { length, report: after } of header.batches) {
        const to = from + length;
        const slice = (name: string) => columns.get(name)!.subarray(from, to);
        Object.assign(report, after);
        yield header.kind === "ticks"
          ? { kind: "ticks", length, timeUs: slice("timeUs"), bid: slice("bid"), ask: slice("ask") }
          : barBatchOf(
            header.resolution as Timeframe,
            header.sides,
            columns.has("volume"),
            length,
            slice,
          );
        from = to;
      }
      Object.assign(report, header.report);
    },
  };
}

/** The entries being written, until each has been written (or has failed). */
const writing = new Set<Promise<void>>();

/** The latest of `writing` for each entry file, for a pass that would read it. */
const writingEntry = new Map<string, Promise<void>>();

/**
 * Resolves once every entry begun has been written or given up: for a command to await
 * before it exits, as an entry cut off by the exit is only lost, never half kept.
 */
export async function readCacheWritten(): Promise<void> {
  await Promise.all(writing);
}

/**
 * Counts the entry at `place` as being written beside what the caller does next
 * (`readCacheWritten` waits for it, and so does a pass that would read it), `kept`
 * resolving to `keepPass`'s note, which is printed for the user.
 */
export function keptMeanwhile(place: EntryPlace, kept: Promise<string | null>): void {
  const file = entryPath(place.dir, place.key);
  const written = kept.then((note) => {
    if (note !== null) console.error(note);
  });
  writing.add(written);
  writingEntry.set(file, written);
  written.finally(() => {
    writing.delete(written);
    if (writingEntry.get(file) === written) writingEntry.delete(file);
  });
}

/** Where a pass is kept: the cache folder and the entry's key. */
export interface EntryPlace {
  readonly dir: string;
  readonly key: string;
}

/**
 * `source` read on this thread, whose passes are kept: the batches of a pass that runs to
 * its end are written into the entry `place` names (a pass stopped early or failed writes
 * nothing). The writing goes on after the pass has ended, beside what the caller does next
 * (`keptMeanwhile`). A pass on a reading thread is kept there instead
 * (`_read_thread.ts`), off the thread that runs the pipeline.
 */
export function caching(source: Source, place: EntryPlace): Source {
  return {
    ...source,
    async *batches(): AsyncGenerator<Batch> {
      const kept: Batch[] = [];
      const reports: ReadReport[] = [];
      for await (const batch of source.batches()) {
        kept.push(batch);
        reports.push(structuredClone(source.report));
        yield batch;
      }
      keptMeanwhile(place, keepPass(place, source, kept, reports));
    },
  };
}

/**
 * Writes the entry `place` names from a whole pass over `source`: its batches and the
 * report right after each. Best effort: what went wrong comes back as a note for the user
 * (the run goes on without its entry), else null.
 */
export async function keepPass(
  place: EntryPlace,
  source: Pick<Source, "path" | "format" | "symbol" | "sides" | "resolution" | "report">,
  kept: readonly Batch[],
  reports: readonly ReadReport[],
): Promise<string | null> {
  try {
    await writeEntry(place, source, kept, reports);
    return null;
  } catch (error) {
    return notKeptNote(place, source.path, error as Error);
  }
}

/** What the user is told when the pass over `path` could not be kept at `place`. */
export function notKeptNote(place: EntryPlace, path: string, error: Error): string {
  return `note: the read cache in ${place.dir} could not keep ${path} (${error.message}); ` +
    "the next run reads the file again";
}

/** The names of `batch`'s columns, in the order an entry stores them: the batch's own. */
function columnsOf(batch: Batch): string[] {
  return Object.entries(batch).filter(([, value]) => value instanceof Float64Array).map(([name]) =>
    name
  );
}

async function writeEntry(
  { dir, key }: EntryPlace,
  source: Pick<Source, "format" | "symbol" | "sides" | "resolution" | "report">,
  kept: readonly Batch[],
  reports: readonly ReadReport[],
): Promise<void> {
  const first = kept[0];
  const kind = first?.kind ?? (source.resolution === "tick" ? "ticks" : "bars");
  const columns = first === undefined ? [] : columnsOf(first);
  for (const batch of kept) {
    if (batch.kind !== kind || columnsOf(batch).join() !== columns.join()) {
      throw new Error("its batches do not all have the same columns");
    }
  }
  const header: EntryHeader = {
    magic: MAGIC,
    version: READ_CACHE_VERSION,
    key,
    format: source.format,
    symbol: source.symbol,
    sides: source.sides,
    resolution: source.resolution,
    kind,
    columns,
    batches: kept.map((batch, i) => ({ length: batch.length, report: reports[i] })),
    report: source.report,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataAt = Math.ceil((PREAMBLE_BYTES + headerBytes.length) / 8) * 8;
  const rows = kept.reduce((sum, batch) => sum + batch.length, 0);
  const bytes = new Uint8Array(dataAt + columns.length * rows * 8);
  bytes.set(new TextEncoder().encode(MAGIC));
  new DataView(bytes.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  bytes.set(headerBytes, PREAMBLE_BYTES);
  const data = new Float64Array(bytes.buffer, dataAt);
  columns.forEach((name, c) => {
    let at = c * rows;
    for (const batch of kept) {
      const values = (batch as unknown as Record<string, Float64Array>)[name];
      data.set(values.subarray(0, batch.length), at);
      at += batch.length;
    }
  });
  await Deno.mkdir(dir, { recursive: true });
  const file = entryPath(dir, key);
  const partial = `${file}.${crypto.randomUUID()}${PARTIAL_SUFFIX}`;
  try {
    await Deno.writeFile(partial, bytes);
    await Deno.rename(partial, file);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  await dropLeastRecent(dir);
}

/**
 * A half-written entry older than this was left by a run that stopped while writing it (a
 * kill, or a reading thread ended before it was done): no write takes a second.
 */
const STALE_PARTIAL_MS = 10 * 60_000;

/**
 * Removes the entries beyond `READ_CACHE_ENTRIES`, least recently used first, and the
 * half-written ones runs that stopped while writing left behind.
 */
async function dropLeastRecent(dir: string): Promise<void> {
  const entries: { path: string; usedMs: number }[] = [];
  const staleBeforeMs = Date.now() - STALE_PARTIAL_MS;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const entryFile = entry.name.endsWith(ENTRY_SUFFIX);
    if (!entryFile && !entry.name.endsWith(PARTIAL_SUFFIX)) continue;
    const path = `${dir}/${entry.name}`;
    const usedMs = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? 0;
    if (entryFile) entries.push({ path, usedMs });
    else if (usedMs < staleBeforeMs) await Deno.remove(path).catch(() => {});
  }
  entries.sort((a, b) => b.usedMs - a.usedMs);
  for (const { path } of entries.slice(READ_CACHE_ENTRIES)) {
    await Deno.remove(path).catch(() => {});
  }
}

/**
 * The cache folder a command uses by default: `$XDG_CACHE_HOME/ai-gold-scalper/read-cache`,
 * else under `$HOME/.cache`; null when neither is set (nothing is cached).
 */
export function defaultReadCacheDir(): string | null {
  const base = Deno.env.get("XDG_CACHE_HOME") ||
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : null);
  return base === null ? null : `${base}/ai-gold-scalper/read-cache`;
}
