import assert from "node:assert/strict";
import {
  formatCount,
  formatDuration,
  progressText,
  replayProgress,
  startProgress,
} from "@/pipeline/progress.ts";
import { EVENT_VERSION, usFromIso } from "@/pipeline/events.ts";

Deno.test("progressText() shows share, counts, rate and time left", () => {
  // 100k of 400k lines in 2 s: 50k lines/s, so the other 300k take 6 s.
  assert.equal(
    progressText({ label: "backtest", total: 400_000, unit: "lines" }, 100_000, 2, "2017-03-01"),
    "backtest  25%  100k/400k lines  50.0k lines/s  ETA 0:06  elapsed 0:02  2017-03-01",
  );
  assert.equal(
    progressText({ label: "sweep", total: null, unit: "jobs" }, 3, 0),
    "sweep  3 jobs  elapsed 0:00",
    "no total: neither share nor ETA; no time yet: no rate",
  );
});

Deno.test("formatCount() keeps two significant digits below 1, so a slow rate is not 0.0", () => {
  // A replay at 3600x: an hour of data a second, 1 / 24 = 0.04166... days/s.
  assert.equal(formatCount(1 / 24), "0.042");
  assert.equal(formatCount(2.5), "2.5");
  assert.equal(formatCount(12_345), "12.3k");
});

Deno.test("formatDuration() writes m:ss under an hour and h:mm:ss beyond", () => {
  assert.equal(formatDuration(42), "0:42");
  assert.equal(formatDuration(725), "12:05");
  assert.equal(formatDuration(3 * 3600 + 2 * 60 + 11), "3:02:11");
});

function recorder(live: boolean, quiet = false) {
  let text = "";
  let clock = 0;
  const progress = startProgress({
    label: "job",
    total: 10,
    unit: "runs",
    live,
    quiet,
    write: (t) => text += t,
    now: () => clock,
    everyMs: 200,
  });
  return { progress, text: () => text, tick: (ms: number) => clock += ms };
}

Deno.test("startProgress() redraws one line at most every 200 ms and clears it at the end", () => {
  const r = recorder(true);
  r.tick(1000);
  r.progress.update(2);
  r.tick(50);
  r.progress.update(3); // 50 ms later: not drawn
  r.tick(200);
  r.progress.update(4);
  r.progress.end();
  const draws = r.text().split("\r\x1b[2K").filter((s) => s !== "");
  assert.deepEqual(draws.map((d) => /^job\s+(\d+)%/.exec(d)?.[1]), ["20", "40"]);
  assert.ok(r.text().endsWith("\r\x1b[2K"), "the line is cleared");
});

Deno.test("Progress.restart() counts another unit of work on the same line, its rate anew", () => {
  const r = recorder(true);
  r.tick(1000);
  r.progress.update(10); // the replay: 10 of 10 runs in 1 s
  r.progress.restart("seeds", 4);
  r.tick(2000);
  r.progress.update(1, "baseline"); // 1 of 4 in the 2 s since the restart: 0.5 a second
  const draws = r.text().split("\r\x1b[2K").filter((s) => s !== "");
  // 3 seeds left at 0.5 a second: 6 s left.
  assert.equal(draws.at(-1), "job  25%  1/4 seeds  0.50 seeds/s  ETA 0:06  elapsed 0:02  baseline");
});

Deno.test("startProgress() draws nothing off a terminal or with --quiet; milestones only without --quiet", () => {
  const off = recorder(false);
  off.tick(1000);
  off.progress.update(5);
  off.progress.log("fold 1/2 done");
  assert.equal(off.text(), "fold 1/2 done\n");
  const quiet = recorder(true, true);
  quiet.tick(1000);
  quiet.progress.update(5);
  quiet.progress.log("fold 1/2 done");
  assert.equal(quiet.text(), "");
});

Deno.test("replayProgress() with an end time counts days of data from the first event", async () => {
  let text = "";
  let clock = 0;
  const progress = await replayProgress("replay", [], usFromIso("2017-01-11"), false, {
    live: true,
    write: (t) => text += t,
    now: () => clock,
  });
  const bar = (iso: string) => ({
    v: EVENT_VERSION,
    kind: "account" as const,
    symbol: "XAUUSD",
    timeUs: usFromIso(iso),
    balance: 1,
    equity: 1,
    margin: 0,
    openPositions: 0,
  });
  clock = 1000;
  progress.track([bar("2017-01-01"), bar("2017-01-02")], 0); // 1 of the 10 days to --to
  clock = 2000;
  progress.track([bar("2017-01-06")], 0); // 5 of 10 days in 2 s: 2.5 days/s, 2 s to go
  progress.end();
  const draws = text.split("\r\x1b[2K").filter((s) => s !== "");
  assert.equal(draws[0], "replay  10%  1/10 days  1 days/s  ETA 0:09  elapsed 0:01  2017-01-02");
  assert.equal(draws[1], "replay  50%  5/10 days  2.5 days/s  ETA 0:02  elapsed 0:02  2017-01-06");
});
