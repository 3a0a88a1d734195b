/**
 * Bars: ticks to M1, resampling to higher timeframes, and gap reporting, as scalar
 * typed-array classes for the batch path and as RxJS operators for the spine.
 * Nothing here reads a clock, fills a gap or emits a forming bar unasked.
 */

export type { BarSink } from "./bar_sink.ts";
export { aggregateTicks, TickToBar } from "./tick_to_bar.ts";
export {
  type DayStart,
  resampleBatch,
  resampleBid,
  Resampler,
  ResamplerCascade,
  type ResamplerOptions,
} from "./resample.ts";
export {
  detectGapsInBatch,
  type Gap,
  gapCategory,
  GapDetector,
  type GapSummary,
  type GapTotals,
  HOLIDAY_MAX_MISSING_MINUTES,
  HOLIDAY_MIN_MISSING_MINUTES,
} from "./gaps.ts";
export {
  detectGaps,
  type DetectGapsOptions,
  type FlushOptions,
  recordBars,
  resampleBars,
  type ResampleBarsOptions,
  ticksToBars,
  type TicksToBarsOptions,
} from "./operators.ts";
