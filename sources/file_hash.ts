/** SHA-256 of a file's bytes, streamed: how cards and reports name the exact data they used. */

import { createHash } from "node:crypto";

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
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
