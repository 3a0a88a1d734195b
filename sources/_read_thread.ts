/**
 * Reads a big file on a worker thread of its own (`sources/_read_worker.ts`), so the main
 * thread, which runs the pipeline, only receives batches: inflating and parsing a year of
 * HistData costs it nothing but the hand-over. Each pass starts its own Worker, at most
 * `WINDOW` batches ahead of the consumer (memory stays bounded whatever the file's size),
 * and ends it when the pass ends, fails or is stopped early. It must never reorder, drop
 * or change a batch, nor let an error read differently than on the main thread.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { Worker } from "node:worker_threads";
import type { ReadFailure, ReadReply, ReadRequest } from "./_read_worker.ts";
import type { OpenSourceOptions } from "./mod.ts";
import type { EntryPlace } from "./read_cache.ts";
import { type Batch, emptyReport, type Source } from "./source.ts";

/** Files from this size (on disk, compressed or not) are read on a worker thread. */
export const OFF_THREAD_BYTES = 1 << 20;

/** Batches the thread may have read ahead of the consumer: about 4,000 rows each. */
const WINDOW = 8;

let reading = 0;

/** How many threads are reading now (none once every pass has finished, failed or stopped). */
export function threadsReading(): number {
  return reading;
}

/** The error the reader threw on its thread, as the main thread's reader would have thrown it. */
function rebuilt(failure: ReadFailure): Error {
  return "message" in failure
    ? new Error(failure.message)
    : new BadInputError(failure.file, failure.line, failure.reason, failure.text);
}

/** A worker thread and what it has posted that the pass has not taken yet. */
interface Thread {
  readonly worker: Worker;
  readonly replies: ReadReply[];
  crashed: Error | null;
  wake: (() => void) | null;
}

function startThread(): Thread {
  const worker = new Worker(new URL("./_read_worker.ts", import.meta.url));
  // Idle, it never keeps the process alive; a pass holds it (`ref`) while reading.
  worker.unref();
  const thread: Thread = { worker, replies: [], crashed: null, wake: null };
  worker.on("message", (reply: ReadReply) => {
    thread.replies.push(reply);
    thread.wake?.();
  });
  worker.on("error", (error: Error) => {
    thread.crashed = error;
    thread.wake?.();
  });
  return thread;
}

/**
 * A thread started when a big file is opened, for the next pass to take: its modules load
 * while the caller carries on (a backtest builds its strategy), which would otherwise delay
 * the first batch by the thread's start-up.
 */
let spare: Thread | null = null;

/**
 * `source` (opened here, for its format, sides and resolution) with its batches read on a
 * worker thread by the same reader, opened there with `options`. Its report is brought up
 * to date as each batch is taken, as the main thread's reader keeps it. With `keep`, the
 * thread keeps a pass that reads the whole file in the read cache (`read_cache.ts`),
 * before it says the pass is done: its copying and writing cost this thread nothing.
 */
export function readOffThread(
  source: Source,
  options: OpenSourceOptions,
  keep: EntryPlace | null,
): Source {
  const { path, report } = source;
  spare ??= startThread();
  return {
    ...source,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      const thread = spare ?? startThread();
      spare = null;
      const { worker, replies } = thread;
      worker.ref();
      reading++;
      const credits = new Int32Array(new SharedArrayBuffer(4));
      credits[0] = WINDOW;
      worker.postMessage({ path, options, credits, keep } satisfies ReadRequest);
      try {
        while (true) {
          const reply = replies.shift();
          if (reply === undefined) {
            if (thread.crashed !== null) {
              throw new Error(`the thread reading ${path} failed: ${thread.crashed.message}`);
            }
            await new Promise<void>((resolve) => thread.wake = resolve);
            thread.wake = null;
            continue;
          }
          if (reply.report !== null) Object.assign(report, reply.report);
          if ("batch" in reply) {
            Atomics.add(credits, 0, 1);
            Atomics.notify(credits, 0);
            yield reply.batch;
          } else if ("failure" in reply) {
            throw rebuilt(reply.failure);
          } else {
            if (reply.note !== null) console.error(reply.note);
            return;
          }
        }
      } finally {
        // Done, failed or stopped early: the thread stops reading at once.
        void worker.terminate();
        reading--;
      }
    },
  };
}
