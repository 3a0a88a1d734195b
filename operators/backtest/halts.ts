/**
 * The risk engine's halts as the report shows them: when, why, until when, and how much
 * of the traded period each kept closed. A halted run that reads like a flat equity curve
 * is the silent failure this exists to prevent. Pure arithmetic on the engine's record.
 */

import { isoFromUs } from "../../pipeline/events.ts";
import type { HaltRecord } from "../risk/mod.ts";
import type { HaltReport } from "./schema.ts";

/**
 * Each halt inside [startUs, endUs], its end clipped to the period; the untraded share of
 * an enforced halt is its overlap with the period over the period's length, 0 for one
 * only recorded. A halt before the period (from the warm-up) starts at `startUs`.
 */
export function haltsReport(
  halts: readonly HaltRecord[],
  startUs: number,
  endUs: number,
): HaltReport[] {
  const length = endUs - startUs;
  const reports: HaltReport[] = [];
  for (const halt of halts) {
    const untilUs = halt.untilUs === null ? endUs : Math.min(halt.untilUs, endUs);
    if (untilUs < startUs || halt.timeUs > endUs) continue;
    const fromUs = Math.max(halt.timeUs, startUs);
    const closed = halt.enforced && length > 0 ? Math.max(0, untilUs - fromUs) / length : 0;
    reports.push({
      time_utc: isoFromUs(fromUs),
      code: halt.code,
      detail: halt.detail,
      until_utc: halt.untilUs === null || halt.untilUs >= endUs ? null : isoFromUs(halt.untilUs),
      enforced: halt.enforced,
      untraded_share: Math.round(closed * 1e4) / 1e4,
    });
  }
  return reports;
}
