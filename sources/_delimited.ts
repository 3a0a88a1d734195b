/**
 * The CSV hot loop shared by every format: finds lines and hands each to a format's
 * handler, which reads its fields in one pass with a `FieldCursor`; yields the
 * handler's batch after each block.
 * It knows nothing of any format and must never decode a line to a string.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { lineBlocks } from "./_lines.ts";
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
  /** One non-blank line, `buf[lineStart, lineEnd)` without its line end. */
  row(buf: Uint8Array, lineStart: number, lineEnd: number, lineNo: number): void;
  /** The rows accepted since the last call, or null. */
  flush(): Batch | null;
  /** True once the handler wants no more rows (past --to). */
  readonly done: boolean;
}

const NEWLINE = 10;
const CR = 13;

export async function* readDelimited(
  path: string,
  handler: RowHandler,
  report: ReadReport,
): AsyncGenerator<Batch> {
  let lineNo = 0;
  let headerPending = handler.header !== undefined;
  try {
    for await (const { buf, start, end } of lineBlocks(path)) {
      let pos = start;
      while (pos < end) {
        let lineEnd = buf.indexOf(NEWLINE, pos);
        if (lineEnd < 0 || lineEnd > end) lineEnd = end;
        const next = lineEnd + 1;
        if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
        lineNo++;
        if (lineEnd === pos) {
          report.blankLines++;
        } else if (headerPending) {
          headerPending = false;
          handler.header!(buf, pos, lineEnd, lineNo);
        } else {
          handler.row(buf, pos, lineEnd, lineNo);
          // Past --to: stop at this row, so no later line is read or judged.
          if (handler.done) break;
        }
        pos = next;
      }
      report.linesRead = lineNo;
      const batch = handler.flush();
      if (batch !== null && batch.length > 0) yield batch;
      if (handler.done) return;
    }
  } catch (error) {
    // A stream error (a truncated gzip) knows no line; the first line it cost is this one.
    if (error instanceof BadInputError && error.line === null && lineNo > 0) {
      throw new BadInputError(error.file, lineNo + 1, error.reason);
    }
    throw error;
  }
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
