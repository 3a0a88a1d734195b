/**
 * Market regimes: a volatility level and a trend state per symbol, as a plain detector
 * fed closed bars and as an RxJS operator that publishes regime changes. This is the
 * folder's public surface; `_`-prefixed files are private. Nothing here fits a model,
 * reads a clock or sees a forming bar.
 */

export {
  REGIME_DEFAULTS,
  type RegimeBar,
  RegimeDetector,
  type RegimeOptions,
  type TrendLabel,
  type VolatilityLabel,
} from "./regime.ts";
export type { RegimeEvent, RegimeMeasures } from "../../pipeline/events.ts";
export { detectRegimes, type DetectRegimesOptions } from "./operators.ts";
