import assert from "node:assert/strict";
import { US_PER_DAY, US_PER_MINUTE } from "@/pipeline/events.ts";
import {
  askProblem,
  bandProblem,
  DEFAULT_PLAUSIBILITY,
  plausibility,
  plausibilityReasons,
  RecentMove,
  spreadProblem,
} from "@/pipeline/plausibility.ts";

const REASONS = plausibilityReasons(DEFAULT_PLAUSIBILITY);

Deno.test("plausibility() applies overrides over the defaults and ignores undefined ones", () => {
  assert.deepEqual(plausibility(), DEFAULT_PLAUSIBILITY);
  assert.deepEqual(plausibility({ maxPrice: 5_000, maxJump: undefined }), {
    ...DEFAULT_PLAUSIBILITY,
    maxPrice: 5_000,
  });
});

Deno.test("plausibility() refuses bounds that make no sense, naming the flag", async (t) => {
  const cases: ReadonlyArray<readonly [string, object, RegExp]> = [
    ["a highest price below the lowest", { minPrice: 2_000, maxPrice: 1_000 }, /--max-price/],
    ["a zero jump", { maxJump: 0 }, /--max-jump/],
    ["an ask/bid ratio below 1", { maxAskBid: 0.9 }, /--max-ask-bid/],
    ["an empty window", { earliestUs: 10, latestUs: 10 }, /--latest .* is not after --earliest/],
    ["a negative time step", { maxTimeStepUs: -US_PER_DAY }, /--max-time-step-days/],
  ];
  for (const [name, bounds, message] of cases) {
    await t.step(name, () =>
      assert.throws(
        () => plausibility(bounds),
        (e) => e instanceof RangeError && message.test(e.message),
      ));
  }
});

Deno.test("bandProblem() tells a non-finite price from one outside the band", () => {
  assert.equal(bandProblem(DEFAULT_PLAUSIBILITY, REASONS, 1291, 1292, 1290, 1291.5), null);
  assert.equal(
    bandProblem(DEFAULT_PLAUSIBILITY, REASONS, 1291, Infinity, 1290, 1291),
    REASONS.nonFinite,
  );
  assert.equal(bandProblem(DEFAULT_PLAUSIBILITY, REASONS, 1291, 1e14, 1290, 1291), REASONS.band);
  assert.equal(bandProblem(DEFAULT_PLAUSIBILITY, REASONS, 5, 5, 5, 5), REASONS.band);
  assert.equal(REASONS.band, "price outside 10-100000 (--min-price, --max-price)");
});

Deno.test("askProblem() refuses an ask below the bid, out of band or beyond the ratio", () => {
  const ask = (a: number) =>
    askProblem(DEFAULT_PLAUSIBILITY, REASONS, 1000, 1000, 1000, 1000, a, a, a, a);
  assert.equal(ask(1000.3), null);
  assert.equal(ask(999), "ask below bid");
  // 1000 x 1.05 = 1050 is the largest ask accepted.
  assert.equal(ask(1050), null);
  assert.equal(ask(1050.01), REASONS.askBid);
  assert.equal(ask(2e5), REASONS.band);
});

Deno.test("spreadProblem() refuses a spread that puts the ask beyond the ask/bid ratio", () => {
  // Low 1000 at ratio 1.05: the ask may reach 1050, so the largest spread is 50.
  assert.equal(spreadProblem(DEFAULT_PLAUSIBILITY, REASONS, 1000, 0), null);
  assert.equal(spreadProblem(DEFAULT_PLAUSIBILITY, REASONS, 1000, 49.99), null);
  assert.equal(spreadProblem(DEFAULT_PLAUSIBILITY, REASONS, 1000, 50.01), REASONS.askBid);
  assert.equal(REASONS.askBid, "ask/bid ratio above 1.05 (--max-ask-bid)");
});

Deno.test("RecentMove.multiple() measures a row's move in recent moves, by hand", () => {
  const moves = new RecentMove(US_PER_MINUTE);
  const t0 = Date.UTC(2017, 0, 3) * 1000;
  assert.equal(moves.multiple(t0, 1000, 1000), 0, "the first row has nothing to be judged by");
  moves.commit(t0, 1000, moves.lastMove);
  // A minute later, 999-1001 around the 1000 close: a move of 2 per sqrt(1 minute), against
  // the quiet floor 2e-4 x 1000 = 0.2: 10 recent moves.
  assert.equal(moves.multiple(t0 + US_PER_MINUTE, 1001, 999), 10);
  moves.commit(t0 + US_PER_MINUTE, 1000, moves.lastMove);
  // The recent move is now that first move, 2. Four minutes later 1000-1004: a move of 4
  // over sqrt(4) = 2 is 2 per sqrt(minute), one recent move.
  assert.equal(moves.multiple(t0 + 5 * US_PER_MINUTE, 1004, 1000), 1);
  // 100 minutes later the time counts as 60 at most: 1000-1077.46 moves 77.46 / sqrt(60) =
  // 10 per sqrt(minute), 5 recent moves.
  const far = moves.multiple(t0 + 101 * US_PER_MINUTE, 1000 + 77.46, 1000);
  assert.ok(Math.abs(far - 5) < 1e-3, `${far}`);
  // Committing it moves the average by 1/32 of the way: 2 + (10 - 2) / 32 = 2.25; a move
  // of 2.25 a minute later is then exactly one recent move.
  moves.commit(t0 + 101 * US_PER_MINUTE, 1000, moves.lastMove);
  const one = moves.multiple(t0 + 102 * US_PER_MINUTE, 1002.25, 1000);
  assert.ok(Math.abs(one - 1) < 1e-3, `${one}`);
});

Deno.test("RecentMove.clone() judges ahead without moving the original", () => {
  const moves = new RecentMove(US_PER_MINUTE);
  moves.multiple(0, 1000, 1000);
  moves.commit(0, 1000, moves.lastMove);
  const copy = moves.clone();
  copy.multiple(US_PER_MINUTE, 2000, 1000);
  copy.commit(US_PER_MINUTE, 2000, copy.lastMove);
  // 1000 -> 1001 is 1 / 0.2 = 5 recent moves for the original, far less for the copy.
  assert.equal(moves.multiple(US_PER_MINUTE, 1001, 1000), 5);
});

Deno.test("RecentMove.multiple() counts a daily bar's own day, even across a weekend", () => {
  const day = 24 * 60 * US_PER_MINUTE;
  const moves = new RecentMove(day);
  moves.multiple(0, 1000, 1000);
  moves.commit(0, 1000, moves.lastMove);
  // 1000-1010 a day later: 10 / sqrt(1,440 minutes) = 0.2635 per sqrt(minute), against the
  // quiet floor 2e-4 x 1000 = 0.2: 1.318 recent moves.
  const next = moves.multiple(day, 1010, 1000);
  assert.ok(Math.abs(next - 10 / Math.sqrt(1440) / 0.2) < 1e-12, `${next}`);
  // Three days later (a weekend) the same move counts one day's time, not three (nor an hour).
  assert.equal(moves.multiple(3 * day, 1010, 1000), next);
});
