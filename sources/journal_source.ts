/**
 * The journal as a `Source`: the bars the live pipeline stored (sinks/journal.ts) read
 * back as column batches, a day per batch, in time order, between `fromUs` and `toUs`.
 * It lets a live-mode retrain learn from exactly what the pipeline saw, and nothing that
 * opened at or after its trigger time.
 * Like a file source it must never invent, reorder or drop a bar: a bar whose quote sides
 * differ from the first one's is corrupt data and fails the read.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { type BarEvent, isoFromUs, type Timeframe, US_PER_DAY } from "../pipeline/events.ts";
import type { Journal } from "../sinks/journal.ts";
import { pushBarEvent } from "../operators/bars/bar_sink.ts";
import {
  BarColumnsBuilder,
  type Batch,
  emptyReport,
  type FormatName,
  type QuoteSides,
  type Source,
} from "./source.ts";

export interface JournalSourceOptions {
  readonly symbol: string;
  /** Bars opening at or after this UTC µs. */
  readonly fromUs: number;
  /** Bars opening before this UTC µs. */
  readonly toUs: number;
  /** The timeframe read; the pipeline stores M1 bars. */
  readonly timeframe?: Timeframe;
  /** The format of the feed that wrote the journal: the journal does not store one. */
  readonly format: FormatName;
}

const sidesOf = (bar: BarEvent): QuoteSides =>
  bar.ask ? "bid-ask" : bar.spread !== null ? "bid-spread" : "bid";

/** The first bar in [fromUs, toUs), looked for a day at a time so no query loads the range. */
function firstBar(
  journal: Journal,
  symbol: string,
  timeframe: Timeframe,
  fromUs: number,
  toUs: number,
): BarEvent | null {
  for (let day = fromUs; day < toUs; day += US_PER_DAY) {
    const [bar] = journal.bars(symbol, timeframe, day, Math.min(day + US_PER_DAY, toUs));
    if (bar) return bar;
  }
  return null;
}

/**
 * The journal's `symbol` bars opening in [fromUs, toUs) as a source. The journal must
 * stay open until the read has finished; the caller closes it.
 */
export function journalSource(journal: Journal, options: JournalSourceOptions): Source {
  const { symbol, fromUs, toUs, format } = options;
  const timeframe = options.timeframe ?? "M1";
  if (!(Number.isFinite(fromUs) && Number.isFinite(toUs) && fromUs < toUs)) {
    throw new RangeError(
      `Cannot read bars from journal "${journal.path}": from ${fromUs} must be before to ${toUs}`,
    );
  }
  const first = firstBar(journal, symbol, timeframe, fromUs, toUs);
  if (first === null) {
    throw new BadInputError(
      journal.path,
      null,
      `has no ${symbol} ${timeframe} bars from ${isoFromUs(fromUs)} to ${isoFromUs(toUs)}`,
    );
  }
  const sides = sidesOf(first);
  const report = emptyReport();
  return {
    path: journal.path,
    files: [journal.path],
    fileReports: [report],
    format,
    symbol,
    sides,
    resolution: timeframe,
    report,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      const columns = new BarColumnsBuilder(timeframe, sides, true);
      for (let day = first.openUs; day < toUs; day += US_PER_DAY) {
        for (const bar of journal.bars(symbol, timeframe, day, Math.min(day + US_PER_DAY, toUs))) {
          if (sidesOf(bar) !== sides) {
            throw new BadInputError(
              journal.path,
              null,
              `the ${symbol} bar at ${isoFromUs(bar.openUs)} is ${
                sidesOf(bar)
              } but the bars before it are ${sides}`,
            );
          }
          pushBarEvent(columns, bar);
          report.linesRead++;
          report.rowsEmitted++;
          report.firstUs ??= bar.openUs;
          report.lastUs = bar.openUs;
        }
        if (columns.length > 0) yield columns.take();
      }
    },
  };
}
