/**
 * The CSV hot loop shared by every format: hands each line to a format's handler, which
 * reads its fields and finds the line's end in one pass with a `FieldCursor`; yields the
 * handler's batch after each block.
 * It knows nothing of any format and must never decode a line to a string.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { lineBlocks, StreamBrokeError } from "./_lines.ts";
import {
  type BadLinePolicy,
  BadLines,
  type Batch,
  emptyReport,
  type ReadReport,
  type Source,
} from "./source.ts";

export interface RowHandler {
  /** The first non-blank line, for formats that have a header; others get it as a row. */
  header?(buf: Uint8Array, lineStart: number, lineEnd: number, lineNo: number): void;
  /**
   * One non-blank line starting at `lineStart`; it ends at the first "\n" before `limit`
   * (the end of the block of whole lines), or at `limit`. The handler finds that end as it
   * reads the fields (`FieldCursor`) and returns where the next line starts.
   */
  row(buf: Uint8Array, lineStart: number, limit: number, lineNo: number): number;
  /** No more rows will come: settle any row still held back. */
  finish(): void;
  /** The rows accepted since the last call, or null. */
  flush(): Batch | null;
  /** True once the handler wants no more rows (past --to). */
  readonly done: boolean;
}

const NEWLINE = 10;
const CR = 13;

/** Does the line at `pos` start with a UTF-8 byte order mark (EF BB BF)? */
function hasBom(buf: Uint8Array, pos: number, end: number): boolean {
  return end - pos >= 3 && buf[pos] === 0xef && buf[pos + 1] === 0xbb && buf[pos + 2] === 0xbf;
}

/**
 * Reads every line of `path` into `handler`. A UTF-8 byte order mark before the first line
 * is skipped in every format; a file with a header and no row is refused by name, like an
 * empty one, rather than read as an empty history.
 */
export async function* readDelimited(
  path: string,
  handler: RowHandler,
  report: ReadReport,
): AsyncGenerator<Batch> {
  let lineNo = 0;
  let rows = 0;
  const hasHeader = handler.header !== undefined;
  let headerPending = hasHeader;
  try {
    blocks: for await (const { buf, start, end } of lineBlocks(path)) {
      let pos = lineNo === 0 && hasBom(buf, start, end) ? start + 3 : start;
      while (pos < end) {
        lineNo++;
        const first = buf[pos];
        if (first === NEWLINE) {
          report.blankLines++;
          pos++;
        } else if (first === CR && (pos + 1 === end || buf[pos + 1] === NEWLINE)) {
          report.blankLines++;
          pos += pos + 1 === end ? 1 : 2;
        } else if (headerPending) {
          headerPending = false;
          let lineEnd = buf.indexOf(NEWLINE, pos);
          if (lineEnd < 0 || lineEnd > end) lineEnd = end;
          const next = lineEnd + 1;
          if (buf[lineEnd - 1] === CR) lineEnd--;
          handler.header!(buf, pos, lineEnd, lineNo);
          pos = next;
        } else {
          rows++;
          pos = handler.row(buf, pos, end, lineNo);
          // Past --to: stop at this row, so no later line is read or judged.
          if (handler.done) {
            report.linesRead = lineNo;
            break blocks;
          }
        }
      }
      report.linesRead = lineNo;
      const batch = handler.flush();
      if (batch !== null && batch.length > 0) yield batch;
    }
  } catch (error) {
    // A stream error (a truncated gzip) knows no line; the first line it cost is this one.
    // Every complete line before it was read: a row still held back is kept too.
    if (error instanceof StreamBrokeError) {
      handler.finish();
      const batch = handler.flush();
      if (batch !== null && batch.length > 0) yield batch;
      throw new BadInputError(error.file, lineNo + 1, error.reason);
    }
    throw error;
  }
  if (rows === 0) {
    throw new BadInputError(
      path,
      null,
      hasHeader && !headerPending ? "file has a header but no rows" : "file has only blank lines",
    );
  }
  handler.finish();
  const batch = handler.flush();
  if (batch !== null && batch.length > 0) yield batch;
}

export interface DelimitedSourceSpec {
  readonly path: string;
  readonly format: Source["format"];
  readonly symbol: string;
  readonly sides: Source["sides"];
  readonly resolution: Source["resolution"];
  readonly onBadLine: BadLinePolicy;
  /** A fresh handler for each pass over the file. */
  readonly rows: (bad: BadLines, report: ReadReport) => RowHandler;
}

/** A `Source` over a delimited file: each `batches()` call is a fresh pass with a fresh report. */
export function delimitedSource(spec: DelimitedSourceSpec): Source {
  const report = emptyReport();
  return {
    path: spec.path,
    files: [spec.path],
    fileReports: [report],
    format: spec.format,
    symbol: spec.symbol,
    sides: spec.sides,
    resolution: spec.resolution,
    report,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      const bad = new BadLines(spec.path, spec.onBadLine, report);
      yield* readDelimited(spec.path, spec.rows(bad, report), report);
    },
  };
}
