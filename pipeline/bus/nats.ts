/**
 * The bus over NATS JetStream: every event is one message on its subject (subjects.ts),
 * JSON as is, with its natural key as `Nats-Msg-Id` so the stream's dedupe window drops
 * a publish sent twice. Consumers are pull consumers with explicit acks: a batch is
 * acknowledged only after its handler resolves, and ids already handled are dropped
 * again on delivery, so delivery is at least once and handling happens once. A durable
 * name keeps the consumer's position on the server across restarts.
 * It must never acknowledge before handling, nor await per event when publishing.
 */

import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
  StorageType,
} from "@nats-io/jetstream";
import type { EventBatch, MarketEvent } from "../events.ts";
import {
  type BatchHandler,
  type Bus,
  type BusSubscription,
  SeenIds,
  type SubscribeOptions,
} from "./bus.ts";
import { eventId, subjectOf } from "./subjects.ts";
import { within } from "../within.ts";

/** Every subject the pipeline publishes on (docs/scale-out.md). */
export const EVENT_SUBJECTS = ["md.>", "feat.>", "regime.>", "pred.>", "sig.>", "ord.>", "exec.>"];

export interface NatsBusOptions {
  /** One or more server URLs, e.g. "nats://127.0.0.1:4222". */
  readonly servers: string | readonly string[];
  /** Routes orders and execution reports (`ord.<account>`, `exec.<account>`). */
  readonly account?: string;
  /** The JetStream stream holding the events (default "EVENTS"). */
  readonly stream?: string;
  /** How long the stream remembers message ids to drop a publish sent twice (default 2 min). */
  readonly duplicateWindowMs?: number;
  /** How long events are kept (default 7 days); 0 keeps them until removed by hand. */
  readonly maxAgeMs?: number;
  /** How long a delivered, unacknowledged event waits before it is delivered again (default 30 s). */
  readonly ackWaitMs?: number;
  /** Copies of the stream in a JetStream cluster (default 1; 3 on a three-node cluster). */
  readonly replicas?: number;
  /** Names the connection in the server's monitoring. */
  readonly name?: string;
}

/** How long a subscription's stop waits for the library to end its message iterator. */
const STOP_READER_MS = 5_000;

/** How long `close` lets the connection drain before it closes it. */
const DRAIN_MS = 10_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Creates `name` with `config` unless it exists; an existing stream is used as it is. */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager["streams"]["add"]>[0] & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
  }
}

export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: NatsBusOptions;
  readonly #stream: string;
  readonly #subscriptions = new Set<BusSubscription>();

  private constructor(nc: NatsConnection, jsm: JetStreamManager, options: NatsBusOptions) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#options = options;
    this.#stream = options.stream ?? "EVENTS";
  }

  /** Connects and makes sure the event stream exists. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: typeof options.servers === "string" ? options.servers : [...options.servers],
      name: options.name,
    });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, {
        name: options.stream ?? "EVENTS",
        subjects: EVENT_SUBJECTS,
        storage: StorageType.File,
        duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
        max_age: nanos(options.maxAgeMs ?? 7 * 86_400_000),
        num_replicas: options.replicas ?? 1,
      });
      return new NatsBus(nc, jsm, options);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Sends the whole batch at once and waits for the stream's acknowledgements together. */
  async publish(batch: EventBatch): Promise<void> {
    const account = this.#options.account;
    await Promise.all(
      batch.map((event) =>
        this.#js.publish(subjectOf(event, account), encoder.encode(JSON.stringify(event)), {
          msgID: eventId(event),
        })
      ),
    );
  }

  async subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<BusSubscription> {
    const batchSize = options.batchSize ?? 1000;
    const config = {
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: options.subject,
      ack_wait: nanos(this.#options.ackWaitMs ?? 30_000),
      // Bounds what waits unhandled (and its ack wait running) to a few batches.
      max_ack_pending: batchSize * 4,
    };
    let name: string;
    if (options.durable === undefined) {
      name = (await this.#jsm.consumers.add(this.#stream, {
        ...config,
        inactive_threshold: nanos(60_000),
      })).name;
    } else {
      name = options.durable;
      const info = await this.#jsm.consumers.info(this.#stream, name).catch(() => null);
      if (info !== null && info.config.filter_subject !== options.subject) {
        throw new Error(
          `durable consumer "${name}" follows "${info.config.filter_subject}", not "${options.subject}": use another name`,
        );
      }
      if (info === null) {
        await this.#jsm.consumers.add(this.#stream, { ...config, durable_name: name });
      } else if (info.num_ack_pending > 0 || info.num_redelivered > 0) {
        // The last run stopped with events in flight: left alone, they would come back only
        // after the ack wait, behind newer ones. Start again just after the acknowledged
        // floor instead, in order (what was handled but not acknowledged is dropped by id).
        await this.#jsm.consumers.delete(this.#stream, name);
        await this.#jsm.consumers.add(this.#stream, {
          ...config,
          durable_name: name,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: info.ack_floor.stream_seq + 1,
        });
      }
    }
    const consumer = await this.#js.consumers.get(this.#stream, name);
    const messages = await consumer.consume({ max_messages: batchSize });
    const seen = new SeenIds(100_000, options.seen ?? []);
    let stopping = false;

    // The reader only queues what arrives; the handler loop takes everything queued (up
    // to a batch) once the messages already on the socket have been read.
    const inbox: JsMsg[] = [];
    let wake = () => {};
    let readerEnded = false;
    const reader = (async () => {
      try {
        for await (const message of messages) {
          inbox.push(message);
          wake();
        }
      } finally {
        readerEnded = true;
        wake();
      }
    })();
    const handle = async () => {
      while (!stopping) {
        if (inbox.length === 0) {
          if (readerEnded) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = () => {};
          continue;
        }
        if (inbox.length < batchSize) await new Promise((resolve) => setTimeout(resolve, 0));
        const held = inbox.splice(0, batchSize);
        const events: MarketEvent[] = [];
        const ids = new Set<string>();
        for (const message of held) {
          const event = JSON.parse(decoder.decode(message.data)) as MarketEvent;
          const id = message.headers?.get("Nats-Msg-Id") || eventId(event);
          if (seen.has(id) || ids.has(id)) continue;
          ids.add(id);
          events.push(event);
        }
        try {
          if (events.length > 0) await handler(events);
        } catch (error) {
          // Unacknowledged, the batch comes back to the next run under this durable.
          stopping = true;
          void messages.close();
          throw error;
        }
        for (const id of ids) seen.add(id);
        for (const message of held) message.ack();
      }
      // Whatever is still queued stays unacknowledged: the next run starts from it.
    };
    const done = Promise.all([handle(), reader]).then(() => {});
    const subscription: BusSubscription = {
      done,
      stop: async () => {
        stopping = true;
        // Not awaited: it settles only while the loop still reads, and the loop may be over.
        void messages.close();
        // The handler loop may be waiting for a message: it ends now, after its batch in hand.
        wake();
        this.#subscriptions.delete(subscription);
        // The reader ends when the library ends its iterator; a stop never waits on it long.
        await within(done.catch(() => {}), STOP_READER_MS);
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Stops every subscription (after its batch in hand) and drains the connection: what was
   * published is flushed first. A drain the server never completes is cut short after
   * `DRAIN_MS` by closing the connection, so a role's stop cannot hang on it.
   */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    if (await within(this.#nc.drain(), DRAIN_MS) === null) await this.#nc.close();
  }
}
