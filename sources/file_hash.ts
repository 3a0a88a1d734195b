/** SHA-256 of a file's bytes, streamed: how cards and reports name the exact data they used. */

import { createHash } from "node:crypto";

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
