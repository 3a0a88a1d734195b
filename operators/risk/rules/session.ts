/**
 * OUTSIDE_SESSION: trade only inside a configured window, each read on its own city's
 * wall clock, so London 08:00 is 08:00 UTC in winter and 07:00 UTC in summer. This rule
 * must never assume one offset for a zone.
 */

import { clockMinutes, inWindow, localUs, minuteOfDay } from "../_zones.ts";
import { ALLOW, deny, type RiskRule } from "../rule.ts";
import { isoFromUs } from "../../../pipeline/events.ts";

export const sessionRule: RiskRule = {
  name: "session",
  phase: "gate",
  check(ctx) {
    const { enabled, windows } = ctx.config.sessions;
    if (!enabled) return ALLOW;
    const inside = windows.some((w) =>
      inWindow(
        minuteOfDay(localUs(ctx.nowUs, w.timeZone)),
        clockMinutes(w.start),
        clockMinutes(w.end),
      )
    );
    if (inside) return ALLOW;
    const list = windows.map((w) => `${w.name} ${w.start}-${w.end} ${w.timeZone}`).join(", ");
    return deny("OUTSIDE_SESSION", `${isoFromUs(ctx.nowUs)} is outside every session (${list})`);
  },
};
