/**
 * Big files are read on a worker thread (`sources/_read_thread.ts`): the batches and the
 * report are the main thread's reader's, an error names the same file, line, reason and
 * text, a reader that stops early stops the thread, and one asked from a Deno Worker
 * reads on the Worker's own thread.
 */

import assert from "node:assert/strict";
import { BadInputError } from "@/pipeline/errors.ts";
import { callWorker, onMainThread } from "@/pipeline/workers.ts";
import { threadsReading } from "@/sources/_read_thread.ts";
import { openSource, openSourceHere } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import { assertBadInput, drain, fileHead, readColumns, tempDir } from "./_util.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const TICKS_GZ = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";

/** The first `count` lines of a gzip file, inflated, each ended by "\n". */
async function firstLines(path: string, count: number): Promise<string[]> {
  const file = await Deno.open(path);
  const text = file.readable.pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream());
  let lines: string[] = [];
  let carry = "";
  for await (const part of text) {
    const split = (carry + part).split("\n");
    carry = split.pop()!;
    lines = lines.concat(split);
    if (lines.length >= count) break;
  }
  return lines.slice(0, count).map((line) => `${line}\n`);
}

dataTest(
  "openSource({ thread: true }) reads a big file on a worker thread into the main thread's batches and report",
  HISTDATA_2017,
  async () => {
    const offThread = await openSource(dataPath(HISTDATA_2017), { thread: true });
    const here = await openSourceHere(dataPath(HISTDATA_2017));
    // Progress reads the report while the batches come: it moves with them.
    const seen: number[] = [];
    for await (const _ of offThread.batches()) seen.push(offThread.report.linesRead);
    assert.ok(seen[0] > 0 && seen[0] < seen[seen.length - 1], `lines seen: ${seen[0]}, ...`);
    assert.deepEqual(await readColumns(offThread), await readColumns(here));
    assert.deepEqual(offThread.report, here.report);
    assert.equal(offThread.fileReports[0], offThread.report);
    // 352,360 lines, one M1 bar each, none bad (the file's own tally).
    assert.equal(offThread.report.linesRead, 352_360);
    assert.equal(offThread.report.rowsEmitted, 352_360);
  },
);

dataTest(
  "openSource({ thread: true }) names a bad line read on the worker thread by file, line, reason and text",
  HISTDATA_2017,
  async () => {
    await using dir = await tempDir();
    // 20,000 real lines of 66 bytes (1.3 MB, over the 1 MiB threshold), line 15,000's high
    // spoilt: refused under "fail", counted under "skip".
    const lines = await firstLines(dataPath(HISTDATA_2017), 20_000);
    const fields = lines[14_999].split(";");
    fields[2] = "12x4.5";
    lines[14_999] = fields.join(";");
    const path = await dir.write("DAT_ASCII_XAUUSD_M1_spoilt.csv", lines.join(""));
    const text = lines[14_999].trimEnd();
    const error = await assertBadInput(() => openSource(path, { thread: true }).then(drain), {
      file: path,
      line: 15_000,
      reason: /^non-numeric price; pass --on-bad-line=skip/,
    });
    assert.equal(error.text, text);
    assert.equal(error.message, new BadInputError(path, 15_000, error.reason, text).message);

    const skipping = await openSource(path, { onBadLine: "skip", thread: true });
    await drain(skipping);
    assert.equal(skipping.report.linesRead, 20_000);
    assert.equal(skipping.report.rowsEmitted, 19_999);
    assert.deepEqual(skipping.report.badLines, { "non-numeric price": 1 });
    assert.deepEqual(skipping.report.badLineExamples, {
      "non-numeric price": `line 15000: ${text}`,
    });
  },
);

dataTest(
  "openSource() refuses a big gzip cut short, naming the first line lost, with or without the reading thread",
  TICKS_GZ,
  async () => {
    await using dir = await tempDir();
    // 2 MB of the 19 MB file: big enough for a worker thread (the inflating one without
    // `thread`, the reading one with it), cut mid-stream.
    const head = await fileHead(dataPath(TICKS_GZ), 2_000_000);
    const path = await dir.write("XAUUSD_OANDA_ticks_cut.csv.gz", head);
    for (const thread of [false, true]) {
      const source = await openSource(path, { thread });
      await assertBadInput(() => drain(source), () => ({
        file: path,
        line: source.report.linesRead + 1,
        reason:
          /^gzip stream is truncated or corrupt \(.+\); no rows after the last complete line were read$/,
      }));
      // Every complete line before the cut was read and kept (the header is line 1).
      assert.ok(
        source.report.rowsEmitted > 100_000,
        `thread ${thread}: ${source.report.rowsEmitted}`,
      );
      assert.equal(source.report.rowsEmitted, source.report.linesRead - 1, `thread ${thread}`);
    }
  },
);

dataTest(
  "a reader that stops after its first batch stops the worker thread",
  HISTDATA_2017,
  async () => {
    const source = await openSource(dataPath(HISTDATA_2017), { thread: true });
    for await (const batch of source.batches()) {
      assert.ok(batch.length > 0);
      assert.equal(threadsReading(), 1);
      break;
    }
    assert.equal(threadsReading(), 0);
    assert.ok(source.report.linesRead < 352_360, `${source.report.linesRead} lines`);
  },
);

dataTest(
  "openSource() without thread reads a big file on the calling thread",
  HISTDATA_2017,
  async () => {
    const source = await openSource(dataPath(HISTDATA_2017));
    for await (const batch of source.batches()) {
      assert.ok(batch.length > 0);
      assert.equal(threadsReading(), 0);
      break;
    }
  },
);

dataTest(
  "openSource() with thread, asked from a Deno Worker, reads on the Worker's own thread",
  HISTDATA_2017,
  async () => {
    // A reading thread started from a Deno Worker would hand its first batch over about a
    // second late (pipeline/workers.ts, `onMainThread`).
    const path = dataPath(HISTDATA_2017);
    const there = await callWorker(new URL("./_worker_reader.ts", import.meta.url), path, {
      read: (answer: { onMainThread: boolean; threads: number; rows: number; closes: number }) =>
        answer,
      crashed: "the reading Worker crashed",
    });
    let closes = 0;
    const here = await openSource(path);
    for await (const batch of here.batches()) {
      if (batch.kind !== "bars") continue;
      for (let i = 0; i < batch.length; i++) closes += batch.bidClose[i];
    }
    assert.equal(onMainThread, true);
    assert.deepEqual(there, {
      onMainThread: false,
      threads: 0,
      rows: here.report.rowsEmitted,
      closes,
    });
  },
);
