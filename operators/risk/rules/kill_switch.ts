/**
 * KILL_SWITCH: while the manual kill switch is on, nothing opens. Only an explicit
 * `killSwitch(false, ...)` turns it off; this rule must never clear it.
 */

import { ALLOW, type RiskRule } from "../rule.ts";

export const killSwitchRule: RiskRule = {
  name: "kill_switch",
  phase: "gate",
  check: (ctx) => ctx.killSwitch === null ? ALLOW : { deny: ctx.killSwitch },
};
