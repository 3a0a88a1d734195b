/**
 * Opens any supported market-data file as a `Source`: detects the format from the first
 * line (or takes `format`), and refuses an empty or unrecognised file with a message
 * that names the formats it knows. Sources are where data enters; they are read-only.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { onMainThread } from "../pipeline/workers.ts";
import { type HistDataOptions, openHistData, sniffHistData } from "./histdata.ts";
import { lineBlocks, StreamBrokeError } from "./_lines.ts";
import { type Mt5Options, openMt5, sniffMt5 } from "./mt5.ts";
import { openOandaTicks, sniffOandaTicks } from "./oanda_ticks.ts";
import { openQuoteBars, type QuoteBarsOptions, sniffQuoteBars } from "./quote_bars.ts";
import { concatSources } from "./concat.ts";
import { OFF_THREAD_BYTES, readOffThread } from "./_read_thread.ts";
import { cachedSource, caching, type EntryPlace, readCacheKey } from "./read_cache.ts";
import { type FormatName, FORMATS, type Source } from "./source.ts";

export type * from "./source.ts";
export { concatSources } from "./concat.ts";
export type { HistDataClock } from "./histdata.ts";
export type { ServerTimeRule } from "./mt5.ts";

export interface OpenSourceOptions extends HistDataOptions, Mt5Options, QuoteBarsOptions {
  readonly format?: FormatName;
  /**
   * Read a big file on a worker thread of its own (`_read_thread.ts`): for a caller whose
   * own thread is busy with every batch (a backtest's pipeline). A caller that only
   * collects the batches (`bars`) reads faster here, with the gzip inflated beside it.
   * Asked from a Worker, the file is read on the Worker's own thread (`openSource`).
   */
  readonly thread?: boolean;
  /**
   * A folder for the read cache (`read_cache.ts`): a file of `OFF_THREAD_BYTES` or more is
   * read from the entry there for the same bytes and options when there is one, and kept
   * there after a whole pass when there is not. Default none.
   */
  readonly cache?: string;
}

const SNIFFERS: ReadonlyArray<readonly [FormatName, (line: string) => boolean]> = [
  ["histdata", sniffHistData],
  ["mt5", sniffMt5],
  ["oanda-ticks", sniffOandaTicks],
  ["quote-bars", sniffQuoteBars],
];

const HEAD_LINES = 64;

/**
 * The first non-blank lines of a file (decompressed), for detection and timeframe
 * inference, the line number of the first of them, and whether they are the whole file.
 */
async function headLines(
  path: string,
): Promise<{ lines: string[]; firstLineNo: number; whole: boolean }> {
  const decoder = new TextDecoder();
  let text = "";
  let whole = true;
  const blocks = lineBlocks(path, false);
  try {
    for await (const { buf, start, end } of blocks) {
      text += decoder.decode(buf.subarray(start, end));
      if (text.split("\n").length > HEAD_LINES) {
        whole = false;
        break;
      }
    }
  } catch (error) {
    // A cut gzip: the first line it cost is the one after the complete lines read.
    if (error instanceof StreamBrokeError) {
      throw new BadInputError(path, text.split("\n").length, error.reason);
    }
    throw error;
  }
  await blocks.return(undefined);
  const all = text.split("\n").slice(0, HEAD_LINES).map((line) => line.replace(/\r$/, ""));
  return {
    lines: all.filter((line) => line !== ""),
    firstLineNo: all.findIndex((line) => line !== "") + 1,
    whole,
  };
}

/** The formats whose first line is a header rather than a row. */
const HAS_HEADER: Readonly<Record<FormatName, boolean>> = {
  histdata: false,
  mt5: true,
  "oanda-ticks": true,
  "quote-bars": true,
};

export function detectFormat(path: string, firstLine: string, lineNo = 1): FormatName {
  const found = SNIFFERS.find(([, sniff]) => sniff(firstLine));
  if (!found) {
    throw new BadInputError(
      path,
      lineNo,
      `unknown format; expected one of ${FORMATS.join(", ")} (or pass --format)`,
      firstLine.slice(0, 120),
    );
  }
  return found[0];
}

/** Several files of one market read as one source, in the given (time) order. */
export async function openSources(
  paths: readonly string[],
  options: OpenSourceOptions = {},
): Promise<Source> {
  return concatSources(await Promise.all(paths.map((path) => openSource(path, options))));
}

/**
 * Opens `path` as a `Source`. With `thread`, a file of `OFF_THREAD_BYTES` or more is read on
 * a worker thread (`_read_thread.ts`); a smaller one here, where a thread would cost more to
 * start than its reading takes. With `cache`, such a file is read from its entry when there
 * is one, and kept there after a whole pass when there is not (by the reading thread, with
 * `thread`).
 */
export async function openSource(path: string, options: OpenSourceOptions = {}): Promise<Source> {
  // A file that cannot be looked at is refused by its reader, in a sentence naming it.
  const big = await Deno.stat(path).then((info) => info.size >= OFF_THREAD_BYTES, () => false);
  if (options.cache === undefined || !big) return await openUncached(path, big, options, null);
  const place = { dir: options.cache, key: await readCacheKey(path, options) };
  return await cachedSource(place.dir, place.key, path) ??
    await openUncached(path, big, options, place);
}

/** `openSource` from the file itself, its whole passes kept at `place` when not null. */
async function openUncached(
  path: string,
  big: boolean,
  options: OpenSourceOptions,
  place: EntryPlace | null,
): Promise<Source> {
  const source = await openSourceHere(path, options);
  // Only from the main thread (`onMainThread`): a Worker (a sweep's job) reads on its own
  // thread, its gzip inflated there too.
  if (options.thread === true && big && onMainThread) {
    return readOffThread(source, { ...options, format: source.format }, place);
  }
  return place === null ? source : caching(source, place);
}

/** Opens `path` as a `Source` read on this thread: what the reading thread runs. */
export async function openSourceHere(
  path: string,
  options: OpenSourceOptions = {},
): Promise<Source> {
  const { lines: head, firstLineNo, whole } = await headLines(path);
  if (head.length === 0) throw new BadInputError(path, null, "file has only blank lines");
  const format = options.format ?? detectFormat(path, head[0], firstLineNo);
  // Also refused while reading (a header then thousands of blank lines); here it is named
  // before a format's own checks (a quote-bar timeframe) can say something less clear.
  if (whole && head.length === 1 && HAS_HEADER[format]) {
    throw new BadInputError(path, null, "file has a header but no rows");
  }
  switch (format) {
    case "histdata":
      return openHistData(path, options);
    case "mt5":
      return openMt5(path, options);
    case "oanda-ticks":
      return openOandaTicks(path, options);
    case "quote-bars":
      return openQuoteBars(path, head, options);
  }
}
