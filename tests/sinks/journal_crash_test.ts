import assert from "node:assert/strict";
import { US_PER_MINUTE } from "@/pipeline/events.ts";
import { openJournal } from "@/sinks/journal.ts";
import {
  crashBatch,
  EMPTY_STATS,
  ROUNDS_PER_CRASH_BATCH,
  T0,
  tempJournalPath,
  tradingRound,
} from "./_journal_fixtures.ts";

const CHILD = new URL("./_journal_crash_child.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/**
 * Runs the child from batch `first`, SIGKILLs it as soon as it has acknowledged `acks`
 * batches, and returns every batch number it acknowledged (the pipe keeps what was
 * written before the kill).
 */
async function appendUntilKilled(path: string, first: number, acks: number): Promise<number[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--config",
      CONFIG,
      CHILD,
      path,
      String(first),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const acknowledged: number[] = [];
  let pending = "";
  let killed = false;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    acknowledged.push(...lines.map(Number));
    if (!killed && acknowledged.length >= acks) {
      // Each batch takes tens of ms to write, so the kill lands inside the next one.
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `the child ended with code ${status.code}, not killed`);
  return acknowledged;
}

/** The batch numbers whose bars the journal holds, each checked to be whole. */
function wholeBatchesStored(path: string): number[] {
  const journal = openJournal(path);
  const perRound = tradingRound(0);
  const bars = journal.bars("XAUUSD", "M1");
  const stats = journal.stats();
  journal.close();
  const batches = [
    ...new Set(
      bars.map((b) => Math.floor((b.openUs - T0) / US_PER_MINUTE / ROUNDS_PER_CRASH_BATCH)),
    ),
  ];
  const n = batches.length;
  const rows = (kind: string) =>
    n * ROUNDS_PER_CRASH_BATCH * perRound.filter((e) => e.kind === kind).length;
  assert.deepEqual(stats, {
    ...EMPTY_STATS,
    bars: rows("bar"),
    predictions: rows("prediction"),
    regimes: rows("regime"),
    signals: rows("signal"),
    riskDecisions: rows("risk"),
    orders: rows("order"),
    fills: rows("fill"),
    trades: rows("trade"),
    accountStates: rows("account"),
  }, "every table holds whole batches only");
  return batches;
}

Deno.test("Journal.appendBatch() keeps exactly the acknowledged batches of a process killed mid-way", async () => {
  await using tmp = await tempJournalPath();
  const firstRun = await appendUntilKilled(tmp.path, 0, 4);
  const afterFirst = wholeBatchesStored(tmp.path);
  // Batch k + 1 may be committed with its acknowledgement lost in the kill, never more.
  const acked = firstRun.length;
  assert.deepEqual(firstRun, [...Array(acked).keys()]);
  assert.ok(
    afterFirst.length === acked || afterFirst.length === acked + 1,
    `${afterFirst.length} batches stored, ${acked} acknowledged`,
  );
  assert.deepEqual(afterFirst, [...Array(afterFirst.length).keys()]);

  // The sender resends from the first unacknowledged batch, which may already be stored.
  const secondRun = await appendUntilKilled(tmp.path, acked, 4);
  assert.equal(secondRun[0], acked);
  const afterSecond = wholeBatchesStored(tmp.path);
  const lastAcked = secondRun[secondRun.length - 1];
  assert.ok(
    afterSecond.length === lastAcked + 1 || afterSecond.length === lastAcked + 2,
    `${afterSecond.length} batches stored, up to ${lastAcked} acknowledged`,
  );
  assert.deepEqual(afterSecond, [...Array(afterSecond.length).keys()]);

  const journal = openJournal(tmp.path);
  const resent = journal.appendBatch(crashBatch(lastAcked));
  assert.equal(
    resent.duplicates,
    crashBatch(0).length,
    "an acknowledged batch resent is all duplicates",
  );
  journal.close();
});
