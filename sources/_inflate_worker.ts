/**
 * The inflating thread of `sources/_inflate.ts`: streams gzip files and posts their inflated
 * chunks (transferred, not copied) to the main thread, each stream at most its window of
 * chunks ahead of what the main thread has taken, in buffers the main thread hands back
 * when done with them. It only inflates: it never parses.
 */

import { createReadStream } from "node:fs";
import { parentPort } from "node:worker_threads";
import { createGunzip } from "node:zlib";

/**
 * From the main thread: open a stream, grant one more chunk (handing back, for reuse, the
 * buffer of a chunk it is done with), or stop one.
 */
export type InflateRequest =
  | {
    readonly id: number;
    readonly path: string;
    readonly window: number;
    readonly chunkBytes: number;
  }
  | { readonly id: number; readonly credit: number; readonly recycle?: ArrayBuffer }
  | { readonly id: number; readonly cancel: true };

/** To the main thread: a chunk, the end, or what broke. */
export type InflateReply =
  | { readonly id: number; readonly chunk: Uint8Array }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly error: string };

interface Stream {
  credits: number;
  cancelled: boolean;
  wake: (() => void) | null;
}

const port = parentPort!;
const streams = new Map<number, Stream>();
/** Buffers the main thread handed back, to fill again: chunks cost no allocation. */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 32;
const post = (reply: InflateReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(reply, transfer);

port.on("message", (request: InflateRequest) => {
  if ("path" in request) return void inflate(request);
  const stream = streams.get(request.id);
  if (stream === undefined) return;
  if ("cancel" in request) stream.cancelled = true;
  else {
    stream.credits += request.credit;
    if (request.recycle !== undefined && spare.length < MAX_SPARE) spare.push(request.recycle);
  }
  stream.wake?.();
});

async function inflate(
  { id, path, window, chunkBytes }: {
    id: number;
    path: string;
    window: number;
    chunkBytes: number;
  },
): Promise<void> {
  const stream: Stream = { credits: window, cancelled: false, wake: null };
  streams.set(id, stream);
  const raw = createReadStream(path, { highWaterMark: chunkBytes });
  try {
    for await (const chunk of raw.pipe(createGunzip({ chunkSize: chunkBytes }))) {
      while (stream.credits <= 0 && !stream.cancelled) {
        await new Promise<void>((resolve) => stream.wake = resolve);
        stream.wake = null;
      }
      if (stream.cancelled) return;
      stream.credits--;
      const bytes = chunk as Uint8Array;
      let buffer = spare.pop();
      if (buffer === undefined || buffer.byteLength < bytes.length) {
        buffer = new ArrayBuffer(Math.max(chunkBytes, bytes.length));
      }
      const copy = new Uint8Array(buffer, 0, bytes.length);
      copy.set(bytes);
      post({ id, chunk: copy }, [buffer]);
    }
    post({ id, done: true });
  } catch (error) {
    post({ id, error: (error as Error).message });
  } finally {
    raw.destroy();
    streams.delete(id);
  }
}
