/**
 * Tallies a bar stream for the data-quality summary: bars, first and last times, and the
 * gaps reported upstream by category. It only counts; it never alters or fills anything.
 */

import type { EventBatch, GapCategory, Timeframe } from "../pipeline/events.ts";
import type { Sink } from "./sink.ts";

export interface GapTally {
  count: number;
  missingSessionMinutes: number;
}

export interface QualityTally {
  bars: number;
  firstOpenUs: number | null;
  lastOpenUs: number | null;
  gaps: Record<GapCategory, GapTally>;
  largestGap: { fromUs: number; toUs: number; missingSessionMinutes: number } | null;
}

export interface QualitySink extends Sink {
  readonly tally: QualityTally;
}

/** Counts the `timeframe` bars and every gap event passing through. */
export function qualitySink(timeframe: Timeframe): QualitySink {
  const tally: QualityTally = {
    bars: 0,
    firstOpenUs: null,
    lastOpenUs: null,
    gaps: {
      weekend: { count: 0, missingSessionMinutes: 0 },
      holiday: { count: 0, missingSessionMinutes: 0 },
      missing: { count: 0, missingSessionMinutes: 0 },
      outage: { count: 0, missingSessionMinutes: 0 },
    },
    largestGap: null,
  };
  return {
    name: "quality",
    tally,
    write(batch: EventBatch) {
      for (const event of batch) {
        if (event.kind === "bar" && event.timeframe === timeframe) {
          tally.bars++;
          tally.firstOpenUs ??= event.openUs;
          tally.lastOpenUs = event.openUs;
        } else if (event.kind === "gap" && event.timeframe === timeframe) {
          const gap = tally.gaps[event.category];
          gap.count++;
          gap.missingSessionMinutes += event.missingSessionMinutes;
          if (
            event.category !== "weekend" &&
            event.missingSessionMinutes > (tally.largestGap?.missingSessionMinutes ?? 0)
          ) {
            tally.largestGap = {
              fromUs: event.fromUs,
              toUs: event.toUs,
              missingSessionMinutes: event.missingSessionMinutes,
            };
          }
        }
      }
    },
    close() {},
  };
}
