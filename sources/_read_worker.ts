/**
 * The reading thread of `sources/_read_thread.ts`: opens a file with the very reader the
 * main thread would use (`openSourceHere`, gzip inflated here too) and posts each batch
 * with its typed arrays transferred, not copied, at most its window of batches ahead of
 * what the main thread has taken, each with the report as it stood when the batch was
 * made. An error is posted as plain data for the main thread to rebuild. Asked to keep
 * the pass, it copies each batch before handing it over and, once the file is read whole,
 * posts the end and then writes the read cache's entry (`keepPass`): the main thread's pass
 * does not wait for the disk. It never changes a row or a count: it only moves the reader
 * to another thread.
 */

import { parentPort } from "node:worker_threads";
import { BadInputError } from "../pipeline/errors.ts";
import { openSourceHere, type OpenSourceOptions } from "./mod.ts";
import { type EntryPlace, keepPass } from "./read_cache.ts";
import type { Batch, ReadReport } from "./source.ts";

/**
 * From the main thread: read a file. `credits[0]` is how many more batches the thread may
 * post: the main thread adds one (and notifies) for each batch it takes, in shared memory
 * rather than a message each (a message cost the busy main thread up to a millisecond).
 */
export interface ReadRequest {
  readonly path: string;
  readonly options: OpenSourceOptions;
  readonly credits: Int32Array;
  /** Where to keep a pass that reads the whole file; null: keep nothing. */
  readonly keep: EntryPlace | null;
}

/** A `BadInputError`'s fields, or another error's message. */
export type ReadFailure =
  | {
    readonly file: string;
    readonly line: number | null;
    readonly reason: string;
    readonly text?: string;
  }
  | { readonly message: string };

/**
 * To the main thread during a pass: a batch, the end, or what went wrong, each with the
 * report then.
 */
export type PassReply =
  | { readonly batch: Batch; readonly report: ReadReport }
  | { readonly done: true; readonly report: ReadReport }
  | { readonly failure: ReadFailure; readonly report: ReadReport | null };

/** To the main thread after the end of a pass it was asked to keep: whether it was kept. */
export interface KeptReply {
  /** Why the pass could not be kept, for the user; null when it was. */
  readonly keptNote: string | null;
}

export type ReadReply = PassReply | KeptReply;

const port = parentPort!;

/** The buffers of a batch's columns, handed over with it. */
function buffersOf(batch: Batch): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const value of Object.values(batch)) {
    if (value instanceof Float64Array) buffers.push(value.buffer as ArrayBuffer);
  }
  return buffers;
}

async function read({ path, options, credits, keep }: ReadRequest): Promise<void> {
  let report: ReadReport | null = null;
  try {
    const source = await openSourceHere(path, options);
    report = source.report;
    const kept: Batch[] = [];
    const reports: ReadReport[] = [];
    for await (const batch of source.batches()) {
      if (keep !== null) {
        // Copies: the batch's own buffers are handed over below.
        kept.push(structuredClone(batch));
        reports.push(structuredClone(report));
      }
      for (let left = Atomics.load(credits, 0); left <= 0; left = Atomics.load(credits, 0)) {
        await Atomics.waitAsync(credits, 0, left).value;
      }
      Atomics.sub(credits, 0, 1);
      port.postMessage({ batch, report } satisfies PassReply, buffersOf(batch));
    }
    port.postMessage({ done: true, report } satisfies PassReply);
    if (keep !== null) {
      port.postMessage(
        { keptNote: await keepPass(keep, source, kept, reports) } satisfies KeptReply,
      );
    }
  } catch (error) {
    const failure: ReadFailure = error instanceof BadInputError
      ? { file: error.file, line: error.line, reason: error.reason, text: error.text }
      : { message: (error as Error).message };
    port.postMessage({ failure, report } satisfies PassReply);
  }
}

port.on("message", (request: ReadRequest) => void read(request));
