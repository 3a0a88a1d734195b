/**
 * Reads a big file on a worker thread of its own (`sources/_read_worker.ts`), so the main
 * thread, which runs the pipeline, only receives batches: inflating and parsing a year of
 * HistData costs it nothing but the hand-over. Each pass starts its own Worker, at most
 * `WINDOW` batches ahead of the consumer (memory stays bounded whatever the file's size),
 * and ends it when the pass ends, fails or is stopped early. It must never reorder, drop
 * or change a batch, nor let an error read differently than on the main thread.
 */

import { BadInputError } from "../pipeline/errors.ts";
import { moduleWorker } from "../pipeline/workers.ts";
import type { ReadFailure, ReadReply, ReadRequest } from "./_read_worker.ts";
import type { OpenSourceOptions } from "./mod.ts";
import { type Batch, emptyReport, type Source } from "./source.ts";

/** Files from this size (on disk, compressed or not) are read on a worker thread. */
export const OFF_THREAD_BYTES = 1 << 20;

/** Batches the thread may have read ahead of the consumer: about 4,000 rows each. */
const WINDOW = 8;

const CREDIT: ReadRequest = { credit: 1 };

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

/**
 * `source` (opened here, for its format, sides and resolution) with its batches read on a
 * worker thread by the same reader, opened there with `options`. Its report is brought up
 * to date as each batch is taken, as the main thread's reader keeps it.
 */
export function readOffThread(source: Source, options: OpenSourceOptions): Source {
  const { path, report } = source;
  return {
    ...source,
    async *batches(): AsyncGenerator<Batch> {
      Object.assign(report, emptyReport());
      const replies: ReadReply[] = [];
      let crashed: Error | null = null;
      let wake: (() => void) | null = null;
      const worker = moduleWorker(new URL("./_read_worker.ts", import.meta.url), `read ${path}`);
      worker.onmessage = ({ data }: MessageEvent<ReadReply>) => {
        replies.push(data);
        wake?.();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        crashed = new Error(`the thread reading ${path} failed: ${event.message}`);
        wake?.();
      };
      reading++;
      worker.postMessage({ path, options, window: WINDOW } satisfies ReadRequest);
      try {
        while (true) {
          const reply = replies.shift();
          if (reply === undefined) {
            if (crashed !== null) throw crashed;
            await new Promise<void>((resolve) => wake = resolve);
            wake = null;
            continue;
          }
          if (reply.report !== null) Object.assign(report, reply.report);
          if ("batch" in reply) {
            worker.postMessage(CREDIT);
            yield reply.batch;
          } else if ("failure" in reply) {
            throw rebuilt(reply.failure);
          } else {
            return;
          }
        }
      } finally {
        // Done, failed or stopped early: the thread stops reading at once.
        worker.terminate();
        reading--;
      }
    },
  };
}
