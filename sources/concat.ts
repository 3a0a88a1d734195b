/**
 * Several files of one market read as one source, in the order given: 2017 then 2018 is
 * one continuous history, so indicators keep warming across the year boundary. Every file
 * must be the same format, sides and resolution, and each must start after the previous
 * one ends; an overlap is refused by name, never merged.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { type Batch, emptyReport, type ReadReport, type Source } from "./source.ts";

function firstTime(batch: Batch): number {
  return batch.kind === "bars" ? batch.openUs[0] : batch.timeUs[0];
}

function add(total: ReadReport, part: ReadReport): void {
  total.linesRead += part.linesRead;
  total.rowsEmitted += part.rowsEmitted;
  total.blankLines += part.blankLines;
  total.rowsOutsideRange += part.rowsOutsideRange;
  total.duplicatesDropped += part.duplicatesDropped;
  for (const [reason, count] of Object.entries(part.badLines)) {
    total.badLines[reason] = (total.badLines[reason] ?? 0) + count;
    total.badLineExamples[reason] ??= part.badLineExamples[reason];
  }
  total.firstUs ??= part.firstUs;
  if (part.lastUs !== null) total.lastUs = part.lastUs;
}

export function concatSources(sources: readonly Source[]): Source {
  if (sources.length === 0) throw new RangeError("Cannot read no files: give at least one");
  if (sources.length === 1) return sources[0];
  const [first] = sources;
  for (const source of sources) {
    if (
      source.format !== first.format || source.sides !== first.sides ||
      source.resolution !== first.resolution
    ) {
      throw new BadInputError(
        source.path,
        null,
        `is ${source.format} ${source.resolution} (${source.sides}) but ${first.path} is ` +
          `${first.format} ${first.resolution} (${first.sides}); files read together must match`,
      );
    }
  }
  const report = emptyReport();
  return {
    path: sources.map((s) => s.path).join(" + "),
    files: sources.flatMap((s) => s.files),
    fileReports: sources.flatMap((s) => s.fileReports),
    format: first.format,
    symbol: first.symbol,
    sides: first.sides,
    resolution: first.resolution,
    report,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      let previous: Source | null = null;
      for (const source of sources) {
        let checked = false;
        for await (const batch of source.batches()) {
          if (!checked && batch.length > 0) {
            checked = true;
            if (
              previous !== null && previous.report.lastUs !== null &&
              firstTime(batch) <= previous.report.lastUs
            ) {
              throw new BadInputError(
                source.path,
                null,
                `starts at or before the end of ${previous.path}; give files in time order, without overlap`,
              );
            }
          }
          yield batch;
        }
        add(report, source.report);
        previous = source;
      }
    },
  };
}
