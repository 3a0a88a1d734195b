/**
 * A Deno Worker for tests/sources/read_thread_test.ts: reads the file it is sent with
 * `thread: true`, as a sweep's job would, and answers whether it saw itself on the main
 * thread, the most reading threads running during the pass, and the rows with their sum
 * of closes (so the batches can be checked against the main thread's).
 */

/// <reference lib="deno.worker" />

import { onMainThread } from "@/pipeline/workers.ts";
import { threadsReading } from "@/sources/_read_thread.ts";
import { openSource } from "@/sources/mod.ts";

self.onmessage = async (event: MessageEvent<string>) => {
  const source = await openSource(event.data, { thread: true });
  let threads = 0;
  let rows = 0;
  let closes = 0;
  for await (const batch of source.batches()) {
    threads = Math.max(threads, threadsReading());
    if (batch.kind !== "bars") continue;
    rows += batch.length;
    for (let i = 0; i < batch.length; i++) closes += batch.bidClose[i];
  }
  self.postMessage({ onMainThread, threads, rows, closes });
};
