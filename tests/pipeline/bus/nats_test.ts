import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { MarketEvent } from "../../../pipeline/events.ts";
import type { BusSubscription } from "../../../pipeline/bus/bus.ts";
import { NatsBus } from "../../../pipeline/bus/nats.ts";
import { eventId } from "../../../pipeline/bus/subjects.ts";
import { within } from "../../../pipeline/within.ts";
import { bar, mixed } from "./_events.ts";
import { natsTest } from "./_nats_server.ts";

/** Collects what a subscription hands over until `count` events arrived. */
function collector(count: number) {
  const events: MarketEvent[] = [];
  let batches = 0;
  let resolve!: () => void;
  const full = new Promise<void>((r) => (resolve = r));
  return {
    events,
    full,
    batches: () => batches,
    handler: (batch: readonly MarketEvent[]) => {
      batches++;
      events.push(...batch);
      if (events.length >= count) resolve();
    },
  };
}

/** `promise`'s value; a failure naming `what` when it has not come within `ms`. */
async function waitFor<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const value = await within(promise, ms);
  if (value === null) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  return value;
}

natsTest(
  "events round-trip through JetStream unchanged and in order on each subject",
  async ({ url }) => {
    const bus = await NatsBus.connect({ servers: url, account: "ACC1" });
    try {
      const events = mixed(500);
      const bars = events.filter((e) => e.kind === "bar");
      const orders = events.filter((e) => e.kind === "order");
      const md = collector(bars.length);
      const ord = collector(orders.length);
      await bus.subscribe({ subject: "md.XAUUSD.bar.M1", batchSize: 64 }, md.handler);
      await bus.subscribe({ subject: "ord.ACC1" }, ord.handler);
      for (let i = 0; i < events.length; i += 100) await bus.publish(events.slice(i, i + 100));
      await waitFor(Promise.all([md.full, ord.full]), 10_000, "every event");
      assert.deepEqual(md.events, bars);
      assert.deepEqual(ord.events, orders);
      assert.ok(md.batches() < bars.length / 10, `handed over in batches, not one by one`);
    } finally {
      await bus.close();
    }
  },
);

natsTest("a publish sent twice is stored once", async ({ url }) => {
  const bus = await NatsBus.connect({ servers: url });
  const nc = await connect({ servers: url });
  try {
    const events = mixed(50);
    await bus.publish(events);
    await bus.publish(events);
    const info = await (await jetstreamManager(nc)).streams.info("EVENTS");
    assert.equal(info.state.messages, events.length);
  } finally {
    await nc.close();
    await bus.close();
  }
});

natsTest(
  "an event stored again after the dedupe window is dropped by the consumer's id check",
  async ({ url }) => {
    const bus = await NatsBus.connect({ servers: url, duplicateWindowMs: 100 });
    try {
      const events = [bar(0), bar(1), bar(2)];
      await bus.publish(events);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await bus.publish([bar(1), bar(3)]);
      const got = collector(4);
      await bus.subscribe({ subject: ">" }, got.handler);
      await waitFor(got.full, 5000, "four distinct events");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(got.events, [bar(0), bar(1), bar(2), bar(3)]);
    } finally {
      await bus.close();
    }
  },
);

natsTest("a redelivery after the ack wait ran out is dropped by id", async ({ url }) => {
  const bus = await NatsBus.connect({ servers: url, ackWaitMs: 300 });
  const nc = await connect({ servers: url });
  try {
    const events = mixed(200);
    await bus.publish(events);
    const got = collector(events.length);
    let first = true;
    await bus.subscribe({ subject: ">", durable: "slow", batchSize: 50 }, async (batch) => {
      // The first batch outlasts the ack wait: the server delivers its events again.
      if (first) await new Promise((resolve) => setTimeout(resolve, 1200));
      first = false;
      got.handler(batch);
    });
    await waitFor(got.full, 10_000, "every event");
    await new Promise((resolve) => setTimeout(resolve, 800));
    const info = await (await jetstreamManager(nc)).consumers.info("EVENTS", "slow");
    // The consumer sequence counts every delivery, redeliveries included.
    assert.ok(info.delivered.consumer_seq > events.length, "the server did redeliver");
    assert.deepEqual(got.events.map(eventId), events.map(eventId));
  } finally {
    await nc.close();
    await bus.close();
  }
});

natsTest(
  "a durable consumer stopped mid-way resumes where it stopped, losing and duplicating nothing",
  async ({ url }) => {
    const publisher = await NatsBus.connect({ servers: url, ackWaitMs: 1000 });
    try {
      const events = mixed(1000);
      for (let i = 0; i < events.length; i += 250) {
        await publisher.publish(events.slice(i, i + 250));
      }

      const firstRun = await NatsBus.connect({ servers: url, ackWaitMs: 1000 });
      const before: MarketEvent[] = [];
      let subscription: BusSubscription | null = null;
      let stopped!: Promise<void>;
      const stopRequested = new Promise<void>((resolve) => {
        firstRun.subscribe({ subject: ">", durable: "journal", batchSize: 100 }, (batch) => {
          before.push(...batch);
          if (before.length >= 300 && subscription !== null) {
            stopped = subscription.stop();
            resolve();
          }
        }).then((s) => (subscription = s));
      });
      await waitFor(stopRequested, 10_000, "the first run to reach 300 events");
      await stopped;
      await firstRun.close();
      assert.ok(before.length < events.length, "stopped before the end");

      const secondRun = await NatsBus.connect({ servers: url, ackWaitMs: 1000 });
      try {
        const after = collector(events.length - before.length);
        await secondRun.subscribe(
          { subject: ">", durable: "journal", batchSize: 100 },
          after.handler,
        );
        await waitFor(after.full, 10_000, "the rest of the events");
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.deepEqual([...before, ...after.events].map(eventId), events.map(eventId));
      } finally {
        await secondRun.close();
      }
    } finally {
      await publisher.close();
    }
  },
);

natsTest(
  "a batch handled but not acknowledged before a crash is dropped on restart by the ids the component kept",
  async ({ url }) => {
    const bus = await NatsBus.connect({ servers: url, ackWaitMs: 1000 });
    try {
      const events = mixed(100);
      await bus.publish(events);
      // The first run journals its first batch and dies before acknowledging it.
      const journal: MarketEvent[] = [];
      const crashed = await bus.subscribe(
        { subject: ">", durable: "journal", batchSize: 40 },
        (batch) => {
          journal.push(...batch);
          throw new Error("crash after the journal commit");
        },
      );
      await assert.rejects(crashed.done, /crash after the journal commit/);
      assert.ok(journal.length > 0 && journal.length <= 40, `journalled ${journal.length}`);

      const restarted = collector(events.length - journal.length);
      await bus.subscribe(
        { subject: ">", durable: "journal", batchSize: 40, seen: journal.map(eventId) },
        restarted.handler,
      );
      await waitFor(restarted.full, 10_000, "the events not yet journalled");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual([...journal, ...restarted.events].map(eventId), events.map(eventId));
    } finally {
      await bus.close();
    }
  },
);
