/**
 * Position sizing: lots from the risk budget, rounded down to the lot step, then capped by
 * the symbol's maximum lot and by the margin the account may still commit; a size below
 * the minimum lot is rejected (BELOW_MIN_LOT), never rounded up. Pure arithmetic on its
 * arguments: it must never round a size up or read anything but its inputs.
 *
 * lots = equity x riskPercent / 100 / loss per lot at the stop
 *          (the loss per lot includes slippage and commissions: execution/costs.ts)
 * margin = price x contractSize x lots / leverage
 */

import { marginFor, roundLotsDown, type SymbolSpec } from "../../pipeline/symbols.ts";
import { fmt, type RiskRuleReason } from "./rule.ts";

export { marginFor };

/** The account figures and limits that bound a size. */
export interface LotCaps {
  readonly spec: SymbolSpec;
  /** Entry price, for the margin. */
  readonly price: number;
  readonly equity: number;
  /** Margin already in use, pending entries' included. */
  readonly marginInUse: number;
  /** Margin in use after the order may be at most this percent of equity. */
  readonly maxMarginUsePercent: number;
}

/** What sizing needs: the caps plus the risk budget and what one lot loses at the stop. */
export interface SizingInput extends LotCaps {
  readonly riskPercent: number;
  /** Account currency one lot loses if its stop is hit, costs included (`lossPerLotAtStop`). */
  readonly lossPerLot: number;
}

/** The size and every cap that changed it or rejected it, in order; lots is 0 when rejected. */
export interface SizingResult {
  readonly lots: number;
  readonly accepted: boolean;
  readonly reasons: readonly RiskRuleReason[];
}

/** Lots whose stop loses exactly riskPercent of equity, costs included: unrounded, uncapped. */
export function riskLots(equity: number, riskPercent: number, lossPerLot: number): number {
  if (!(lossPerLot > 0) || !Number.isFinite(lossPerLot)) {
    throw new RangeError(`Cannot size a position: loss per lot "${lossPerLot}" must be > 0`);
  }
  if (!(equity >= 0) || !(riskPercent >= 0)) {
    throw new RangeError(
      `Cannot size a position: equity "${equity}" and risk percent "${riskPercent}" must be >= 0`,
    );
  }
  return (equity * riskPercent / 100) / lossPerLot;
}

/** Most lots (on the lot step) the margin budget still allows; 0 when it is spent. */
export function maxLotsForMargin(caps: LotCaps): number {
  const budget = caps.equity * caps.maxMarginUsePercent / 100 - caps.marginInUse;
  if (!(budget > 0)) return 0;
  return roundLotsDown(caps.spec, budget / marginFor(caps.spec, caps.price, 1));
}

/**
 * Applies the hard caps to a size already on the lot step, in order: maxLot (MAX_LOT),
 * margin (MARGIN_LIMIT), then minLot (BELOW_MIN_LOT rejects).
 */
export function capLots(lots: number, caps: LotCaps): SizingResult {
  const { spec } = caps;
  const reasons: RiskRuleReason[] = [];
  let size = lots;
  if (size > spec.maxLot) {
    reasons.push({
      code: "MAX_LOT",
      detail: `${fmt(size)} lots capped at the symbol's maxLot ${spec.maxLot}`,
    });
    size = roundLotsDown(spec, spec.maxLot);
  }
  const marginCap = maxLotsForMargin(caps);
  if (size > marginCap) {
    reasons.push({
      code: "MARGIN_LIMIT",
      detail: `${fmt(size)} lots need margin ${fmt(marginFor(spec, caps.price, size))}; ${
        fmt(caps.maxMarginUsePercent, 0)
      }% of equity ${fmt(caps.equity)} less ${fmt(caps.marginInUse)} in use allows ${
        fmt(marginCap)
      } lots`,
    });
    size = marginCap;
  }
  if (size < spec.minLot) {
    reasons.push({
      code: "BELOW_MIN_LOT",
      detail: `${fmt(size, 4)} lots is below the symbol's minLot ${spec.minLot}`,
    });
    return { lots: 0, accepted: false, reasons };
  }
  return { lots: size, accepted: true, reasons };
}

/**
 * Sizes one order from the risk budget: risk lots rounded down to the lot step, then
 * `capLots`.
 *
 * @example
 * ```ts
 * // equity 10,000, risk 0.5%, stop 3.00 away and 7.00 commission per lot round trip:
 * // 50 / (3.00 x 100 + 7.00) = 0.1628 -> 0.16 lots
 * sizePosition({ spec: XAUUSD, equity: 10_000, riskPercent: 0.5, lossPerLot: 307, price: 2000,
 *   marginInUse: 0, maxMarginUsePercent: 50 }).lots; // 0.16
 * ```
 */
export function sizePosition(input: SizingInput): SizingResult {
  const raw = riskLots(input.equity, input.riskPercent, input.lossPerLot);
  return capLots(roundLotsDown(input.spec, raw), input);
}
