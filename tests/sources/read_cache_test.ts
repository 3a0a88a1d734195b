/**
 * The read cache (`sources/read_cache.ts`): a pass from an entry yields what a pass from
 * the file yields, batch by batch, report included; only whole passes are kept; other
 * bytes, other options, a damaged entry or another version are misses; the folder keeps
 * at most `READ_CACHE_ENTRIES`; and a change to the readers' code cannot slip past the
 * version. The file is written by the test (a made-up random walk in HistData's format,
 * 1.4 MB: over the 1 MiB from which files are cached), so no data folder is needed.
 */

import assert from "node:assert/strict";
import { openSource, type OpenSourceOptions } from "@/sources/mod.ts";
import {
  READ_CACHE_ENTRIES,
  READ_CACHE_VERSION,
  readCacheKey,
  readCacheWritten,
} from "@/sources/read_cache.ts";
import type { Batch, ReadReport, Source } from "@/sources/source.ts";
import { drain, readCacheEntries, tempDir } from "./_util.ts";
import { runCli } from "../pipeline/commands/_run.ts";

const ROWS = 32_000;

/**
 * HistData M1 lines ("20180102 180000;1302.50;...") for `ROWS` minutes from 2018-01-02
 * 18:00, a seeded random walk of whole cents; `spoil` changes one price, not the size.
 */
function histDataText(spoil = false, rows = ROWS): string {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  let cents = 130_250;
  const lines: string[] = [];
  const start = Date.UTC(2018, 0, 2, 18);
  for (let i = 0; i < rows; i++) {
    const t = new Date(start + i * 60_000).toISOString();
    const stamp = `${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)} ${t.slice(11, 13)}${
      t.slice(14, 16)
    }00`;
    const open = cents;
    cents += Math.round((next() - 0.5) * 60);
    const high = Math.max(open, cents) + Math.round(next() * 20);
    const low = Math.min(open, cents) - Math.round(next() * 20);
    const price = (c: number) => (c / 100).toFixed(2);
    const close = spoil && i === Math.floor(rows / 2) ? cents + 1 : cents;
    lines.push(`${stamp};${price(open)};${price(high)};${price(low)};${price(close)};0\n`);
  }
  return lines.join("");
}

/** Each batch's columns (copied) and the report right after it, then the final report. */
async function pass(source: Source): Promise<{ batches: unknown[]; report: ReadReport }> {
  const batches: unknown[] = [];
  for await (const batch of source.batches()) {
    const columns: Record<string, number[] | null> = {};
    for (const [name, value] of Object.entries(batch)) {
      if (value === null || value instanceof Float64Array) {
        columns[name] = value === null ? null : Array.from(value.subarray(0, batch.length));
      }
    }
    batches.push({ kind: batch.kind, length: batch.length, columns, report: { ...source.report } });
  }
  await readCacheWritten();
  return { batches, report: structuredClone(source.report) };
}

/** Reads `source` whole, and waits for its entry, if any, to be written. */
async function drained(source: Source): Promise<void> {
  await drain(source);
  await readCacheWritten();
}

/** Are all `batches`' columns views of one buffer (as only a pass from an entry gives)? */
function fromOneBuffer(batches: readonly Batch[]): boolean {
  const buffers = new Set(batches.map((b) => (b.kind === "bars" ? b.openUs : b.timeUs).buffer));
  return buffers.size === 1 && batches.length > 1;
}

async function batchesOf(source: Source): Promise<Batch[]> {
  const all: Batch[] = [];
  for await (const batch of source.batches()) all.push(batch);
  return all;
}

Deno.test("a pass from the read cache yields the file's batches and report, batch by batch", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  for (const thread of [false, true]) {
    const options: OpenSourceOptions = { thread, cache };
    const fromFile = await pass(await openSource(path, { thread }));
    await Deno.remove(cache, { recursive: true }).catch(() => {});
    // The first pass reads the file and keeps it; the second reads the entry.
    const kept = await pass(await openSource(path, options));
    assert.equal((await readCacheEntries(cache)).length, 1);
    const hit = await openSource(path, options);
    const fromCache = await pass(hit);
    assert.deepEqual(kept, fromFile, `thread ${thread}`);
    assert.deepEqual(fromCache, fromFile, `thread ${thread}`);
    assert.equal(fromFile.report.rowsEmitted, ROWS);
    assert.ok(fromFile.batches.length > 1);
    assert.equal(hit.fileReports[0], hit.report);
    assert.ok(
      fromOneBuffer(await batchesOf(await openSource(path, options))),
      "read from the entry",
    );
  }
});

Deno.test("a pass opened while the pass before is still writing its entry reads the entry", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  for (const thread of [false, true]) {
    const cache = `${dir.path}/cache-${thread}`;
    // The first pass ends before its entry is written (readCacheWritten not awaited).
    await drain(await openSource(path, { cache, thread }));
    const next = await batchesOf(await openSource(path, { cache, thread }));
    assert.ok(fromOneBuffer(next), `thread ${thread}: read from the entry, not the file`);
    await readCacheWritten();
    assert.equal((await readCacheEntries(cache)).length, 1, `thread ${thread}`);
  }
});

Deno.test("a pass stopped early keeps nothing in the read cache", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  const source = await openSource(path, { cache });
  for await (const _ of source.batches()) break;
  assert.deepEqual(await readCacheEntries(cache), []);
});

Deno.test("a pass on a reading thread stopped before the file was read whole keeps nothing", async () => {
  await using dir = await tempDir();
  // 80,000 rows: 20 batches of 4,000, more than the 8 the thread may read ahead of the
  // one taken, so it cannot have reached the end.
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText(false, 80_000));
  const cache = `${dir.path}/cache`;
  const source = await openSource(path, { cache, thread: true });
  for await (const _ of source.batches()) break;
  assert.deepEqual(await Array.fromAsync(Deno.readDir(cache)).catch(() => []), []);
});

Deno.test("a read cache that cannot be written costs a note, never the pass", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  // A file where the folder should be: nothing can be read from it, nor written into it.
  const cache = await dir.write("not_a_folder", "");
  const fromFile = await pass(await openSource(path));
  const notes: string[] = [];
  const error = console.error;
  console.error = (message: string) => notes.push(message);
  try {
    for (const thread of [false, true]) {
      notes.length = 0;
      assert.deepEqual(await pass(await openSource(path, { cache, thread })), fromFile);
      const kept = notes.filter((note) => note.includes("could not keep"));
      assert.equal(kept.length, 1, `thread ${thread}: ${notes.join(" | ")}`);
      assert.match(
        kept[0],
        /^note: the read cache in .*not_a_folder could not keep .*\.csv \(.*\); the next run reads the file again$/,
      );
    }
  } finally {
    console.error = error;
  }
});

Deno.test("half-written entries left by a stopped run are removed once stale, not while fresh", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  await Deno.mkdir(cache);
  const stale = await dir.write("cache/a.columns.1.partial", "cut short");
  await dir.write("cache/b.columns.2.partial", "being written");
  // An hour ago: a write takes well under a second, so its run is gone.
  const hourAgo = new Date(Date.now() - 3_600_000);
  await Deno.utime(stale, hourAgo, hourAgo);
  await drained(await openSource(path, { cache }));
  const names = (await Array.fromAsync(Deno.readDir(cache))).map((entry) => entry.name);
  assert.ok(!names.includes("a.columns.1.partial"), names.join());
  assert.ok(names.includes("b.columns.2.partial"), names.join());
  assert.equal((await readCacheEntries(cache)).length, 1);
});

Deno.test("other bytes or other reading options are read from the file, not from the entry", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  await drained(await openSource(path, { cache }));
  // One close a cent higher, the same size: another key, so the file's own value.
  const spoilt = histDataText(true);
  assert.equal(spoilt.length, histDataText().length);
  await Deno.writeTextFile(path, spoilt);
  const changed = await pass(await openSource(path, { cache }));
  assert.deepEqual(changed, await pass(await openSource(path)));
  // A window is an option: the rows outside it are not in its entry.
  const toUs = Date.UTC(2018, 0, 3) * 1000;
  const windowed = await pass(await openSource(path, { cache, toUs }));
  assert.deepEqual(windowed, await pass(await openSource(path, { toUs })));
  assert.ok(windowed.report.rowsOutsideRange > 0);
  assert.equal((await readCacheEntries(cache)).length, 3);
  // The same bytes under another name: a quote-bar file's timeframe may come from its name.
  const renamed = await dir.write("DAT_ASCII_XAUUSD_M1_2018_copy.csv", spoilt);
  await drained(await openSource(renamed, { cache }));
  assert.equal((await readCacheEntries(cache)).length, 4);
});

Deno.test("a damaged read cache entry is read from the file and replaced", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  const fromFile = await pass(await openSource(path));
  await drained(await openSource(path, { cache }));
  const [name] = await readCacheEntries(cache);
  const entry = `${cache}/${name}`;
  const whole = await Deno.readFile(entry);
  for (const damaged of [whole.subarray(0, whole.length - 8), whole.subarray(0, 20)]) {
    await Deno.writeFile(entry, damaged);
    const source = await openSource(path, { cache });
    const batches = await batchesOf(source);
    await readCacheWritten();
    assert.ok(!fromOneBuffer(batches), "read from the file");
    assert.equal((await Deno.readFile(entry)).length, whole.length, "replaced whole");
    assert.deepEqual(await pass(await openSource(path, { cache })), fromFile);
  }
});

Deno.test("a read cache entry dropped after its source was opened fails the pass, saying so", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  await drained(await openSource(path, { cache }));
  const hit = await openSource(path, { cache });
  for (const name of await readCacheEntries(cache)) await Deno.remove(`${cache}/${name}`);
  await assert.rejects(
    () => drain(hit),
    /the read cache entry for .* went away or changed after it was opened, perhaps dropped by another run: run again, or pass --no-cache/,
  );
});

Deno.test("the read cache keeps its most recently used entries, READ_CACHE_ENTRIES of them", async () => {
  await using dir = await tempDir();
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText());
  const cache = `${dir.path}/cache`;
  const windowed = (k: number) => ({ cache, toUs: Date.UTC(2018, 0, 10 + k) * 1000 });
  const nameOf = async (k: number) => `${await readCacheKey(path, windowed(k))}.columns`;
  // Times of use a few milliseconds apart, so the order is the files' times'.
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  for (let k = 0; k < READ_CACHE_ENTRIES; k++) {
    await drained(await openSource(path, windowed(k)));
    await pause();
  }
  // Entry 0 read again, then one more written: entry 1 is now the least recently used.
  await drained(await openSource(path, windowed(0)));
  await pause();
  await drained(await openSource(path, windowed(READ_CACHE_ENTRIES)));
  const kept = await readCacheEntries(cache);
  const expected = await Promise.all(
    [0, ...Array.from({ length: READ_CACHE_ENTRIES - 1 }, (_, i) => i + 2)].map(nameOf),
  );
  assert.deepEqual(kept, expected.sort());
  assert.ok(!kept.includes(await nameOf(1)));
});

/**
 * What the readers yield comes from these modules: a change to any of them must come with
 * a new `READ_CACHE_VERSION`, or entries written before it would be read back as if the
 * new code had made them. This fingerprint is of the modules as they were when the version
 * was last set; a change fails the test until both are updated.
 */
const READER_FINGERPRINT = {
  version: 1,
  sha256: "29c722fe85c104a419e1baccbc9213f21eb2e775047f56717dc38d4e8eb7d129",
};

Deno.test("a change to the readers' code comes with a new READ_CACHE_VERSION", async () => {
  const root = new URL("../../", import.meta.url);
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL("sources/", root))) {
    if (entry.isFile && entry.name.endsWith(".ts") && entry.name !== "read_cache.ts") {
      files.push(`sources/${entry.name}`);
    }
  }
  files.push("pipeline/tz.ts", "pipeline/plausibility.ts");
  files.sort();
  const texts = await Promise.all(files.map((f) => Deno.readTextFile(new URL(f, root))));
  const bytes = new TextEncoder().encode(files.map((f, i) => `${f}\n${texts[i]}`).join("\n"));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  assert.deepEqual(
    { version: READ_CACHE_VERSION, sha256 },
    READER_FINGERPRINT,
    "sources/ or the time zones changed: if what a reader yields can differ, bump " +
      "READ_CACHE_VERSION (sources/read_cache.ts); then set READER_FINGERPRINT here to the " +
      "version and the SHA-256 above",
  );
});

Deno.test("a backtest keeps its file in the read cache before it exits, and reads it back to the same JSON", async () => {
  await using dir = await tempDir();
  // 80,000 minutes (about eight weeks of bars): enough for every source to warm up.
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2018.csv", histDataText(false, 80_000));
  const cache = `${dir.path}/cache`;
  const run = (name: string) =>
    runCli([
      "backtest",
      "--data",
      path,
      "--no-ml",
      "--baseline-runs",
      "0",
      "--cache-dir",
      cache,
      "--json",
      `${dir.path}/${name}.json`,
    ]);
  const first = await run("first");
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await readCacheEntries(cache)).length, 1, "kept before the process ended");
  const second = await run("second");
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir.path}/second.json`),
    await Deno.readTextFile(`${dir.path}/first.json`),
  );
});
