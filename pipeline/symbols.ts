/**
 * Contract specifications: what one lot is, how prices step, what a night costs. Risk
 * sizing and the simulated broker both read them, so a backtest sizes and books a trade
 * exactly as live does. XAUUSD's defaults are a common retail CFD contract; every field
 * is configurable per symbol (a broker's real figures come from the EA's hello message).
 */

import { z } from "zod";

export const symbolSpecSchema = z.object({
  symbol: z.string().min(1).describe("the broker's symbol name, e.g. XAUUSD or XAUUSD.pc"),
  digits: z.number().int().min(0).max(8).describe("decimal places of a price"),
  point: z.number().positive().describe("smallest price increment (MT5's point)"),
  contractSize: z.number().positive().describe(
    "units of the underlying per lot: 100 troy ounces for XAUUSD",
  ),
  minLot: z.number().positive().describe("smallest order size in lots"),
  maxLot: z.number().positive().describe("largest order size in lots"),
  lotStep: z.number().positive().describe("order sizes are multiples of this many lots"),
  leverage: z.number().positive().describe(
    "account leverage for margin: margin = price x contractSize x lots / leverage",
  ),
  commissionPerLot: z.number().nonnegative().describe(
    "commission per lot per side (entry and exit each pay it), account currency",
  ),
  swapLongPerLot: z.number().describe(
    "swap per lot per night a buy is held, account currency (negative is a cost)",
  ),
  swapShortPerLot: z.number().describe(
    "swap per lot per night a sell is held, account currency (negative is a cost)",
  ),
  tripleSwapWeekday: z.number().int().min(0).max(6).describe(
    "weekday (0 = Sunday, UTC at the daily rollover) that books three nights: 3, Wednesday",
  ),
}).refine((s) => s.minLot <= s.maxLot, { message: "minLot must not exceed maxLot" });

export type SymbolSpec = z.infer<typeof symbolSpecSchema>;

/** XAUUSD as most retail brokers quote it; swaps are typical 2024-2026 values, configure yours. */
export const XAUUSD: SymbolSpec = {
  symbol: "XAUUSD",
  digits: 2,
  point: 0.01,
  contractSize: 100,
  minLot: 0.01,
  maxLot: 50,
  lotStep: 0.01,
  leverage: 100,
  commissionPerLot: 3.5,
  swapLongPerLot: -35,
  swapShortPerLot: 15,
  tripleSwapWeekday: 3,
};

/** Account-currency value of a one-unit price move for `lots` (quote currency = account currency). */
export function valuePerPriceUnit(spec: SymbolSpec, lots: number): number {
  return spec.contractSize * lots;
}

/** `lots` rounded down to the lot step (never up: sizing must not exceed the risk budget). */
export function roundLotsDown(spec: SymbolSpec, lots: number): number {
  const steps = Math.floor(lots / spec.lotStep + 1e-9);
  return Number((steps * spec.lotStep).toFixed(8));
}
