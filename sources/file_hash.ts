/** SHA-256 of a file's bytes, streamed: how cards and reports name the exact data they used. */

import { createHash } from "node:crypto";

/**
 * Bytes read and hashed at a time. A year of HistData (3.4 MB) is then one read, hashed in
 * about 6 ms, where the stream's 64 KiB chunks took 11-16 ms, mostly in awaits on this
 * thread.
 */
const HASH_CHUNK_BYTES = 8 << 20;

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const { size } = await file.stat();
  const buffer = new Uint8Array(Math.max(1, Math.min(size, HASH_CHUNK_BYTES)));
  for (let read = await file.read(buffer); read !== null; read = await file.read(buffer)) {
    hash.update(buffer.subarray(0, read));
  }
  return hash.digest("hex");
}

/** The SHA-256 of each file hashed by `sharedSha256OfFile`, with the stamp it had then. */
const hashed = new Map<string, { readonly stamp: string; readonly sha256: Promise<string> }>();

/**
 * `sha256OfFile`, hashed once in a process while the file's size, modification and change
 * times (to the millisecond) and inode stay as they were: a backtest hashes its data files
 * for the read cache's key and again for its document.
 */
export async function sharedSha256OfFile(path: string): Promise<string> {
  const info = await Deno.stat(path);
  const stamp = `${info.size} ${info.mtime?.getTime()} ${info.ctime?.getTime()} ${info.ino}`;
  let known = hashed.get(path);
  if (known?.stamp !== stamp) {
    known = { stamp, sha256: sha256OfFile(path) };
    hashed.set(path, known);
  }
  return await known.sha256;
}
