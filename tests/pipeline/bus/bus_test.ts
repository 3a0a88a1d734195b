import assert from "node:assert/strict";
import { firstValueFrom, toArray } from "rxjs";
import { take } from "rxjs";
import { InProcessBus, SeenIds } from "../../../pipeline/bus/bus.ts";
import { busSink, busSource$, feedFromBus } from "../../../pipeline/bus/rx.ts";
import { LiveFeed } from "../../../pipeline/live/feed.ts";
import type { EventBatch } from "../../../pipeline/events.ts";
import { mixed } from "./_events.ts";

Deno.test("the in-process bus hands every subscriber to '>' the very batch published", async () => {
  const bus = new InProcessBus();
  const batch = mixed(20);
  const got: EventBatch[] = [];
  await bus.subscribe({ subject: ">" }, (b) => {
    got.push(b);
  });
  await bus.publish(batch);
  assert.equal(got.length, 1);
  assert.strictEqual(got[0], batch);
});

Deno.test("the in-process bus filters by subject, keeping order", async () => {
  const bus = new InProcessBus({ account: "A1" });
  const batch = mixed(30);
  const orders: EventBatch[] = [];
  await bus.subscribe({ subject: "ord.A1" }, (b) => {
    orders.push(b);
  });
  await bus.subscribe({ subject: "ord.OTHER" }, () => assert.fail("another account's orders"));
  await bus.publish(batch);
  assert.deepEqual(orders, [batch.filter((e) => e.kind === "order")]);
});

Deno.test("publish resolves only after every handler has finished with the batch", async () => {
  const bus = new InProcessBus();
  let handled = false;
  await bus.subscribe({ subject: ">" }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    handled = true;
  });
  await bus.publish(mixed(3));
  assert.ok(handled);
});

Deno.test("a stopped subscription receives nothing more", async () => {
  const bus = new InProcessBus();
  let count = 0;
  const subscription = await bus.subscribe({ subject: ">" }, () => {
    count++;
  });
  await bus.publish(mixed(2));
  await subscription.stop();
  await subscription.done;
  await bus.publish(mixed(2));
  assert.equal(count, 1);
});

Deno.test("the seen-set keeps the most recent ids up to its capacity", () => {
  const seen = new SeenIds(3, ["a", "b"]);
  seen.add("c");
  seen.add("a");
  seen.add("d");
  assert.ok(seen.has("a") && seen.has("c") && seen.has("d"));
  assert.ok(!seen.has("b"), "the oldest id was let go");
});

Deno.test("a bus sink publishes the pipeline's batches in order and a bus source reads them", async () => {
  const bus = new InProcessBus();
  const batches = [mixed(5), mixed(7)];
  const read = firstValueFrom(busSource$(bus, { subject: ">" }).pipe(take(2), toArray()));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const sink = busSink(bus);
  for (const batch of batches) sink.write(batch);
  await sink.close();
  assert.deepEqual(await read, batches);
});

Deno.test("a bus sink reports a failed publish on close", async () => {
  const bus = new InProcessBus();
  await bus.subscribe({ subject: ">" }, () => {
    throw new Error("store full");
  });
  const sink = busSink(bus, "to-bus");
  sink.write(mixed(1));
  await assert.rejects(
    () => Promise.resolve(sink.close()),
    /to-bus: publishing failed: store full/,
  );
});

Deno.test("the live feed fed from the bus acknowledges a batch once the pipeline's sink has it", async () => {
  const bus = new InProcessBus();
  const feed = new LiveFeed();
  const seen: EventBatch[] = [];
  feed.source$.subscribe((batch) => {
    seen.push(batch);
    feed.sink.write(batch);
  });
  await feedFromBus(bus, feed, { subject: ">" });
  const batch = mixed(4);
  await bus.publish(batch);
  assert.deepEqual(seen, [batch]);
});
