/**
 * The crash test's child process: appends crash batches from number `Deno.args[1]` on to
 * the journal at `Deno.args[0]` until it is killed, writing each batch's number to stdout
 * once `appendBatch` has returned, the acknowledgement the live server relies on.
 */

import { openJournal } from "@/sinks/journal.ts";
import { crashBatch } from "./_journal_fixtures.ts";

const [path, first] = Deno.args;
const journal = openJournal(path);
const encoder = new TextEncoder();
for (let n = Number(first);; n++) {
  journal.appendBatch(crashBatch(n));
  Deno.stdout.writeSync(encoder.encode(`${n}\n`));
}
