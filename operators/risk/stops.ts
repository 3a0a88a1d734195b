/**
 * Breakeven and trailing stops: where a position's stop should move after a closed bar.
 * R is the distance from the entry to the stop the position opened with. Levels are
 * measured on the exit side's closing price (bid for a buy, ask for a sell), so a new
 * stop always sits behind the current price (by at least the broker's stops level), and
 * rounded to the price step away from it.
 * Pure: it must never loosen a stop, move one past the price, or read a clock.
 */

import type { SymbolSpec } from "../../pipeline/symbols.ts";
import type { RiskConfig } from "./config.ts";
import { direction, fmt, type OpenPosition, type RiskRuleReason } from "./rule.ts";

/** A stop to move to, and why. */
export interface StopMove {
  readonly stopLoss: number;
  readonly reason: RiskRuleReason;
}

/** Tolerance for float noise in R multiples and price steps. */
const EPSILON = 1e-9;

/**
 * `price` on the price step, rounded down for a buy's stop and up for a sell's: the number
 * the text of `steps x point` to `digits` decimals reads as.
 */
export function roundStop(price: number, dir: 1 | -1, spec: SymbolSpec): number {
  const steps = dir === 1
    ? Math.floor(price / spec.point + EPSILON)
    : Math.ceil(price / spec.point - EPSILON);
  const scale = 10 ** spec.digits;
  // With the usual point of 10^-digits, that text is `steps` over `scale` exactly, and one
  // division (rounded correctly, as reading the text is) gives the same double without
  // the string: this runs on every bar a position is open. (+ 0: the text has no -0.)
  if (spec.point * scale === 1 && Math.abs(steps) < 2 ** 50) return steps / scale + 0;
  return Number((steps * spec.point).toFixed(spec.digits));
}

/**
 * Can `position`'s stop go to `level`, and is that tighter than `best` (the level chosen
 * so far)? `exitPrice` is the price it is measured on (bid for a buy, ask for a sell).
 */
function takes(
  level: number,
  best: number | null,
  position: OpenPosition,
  exitPrice: number,
  spec: SymbolSpec,
): boolean {
  const dir = direction(position.side);
  const { stopLoss } = position;
  // Behind the price by at least the broker's stops level, or the broker refuses it.
  return (exitPrice - level) * dir >
      Math.max(EPSILON, spec.stopsLevelPoints * spec.point - EPSILON) &&
    (stopLoss === null || (level - stopLoss) * dir >= spec.point - EPSILON) &&
    (best === null || (level - best) * dir > 0);
}

/**
 * How far `position` is in profit at `exitPrice` (bid for a buy, ask for a sell), in
 * multiples of R: the distance from its entry to the stop it opened with. Null when it
 * opened without a stop.
 */
export function profitR(position: OpenPosition, exitPrice: number): number | null {
  const { initialStop, entryPrice } = position;
  if (initialStop === null) return null;
  const dir = direction(position.side);
  const r = (entryPrice - initialStop) * dir;
  return r > 0 ? (exitPrice - entryPrice) * dir / r : null;
}

/**
 * The tightest valid stop breakeven and trailing ask for, given the exit-side price
 * (`exitPrice`: bid for a buy, ask for a sell); null when the stop stays where it is.
 */
export function nextStop(
  position: OpenPosition,
  exitPrice: number,
  config: RiskConfig,
  spec: SymbolSpec,
): StopMove | null {
  const { initialStop, entryPrice } = position;
  const inProfitR = profitR(position, exitPrice);
  if (inProfitR === null) return null;
  const dir = direction(position.side);
  const r = (entryPrice - initialStop!) * dir;
  const { breakeven, trailing } = config;
  // The levels first (this runs after every bar a position is open); the reason's text
  // only for the one taken.
  let best: number | null = null;
  let trails = false;
  if (breakeven.enabled && inProfitR >= breakeven.triggerR - EPSILON) {
    const level = roundStop(entryPrice + dir * breakeven.offset, dir, spec);
    if (takes(level, best, position, exitPrice, spec)) best = level;
  }
  if (trailing.enabled && inProfitR >= trailing.triggerR - EPSILON) {
    const level = roundStop(exitPrice - dir * trailing.distanceR * r, dir, spec);
    if (takes(level, best, position, exitPrice, spec)) {
      best = level;
      trails = true;
    }
  }
  if (best === null) return null;
  const reason: RiskRuleReason = trails
    ? {
      code: "TRAILING_STOP",
      detail: `profit ${fmt(inProfitR)}R >= ${trailing.triggerR}R: stop ${trailing.distanceR}R (${
        fmt(trailing.distanceR * r)
      }) behind ${fmt(exitPrice)}`,
    }
    : {
      code: "BREAKEVEN",
      detail: `profit ${fmt(inProfitR)}R >= ${breakeven.triggerR}R: stop to entry ${
        fmt(entryPrice)
      } + ${fmt(breakeven.offset)}`,
    };
  return { stopLoss: best, reason };
}
