/**
 * Streams a file, plain or gzip (detected by its magic bytes), as blocks of whole lines
 * without ever holding the file: memory stays at a few chunks whatever the file's size. A
 * big gzip read on the main thread is inflated on a worker thread (`_inflate.ts`) while the
 * caller parses; a big file can also be read whole on a thread of its own (`_read_thread.ts`).
 * A truncated or corrupt gzip becomes a `BadInputError`, never a quietly shorter file.
 */

import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { BadInputError } from "../pipeline/errors.ts";
import { onMainThread } from "../pipeline/workers.ts";
import { inflateOffThread, InflateThreadError } from "./_inflate.ts";

/** `buf[start, end)` holds whole lines, each ended by "\n" except perhaps the file's last. */
export interface LineBlock {
  readonly buf: Uint8Array;
  readonly start: number;
  readonly end: number;
}

const NEWLINE = 10;
const CHUNK_BYTES = 1 << 18;

/**
 * A stream that broke after it opened (a cut gzip, a failed read): it knows no line, and a
 * reader names the first line it cost (complete lines + 1).
 */
export class StreamBrokeError extends BadInputError {
  constructor(file: string, reason: string) {
    super(file, null, reason);
  }
}

/** Gzip files from this size (compressed) inflate on the worker thread (`_inflate.ts`). */
const OFF_THREAD_BYTES = 1 << 20;

/**
 * The file's chunks, inflated when it is a gzip; plain `Uint8Array`s, so the parser's loops
 * see one kind. A chunk off the thread is valid until the next is asked for (`_inflate.ts`).
 */
export async function* rawChunks(path: string, offThread: boolean): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : `cannot open: ${(error as Error).message}`;
    throw new BadInputError(path, null, reason);
  }
  const head = new Uint8Array(2);
  const headBytes = await file.read(head);
  if (headBytes === null) {
    file.close();
    throw new BadInputError(path, null, "file is empty");
  }
  const gzip = headBytes === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const size = (await file.stat()).size;
  file.close();
  const broke = (error: unknown) => {
    const message = (error as Error).message;
    return new StreamBrokeError(
      path,
      gzip && !(error instanceof InflateThreadError)
        ? `gzip stream is truncated or corrupt (${message}); no rows after the last complete line were read`
        : `read failed: ${message}`,
    );
  };
  if (gzip && offThread && size >= OFF_THREAD_BYTES) {
    try {
      yield* inflateOffThread(path, CHUNK_BYTES);
    } catch (error) {
      throw error instanceof BadInputError ? error : broke(error);
    }
    return;
  }
  // Small files inflate here: a thread is not worth starting for them. Big chunks mean
  // fewer awaits.
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const stream = gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array;
      yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  } catch (error) {
    throw error instanceof BadInputError ? error : broke(error);
  } finally {
    raw.destroy();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Yields blocks of whole lines in file order. A big gzip read from the main thread inflates
 * on the inflating thread (`_inflate.ts`) while this one parses; a reader already on a
 * thread of its own (`_read_thread.ts`), or in a Deno Worker, inflates where it is.
 * `offThread` false keeps it here anyway (reading only the first lines, to detect the
 * format).
 */
export async function* lineBlocks(
  path: string,
  offThread = onMainThread,
): AsyncGenerator<LineBlock> {
  let carry: Uint8Array | null = null;
  let sawBytes = false;
  for await (const chunk of rawChunks(path, offThread)) {
    if (chunk.length === 0) continue;
    sawBytes = true;
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      carry = carry === null ? chunk.slice() : concat(carry, chunk);
      continue;
    }
    let from = 0;
    if (carry !== null) {
      const first = chunk.indexOf(NEWLINE);
      const joined = concat(carry, chunk.subarray(0, first + 1));
      carry = null;
      yield { buf: joined, start: 0, end: joined.length };
      from = first + 1;
    }
    if (from <= last) yield { buf: chunk, start: from, end: last + 1 };
    if (last + 1 < chunk.length) carry = chunk.slice(last + 1);
  }
  if (!sawBytes) {
    throw new BadInputError(path, null, "file is empty (no bytes after decompression)");
  }
  if (carry !== null) yield { buf: carry, start: 0, end: carry.length };
}
