/**
 * `simulateExecution()` on hand-made streams: where the broker's events land (before a
 * bar for what happened at its open, after it for its close, after a tick), that untouched
 * batches pass through as they are, and the end-of-data close.
 */

import { orderAuthority } from "@/operators/execution/remote.ts";
import assert from "node:assert/strict";
import { from, lastValueFrom, toArray } from "rxjs";
import type { EventBatch, MarketEvent } from "@/pipeline/events.ts";
import { eventTimeUs } from "@/pipeline/replay.ts";
import { brokerProcessor, SimulatedBroker, simulateExecution } from "@/operators/execution/mod.ts";
import { bar, HOUR, MINUTE, openOrder, T0, tick } from "./_fixtures.ts";

async function run(broker: SimulatedBroker, batches: EventBatch[]): Promise<EventBatch[]> {
  return await lastValueFrom(from(batches).pipe(simulateExecution(broker), toArray()));
}

/** "kind@offset" per event, the offset in seconds from T0, for compact comparison. */
function sketch(events: readonly MarketEvent[]): string[] {
  return events.map((e) => {
    const label = e.kind === "fill" ? `fill:${e.reason}` : e.kind;
    return `${label}@${(eventTimeUs(e) - T0) / 1e6}`;
  });
}

function assertTimeOrdered(events: readonly MarketEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(eventTimeUs(events[i - 1]) <= eventTimeUs(events[i]), `event ${i} goes back in time`);
  }
}

Deno.test("simulateExecution() puts what happened at a bar's open before the bar and its close after", async () => {
  const broker = new SimulatedBroker({ slippagePoints: 0 });
  const order = openOrder("b", "buy", 0.10, T0, { sl: 1298 });
  const first: EventBatch = [
    bar(T0 - MINUTE, [1300, 1300, 1300, 1300]),
    orderAuthority(order),
    order,
  ];
  const quiet: EventBatch = [bar(T0 + 2 * HOUR + MINUTE, [1296, 1296, 1296, 1296])];
  const out = await run(broker, [
    first,
    [
      bar(T0, [1300, 1300.5, 1299.9, 1300.2]),
      // Opens at 1296.00, through the stop: exits at the open, before the bar is emitted.
      bar(T0 + 2 * HOUR, [1296, 1296.5, 1295, 1296]),
    ],
    quiet,
  ]);
  assert.equal(out.length, 3);
  assert.equal(out[0], first, "a batch the broker adds nothing to passes through as is");
  assert.equal(out[2], quiet);
  assert.deepEqual(sketch(out[1]), [
    "fill:market@0.25",
    "account@0.25",
    "bar@60",
    "account@60",
    "fill:stop_loss@7200",
    "trade@7200",
    "account@7200",
    "bar@7260",
  ]);
  assertTimeOrdered(out.flat());
});

Deno.test("simulateExecution() puts a tick's fills after the tick and trades on ticks over bars", async () => {
  const broker = new SimulatedBroker({ slippagePoints: 0 });
  const order = openOrder("b", "buy", 0.10, T0);
  const out = (await run(broker, [[
    orderAuthority(order),
    order,
    tick(T0 + 100_000, 1300, 1300.3),
    tick(T0 + 300_000, 1300.1, 1300.4),
    tick(T0 + 59_000_000, 1300.2, 1300.5),
    // The M1 bar built from those ticks: ticks are finer, so it moves nothing.
    bar(T0, [1300, 1300.2, 1300, 1300.2]),
  ]])).flat();
  assert.deepEqual(sketch(out), [
    "risk@0",
    "order@0",
    "tick@0.1",
    "tick@0.3",
    "fill:market@0.3",
    "account@0.3",
    "tick@59",
    "account@59",
    "bar@60",
    // At the last tick's price, stamped with the last event's time.
    "fill:end_of_data@60",
    "trade@60",
    "account@60",
  ]);
  const fills = out.filter((e) => e.kind === "fill");
  assert.deepEqual(fills.map((e) => e.kind === "fill" && e.price), [1300.4, 1300.2]);
  assertTimeOrdered(out);
});

Deno.test("simulateExecution() closes what is open at the end of data, after the last batch", async () => {
  const broker = new SimulatedBroker({ slippagePoints: 0 });
  const order = openOrder("b", "buy", 0.10, T0);
  const out = await run(broker, [[
    orderAuthority(order),
    order,
    bar(T0, [1300, 1301, 1299, 1301]),
  ]]);
  assert.equal(out.length, 2);
  assert.deepEqual(sketch(out[1]), ["fill:end_of_data@60", "trade@60", "account@60"]);
  const trade = out[1].find((e) => e.kind === "trade")!;
  // Bought at 1300.30, sold at the last close bid 1301.00: 7.00 - 0.70.
  assert.equal(trade.kind === "trade" && trade.pnl, 6.30);
  assert.equal(broker.openPositions().length, 0);
});

Deno.test("brokerProcessor() hands out what each price booked in an array of its own", () => {
  const broker = new SimulatedBroker({ slippagePoints: 0 });
  const take = brokerProcessor(broker);
  const order = openOrder("b", "buy", 0.10, T0, { sl: 1298 });
  assert.equal(take(bar(T0 - MINUTE, [1300, 1300, 1300, 1300])).length, 0);
  take(orderAuthority(order));
  take(order);
  const atFill = take(bar(T0, [1300, 1300.5, 1299.9, 1300.2]));
  const before = [...atFill];
  assert.equal(atFill[0].kind, "fill");
  // The next price books the stop exit; the first result must not change under it.
  const atStop = take(bar(T0 + MINUTE, [1297, 1297, 1297, 1297]));
  assert.deepEqual(atFill, before);
  assert.ok(atStop.some((e) => e.kind === "trade"), "the stop exit is booked");
  assert.notEqual(atFill, atStop);
});
