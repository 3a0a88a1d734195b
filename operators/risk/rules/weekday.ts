/**
 * WEEKDAY_BLOCKED: no new trade in a blocked weekday slot, such as Friday after 19:00 UTC
 * (thin markets and the weekend gap ahead). This rule must never close what is open.
 */

import { clockMinutes, inWindow, localUs, minuteOfDay, weekdayOf, WEEKDAYS } from "../_zones.ts";
import { ALLOW, deny, type RiskRule } from "../rule.ts";
import { isoFromUs } from "../../../pipeline/events.ts";

export const weekdayRule: RiskRule = {
  name: "weekday",
  phase: "gate",
  check(ctx) {
    const block = ctx.config.weekdayBlocks.find((b) => {
      const local = localUs(ctx.nowUs, b.timeZone);
      return WEEKDAYS[weekdayOf(local)] === b.weekday &&
        inWindow(minuteOfDay(local), clockMinutes(b.from), clockMinutes(b.to));
    });
    if (block === undefined) return ALLOW;
    return deny(
      "WEEKDAY_BLOCKED",
      `${
        isoFromUs(ctx.nowUs)
      } falls in the block ${block.weekday} ${block.from}-${block.to} ${block.timeZone}`,
    );
  },
};
