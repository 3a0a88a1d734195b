import assert from "node:assert/strict";
import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type FillEvent,
  type RejectionEvent,
  type TradeEvent,
  US_PER_DAY,
  US_PER_MINUTE,
} from "@/pipeline/events.ts";
import { type RecoveryJournal, recoveryPlan } from "@/pipeline/live/recovery.ts";
import { bar, trade as closedTrade } from "../../operators/risk/_fixtures.ts";

const T0 = bar("2024-03-20T13:00:00Z", 2000).closeUs;
const bars: BarEvent[] = Array.from(
  { length: 5 },
  (_, i) => ({
    ...bar("2024-03-20T13:00:00Z", 2000),
    openUs: T0 + (i - 1) * US_PER_MINUTE,
    closeUs: T0 + i * US_PER_MINUTE,
  }),
);

function fill(positionId: string, timeUs: number, action: "open" | "close" = "open"): FillEvent {
  return {
    v: EVENT_VERSION,
    kind: "fill",
    symbol: "XAUUSD",
    timeUs,
    clientOrderId: positionId,
    positionId,
    action,
    side: "buy",
    lots: 0.1,
    price: 2000,
    commission: 0,
    slippage: 0,
    reason: "market",
  };
}

function trade(positionId: string, entryTimeUs: number, exitTimeUs: number): TradeEvent {
  return { ...closedTrade(10, "2024-03-20T13:00:00Z", positionId), entryTimeUs, exitTimeUs };
}

function account(timeUs: number): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs,
    balance: 1e4,
    equity: 1e4,
    margin: 0,
    openPositions: 0,
  };
}

function journal(
  fills: FillEvent[],
  trades: TradeEvent[],
  equity: AccountEvent[],
  rejections: RejectionEvent[] = [],
): RecoveryJournal {
  return {
    bars: (_symbol, _tf, fromUs = -Infinity, toUs = Infinity) =>
      bars.filter((b) => b.openUs >= fromUs && b.openUs < toUs),
    fills: () => fills,
    trades: () => trades,
    rejections: () => rejections,
    equity: (fromUs = -Infinity, toUs = Infinity) =>
      equity.filter((a) => a.timeUs >= fromUs && a.timeUs < toUs),
  };
}

Deno.test("each report is replayed with the first bar that closes at or after it", () => {
  const plan = recoveryPlan(
    journal(
      [fill("a", T0 + US_PER_MINUTE - 1), fill("a", T0 + 2 * US_PER_MINUTE, "close")],
      [trade("a", T0 + US_PER_MINUTE - 1, T0 + 2 * US_PER_MINUTE)],
      [account(T0 + 2 * US_PER_MINUTE)],
    ),
    "XAUUSD",
    1,
  );
  assert.deepEqual(plan.steps.map((s) => s.reports.map((r) => r.kind)), [
    [],
    ["fill"],
    ["fill", "trade", "account"],
    [],
    [],
  ]);
  assert.equal(plan.tail.length, 0);
});

Deno.test("a refusal of the broker is replayed with its bar, so a refused stop move stays undone", () => {
  const refused: RejectionEvent = {
    v: EVENT_VERSION,
    kind: "rejection",
    symbol: "XAUUSD",
    timeUs: T0 + US_PER_MINUTE + 250_000,
    clientOrderId: "m",
    action: "modify",
    positionId: "a",
    reason: "invalid_stops",
    detail: "stop-loss 1300.40 is not below the bid 1300.20",
  };
  const plan = recoveryPlan(journal([fill("a", T0 + 1)], [], [], [refused]), "XAUUSD", 1);
  // The fill goes with the bar closing at T0 + 1 min; the refusal, at the open of the next
  // bar, with that bar (closing at T0 + 2 min), as it reached the engine live.
  assert.deepEqual(plan.steps.map((s) => s.reports.map((r) => r.kind)), [
    [],
    ["fill"],
    ["rejection"],
    [],
    [],
  ]);
});

Deno.test("a position still open from before the window is made known with the first bar", () => {
  const old = fill("old", T0 - 40 * US_PER_DAY);
  const closedLongAgo = fill("gone", T0 - 41 * US_PER_DAY);
  const plan = recoveryPlan(
    journal(
      [closedLongAgo, old],
      [trade("gone", closedLongAgo.timeUs, T0 - 41 * US_PER_DAY + 1)],
      [],
    ),
    "XAUUSD",
    30,
  );
  assert.deepEqual(plan.steps[0].reports, [old]);
});

Deno.test("reports after the last journalled bar come as the tail", () => {
  const late = account(T0 + 10 * US_PER_MINUTE);
  const plan = recoveryPlan(journal([], [], [late]), "XAUUSD", 1);
  assert.deepEqual(plan.tail, [late]);
});
