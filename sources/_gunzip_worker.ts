/**
 * Decompresses a gzip file on a second thread so parsing on the main thread overlaps
 * with it. Sends chunks (transferred, not copied) only while it holds credit from the
 * reader, so a slow reader bounds its memory: it must never run ahead unboundedly.
 */

/// <reference lib="deno.worker" />

let credit = 0;
let wake: (() => void) | null = null;

self.onmessage = async (message: MessageEvent<{ path?: string; credit: number }>) => {
  credit += message.data.credit;
  wake?.();
  const path = message.data.path;
  if (path === undefined) return;
  try {
    const file = await Deno.open(path, { read: true });
    for await (const chunk of file.readable.pipeThrough(new DecompressionStream("gzip"))) {
      while (credit <= 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credit--;
      self.postMessage({ chunk }, [chunk.buffer]);
    }
    self.postMessage({ done: true });
  } catch (error) {
    self.postMessage({ error: (error as Error).message ?? String(error) });
  }
};
