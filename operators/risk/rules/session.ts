/**
 * OUTSIDE_SESSION: trade only inside a configured window, each read on its own city's
 * wall clock, so London 08:00 is 08:00 UTC in winter and 07:00 UTC in summer. This rule
 * must never assume one offset for a zone.
 */

import { clockMinutes, inWindow, localUs, minuteOfDay, type TimeZoneName } from "../_zones.ts";
import type { RiskConfig } from "../config.ts";
import { ALLOW, deny, type RiskRule } from "../rule.ts";
import { isoFromUs } from "../../../pipeline/events.ts";

/** A config's windows as minutes of their own clocks, and as the denial lists them. */
interface CompiledWindows {
  readonly windows: readonly {
    readonly timeZone: TimeZoneName;
    readonly start: number;
    readonly end: number;
  }[];
  readonly list: string;
}

/**
 * Each config's windows, compiled on first use: the rule runs on every decision (the
 * chance baseline asks thousands of times a run), and a parsed config never changes.
 */
const compiled = new WeakMap<RiskConfig["sessions"]["windows"], CompiledWindows>();

function compile(windows: RiskConfig["sessions"]["windows"]): CompiledWindows {
  let done = compiled.get(windows);
  if (done === undefined) {
    done = {
      windows: windows.map((w) => ({
        timeZone: w.timeZone,
        start: clockMinutes(w.start),
        end: clockMinutes(w.end),
      })),
      list: windows.map((w) => `${w.name} ${w.start}-${w.end} ${w.timeZone}`).join(", "),
    };
    compiled.set(windows, done);
  }
  return done;
}

export const sessionRule: RiskRule = {
  name: "session",
  phase: "gate",
  check(ctx) {
    const { enabled, windows } = ctx.config.sessions;
    if (!enabled) return ALLOW;
    const sessions = compile(windows);
    for (const w of sessions.windows) {
      if (inWindow(minuteOfDay(localUs(ctx.nowUs, w.timeZone)), w.start, w.end)) return ALLOW;
    }
    return deny(
      "OUTSIDE_SESSION",
      `${isoFromUs(ctx.nowUs)} is outside every session (${sessions.list})`,
    );
  },
};
