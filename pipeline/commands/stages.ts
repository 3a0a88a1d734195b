/**
 * Stages several commands share. Every command that reads M1 bars starts the same way:
 * ticks are aggregated to M1, M1 bars pass, and coarser bars are refused with the
 * command's own words, never resampled down into invented minutes.
 */

import { ticksToBars } from "../../operators/bars/mod.ts";
import type { Source } from "../../sources/source.ts";
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
