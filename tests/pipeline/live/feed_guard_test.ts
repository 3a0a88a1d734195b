import assert from "node:assert/strict";
import { EVENT_VERSION, type TickEvent } from "@/pipeline/events.ts";
import { FeedGuard } from "@/pipeline/live/feed_guard.ts";
import { type EaMessage, type Envelope, ProtocolError } from "@/pipeline/live/protocol.ts";
import { bar } from "../../operators/risk/_fixtures.ts";

const envelope = (...messages: EaMessage[]): Envelope => ({
  v: 1,
  session: "s",
  seq: 1,
  sentUs: 0,
  messages,
  acks: [],
});

const tick = (iso: string, bid: number, ask: number): TickEvent => ({
  v: EVENT_VERSION,
  kind: "tick",
  symbol: "XAUUSD",
  timeUs: Date.parse(iso) * 1000,
  bid,
  ask,
});

const refused = (field: string, reason: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.status === 400 &&
  e.message.startsWith(`bad envelope at ${field}: `) && reason.test(e.message);

Deno.test("FeedGuard.resumeAfter() judges the first bar after a restart against the journal's last", () => {
  const guard = new FeedGuard();
  guard.resumeAfter(bar("2024-03-20T13:00:00Z", 2000));
  assert.throws(
    () => guard.check(envelope(bar("2024-03-20T13:01:00Z", 200)), 0),
    refused("messages.0.bid", /price jump/),
  );
  guard.check(envelope(bar("2024-03-20T13:01:00Z", 2001)), 0);
});

Deno.test("FeedGuard.check() leaves bars already processed to the bridge, unjudged", () => {
  const guard = new FeedGuard();
  const old = bar("2024-03-20T13:00:00Z", 5);
  // Below the band, but closing at or before the last bar processed: dropped, not judged.
  guard.check(envelope(old), old.closeUs);
  assert.throws(() => guard.check(envelope(old), 0), refused("messages.0.bid", /price outside/));
});

Deno.test("FeedGuard.check() holds ticks to the band, the ask/bid ratio and the recent move", async (t) => {
  const cases: ReadonlyArray<readonly [string, TickEvent, string, RegExp]> = [
    ["a bid of 1e14", tick("2024-03-20T13:00:01Z", 1e14, 1e14), "messages.1.bid", /outside/],
    ["an ask of 1e14", tick("2024-03-20T13:00:01Z", 2000, 1e14), "messages.1.ask", /outside/],
    [
      "an ask 10% above the bid",
      tick("2024-03-20T13:00:01Z", 2000, 2200),
      "messages.1.ask",
      /ratio/,
    ],
    // 2000 -> 2100 a second later: 100 / sqrt(1/60) = 775 a minute, against the quiet
    // floor 2e-4 x 2000 = 0.4: 1,936 recent moves.
    ["a 5% jump in a second", tick("2024-03-20T13:00:01Z", 2100, 2100.3), "messages.1.bid", /jump/],
  ];
  for (const [name, second, field, reason] of cases) {
    await t.step(name, () => {
      const guard = new FeedGuard();
      const first = tick("2024-03-20T13:00:00Z", 2000, 2000.3);
      assert.throws(() => guard.check(envelope(first, second), 0), refused(field, reason));
      // Nothing was taken from the refused envelope: the first tick alone passes again.
      guard.check(envelope(first), 0);
    });
  }
});

Deno.test("FeedGuard.check() refuses a bar whose spread puts the ask beyond the ratio", () => {
  const guard = new FeedGuard();
  // Bid low 2000 at ratio 1.05: the ask may reach 2100, so the largest spread is 100.
  const wide = { ...bar("2024-03-20T13:00:00Z", 2000, null), spread: 100.5 };
  assert.throws(() => guard.check(envelope(wide), 0), refused("messages.0.spread", /ratio/));
  guard.check(envelope({ ...wide, spread: 99.5 }), 0);
});

Deno.test("FeedGuard.check() takes the options' bounds", () => {
  const guard = new FeedGuard({ maxJump: 1 });
  const start = bar("2024-03-20T13:00:00Z", 2000);
  // 2000 -> 2000.2 moves half the quiet floor 2e-4 x 2000 = 0.4: accepted. Then 2000.2 ->
  // 2001 moves 0.8, two floors (the floor is above the recent move, 0.2): refused at 1x.
  guard.check(envelope(start, bar("2024-03-20T13:01:00Z", 2000.2)), 0);
  assert.throws(
    () => guard.check(envelope(bar("2024-03-20T13:02:00Z", 2001)), 0),
    refused("messages.0.bid", /beyond 1x/),
  );
});
