import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { MarketEvent } from "@/pipeline/events.ts";
import { JOURNAL_SCHEMA_VERSION, JournalConflictError, openJournal } from "@/sinks/journal.ts";
import {
  bar,
  ensemblePrediction,
  hold,
  prediction,
  signal,
  summarised,
  T0,
  tempJournalPath,
  version2Events,
} from "./_journal_fixtures.ts";

const ofKind = <K extends MarketEvent["kind"]>(events: readonly MarketEvent[], kind: K) =>
  events.filter((e): e is Extract<MarketEvent, { kind: K }> => e.kind === kind);

/** A journal written by the version-2 build (`_journal_v2.sql`, see `_journal_v2_write.ts`). */
async function version2Journal(path: string): Promise<void> {
  const db = new DatabaseSync(path);
  db.exec(await Deno.readTextFile(new URL("./_journal_v2.sql", import.meta.url)));
  db.close();
}

Deno.test("openJournal() moves a version-2 journal's predictions and signals over whole, a hold's reasons included", async () => {
  await using tmp = await tempJournalPath();
  await version2Journal(tmp.path);
  const events = version2Events();

  const notices: string[] = [];
  const journal = openJournal(tmp.path, { notice: (line) => notices.push(line) });
  assert.deepEqual(notices, [
    `journal "${tmp.path}", schema version 4: moving 3 predictions and 3 signals to the compact ` +
    "tables, once (about a minute for a year of replay with a model)",
  ]);
  assert.deepEqual(journal.predictions("XAUUSD"), ofKind(events, "prediction"));
  assert.deepEqual(journal.signals(), ofKind(events, "signal"));
  assert.deepEqual(journal.bars("XAUUSD", "M1"), ofKind(events, "bar"));
  assert.deepEqual(journal.trades(), ofKind(events, "trade"));
  assert.deepEqual(journal.fills(), ofKind(events, "fill"));
  // Version 2 had no budget column: migration 3 adds it, empty for the old decisions.
  assert.deepEqual(
    journal.riskDecisions(),
    ofKind(events, "risk").map((decision) => ({ ...decision, budget: null })),
  );
  assert.deepEqual(journal.latestConfig()?.config, { fusion: { gate: 0.6 } });
  journal.close();

  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()
    .map((row) => row.version);
  const leftOver = db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE '%_v2'").all();
  db.close();
  assert.deepEqual(versions, [1, 2, 3, 4]);
  assert.equal(JOURNAL_SCHEMA_VERSION, 4);
  assert.deepEqual(leftOver, [], "the version-2 tables are dropped");
});

Deno.test("openJournal() gives no notice when it creates a journal: there are no rows to move", async () => {
  await using tmp = await tempJournalPath();
  const notices: string[] = [];
  openJournal(tmp.path, { notice: (line) => notices.push(line) }).close();
  assert.deepEqual(notices, []);
});

Deno.test("Journal.appendBatch() takes a hold a version-2 journal kept with its reasons as a duplicate, not a conflict", async () => {
  await using tmp = await tempJournalPath();
  await version2Journal(tmp.path);
  const journal = openJournal(tmp.path);
  // A replay after the upgrade sends the hold again; it is stored without reasons now.
  assert.deepEqual(journal.appendBatch([hold(1)]), { stored: 0, duplicates: 1, notStored: 0 });
  assert.throws(() => journal.appendBatch([hold(1, { confidence: 0.2 })]), JournalConflictError);
  assert.deepEqual(journal.signals(1), [
    hold(2, { votes: [], regime: null, modelId: null, confidence: 0 }),
  ]);
  journal.close();
});

Deno.test("Journal.signals() gives a hold back summarised, without its votes' reasons, and a trade whole", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([hold(0), signal(1)]);
  assert.deepEqual(journal.signals(), [summarised(hold(0)), signal(1)]);
  journal.close();
});

Deno.test("Journal.appendBatch() keeps a signal's size factor, which a meta-labeling gate sets", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([signal(0, { sizeFactor: 0.625 }), signal(1)]);
  assert.deepEqual(journal.signals(), [signal(0, { sizeFactor: 0.625 }), signal(1)]);
  assert.throws(
    () => journal.appendBatch([signal(0, { sizeFactor: 0.5 })]),
    /signal XAUUSD at 2024-03-04T00:01:00Z .*size_factor differ/,
  );
  journal.close();
});

Deno.test("Journal.appendBatch() refuses a vote with a NaN confidence, naming it, and keeps nothing of the batch", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const corrupt = hold(1);
  const votes = [{ ...corrupt.votes[0], confidence: NaN }, ...corrupt.votes.slice(1)];
  assert.throws(
    () => journal.appendBatch([bar(1), { ...corrupt, votes }]),
    {
      message:
        `Cannot journal signal XAUUSD at 2024-03-04T00:02:00Z (event 1 of the batch) in "${tmp.path}": ` +
        "the technical vote's confidence is NaN; the journal stores finite numbers only",
    },
  );
  assert.equal(journal.stats().bars, 0);
  journal.close();
});

Deno.test("Journal.appendBatch() forgets the model ids a rolled-back batch named", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const corruptBar = bar(9, { openUs: T0 + 0.5 });
  assert.throws(() => journal.appendBatch([prediction(0, "shadow"), corruptBar]));
  // Had the journal remembered the id the rolled-back batch gave "a1b2c3", "9f3c01" would
  // now get the same id (the table's next) and the shadow prediction would read back as it.
  journal.appendBatch([prediction(1, "production"), prediction(0, "shadow")]);
  assert.deepEqual(journal.predictions("XAUUSD"), [prediction(0, "shadow"), prediction(1)]);
  journal.close();
});

Deno.test("Journal.predictions() finds nothing for a symbol the journal never saw", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([ensemblePrediction(0)]);
  assert.deepEqual(journal.predictions("EURUSD"), []);
  assert.deepEqual(journal.predictions("XAUUSD"), [ensemblePrediction(0)]);
  journal.close();
});

// A year of serve --replay is measured by bench/journal_bench.ts; this keeps the per-bar
// cost from creeping back. These rows take 290 bytes a bar (with the pages' free space);
// the version-2 layout took 5,154 (this test at commit 8f55b92), the hold's JSON votes
// spilling into overflow pages.
Deno.test("Journal stores a bar with its ensemble prediction and its hold in under 350 bytes", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const rounds = 5_000;
  for (let from = 0; from < rounds; from += 250) {
    const batch: MarketEvent[] = [];
    for (let i = from; i < from + 250; i++) {
      batch.push(bar(i), ensemblePrediction(i), hold(i, { confidence: i / rounds }));
    }
    journal.appendBatch(batch);
  }
  journal.close();
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const { bytes } = db.prepare(
    "SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN ('bars', 'predictions', 'signals')",
  ).get() as { bytes: number };
  db.close();
  assert.ok(bytes / rounds < 350, `${(bytes / rounds).toFixed(0)} bytes a bar`);
});

Deno.test("Journal.signals() keeps the signals of two symbols at one instant apart", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const gold = hold(0);
  const silver = hold(0, { symbol: "XAGUSD", entryPrice: 23.1 });
  journal.appendBatch([gold, silver, hold(1)]);
  // One instant's signals come in the order the journal first saw their symbols.
  assert.deepEqual(journal.signals(), [summarised(gold), summarised(silver), summarised(hold(1))]);
  journal.close();
});
