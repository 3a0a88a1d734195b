/**
 * The journal: the embedded SQLite store of what the pipeline saw, the default sink.
 *
 * Role: keep closed bars and gaps so a restart, a replay or the dashboard reads them
 * back exactly. A batch is the unit of durability: `appendBatch` commits the whole batch
 * in one transaction, and its return is the acknowledgement.
 *
 * It must never:
 * - commit one transaction per row (about 30 k rows/s, against about 0.3 M bars/s batched);
 * - keep part of a batch: a batch that fails rolls back whole and the error is thrown;
 * - lose an acknowledged batch: WAL with `synchronous=NORMAL` survives a process crash,
 *   and `synchronous: "FULL"` is there for when it must survive a power cut too;
 * - duplicate a bar on replay: a bar already stored is skipped, never rewritten;
 * - swallow a corrupt row: only key conflicts are skipped (not `INSERT OR IGNORE`, which
 *   would also skip NOT NULL failures), so a NaN price or a fractional time still fails
 *   the batch;
 * - open a file whose schema is newer than this code knows.
 *
 * @example
 * ```ts
 * const journal = openJournal("out/journal.db");
 * journal.appendBatch(batch);
 * journal.bars("XAUUSD", "M1");
 * journal.close();
 * ```
 */

import { DatabaseSync } from "node:sqlite";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type GapCategory,
  type GapEvent,
  type Timeframe,
} from "@/pipeline/events.ts";
import type { Sink } from "@/sinks/sink.ts";

/**
 * Schema changes in order; version N is `MIGRATIONS[N - 1]`. Append only: an applied
 * migration is history and must never be edited.
 *
 * STRICT types and NOT NULL are the only guards: they are nearly free and catch NaN
 * (bound as NULL) and fractional times. Value CHECKs (timeframe, category, asks all or
 * none) are left to the typed events and the source's validation: they cost about 40%
 * of insert throughput.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE bars (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    open_us INTEGER NOT NULL,
    close_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    bid_open REAL NOT NULL,
    bid_high REAL NOT NULL,
    bid_low REAL NOT NULL,
    bid_close REAL NOT NULL,
    ask_open REAL,
    ask_high REAL,
    ask_low REAL,
    ask_close REAL,
    spread REAL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, open_us)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE gaps (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    from_us INTEGER NOT NULL,
    to_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    missing_session_minutes REAL NOT NULL,
    category TEXT NOT NULL,
    PRIMARY KEY (symbol, timeframe, from_us)
  ) STRICT, WITHOUT ROWID;`,
];

/** The schema version this code writes; a file at a higher version is refused. */
export const JOURNAL_SCHEMA_VERSION = MIGRATIONS.length;

export interface JournalOptions {
  /** Wall clock in ms, for `schema_migrations.applied_at`; defaults to `Date.now`. */
  readonly now?: () => number;
  /**
   * "NORMAL" (default) loses nothing acknowledged on a process crash; "FULL" also
   * survives a power cut, at the cost of an fsync per batch.
   */
  readonly synchronous?: "NORMAL" | "FULL";
}

export interface JournalStats {
  /** Rows in `bars`, including those written before this open. */
  readonly bars: number;
  /** Rows in `gaps`, including those written before this open. */
  readonly gaps: number;
  /** Ticks and feature rows seen since open: counted, not stored (they are recomputable). */
  readonly eventsNotStored: number;
  /** Bars and gaps since open that were already stored, as on a replay after a restart. */
  readonly duplicatesSkipped: number;
}

export interface Journal {
  readonly path: string;
  /** Stores the batch's bars and gaps in one transaction: all of them or, on error, none. */
  appendBatch(batch: EventBatch): void;
  /** Bars with `fromUs <= openUs < toUs`, oldest first. */
  bars(symbol: string, timeframe: Timeframe, fromUs?: number, toUs?: number): BarEvent[];
  /** Gaps with `fromUs <= gap.fromUs < toUs`, oldest first. */
  gaps(symbol: string, timeframe: Timeframe, fromUs?: number, toUs?: number): GapEvent[];
  stats(): JournalStats;
  /** Checkpoints the WAL into the file (the flush), then closes; safe to call twice. */
  close(): void;
}

/** Opens or creates the journal at `path` and brings its schema up to date. */
export function openJournal(path: string, options: JournalOptions = {}): Journal {
  const db = new DatabaseSync(path);
  try {
    // busy_timeout: a second connection (the dashboard, a migration) waits instead of failing.
    db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${
        options.synchronous ?? "NORMAL"
      }; PRAGMA busy_timeout = 5000;`,
    );
    migrate(db, path, options.now ?? Date.now);
  } catch (error) {
    db.close();
    throw error;
  }

  const insertBar = db.prepare(
    `INSERT INTO bars (symbol, timeframe, open_us, close_us, v,
       bid_open, bid_high, bid_low, bid_close, ask_open, ask_high, ask_low, ask_close,
       spread, volume)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (symbol, timeframe, open_us) DO NOTHING`,
  );
  const insertGap = db.prepare(
    `INSERT INTO gaps (symbol, timeframe, from_us, to_us, v, missing_session_minutes, category)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (symbol, timeframe, from_us) DO NOTHING`,
  );
  const selectBars = db.prepare(
    `SELECT * FROM bars WHERE symbol = ? AND timeframe = ? AND open_us >= ? AND open_us < ?
     ORDER BY open_us`,
  );
  const selectGaps = db.prepare(
    `SELECT * FROM gaps WHERE symbol = ? AND timeframe = ? AND from_us >= ? AND from_us < ?
     ORDER BY from_us`,
  );
  const countRows = db.prepare(
    "SELECT (SELECT COUNT(*) FROM bars) AS bars, (SELECT COUNT(*) FROM gaps) AS gaps",
  );
  let eventsNotStored = 0;
  let duplicatesSkipped = 0;
  let closed = false;

  return {
    path,
    appendBatch(batch) {
      if (closed) throw new Error(`Cannot append to journal "${path}": it is closed`);
      if (batch.length === 0) return;
      let notStored = 0;
      let duplicates = 0;
      db.exec("BEGIN");
      try {
        for (const event of batch) {
          switch (event.kind) {
            case "bar": {
              const { bid, ask } = event;
              const { changes } = insertBar.run(
                event.symbol,
                event.timeframe,
                event.openUs,
                event.closeUs,
                event.v,
                bid.open,
                bid.high,
                bid.low,
                bid.close,
                ask?.open ?? null,
                ask?.high ?? null,
                ask?.low ?? null,
                ask?.close ?? null,
                event.spread,
                event.volume,
              );
              if (changes === 0) duplicates++;
              break;
            }
            case "gap": {
              const { changes } = insertGap.run(
                event.symbol,
                event.timeframe,
                event.fromUs,
                event.toUs,
                event.v,
                event.missingSessionMinutes,
                event.category,
              );
              if (changes === 0) duplicates++;
              break;
            }
            case "tick":
            case "features":
            case "regime":
            case "prediction":
              // Recomputable from the bars and the model: not worth the disk.
              notStored++;
              break;
            case "signal":
            case "risk":
            case "order":
            case "fill":
            case "trade":
            case "account":
              // Counted only, for now: the live system's journal (issue 7) adds their tables.
              notStored++;
              break;
            default: {
              // A new event kind must be given a table or a counter here, never dropped.
              const unhandled: never = event;
              throw new TypeError(`Cannot journal event ${JSON.stringify(unhandled)}`);
            }
          }
        }
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
      eventsNotStored += notStored;
      duplicatesSkipped += duplicates;
    },
    bars(symbol, timeframe, fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      const rows = selectBars.all(symbol, timeframe, fromUs, toUs) as unknown as BarRow[];
      return rows.map(barFromRow);
    },
    gaps(symbol, timeframe, fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      const rows = selectGaps.all(symbol, timeframe, fromUs, toUs) as unknown as GapRow[];
      return rows.map(gapFromRow);
    },
    stats() {
      const rows = countRows.get() as { bars: number; gaps: number };
      return { bars: rows.bars, gaps: rows.gaps, eventsNotStored, duplicatesSkipped };
    },
    close() {
      if (closed) return;
      closed = true;
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.close();
    },
  };
}

/** Adapts a journal to the sink contract, so the pipeline fans batches out to it like any sink. */
export function journalSink(journal: Journal): Sink {
  return {
    name: "journal",
    write: (batch) => journal.appendBatch(batch),
    close: () => journal.close(),
  };
}

/** Applies the missing migrations in one transaction, so a crash leaves the old schema whole. */
function migrate(db: DatabaseSync, path: string, now: () => number): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const { version } = db.prepare(
      "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations",
    ).get() as { version: number };
    if (version > JOURNAL_SCHEMA_VERSION) {
      throw new Error(
        `Cannot open journal "${path}": its schema is version ${version}, newer than version ${JOURNAL_SCHEMA_VERSION} that this build knows; run a newer build or use another file`,
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    for (let next = version + 1; next <= JOURNAL_SCHEMA_VERSION; next++) {
      db.exec(MIGRATIONS[next - 1]);
      record.run(next, new Date(now()).toISOString());
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

interface BarRow {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly open_us: number;
  readonly close_us: number;
  readonly v: number;
  readonly bid_open: number;
  readonly bid_high: number;
  readonly bid_low: number;
  readonly bid_close: number;
  readonly ask_open: number | null;
  readonly ask_high: number | null;
  readonly ask_low: number | null;
  readonly ask_close: number | null;
  readonly spread: number | null;
  readonly volume: number;
}

interface GapRow {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly from_us: number;
  readonly to_us: number;
  readonly v: number;
  readonly missing_session_minutes: number;
  readonly category: GapCategory;
}

function barFromRow(row: BarRow): BarEvent {
  return {
    v: eventVersion(row.v, `bar ${row.symbol} ${row.timeframe} at ${row.open_us}`),
    kind: "bar",
    symbol: row.symbol,
    timeframe: row.timeframe,
    openUs: row.open_us,
    closeUs: row.close_us,
    bid: { open: row.bid_open, high: row.bid_high, low: row.bid_low, close: row.bid_close },
    // appendBatch writes the four ask columns from one `ask`, so they are all null or all set.
    ask: row.ask_open === null ? null : {
      open: row.ask_open,
      high: row.ask_high as number,
      low: row.ask_low as number,
      close: row.ask_close as number,
    },
    spread: row.spread,
    volume: row.volume,
  };
}

function gapFromRow(row: GapRow): GapEvent {
  return {
    v: eventVersion(row.v, `gap ${row.symbol} ${row.timeframe} at ${row.from_us}`),
    kind: "gap",
    symbol: row.symbol,
    timeframe: row.timeframe,
    fromUs: row.from_us,
    toUs: row.to_us,
    missingSessionMinutes: row.missing_session_minutes,
    category: row.category,
  };
}

/** Refuses rows of another event version rather than handing them on mistyped. */
function eventVersion(v: number, what: string): typeof EVENT_VERSION {
  if (v !== EVENT_VERSION) {
    throw new Error(
      `Cannot read ${what} from the journal: it is event version ${v}, this build reads version ${EVENT_VERSION}`,
    );
  }
  return EVENT_VERSION;
}
