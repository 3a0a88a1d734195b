import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { EVENT_VERSION, type GapEvent, type TickEvent, US_PER_MINUTE } from "@/pipeline/events.ts";
import { JOURNAL_SCHEMA_VERSION, journalSink, openJournal } from "@/sinks/journal.ts";
import { bar, EMPTY_STATS, T0, tempJournalPath } from "./_journal_fixtures.ts";

const GAP: GapEvent = {
  v: EVENT_VERSION,
  kind: "gap",
  symbol: "XAUUSD",
  timeframe: "M1",
  fromUs: T0 + 10 * US_PER_MINUTE,
  toUs: T0 + 25 * US_PER_MINUTE,
  missingSessionMinutes: 15,
  category: "missing",
};

const TICK: TickEvent = {
  v: EVENT_VERSION,
  kind: "tick",
  symbol: "XAUUSD",
  timeUs: T0 + 1,
  bid: 2050.1,
  ask: 2050.4,
};

Deno.test("openJournal() applies migrations once", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const first = openJournal(path, { now: () => Date.UTC(2024, 0, 1) });
  first.appendBatch([bar(0)]);
  first.close();
  const second = openJournal(path, { now: () => Date.UTC(2025, 0, 1) });
  assert.equal(second.stats().bars, 1);
  second.close();

  const db = new DatabaseSync(path);
  const rows = db.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    .all().map((row) => ({ ...row }));
  db.close();
  assert.deepEqual(
    rows,
    Array.from({ length: JOURNAL_SCHEMA_VERSION }, (_, i) => ({
      version: i + 1,
      applied_at: "2024-01-01T00:00:00.000Z",
    })),
  );
});

Deno.test("openJournal() refuses a database from a newer schema", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  openJournal(path).close();
  const db = new DatabaseSync(path);
  db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
    .run(JOURNAL_SCHEMA_VERSION + 1, "2030-01-01T00:00:00.000Z");
  db.close();

  assert.throws(() => openJournal(path), {
    message: `Cannot open journal "${path}": its schema is version ${
      JOURNAL_SCHEMA_VERSION + 1
    }, newer than version ${JOURNAL_SCHEMA_VERSION} that this build knows; run a newer build or use another file`,
  });
});

Deno.test("openJournal() turns on WAL mode", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const journal = openJournal(path);
  const db = new DatabaseSync(path);
  const row = db.prepare("PRAGMA journal_mode").get();
  db.close();
  journal.close();
  assert.equal(row?.journal_mode, "wal");
});

Deno.test("openJournal({ autoCheckpoint: false }) checkpoints in a commit once the WAL passes 32 MiB", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path, { autoCheckpoint: false });
  // 48 commits of 1 MB each and no timer calling checkpoint(), as in a replay that holds
  // the event loop: the WAL is checkpointed and starts over once past 8,192 pages (32 MiB),
  // so it never holds the 48 MB (with no checkpoint at all it would).
  const detail = "x".repeat(1_000_000);
  for (let i = 0; i < 48; i++) {
    journal.appendAudit({
      timeUs: i,
      actor: "test",
      method: "GET",
      path: "/",
      status: 200,
      detail,
    });
  }
  const wal = (await Deno.stat(`${tmp.path}-wal`)).size;
  journal.close();
  assert.ok(wal < 36e6, `the WAL holds ${wal} bytes`);
});

Deno.test("Journal.appendBatch() round-trips every field of bars and gaps", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const withAsk = bar(1, {
    ask: { open: 2051.43, high: 2052.61, low: 2050.32, close: 2052.08 },
    spread: null,
    volume: 0.5,
  });
  const journal = openJournal(path);
  journal.appendBatch([bar(0), withAsk, GAP, bar(2, { timeframe: "M5", spread: null })]);
  journal.close();

  const reopened = openJournal(path);
  assert.deepEqual(reopened.bars("XAUUSD", "M1"), [bar(0), withAsk]);
  assert.deepEqual(reopened.bars("XAUUSD", "M5"), [bar(2, { timeframe: "M5", spread: null })]);
  assert.deepEqual(reopened.gaps("XAUUSD", "M1"), [GAP]);
  reopened.close();
});

Deno.test("Journal.bars() keeps a bar with only a spread apart from one with asks", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const spreadOnly = bar(0, { spread: 0.25 });
  const asksOnly = bar(1, {
    ask: { open: 1, high: 2, low: 0.5, close: 1.5 },
    spread: null,
  });
  const neither = bar(2, { spread: null });
  journal.appendBatch([spreadOnly, asksOnly, neither]);
  const [a, b, c] = journal.bars("XAUUSD", "M1");
  journal.close();
  assert.deepEqual([a.ask, a.spread], [null, 0.25]);
  assert.deepEqual([b.ask, b.spread], [{ open: 1, high: 2, low: 0.5, close: 1.5 }, null]);
  assert.deepEqual([c.ask, c.spread], [null, null]);
});

Deno.test("Journal.bars() returns the half-open range fromUs <= openUs < toUs", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([0, 1, 2, 3].map((i) => bar(i)));
  const opens = journal.bars("XAUUSD", "M1", bar(1).openUs, bar(3).openUs).map((b) => b.openUs);
  journal.close();
  assert.deepEqual(opens, [bar(1).openUs, bar(2).openUs]);
});

Deno.test("Journal.appendBatch() skips bars and gaps already stored", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const journal = openJournal(path);
  journal.appendBatch([bar(0), bar(1), GAP]);
  journal.appendBatch([bar(1, { volume: 999 }), bar(2), GAP, bar(2)]);
  assert.deepEqual(journal.stats(), {
    ...EMPTY_STATS,
    bars: 3,
    gaps: 1,
    duplicatesSkipped: 3,
  });
  assert.equal(journal.bars("XAUUSD", "M1")[1].volume, bar(1).volume);
  journal.close();
});

Deno.test("Journal.appendBatch() counts ticks without storing them", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([TICK, bar(0), TICK]);
  assert.deepEqual(journal.stats(), {
    ...EMPTY_STATS,
    bars: 1,
    eventsNotStored: 2,
  });
  journal.close();
});

Deno.test("Journal.appendBatch() keeps nothing of a batch that fails", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([bar(0)]);
  const corrupt = bar(2, { bid: { open: NaN, high: 1, low: 1, close: 1 } });
  assert.throws(() => journal.appendBatch([bar(1), GAP, corrupt]), /NOT NULL/);
  assert.deepEqual(journal.stats(), {
    ...EMPTY_STATS,
    bars: 1,
  });
  journal.appendBatch([bar(1)]);
  assert.equal(journal.stats().bars, 2);
  journal.close();
});

Deno.test("Journal.appendBatch() refuses a closed journal", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const journal = openJournal(path);
  journal.close();
  journal.close();
  assert.throws(() => journal.appendBatch([bar(0)]), {
    message: `Cannot append to journal "${path}": it is closed`,
  });
});

// Throughput is measured by bench/, not asserted here: a timed test only measures the machine.
Deno.test("Journal.appendBatch() stores 100k bars in one batch", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const batch = Array.from({ length: 100_000 }, (_, i) => bar(i));
  const started = performance.now();
  journal.appendBatch(batch);
  const seconds = (performance.now() - started) / 1000;
  console.log(`journal: ${Math.round(batch.length / seconds).toLocaleString("en")} bars/s`);
  assert.equal(journal.stats().bars, 100_000);
  journal.close();
});

Deno.test("journalSink() writes to and closes its journal", async () => {
  await using tmp = await tempJournalPath();
  const { path } = tmp;
  const sink = journalSink(openJournal(path));
  sink.write([bar(0), GAP]);
  await sink.close();
  const journal = openJournal(path);
  assert.equal(sink.name, "journal");
  assert.deepEqual(journal.stats(), {
    ...EMPTY_STATS,
    bars: 1,
    gaps: 1,
  });
  journal.close();
});
