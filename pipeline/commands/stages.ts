/**
 * Stages several commands share. Every command that reads M1 bars starts the same way:
 * ticks are aggregated to M1, M1 bars pass, and coarser bars are refused with the
 * command's own words, never resampled down into invented minutes. A backtest also keeps
 * every M1 bar it reads (`barTape`), for its chance baseline to replay; the tape never
 * changes a bar on its way.
 */

import { recordBars, ticksToBars } from "../../operators/bars/mod.ts";
import {
  type BarBatch,
  BarBatchJoiner,
  BarColumnsBuilder,
  type Source,
} from "../../sources/source.ts";
import type { Stage } from "../build.ts";
import { UsageError } from "./args.ts";

/** The stages that bring `source` to closed M1 bars; `purpose` names what needs them. */
export function m1Stages(source: Source, purpose: string): Stage[] {
  if (source.resolution === "tick") {
    return [{
      name: "ticks-to-m1",
      operator: ticksToBars(source.symbol, { flushOnComplete: true }),
    }];
  }
  if (source.resolution !== "M1") {
    throw new UsageError(
      `${purpose} need M1 bars or ticks; ${source.path} holds ${source.resolution} bars`,
    );
  }
  return [];
}

/** Every M1 bar a backtest reads, warm-up included: the random-entry baseline's tape. */
export interface BarTape {
  /** What to replay: the source itself, or one that keeps its batches as they pass. */
  readonly source: Source;
  /** The stages that record the bars, after the M1 stages. */
  readonly stages: readonly Stage[];
  take(): BarBatch;
}

/**
 * An M1 source's own batches, kept as they pass (`BarBatchJoiner`: a copy of each bar,
 * at the end); for ticks, the M1 bars the pipeline makes of them (`recordBars`).
 */
export function barTape(source: Source): BarTape {
  if (source.resolution === "tick") {
    const builder = new BarColumnsBuilder("M1", source.sides, false);
    return {
      source,
      stages: [{ name: "bar-tape", operator: recordBars(source.symbol, builder) }],
      take: () => builder.take(),
    };
  }
  const joiner = new BarBatchJoiner("M1", source.sides, false);
  return {
    source: {
      ...source,
      async *batches() {
        for await (const batch of source.batches()) {
          if (batch.kind === "bars") joiner.add(batch);
          yield batch;
        }
      },
    },
    stages: [],
    take: () => joiner.take(),
  };
}
