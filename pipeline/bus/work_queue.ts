/**
 * Research jobs on a work queue: each job runs at least once somewhere and its result
 * comes back once. Two implementations of one interface: local Deno Workers (the
 * default, one process) and a JetStream work queue that workers on any machine pull
 * from. On NATS a job is acknowledged only after its result is stored, and a worker
 * that dies stops extending its ack wait, so the server hands the job to another.
 * Jobs are plain JSON and carry their own id (the caller's natural key), which both the
 * stream's dedupe window and the collector use to keep one result per job.
 * It must never lose a job or report one twice; it knows nothing of what a job does.
 */

import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JsMsg,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { moduleWorker } from "../workers.ts";
import { ensureStream } from "./nats.ts";

export interface Job {
  /** The job's natural key: the same work has the same id, wherever it is submitted. */
  readonly id: string;
  readonly payload: unknown;
}

export interface JobResult {
  readonly id: string;
  readonly ok: boolean;
  /** What the runner returned (JSON), or null when it failed. */
  readonly value: unknown;
  readonly error: string | null;
  /** Names the worker that ran it. */
  readonly worker: string;
  readonly seconds: number;
  /** Deliveries it took: more than 1 when a worker died with it. */
  readonly attempts: number;
}

/** Runs one job's payload; a module given to the workers exports it as `runJob`. */
export type JobRunner = (payload: unknown) => Promise<unknown>;

export interface WorkQueue {
  /**
   * Runs every job and resolves with one result per job id. Calls may overlap; their
   * jobs share the workers. `onResult` sees each result as it arrives.
   */
  run(
    jobs: readonly Job[],
    onResult?: (result: JobResult) => void,
  ): Promise<Map<string, JobResult>>;
  close(): Promise<void>;
}

/** A job that killed this many workers is reported failed instead of being run again. */
export const MAX_ATTEMPTS = 3;

/** What the worker script (job_worker.ts) is told and says. */
export type ToWorker =
  | { readonly type: "local"; readonly runner: string }
  | { readonly type: "job"; readonly job: Job }
  | {
    readonly type: "nats";
    readonly runner: string;
    readonly queue: NatsQueueOptions;
    readonly worker: string;
  }
  | { readonly type: "stop" };
export type FromWorker =
  | { readonly type: "started"; readonly id: string }
  | { readonly type: "result"; readonly result: Omit<JobResult, "worker" | "attempts"> }
  | { readonly type: "stopped" }
  | { readonly type: "failed"; readonly error: string };

const WORKER_SCRIPT = new URL("./job_worker.ts", import.meta.url);

function spawnWorker(): Worker {
  return moduleWorker(WORKER_SCRIPT, "job-worker");
}

interface PendingJob {
  readonly job: Job;
  attempts: number;
  readonly done: (result: JobResult) => void;
}

/** Deno Workers in this process: each runs one job at a time; a crashed one is replaced. */
export class LocalWorkQueue implements WorkQueue {
  readonly #runner: string;
  readonly #size: number;
  readonly #idle: Worker[] = [];
  /** Every live worker and its name. */
  readonly #all = new Map<Worker, string>();
  readonly #pending: PendingJob[] = [];
  #started = 0;

  /** `runner` is the URL of a module exporting `runJob: JobRunner`. */
  constructor(options: { runner: string | URL; workers: number }) {
    if (!(Number.isInteger(options.workers) && options.workers >= 1)) {
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    }
    this.#runner = String(options.runner);
    this.#size = options.workers;
  }

  run(
    jobs: readonly Job[],
    onResult?: (result: JobResult) => void,
  ): Promise<Map<string, JobResult>> {
    const unique = [...new Map(jobs.map((job) => [job.id, job])).values()];
    const results = new Map<string, JobResult>();
    if (unique.length === 0) return Promise.resolve(results);
    return new Promise((resolve) => {
      for (const job of unique) {
        this.#pending.push({
          job,
          attempts: 0,
          done: (result) => {
            results.set(result.id, result);
            onResult?.(result);
            if (results.size === unique.length) resolve(results);
          },
        });
      }
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#pending.length > 0) {
      let worker = this.#idle.pop();
      if (worker === undefined && this.#all.size < this.#size) worker = this.#start();
      if (worker === undefined) return;
      this.#give(worker, this.#pending.shift()!);
    }
  }

  #start(): Worker {
    const worker = spawnWorker();
    this.#all.set(worker, `local-${++this.#started}`);
    worker.postMessage({ type: "local", runner: this.#runner } satisfies ToWorker);
    return worker;
  }

  #give(worker: Worker, entry: PendingJob): void {
    entry.attempts++;
    const name = this.#all.get(worker)!;
    const settle = (result: Omit<JobResult, "worker" | "attempts">) => {
      worker.onmessage = null;
      worker.onerror = null;
      entry.done({ ...result, worker: name, attempts: entry.attempts });
    };
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (event.data.type !== "result") return;
      settle(event.data.result);
      this.#idle.push(worker);
      this.#dispatch();
    };
    worker.onerror = (event) => {
      // The worker died with the job: replace it and run the job again, a bounded number of times.
      event.preventDefault();
      worker.terminate();
      this.#all.delete(worker);
      if (entry.attempts >= MAX_ATTEMPTS) {
        settle({
          id: entry.job.id,
          ok: false,
          value: null,
          error: crashed(entry.attempts, event.message),
          seconds: 0,
        });
      } else {
        this.#pending.unshift(entry);
      }
      this.#dispatch();
    };
    worker.postMessage({ type: "job", job: entry.job } satisfies ToWorker);
  }

  close(): Promise<void> {
    for (const worker of this.#all.keys()) worker.terminate();
    this.#all.clear();
    this.#idle.length = 0;
    return Promise.resolve();
  }
}

function crashed(attempts: number, why: string): string {
  return `the job ended its worker ${attempts} times (last: ${why}); not run again`;
}

export interface NatsQueueOptions {
  readonly servers: string | readonly string[];
  /** Prefix of the queue's subjects and streams (default "sweep"): `<q>.jobs`, `<q>.results`. */
  readonly queue?: string;
  /** How long a worker may hold a job without a sign of life before it is redelivered (default 30 s). */
  readonly ackWaitMs?: number;
  /** How long results are kept for a coordinator that restarts (default 7 days). */
  readonly resultMaxAgeMs?: number;
  /** Copies of the queue's streams in a JetStream cluster (default 1). */
  readonly replicas?: number;
}

interface QueueNames {
  readonly jobs: string;
  readonly results: string;
  readonly jobStream: string;
  readonly resultStream: string;
  readonly workers: string;
}

function queueNames(options: NatsQueueOptions): QueueNames {
  const q = options.queue ?? "sweep";
  if (!/^[A-Za-z0-9_-]+$/.test(q)) {
    throw new RangeError(`Queue name "${q}": use letters, digits, _ and -`);
  }
  const upper = q.toUpperCase().replace(/-/g, "_");
  return {
    jobs: `${q}.jobs`,
    results: `${q}.results`,
    jobStream: `${upper}_JOBS`,
    resultStream: `${upper}_RESULTS`,
    workers: `${q}-workers`,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function connectQueue(options: NatsQueueOptions, name: string) {
  const nc = await connect({
    servers: typeof options.servers === "string" ? options.servers : [...options.servers],
    name,
  });
  const names = queueNames(options);
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, {
      name: names.jobStream,
      subjects: [names.jobs],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
      num_replicas: options.replicas ?? 1,
    });
    await ensureStream(jsm, {
      name: names.resultStream,
      subjects: [names.results],
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
      max_age: nanos(options.resultMaxAgeMs ?? 7 * 86_400_000),
      num_replicas: options.replicas ?? 1,
    });
    try {
      await jsm.consumers.info(names.jobStream, names.workers);
    } catch {
      await jsm.consumers.add(names.jobStream, {
        durable_name: names.workers,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(options.ackWaitMs ?? 30_000),
        filter_subject: names.jobs,
        max_deliver: -1,
      });
    }
    return { nc, js: jetstream(nc), jsm, names };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/**
 * The coordinator's side of the JetStream work queue: publishes jobs (one message each,
 * `Nats-Msg-Id` = job id) and reads results from the results stream, from its start, so
 * a coordinator that restarts finds the results already stored.
 */
export class NatsWorkQueue implements WorkQueue {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #names: QueueNames;
  readonly #waiting = new Map<string, ((result: JobResult) => void)[]>();
  readonly #arrived = new Map<string, JobResult>();
  readonly #reading: Promise<void>;
  readonly #stop: () => Promise<void>;

  private constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    names: QueueNames,
    messages: AsyncIterable<JsMsg> & { close(): Promise<void | Error> },
  ) {
    this.#nc = nc;
    this.#js = js;
    this.#names = names;
    this.#reading = (async () => {
      for await (const message of messages) {
        const result = JSON.parse(decoder.decode(message.data)) as JobResult;
        message.ack();
        if (this.#arrived.has(result.id)) continue;
        this.#arrived.set(result.id, result);
        for (const waiter of this.#waiting.get(result.id) ?? []) waiter(result);
        this.#waiting.delete(result.id);
      }
    })();
    this.#stop = async () => {
      await messages.close();
      await this.#reading;
    };
  }

  static async connect(options: NatsQueueOptions): Promise<NatsWorkQueue> {
    const { nc, js, jsm, names } = await connectQueue(options, "sweep-coordinator");
    const info = await jsm.consumers.add(names.resultStream, {
      ack_policy: AckPolicy.Explicit,
      filter_subject: names.results,
      inactive_threshold: nanos(60_000),
    });
    const consumer = await js.consumers.get(names.resultStream, info.name);
    return new NatsWorkQueue(nc, js, names, await consumer.consume({ max_messages: 1000 }));
  }

  async run(
    jobs: readonly Job[],
    onResult?: (result: JobResult) => void,
  ): Promise<Map<string, JobResult>> {
    const unique = [...new Map(jobs.map((job) => [job.id, job])).values()];
    const results = new Map<string, JobResult>();
    const all = Promise.all(unique.map((job) =>
      new Promise<void>((resolve) => {
        const take = (result: JobResult) => {
          results.set(job.id, result);
          onResult?.(result);
          resolve();
        };
        const known = this.#arrived.get(job.id);
        if (known !== undefined) take(known);
        else this.#waiting.set(job.id, [...(this.#waiting.get(job.id) ?? []), take]);
      })
    ));
    const toSend = unique.filter((job) => !this.#arrived.has(job.id));
    await Promise.all(
      toSend.map((job) =>
        this.#js.publish(this.#names.jobs, encoder.encode(JSON.stringify(job)), { msgID: job.id })
      ),
    );
    await all;
    return results;
  }

  async close(): Promise<void> {
    await this.#stop();
    await this.#nc.drain();
  }
}

export interface ServeJobsOptions {
  readonly queue: NatsQueueOptions;
  readonly runner: JobRunner;
  /** Names this worker in results. */
  readonly worker: string;
  /** Stops taking jobs (the job in hand finishes first). */
  readonly signal?: AbortSignal;
  /** Told as each job starts (tests kill a worker here). */
  readonly onStart?: (id: string) => void;
}

/**
 * A worker: pulls one job at a time, says it is still working every third of the ack
 * wait, stores the result (`Nats-Msg-Id` = job id) and only then acknowledges the job.
 * A job already delivered `MAX_ATTEMPTS` times is reported failed, not run again.
 */
export async function serveJobs(options: ServeJobsOptions): Promise<void> {
  const { nc, js, names } = await connectQueue(options.queue, options.worker);
  const ackWaitMs = options.queue.ackWaitMs ?? 30_000;
  try {
    const consumer = await js.consumers.get(names.jobStream, names.workers);
    const messages = await consumer.consume({ max_messages: 1 });
    options.signal?.addEventListener("abort", () => messages.close(), { once: true });
    for await (const message of messages) {
      const job = JSON.parse(decoder.decode(message.data)) as Job;
      const attempts = message.info.deliveryCount;
      const started = performance.now();
      let result: Omit<JobResult, "seconds">;
      if (attempts > MAX_ATTEMPTS) {
        result = {
          id: job.id,
          ok: false,
          value: null,
          error: crashed(attempts - 1, "its worker stopped answering"),
          worker: options.worker,
          attempts,
        };
      } else {
        options.onStart?.(job.id);
        const alive = setInterval(() => message.working(), Math.max(100, ackWaitMs / 3));
        try {
          const value = await options.runner(job.payload);
          result = { id: job.id, ok: true, value, error: null, worker: options.worker, attempts };
        } catch (error) {
          result = {
            id: job.id,
            ok: false,
            value: null,
            error: String((error as Error).message ?? error),
            worker: options.worker,
            attempts,
          };
        } finally {
          clearInterval(alive);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      await js.publish(names.results, encoder.encode(JSON.stringify({ ...result, seconds })), {
        msgID: job.id,
      });
      await message.ackAck();
    }
  } finally {
    await nc.drain();
  }
}

/** Job Workers of this process serving a JetStream work queue. */
export interface NatsWorkers {
  /** Each worker's name and a way to kill it on the spot (no goodbye to the server). */
  readonly workers: readonly { readonly name: string; kill(): void }[];
  /** Asks every live worker to finish its job in hand and stop, and waits for them. */
  stop(): Promise<void>;
}

/**
 * Starts `count` Deno Workers that pull jobs from the queue with `runner` (a module URL
 * exporting `runJob`); `onStart` hears which worker started which job.
 */
export function startNatsWorkers(
  count: number,
  options: {
    readonly runner: string | URL;
    readonly queue: NatsQueueOptions;
    readonly prefix?: string;
    readonly onStart?: (worker: string, id: string) => void;
  },
): NatsWorkers {
  const live = new Map<string, { worker: Worker; stopped: Promise<void> }>();
  const workers = Array.from({ length: count }, (_, i) => {
    const name = `${options.prefix ?? "worker"}-${i + 1}`;
    const worker = spawnWorker();
    const stopped = new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === "started") options.onStart?.(name, message.id);
        else if (message.type === "stopped") resolve();
        else if (message.type === "failed") reject(new Error(`${name}: ${message.error}`));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`${name}: ${event.message}`));
      };
    });
    live.set(name, { worker, stopped });
    worker.postMessage(
      {
        type: "nats",
        runner: String(options.runner),
        queue: options.queue,
        worker: name,
      } satisfies ToWorker,
    );
    return {
      name,
      kill() {
        worker.terminate();
        live.delete(name);
      },
    };
  });
  return {
    workers,
    async stop() {
      for (const { worker } of live.values()) {
        worker.postMessage({ type: "stop" } satisfies ToWorker);
      }
      try {
        await Promise.all([...live.values()].map((w) => w.stopped));
      } finally {
        for (const { worker } of live.values()) worker.terminate();
        live.clear();
      }
    },
  };
}
