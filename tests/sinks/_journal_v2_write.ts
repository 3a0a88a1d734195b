/**
 * Writes `version2Events()` to a new journal at `Deno.args[0]` with the journal of this
 * checkout. Run at commit 8f55b92 (journal schema version 2) and dumped as SQL, it made
 * `_journal_v2.sql`, the old journal the migration tests open:
 *
 *   git worktree add /tmp/v2 8f55b92
 *   cp tests/sinks/_journal_fixtures.ts tests/sinks/_journal_v2_write.ts /tmp/v2/tests/sinks/
 *   (cd /tmp/v2 && deno run -A tests/sinks/_journal_v2_write.ts /tmp/v2.sqlite)
 *   sqlite3 /tmp/v2.sqlite .dump > tests/sinks/_journal_v2.sql
 */

import { openJournal } from "@/sinks/journal.ts";
import { T0, version2Events } from "./_journal_fixtures.ts";

const journal = openJournal(Deno.args[0], { now: () => T0 / 1000 });
journal.appendBatch(version2Events());
journal.appendConfigChange(1, { fusion: { gate: 0.6 } }, "serve --config config.json", T0);
journal.close();
