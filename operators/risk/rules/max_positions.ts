/**
 * MAX_POSITIONS: open positions plus unfilled entry orders stay below `positions.maxOpen`.
 * The broker's count is trusted when it is higher than the positions listed, so a
 * position the engine does not know about still counts. It must never ignore pending orders.
 */

import { ALLOW, deny, type RiskRule } from "../rule.ts";

export const maxPositionsRule: RiskRule = {
  name: "max_positions",
  phase: "gate",
  check(ctx) {
    const { account, pending } = ctx;
    const open = Math.max(account.openPositions, account.positions.length);
    const max = ctx.config.positions.maxOpen;
    if (open + pending.length < max) return ALLOW;
    return deny(
      "MAX_POSITIONS",
      `${open} open and ${pending.length} pending of ${max} allowed`,
    );
  },
};
