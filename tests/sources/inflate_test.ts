/**
 * Big gzip files inflate on the shared worker thread (`sources/_inflate.ts`): the bytes
 * are exactly those inflated on the main thread, and a reader that stops early leaves
 * nothing running (a cut stream: read_thread_test.ts, on both threads).
 */

import assert from "node:assert/strict";
import { streamsInFlight } from "@/sources/_inflate.ts";
import { lineBlocks } from "@/sources/_lines.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import { drain } from "./_util.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** SHA-256 of the lines `lineBlocks` yields, and how many bytes they hold. */
async function digest(path: string, offThread: boolean): Promise<[string, number]> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const { buf, start, end } of lineBlocks(path, offThread)) {
    parts.push(buf.slice(start, end));
    bytes += end - start;
  }
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join(""), bytes];
}

dataTest(
  "lineBlocks() inflates a big gzip on the worker thread into exactly the main thread's bytes",
  HISTDATA_2017,
  async () => {
    const [offThread, bytes] = await digest(dataPath(HISTDATA_2017), true);
    const [inline] = await digest(dataPath(HISTDATA_2017), false);
    assert.equal(offThread, inline);
    // 352,360 lines of 66 bytes ("20170102 180100;1150.670000;...;0\n").
    assert.equal(bytes, 352_360 * 66);
  },
);

dataTest(
  "a reader that stops early at --to cancels its stream on the worker thread",
  HISTDATA_2017,
  async () => {
    for (let i = 0; i < 3; i++) {
      const source = await openSource(dataPath(HISTDATA_2017), {
        toUs: Date.UTC(2017, 0, 3) * 1000,
      });
      await drain(source);
      assert.ok(source.report.rowsEmitted > 0 && source.report.rowsEmitted < 2_000);
      assert.equal(streamsInFlight(), 0, "the stream is closed, and the thread left idle");
    }
  },
);
