/**
 * `CandidateBook` on hand-made bid bars (unit-test inputs, not market data), with the
 * default simulated broker: spread 0.30 for bid-only bars, slippage 2 points (0.02) on
 * market orders and stops, none on targets, commission 3.50 per lot per side, latency
 * 250 ms, one lot of 100 oz. Wednesday 2017-03-01 14:00 UTC is 09:00 in New York, hours
 * from the 17:00 swap rollover. Every figure below is worked out by hand.
 */

import assert from "node:assert/strict";
import {
  CandidateBook,
  type CandidateOutcome,
  META_LOSS,
  META_TIMEOUT,
  META_WIN,
} from "@/models/meta/outcomes.ts";
import { type BarEvent, type SignalEvent, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { bar as priceBar } from "../../operators/execution/_fixtures.ts";
import { signal as tradeSignal } from "../../operators/risk/_fixtures.ts";

const T0 = usFromIso("2017-03-01T14:00:00Z");

/** The bid-only bar opening `minute` minutes after T0. */
const bar = (minute: number, open: number, high: number, low: number, close: number) =>
  priceBar(T0 + minute * US_PER_MINUTE, [open, high, low, close], { spread: null });

/** A signal decided at the close of bar 0 (T0 + 1 minute). */
function signal(side: "buy" | "sell", stopLoss: number, takeProfit: number): SignalEvent {
  const entryPrice = side === "buy" ? 1250.3 : 1250;
  return tradeSignal({ timeUs: T0 + US_PER_MINUTE, side, entryPrice, stopLoss, takeProfit });
}

/** Bar 0, the candidate opened at its close, then `later` bars; what was settled. */
function settle(
  candidate: SignalEvent,
  later: readonly BarEvent[],
  timeLimitMinutes = 60,
): { outcomes: CandidateOutcome[]; book: CandidateBook } {
  const book = new CandidateBook({}, timeLimitMinutes);
  const outcomes: CandidateOutcome[] = [];
  book.onBar(bar(0, 1250, 1250.1, 1249.9, 1250), outcomes);
  book.open(7, candidate);
  for (const next of later) book.onBar(next, outcomes);
  return { outcomes, book };
}

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

Deno.test("CandidateBook settles a buy that reaches its target as a win, net of costs", () => {
  // Fills at bar 1's open: ask 1250.00 + 0.30 + 0.02 slippage = 1250.32. Bar 1 stays
  // inside the levels; bar 2's bid high 1251.40 reaches the 1251.30 target, a limit that
  // fills at 1251.30. (1251.30 - 1250.32) x 100 = 98.00, less 2 x 3.50 = 91.00.
  const { outcomes, book } = settle(signal("buy", 1249.3, 1251.3), [
    bar(1, 1250, 1250.4, 1249.9, 1250.2),
    bar(2, 1250.2, 1251.4, 1250.1, 1251),
  ]);
  assert.equal(outcomes.length, 1);
  const [o] = outcomes;
  assert.equal(o.id, 7);
  assert.equal(o.outcome, META_WIN);
  assert.equal(o.exitReason, "take_profit");
  assert.equal(o.pnl, 91);
  close(o.netPrice, 0.91);
  assert.equal(o.exitTimeUs, T0 + 3 * US_PER_MINUTE, "at the close of bar 2");
  assert.equal(book.openCount, 0);
});

Deno.test("CandidateBook settles a buy that reaches its stop as a loss, slippage included", () => {
  // Entry 1250.32 as above; bar 2's bid low 1249.20 reaches the 1249.30 stop, which fills
  // 0.02 worse at 1249.28: (1249.28 - 1250.32) x 100 = -104.00, less 7.00 = -111.00.
  const { outcomes } = settle(signal("buy", 1249.3, 1251.3), [
    bar(1, 1250, 1250.4, 1249.9, 1250.2),
    bar(2, 1250.2, 1250.3, 1249.2, 1249.5),
  ]);
  assert.equal(outcomes[0].outcome, META_LOSS);
  assert.equal(outcomes[0].exitReason, "stop_loss");
  assert.equal(outcomes[0].pnl, -111);
  close(outcomes[0].netPrice, -1.11);
});

Deno.test("CandidateBook takes the stop when one bar touches both levels", () => {
  // Bar 1 spans 1249.20 to 1251.40: the broker cannot tell which came first and takes the stop.
  const { outcomes } = settle(signal("buy", 1249.3, 1251.3), [
    bar(1, 1250, 1251.4, 1249.2, 1250),
  ]);
  assert.equal(outcomes[0].outcome, META_LOSS);
  assert.equal(outcomes[0].pnl, -111);
});

Deno.test("CandidateBook closes a candidate at the first open after its time limit: a timeout", () => {
  // Decided at T0 + 1 min with a 3-minute limit: the deadline is T0 + 4 min, the open of
  // bar 4; the close order arrives 250 ms later and fills at that bar's open bid 1250.50
  // less 0.02 slippage = 1250.48: (1250.48 - 1250.32) x 100 = 16.00, less 7.00 = +9.00.
  // A profit, but neither level was reached in time: the class is timeout.
  const inside = [1, 2, 3].map((m) => bar(m, 1250, 1250.4, 1249.9, 1250.1));
  const { outcomes } = settle(signal("buy", 1249.3, 1251.3), [
    ...inside,
    bar(4, 1250.5, 1250.6, 1250.4, 1250.5),
  ], 3);
  assert.equal(outcomes[0].outcome, META_TIMEOUT);
  assert.equal(outcomes[0].pnl, 9);
  assert.equal(outcomes[0].exitTimeUs, T0 + 4 * US_PER_MINUTE + 250_000);
});

Deno.test("CandidateBook counts a target whose net P&L the costs eat as a loss", () => {
  // A sell fills at bar 1's open bid 1250.00 less 0.02 = 1249.98. Its 1249.95 target is an
  // ask; bar 1's bid low 1249.60 + 0.30 = ask 1249.90 reaches it: (1249.98 - 1249.95) x
  // 100 = 3.00 gross, less 7.00 commission = -4.00. The target filled, the trade lost.
  const { outcomes } = settle(signal("sell", 1251, 1249.95), [
    bar(1, 1250, 1250.1, 1249.6, 1249.8),
  ]);
  assert.equal(outcomes[0].exitReason, "take_profit");
  assert.equal(outcomes[0].pnl, -4);
  assert.equal(outcomes[0].outcome, META_LOSS);
});

Deno.test("CandidateBook settles nothing for a candidate the broker refuses to open", () => {
  // The buy's stop 1250.10 is above bar 1's open bid 1250.00: MT5 and the broker refuse it.
  const { outcomes, book } = settle(signal("buy", 1250.1, 1251.3), [
    bar(1, 1250, 1250.4, 1249.9, 1250.2),
    bar(2, 1250.2, 1251.4, 1250.1, 1251),
  ]);
  assert.deepEqual(outcomes, []);
  assert.equal(book.refused, 1);
  assert.equal(book.openCount, 0);
});

Deno.test("CandidateBook never settles on the bar the candidate was decided on", () => {
  // Bar 0's bid high 1250.10 touches the buy's 1250.10 target, but the trade only exists
  // from bar 1's open, and bar 1 stays between the stop and the target.
  const { outcomes, book } = settle(signal("buy", 1249.3, 1250.1), [
    bar(1, 1250, 1250.05, 1249.9, 1250),
  ]);
  assert.deepEqual(outcomes, []);
  assert.equal(book.openCount, 1);
});
