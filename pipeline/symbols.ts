/**
 * Contract specifications: what one lot is, how prices and lots step, what margin a lot
 * takes and when the broker calls or closes it, what a night and a fill cost. Risk
 * sizing, fusion's levels, the simulated broker and the reports all read the same spec,
 * so a backtest sizes and books a trade exactly as live does. A trader's own figures come
 * from a broker profile (operators/execution/profile.ts), copied from the terminal's
 * symbol specification; XAUUSD below is the documented default.
 */

import { z } from "zod";

/** Lots steps are decimals (0.01, 0.1): a float quotient within this is a whole number. */
const STEP_EPSILON = 1e-6;

/** Is `value` a whole multiple of `step` (0.3 of 0.1 is, 0.35 is not)? */
export function isMultipleOf(value: number, step: number): boolean {
  const steps = value / step;
  return Math.abs(steps - Math.round(steps)) <= STEP_EPSILON;
}

/** How the broker charges commission, per side (entry and exit each pay it). */
export const commissionSchema = z.discriminatedUnion("model", [
  z.strictObject({
    model: z.literal("per_lot"),
    perLotPerSide: z.number().nonnegative().max(1000)
      .describe("account currency per lot per side (3.50 on a typical raw-spread account)"),
  }),
  z.strictObject({
    model: z.literal("per_million"),
    perMillionPerSide: z.number().nonnegative().max(10_000)
      .describe("account currency per million of notional (price x contract x lots) per side"),
  }),
], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? `unknown commission model ${
        JSON.stringify((issue.input as { model?: unknown } | undefined)?.model)
      }; expected "per_lot" or "per_million"`
      : undefined,
});
export type CommissionModel = z.infer<typeof commissionSchema>;

/** The contract fields, before the checks across them. */
export const symbolSpecShape = {
  symbol: z.string().min(1).max(32).describe("the symbol's name at the server, e.g. XAUUSD"),
  digits: z.number().int().min(0).max(8).describe("decimal places of a price"),
  point: z.number().positive().describe("smallest price increment (MT5's point)"),
  contractSize: z.number().positive().describe(
    "units of the underlying per lot: 100 troy ounces for XAUUSD",
  ),
  minLot: z.number().positive().describe("smallest order (SYMBOL_VOLUME_MIN)"),
  maxLot: z.number().positive().describe("largest order (SYMBOL_VOLUME_MAX)"),
  lotStep: z.number().positive().describe("lot increment (SYMBOL_VOLUME_STEP)"),
  leverage: z.number().positive().max(10_000).describe(
    "account leverage: margin = price x contract x lots / leverage (1:20 is 20)",
  ),
  marginCurrency: z.literal("USD", {
    error: "only USD margin is supported: another currency would need a conversion rate",
  }).describe("currency margin is computed in; XAUUSD margins in USD"),
  marginCallLevel: z.number().positive().max(10_000).describe(
    "margin level (equity / margin x 100) below which no new position opens: the margin call",
  ),
  stopOutLevel: z.number().nonnegative().max(10_000).describe(
    "margin level at which the broker closes positions, largest loss first: the stop-out",
  ),
  stopsLevelPoints: z.number().int().nonnegative().max(100_000).describe(
    "smallest distance, in points, of a stop, target or pending price from the current quote " +
      "(SYMBOL_TRADE_STOPS_LEVEL); 0 for none",
  ),
  commission: commissionSchema.describe("commission per side"),
  swapLongPerLot: z.number().describe("account currency per lot per night held long"),
  swapShortPerLot: z.number().describe("account currency per lot per night held short"),
  tripleSwapWeekday: z.number().int().min(0).max(6).describe(
    "weekday (0 = Sunday, by the rollover's date) that books three nights: 3 is Wednesday",
  ),
} as const;

/** The checks across fields, each naming the field a trader must change. */
export function checkSymbolSpec(
  s: z.infer<z.ZodObject<typeof symbolSpecShape>>,
  ctx: z.RefinementCtx,
): void {
  if (s.minLot > s.maxLot) {
    ctx.addIssue({ code: "custom", path: ["minLot"], message: "minLot must not exceed maxLot" });
  }
  if (!isMultipleOf(s.minLot, s.lotStep)) {
    ctx.addIssue({
      code: "custom",
      path: ["lotStep"],
      message: `lotStep ${s.lotStep} does not divide minLot ${s.minLot}`,
    });
  }
  if (s.stopOutLevel >= s.marginCallLevel) {
    ctx.addIssue({
      code: "custom",
      path: ["stopOutLevel"],
      message:
        `stopOutLevel ${s.stopOutLevel}% must be below marginCallLevel ${s.marginCallLevel}%`,
    });
  }
  if (s.point < 10 ** -s.digits * (1 - STEP_EPSILON)) {
    ctx.addIssue({
      code: "custom",
      path: ["point"],
      message: `point ${s.point} is finer than ${s.digits} digits allow`,
    });
  }
}

export const symbolSpecSchema = z.strictObject(symbolSpecShape).superRefine(checkSymbolSpec);

export type SymbolSpec = z.infer<typeof symbolSpecSchema>;

/**
 * XAUUSD as a common raw-spread retail CFD account quotes it: 1:100, 3.50 commission per
 * lot per side, margin call at 100% and stop-out at 50%; swaps are typical 2024-2026
 * values. Configure yours with a broker profile.
 */
export const XAUUSD: SymbolSpec = {
  symbol: "XAUUSD",
  digits: 2,
  point: 0.01,
  contractSize: 100,
  minLot: 0.01,
  maxLot: 50,
  lotStep: 0.01,
  leverage: 100,
  marginCurrency: "USD",
  marginCallLevel: 100,
  stopOutLevel: 50,
  stopsLevelPoints: 0,
  commission: { model: "per_lot", perLotPerSide: 3.5 },
  swapLongPerLot: -35,
  swapShortPerLot: 15,
  tripleSwapWeekday: 3,
};

/** Account-currency value of a one-unit price move for `lots` (quote currency = account currency). */
export function valuePerPriceUnit(spec: SymbolSpec, lots: number): number {
  return spec.contractSize * lots;
}

/** Lots to 8 decimals, so partial fills and closes leave no float dust (0.2 - 0.05 is 0.15). */
export function cleanLots(lots: number): number {
  return Number(lots.toFixed(8));
}

/** `lots` rounded down to the lot step (never up: sizing must not exceed the risk budget). */
export function roundLotsDown(spec: SymbolSpec, lots: number): number {
  const steps = Math.floor(lots / spec.lotStep + 1e-9);
  return cleanLots(steps * spec.lotStep);
}

/** Commission for one side of `lots` filled at `price`, account currency, unrounded. */
export function commissionFor(spec: SymbolSpec, price: number, lots: number): number {
  const c = spec.commission;
  return c.model === "per_lot"
    ? c.perLotPerSide * lots
    : price * spec.contractSize * lots / 1e6 * c.perMillionPerSide;
}

/** Margin `lots` take at `price`: price x contractSize x lots / leverage, unrounded. */
export function marginFor(spec: SymbolSpec, price: number, lots: number): number {
  return price * spec.contractSize * lots / spec.leverage;
}

/**
 * Is `level` (a stop, a target or a pending order's price) nearer `price` than the
 * broker's stops level (SYMBOL_TRADE_STOPS_LEVEL) allows? Exactly the stops level away is
 * allowed, float noise included; with a stops level of 0 nothing is inside.
 */
export function insideStopsLevel(spec: SymbolSpec, price: number, level: number): boolean {
  return Math.abs(price - level) < spec.stopsLevelPoints * spec.point - 1e-9;
}
