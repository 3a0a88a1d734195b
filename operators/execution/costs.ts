/**
 * What a trade costs on the broker's terms, before it is made: the expected fill (ask or
 * bid plus slippage), the money one lot loses if its stop is hit (slippage and both
 * commissions included) and the round trip in price units. Risk sizing, fusion's levels
 * and the reports' R all use these, so the budget a trade is sized for is the loss the
 * simulated broker books when the stop is hit without a gap. Pure arithmetic on the
 * profile: it must never read a clock or a price it is not given.
 */

import type { Side } from "../../pipeline/events.ts";
import { commissionFor, type SymbolSpec } from "../../pipeline/symbols.ts";
import { type ExecutionSettings, resolveExecutionConfig } from "./config.ts";
import type { SpreadModel } from "./quotes.ts";

/** The broker terms a cost depends on. */
export interface CostModel {
  readonly spec: SymbolSpec;
  /** The spread for bid-only data (the profile's). */
  readonly spreadModel: SpreadModel;
  /** Price units every market order, stop and stop entry fills against the trader. */
  readonly slippage: number;
}

/** What a fill and a stop cost depend on: the contract and the slippage. */
export type FillCosts = Pick<CostModel, "spec" | "slippage">;

/** The cost model of resolved execution settings (the broker's own). */
export function costModelOf(settings: ExecutionSettings): CostModel {
  return { spec: settings.spec, spreadModel: settings.spreadModel, slippage: settings.slippage };
}

/** The default account's cost model (docs/execution.md). */
export const DEFAULT_COSTS: CostModel = costModelOf(resolveExecutionConfig());

function dir(side: Side): 1 | -1 {
  return side === "buy" ? 1 : -1;
}

/**
 * Where an order is expected to fill, from its quote (the ask for a buy, the bid for a
 * sell, or a stop entry's trigger): slippage against the trader. A limit entry fills at
 * its price: pass `slips` false.
 */
export function expectedFill(costs: FillCosts, side: Side, quote: number, slips = true): number {
  return slips ? quote + dir(side) * costs.slippage : quote;
}

/**
 * Account currency one lot loses if it fills at `fill` and its stop `stop` is hit without
 * a gap: the price distance plus the stop's slippage, times the contract, plus the entry
 * and exit commissions. Swap is left out (the holding time is unknown).
 *
 * @example
 * ```ts
 * // Buy filled at 2000.32, stop 1997.30, slippage 0.02, 3.50 per lot per side:
 * // (3.02 + 0.02) x 100 + 3.50 + 3.50 = 311.00
 * lossPerLotAtStop(costs, "buy", 2000.32, 1997.30); // 311
 * ```
 */
export function lossPerLotAtStop(costs: FillCosts, side: Side, fill: number, stop: number): number {
  const { spec, slippage } = costs;
  const distance = dir(side) * (fill - stop) + slippage;
  return distance * spec.contractSize + commissionFor(spec, fill, 1) +
    commissionFor(spec, stop, 1);
}

/**
 * The expected round-trip cost of one trade at `timeUs`, in price units: the spread (the
 * quote's when given, else the profile's model at that time) + 2 x slippage + the two
 * commissions per lot divided by the contract size. What a stop or target must clear
 * before a trade can pay; `price` matters only for a commission charged on notional.
 *
 * @example
 * ```ts
 * // Default account at 10:00 New York, gold at 2000: 0.28 + 2 x 0.02 + 7.00 / 100 = 0.39
 * roundTripCost(DEFAULT_COSTS, usFromIso("2024-03-20T14:00:00Z"), 2000); // 0.39
 * ```
 */
export function roundTripCost(
  costs: CostModel,
  timeUs: number,
  price: number,
  spread: number | null = null,
): number {
  const { spec, slippage } = costs;
  const commission = 2 * commissionFor(spec, price, 1) / spec.contractSize;
  return (spread ?? costs.spreadModel.spreadAt(timeUs)) + 2 * slippage + commission;
}
