/**
 * `bars`: reads any supported file, aggregates or resamples to the requested timeframe
 * through the same pipeline and stages as `serve`, writes normalised bars as CSV, and
 * prints a data-quality summary. Gaps are reported, never filled.
 */

import { z } from "zod";
import { detectGaps, resampleBars, ticksToBars } from "../../operators/bars/mod.ts";
import { csvBarsSink } from "../../sinks/csv_bars.ts";
import { qualitySink, type QualityTally } from "../../sinks/quality.ts";
import { openSource } from "../../sources/mod.ts";
import type { ReadReport, Source } from "../../sources/source.ts";
import { runPipeline, type Stage } from "../build.ts";
import { isoFromUs, type Timeframe, TIMEFRAME_US } from "../events.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import {
  outputFile,
  parseFlags,
  sourceOptions,
  sourceSchema,
  timeframe,
  UsageError,
  validate,
} from "./args.ts";
import { BARS } from "./usage.ts";

const schema = sourceSchema.extend({
  timeframe,
  out: z.string({ error: "is required: the CSV file to write" }).pipe(outputFile),
  "day-start": z.enum(["utc", "new-york-17"]).default("utc"),
  json: z.boolean().default(false),
});

/** The stages that turn `source`'s events into `target` bars, with gap detection. */
export function barStages(
  source: Source,
  target: Timeframe,
  dayStart: "utc" | "new-york-17",
): Stage[] {
  const stages: Stage[] = [];
  let have: Timeframe;
  if (source.resolution === "tick") {
    stages.push({
      name: "ticks-to-m1",
      operator: ticksToBars(source.symbol, { flushOnComplete: true }),
    });
    have = "M1";
  } else {
    have = source.resolution;
  }
  if (TIMEFRAME_US[target] < TIMEFRAME_US[have]) {
    throw new UsageError(
      `cannot make ${target} bars from ${have} data: the file is coarser than that`,
    );
  }
  if (target !== have) {
    stages.push({
      name: `resample-${target}`,
      operator: resampleBars(target, { input: have, dayStart, flushOnComplete: true }),
    });
  }
  stages.push({ name: "gaps", operator: detectGaps({ timeframe: target }) });
  return stages;
}

export interface BarsSummary {
  readonly file: string;
  readonly format: string;
  readonly timeframe: Timeframe;
  readonly out: string;
  readonly read: ReadReport;
  readonly bars: QualityTally;
}

export async function bars(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, BARS.flags),
  );
  const source = await openSource(flags.data, sourceOptions(flags));
  const csv = csvBarsSink(flags.out, flags.timeframe, source.sides);
  const quality = qualitySink(flags.timeframe);
  const run = runPipeline({
    sourceName: "file",
    source$: replay$(source),
    stages: barStages(source, flags.timeframe, flags["day-start"]),
    sinks: [csv, quality],
    health: createHealthRegistry(),
  });
  await run.done;
  const summary: BarsSummary = {
    file: source.path,
    format: source.format,
    timeframe: flags.timeframe,
    out: flags.out,
    read: source.report,
    bars: quality.tally,
  };
  console.log(flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary, source));
}

const n = (value: number) => value.toLocaleString("en-US");
const time = (us: number | null) => (us === null ? "-" : isoFromUs(us));

export function formatSummary(s: BarsSummary, source: Source): string {
  const r = s.read;
  const bad = Object.entries(r.badLines);
  const g = s.bars.gaps;
  const lines = [
    `wrote ${n(s.bars.bars)} ${s.timeframe} bars to ${s.out}`,
    `source: ${s.file} (${s.format}, ${source.resolution}, ${source.sides})`,
    `  lines read ${n(r.linesRead)}, rows kept ${n(r.rowsEmitted)}, outside --from/--to ${
      n(r.rowsOutsideRange)
    }, blank ${n(r.blankLines)}`,
    `  duplicates dropped ${n(r.duplicatesDropped)}${
      r.duplicatesDropped > 0 ? " (HistData's repeated hour on the EU fall-back Sunday)" : ""
    }`,
    `  bad lines skipped (malformed or implausible) ${
      n(bad.reduce((sum, [, count]) => sum + count, 0))
    }`,
    ...bad.map(([reason, count]) =>
      `    ${n(count)} x ${reason}; first: ${r.badLineExamples[reason]}`
    ),
    `bars: first ${time(s.bars.firstOpenUs)}, last ${time(s.bars.lastOpenUs)} (open times, UTC)`,
    `gaps against the New York session calendar (Sun 18:00 - Fri 17:00, break 17:00-18:00):`,
    `  missing in-session minutes ${
      n(
        g.missing.missingSessionMinutes + g.holiday.missingSessionMinutes +
          g.outage.missingSessionMinutes,
      )
    }`,
    `  short gaps (under 120 min) ${n(g.missing.count)} (${
      n(g.missing.missingSessionMinutes)
    } min)`,
    `  holiday gaps (120 to 2,760 min) ${n(g.holiday.count)} (${
      n(g.holiday.missingSessionMinutes)
    } min)`,
    `  outages (over 2,760 min: days or more) ${n(g.outage.count)} (${
      n(g.outage.missingSessionMinutes)
    } min)`,
    `  weekend gaps ${n(g.weekend.count)}`,
  ];
  const largest = s.bars.largestGap;
  if (largest) {
    lines.push(
      `  largest: ${time(largest.fromUs)} -> ${time(largest.toUs)} (${
        n(largest.missingSessionMinutes)
      } min)`,
    );
  }
  return lines.join("\n");
}
