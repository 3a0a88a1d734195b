/**
 * What a trade is filed under in the breakdowns: the trading session and the market
 * regime at its entry. Both are pure functions of the entry time, so a reader can
 * re-derive every row of `by_session` and `by_regime` from the trade table.
 */

import { isoFromUs, type RegimeEvent } from "../../pipeline/events.ts";
import { isAsiaSession, isLondonSession, isNewYorkSession } from "../indicators/mod.ts";
import type { SessionName } from "./schema.ts";

/**
 * The session of an instant, one name only so the breakdown adds up to the totals:
 * `overlap` (London and New York both open), else `london`, `new_york`, `asia`, else
 * `off_hours`. The windows are the feature set's, on each city's own clock and DST:
 * London 08:00-16:30, New York 08:00-17:00, Tokyo 09:00-18:00, Monday to Friday local.
 */
export function sessionOf(timeUs: number): SessionName {
  const london = isLondonSession(timeUs);
  const newYork = isNewYorkSession(timeUs);
  if (london && newYork) return "overlap";
  if (london) return "london";
  if (newYork) return "new_york";
  return isAsiaSession(timeUs) ? "asia" : "off_hours";
}

/**
 * The label of trades entered before the first regime event of their symbol: the
 * detector labels nothing until it has seen its warm-up of H1 bars (`requiredBars`,
 * 744 with the defaults: about six and a half weeks of gold), so a run that starts
 * cold files its first weeks here.
 */
export const WARMING_UP_REGIME = "warming_up";

/**
 * A lookup of the regime in force for a symbol at an instant: the labels of its latest
 * regime event at or before that instant (an event is known at its bar's close), as
 * `volatility_trend` such as `high_bull`, or `warming_up` before the first. The timeline must be in time
 * order and hold one timeframe per symbol.
 */
export function regimeTagger(
  timeline: readonly RegimeEvent[],
): (symbol: string, timeUs: number) => string {
  const bySymbol = new Map<string, RegimeEvent[]>();
  for (let i = 0; i < timeline.length; i++) {
    const event = timeline[i];
    if (i > 0 && event.timeUs < timeline[i - 1].timeUs) {
      throw new RangeError(
        `Cannot tag trades by regime: regime event ${i} at ${isoFromUs(event.timeUs)} is ` +
          `earlier than the one before it at ${isoFromUs(timeline[i - 1].timeUs)}`,
      );
    }
    const list = bySymbol.get(event.symbol) ?? [];
    list.push(event);
    bySymbol.set(event.symbol, list);
  }
  return (symbol, timeUs) => {
    const events = bySymbol.get(symbol) ?? [];
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid].timeUs <= timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? WARMING_UP_REGIME : `${events[lo - 1].volatility}_${events[lo - 1].trend}`;
  };
}
