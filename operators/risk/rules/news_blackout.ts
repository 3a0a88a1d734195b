/**
 * NEWS_BLACKOUT and NEWS_CALENDAR_GAP: no trade from `beforeMinutes` before to
 * `afterMinutes` after a matching calendar event, and none at an instant the calendar
 * does not cover (before its first or after its last event), because silence there means
 * "unknown", not "no news". This rule must never treat a missing calendar as a quiet one.
 */

import { isoFromUs } from "../../../pipeline/events.ts";
import { ALLOW, deny, type RiskRule } from "../rule.ts";

export const newsBlackoutRule: RiskRule = {
  name: "news_blackout",
  phase: "gate",
  check(ctx) {
    const { news } = ctx.config;
    if (!news.enabled) return ALLOW;
    const now = isoFromUs(ctx.nowUs);
    const coverage = ctx.calendar?.coverage ?? null;
    if (ctx.calendar === null || coverage === null) {
      return deny("NEWS_CALENDAR_GAP", `no news calendar events loaded at ${now}`);
    }
    const event = ctx.calendar.blackoutAt(ctx.nowUs, news);
    if (event !== null) {
      return deny(
        "NEWS_BLACKOUT",
        `${now} is within ${news.beforeMinutes} min before / ${news.afterMinutes} min after ${event.currency} ${event.impact} "${event.title}" at ${
          isoFromUs(event.timeUs)
        }`,
      );
    }
    if (ctx.nowUs < coverage.fromUs || ctx.nowUs > coverage.toUs) {
      return deny(
        "NEWS_CALENDAR_GAP",
        `${now} is outside the calendar's events ${isoFromUs(coverage.fromUs)} to ${
          isoFromUs(coverage.toUs)
        }`,
      );
    }
    return ALLOW;
  },
};
