/**
 * Inflates big gzip files on a worker thread shared by the process
 * (`sources/_inflate_worker.ts`), so the main thread parses one chunk while the next is
 * inflated: on two cores a year of HistData is parsed in the time parsing alone takes.
 * The worker starts on first use (once per process) and never keeps the process alive
 * while no file is being read. Each stream has at most `WINDOW` chunks in flight, so
 * memory stays bounded whatever the file's size. It must never reorder or drop a chunk.
 */

import { Worker } from "node:worker_threads";
import type { InflateReply, InflateRequest } from "./_inflate_worker.ts";

/** Chunks a stream may have inflated ahead of the parser: 16 x 256 KiB. */
const WINDOW = 16;

interface Stream {
  readonly chunks: Uint8Array[];
  done: boolean;
  error: Error | null;
  wake: (() => void) | null;
}

/** The thread itself failed, not the file: every stream it was inflating fails with it. */
export class InflateThreadError extends Error {
  constructor(cause: Error) {
    super(`the inflating thread failed: ${cause.message}`);
  }
}

let worker: Worker | null = null;
const streams = new Map<number, Stream>();
let nextId = 1;

function inflater(): Worker {
  if (worker !== null) return worker;
  const started = new Worker(new URL("./_inflate_worker.ts", import.meta.url));
  started.on("message", (reply: InflateReply) => {
    const stream = streams.get(reply.id);
    if (stream === undefined) return;
    if ("chunk" in reply) stream.chunks.push(reply.chunk);
    else if ("error" in reply) stream.error = new Error(reply.error);
    else stream.done = true;
    stream.wake?.();
  });
  started.on("error", (error: Error) => {
    // The thread is gone: every stream fails, and the next read starts a new one.
    worker = null;
    for (const stream of streams.values()) {
      stream.error = new InflateThreadError(error);
      stream.wake?.();
    }
  });
  started.unref();
  worker = started;
  return started;
}

/** How many streams are being read now (none once every reader has finished or stopped). */
export function streamsInFlight(): number {
  return streams.size;
}

/**
 * The inflated chunks of the gzip file `path`, in order, each a plain `Uint8Array` of at
 * most `chunkBytes`. A chunk is valid until the next is asked for: its buffer is then handed
 * back to the thread and refilled, so the caller must copy what it keeps (`lineBlocks`
 * copies a partial last line). A corrupt or cut stream throws a plain `Error` with zlib's
 * reason after the last good chunk, a failed thread an `InflateThreadError`; the caller
 * names the file.
 */
export async function* inflateOffThread(
  path: string,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  const thread = inflater();
  const id = nextId++;
  const stream: Stream = { chunks: [], done: false, error: null, wake: null };
  const send = (request: InflateRequest) => thread.postMessage(request);
  streams.set(id, stream);
  // Held open while a stream is read, so the process waits for it.
  if (streams.size === 1) thread.ref();
  send({ id, path, window: WINDOW, chunkBytes });
  // The chunk yielded last: when the caller asks for the next one it is done with it, and
  // its buffer goes back to the thread to be filled again.
  let previous: Uint8Array | null = null;
  try {
    while (true) {
      const chunk = stream.chunks.shift();
      if (chunk !== undefined) {
        if (previous === null) send({ id, credit: 1 });
        else {
          const recycle = previous.buffer as ArrayBuffer;
          thread.postMessage({ id, credit: 1, recycle } satisfies InflateRequest, [recycle]);
        }
        previous = chunk;
        yield chunk;
      } else if (stream.error !== null) {
        throw stream.error;
      } else if (stream.done) {
        return;
      } else {
        await new Promise<void>((resolve) => stream.wake = resolve);
        stream.wake = null;
      }
    }
  } finally {
    streams.delete(id);
    if (!stream.done && stream.error === null) send({ id, cancel: true });
    if (streams.size === 0) thread.unref();
  }
}
