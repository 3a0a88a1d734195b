/**
 * NO_STOP, INVALID_STOP, STOP_TOO_CLOSE and INVALID_TARGET: every order needs a stop on
 * the losing side of the entry, at least `minStopDistance` away (sizing divides by it),
 * and any target on the winning side; stop and target at least the broker's stops level
 * from the price the broker checks them against (a buy's bid, a sell's ask), or the broker
 * would refuse the order. This rule must never invent a stop.
 */

import { insideStopsLevel } from "../../../pipeline/symbols.ts";
import { ALLOW, deny, direction, fmt, type RiskRule } from "../rule.ts";

export const stopRule: RiskRule = {
  name: "stop",
  phase: "gate",
  check(ctx) {
    const { side, entryPrice, stopLoss, takeProfit } = ctx.signal;
    if (stopLoss === null) {
      return deny("NO_STOP", "the signal has no stop loss; it cannot be sized");
    }
    const dir = direction(side);
    const distance = (entryPrice - stopLoss) * dir;
    if (!Number.isFinite(distance) || distance <= 0) {
      return deny(
        "INVALID_STOP",
        `a ${side} stop must be ${side === "buy" ? "below" : "above"} the entry ${
          fmt(entryPrice)
        }, got ${fmt(stopLoss)}`,
      );
    }
    if (distance < ctx.config.minStopDistance) {
      return deny(
        "STOP_TOO_CLOSE",
        `stop distance ${fmt(distance)} is below minStopDistance ${
          fmt(ctx.config.minStopDistance)
        }`,
      );
    }
    if (takeProfit !== null && !((takeProfit - entryPrice) * dir > 0)) {
      return deny(
        "INVALID_TARGET",
        `a ${side} target must be ${side === "buy" ? "above" : "below"} the entry ${
          fmt(entryPrice)
        }, got ${fmt(takeProfit)}`,
      );
    }
    const { stopsLevelPoints } = ctx.spec;
    if (stopsLevelPoints > 0) {
      // The broker checks a long's levels against the bid, a short's against the ask.
      const exitSide = side === "buy" ? ctx.quote?.bid : ctx.quote?.ask;
      const from = exitSide ?? entryPrice;
      for (const [what, level] of [["stop", stopLoss], ["target", takeProfit]] as const) {
        if (level !== null && insideStopsLevel(ctx.spec, from, level)) {
          return deny(
            "STOP_TOO_CLOSE",
            `${what} ${fmt(level)} is ${fmt(Math.abs(from - level))} from the ${
              side === "buy" ? "bid" : "ask"
            } ${fmt(from)}, inside the broker's stops level of ${stopsLevelPoints} points`,
          );
        }
      }
    }
    return ALLOW;
  },
};
