/**
 * Contract specifications: what one lot is, how prices step, what a night costs. Risk
 * sizing and the simulated broker both read them, so a backtest sizes and books a trade
 * exactly as live does. XAUUSD's defaults are a common retail CFD contract; every field
 * is configurable per symbol (a broker's real figures come from the EA's hello message).
 */

import { z } from "zod";

export const symbolSpecSchema = z.object({
  symbol: z.string().min(1),
  /** Decimal places of a price. */
  digits: z.number().int().min(0).max(8),
  /** Smallest price increment (MT5's point). */
  point: z.number().positive(),
  /** Units of the underlying per lot: 100 troy ounces for XAUUSD. */
  contractSize: z.number().positive(),
  minLot: z.number().positive(),
  maxLot: z.number().positive(),
  lotStep: z.number().positive(),
  /** Account leverage for margin: margin = price x contractSize x lots / leverage. */
  leverage: z.number().positive(),
  /** Commission per lot per side (entry and exit each pay it), account currency. */
  commissionPerLot: z.number().nonnegative(),
  /** Swap per lot per night held, account currency (negative is a cost). */
  swapLongPerLot: z.number(),
  swapShortPerLot: z.number(),
  /** Weekday (0 = Sunday, UTC at the daily rollover) that books three nights: Wednesday. */
  tripleSwapWeekday: z.number().int().min(0).max(6),
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
