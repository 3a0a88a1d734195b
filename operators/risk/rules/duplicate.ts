/**
 * DUPLICATE_ORDER: a signal whose client order id was already issued (a batch replayed
 * after a reconnect, a signal emitted twice) is not traded again. This rule must never
 * derive the id itself: the engine's `clientOrderId` is the one definition.
 */

import { ALLOW, deny, type RiskRule } from "../rule.ts";

export const duplicateRule: RiskRule = {
  name: "duplicate",
  phase: "gate",
  check(ctx) {
    const id = ctx.clientOrderId;
    const known = ctx.issuedOrderIds.has(id) ||
      ctx.account.positions.some((position) => position.clientOrderId === id);
    return known ? deny("DUPLICATE_ORDER", `order "${id}" was already sent`) : ALLOW;
  },
};
