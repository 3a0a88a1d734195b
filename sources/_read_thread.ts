/**
 * Reads a big file on a worker thread of its own (`sources/_read_worker.ts`), so the main
 * thread, which runs the pipeline, only receives batches: inflating and parsing a year of
 * HistData costs it nothing but the hand-over. Each pass starts its own Worker, at most
 * `WINDOW` batches ahead of the consumer (memory stays bounded whatever the file's size),
 * and ends it when the pass ends, fails or is stopped early (or, when the pass is kept in
 * the read cache, once the thread has written its entry, beside what the caller does next).
 * It must never reorder, drop or change a batch, nor let an error read differently than on
 * the main thread.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { Worker } from "node:worker_threads";
import type { KeptReply, PassReply, ReadFailure, ReadReply, ReadRequest } from "./_read_worker.ts";
import type { OpenSourceOptions } from "./mod.ts";
import { type EntryPlace, keptMeanwhile, notKeptNote } from "./read_cache.ts";
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

/** The thread's next reply, once it has posted one; throws if the thread crashed. */
async function nextReply(thread: Thread, path: string): Promise<ReadReply> {
  while (true) {
    const reply = thread.replies.shift();
    if (reply !== undefined) return reply;
    if (thread.crashed !== null) {
      throw new Error(`the thread reading ${path} failed: ${thread.crashed.message}`);
    }
    await new Promise<void>((resolve) => thread.wake = resolve);
    thread.wake = null;
  }
}

/** Whether the thread kept the pass it has just ended: `keepPass`'s note, or why not. */
async function keptNote(thread: Thread, path: string, place: EntryPlace): Promise<string | null> {
  try {
    // After the end of a pass it keeps, the thread posts only this.
    return (await nextReply(thread, path) as KeptReply).keptNote;
  } catch (error) {
    return notKeptNote(place, path, error as Error);
  }
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
 * thread keeps a pass that reads the whole file in the read cache (`read_cache.ts`) after
 * it has said the pass is done (`keptMeanwhile`): its copying and writing cost this thread
 * nothing, and the pass does not wait for them.
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
      const { worker } = thread;
      worker.ref();
      reading++;
      const credits = new Int32Array(new SharedArrayBuffer(4));
      credits[0] = WINDOW;
      worker.postMessage({ path, options, credits, keep } satisfies ReadRequest);
      let keeping = false;
      try {
        while (true) {
          // A `KeptReply` comes only after the end of the pass.
          const reply = await nextReply(thread, path) as PassReply;
          if (reply.report !== null) Object.assign(report, reply.report);
          if ("batch" in reply) {
            Atomics.add(credits, 0, 1);
            Atomics.notify(credits, 0);
            yield reply.batch;
          } else if ("failure" in reply) {
            throw rebuilt(reply.failure);
          } else {
            if (keep !== null) {
              keeping = true;
              keptMeanwhile(
                keep,
                keptNote(thread, path, keep).finally(() => void worker.terminate()),
              );
            }
            return;
          }
        }
      } finally {
        // Failed or stopped early, or done with nothing to keep: the thread stops at once.
        if (!keeping) void worker.terminate();
        reading--;
      }
    },
  };
}
