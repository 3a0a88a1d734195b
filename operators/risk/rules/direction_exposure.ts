/**
 * DIRECTION_EXPOSURE: lots on one side (open and pending) stay within
 * `positions.maxLotsPerDirection`; an order is cut to the room left, or rejected when less
 * than one min lot is left. It must never raise a size.
 */

import { roundLotsDown } from "../../../pipeline/symbols.ts";
import { adjustLots, ALLOW, deny, fmt, type RiskRule } from "../rule.ts";

export const directionExposureRule: RiskRule = {
  name: "direction_exposure",
  phase: "size",
  check(ctx) {
    const { side } = ctx.signal;
    const held = [...ctx.account.positions, ...ctx.pending]
      .filter((p) => p.side === side)
      .reduce((sum, p) => sum + p.lots, 0);
    const max = ctx.config.positions.maxLotsPerDirection;
    const room = roundLotsDown(ctx.spec, Math.max(0, max - held));
    if (ctx.lots <= room) return ALLOW;
    const detail = `${fmt(held)} ${side} lots held of ${fmt(max)} allowed`;
    if (room < ctx.spec.minLot) return deny("DIRECTION_EXPOSURE", detail);
    return adjustLots(
      room,
      "DIRECTION_EXPOSURE",
      `${detail}: ${fmt(ctx.lots)} -> ${fmt(room)} lots`,
    );
  },
};
