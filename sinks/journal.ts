/**
 * The journal: the embedded SQLite store of what the pipeline saw and did, the default sink.
 *
 * Role: keep the whole trading record (bars, gaps, regimes, predictions, signals with their
 * votes, risk decisions, orders, fills, trades, account states) and the control plane's
 * model events, config versions and audit log, so a restart, a replay, the live server or
 * the dashboard reads them back exactly. A batch is the unit of durability: `appendBatch`
 * commits the whole batch in one transaction, and its return is the acknowledgement the
 * live server waits for before it answers the terminal. The file (and its WAL) is created
 * readable by its owner only (0600), and an existing one is tightened to that.
 *
 * It must never:
 * - commit one transaction per row (about 30 k rows/s, against about 0.3 M bars/s batched);
 * - keep part of a batch: a batch that fails rolls back whole and the error is thrown;
 * - lose an acknowledged batch: WAL with `synchronous=NORMAL` survives a process crash
 *   (kill -9), and `synchronous: "FULL"` is there for when it must survive a power cut too;
 * - store a report twice: every stored kind has a key (docs/architecture.md, "Journal"), and
 *   a row arriving again under a stored key is skipped and counted, so a terminal's retry
 *   or a replay after a restart duplicates nothing;
 * - settle a contradiction silently: a signal, risk decision, order, fill, trade, regime or
 *   config version arriving again with different content is a `JournalConflictError`
 *   naming the key. Bars, gaps and predictions keep their first copy instead: a revised
 *   feed or a rescored bar is another look at the market, not a second version of a deed;
 * - swallow a corrupt row: only key conflicts are skipped (not `INSERT OR IGNORE`, which
 *   would also skip NOT NULL failures), so a NaN price or a fractional time still fails
 *   the batch;
 * - open a file whose schema is newer than this code knows.
 *
 * @example
 * ```ts
 * const journal = openJournal("out/journal.db");
 * journal.appendBatch(batch); // returned: committed
 * journal.openPositions("XAUUSD");
 * journal.close();
 * ```
 */

import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type ExitReason,
  type FillEvent,
  type GapCategory,
  type GapEvent,
  isoFromUs,
  type MarketEvent,
  type OrderEvent,
  type PredictionEvent,
  type RegimeEvent,
  type RiskDecisionEvent,
  type RiskReason,
  type Side,
  type SignalEvent,
  type Timeframe,
  type TradeEvent,
  type TradingState,
  type TrendLabel,
  type VolatilityLabel,
  type Vote,
} from "@/pipeline/events.ts";
import type { Sink } from "@/sinks/sink.ts";
import { preparePrivateDatabase } from "@/pipeline/private_files.ts";

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
  // The trading record and the control plane's history. Lists (votes, reasons, members)
  // and free-form details are JSON text; rowid tables keep arrival order for equal times.
  `CREATE TABLE signals (
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    confidence REAL NOT NULL,
    entry_price REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    stop_distance REAL,
    take_distance REAL,
    stop_points REAL,
    take_points REAL,
    votes TEXT NOT NULL,
    regime_volatility TEXT,
    regime_trend TEXT,
    spec_hash TEXT NOT NULL,
    model_id TEXT,
    PRIMARY KEY (symbol, time_us)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX signals_by_time ON signals (time_us);
  CREATE TABLE risk_decisions (
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    decision TEXT NOT NULL,
    lots REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    reasons TEXT NOT NULL,
    state TEXT NOT NULL,
    client_order_id TEXT,
    PRIMARY KEY (symbol, time_us)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX risk_decisions_by_time ON risk_decisions (time_us);
  CREATE TABLE orders (
    client_order_id TEXT NOT NULL PRIMARY KEY,
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    action TEXT NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    position_id TEXT,
    reason TEXT NOT NULL,
    done_status TEXT,
    done_reason TEXT
  ) STRICT;
  CREATE TABLE fills (
    client_order_id TEXT NOT NULL,
    action TEXT NOT NULL,
    position_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    price REAL NOT NULL,
    commission REAL NOT NULL,
    slippage REAL NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (client_order_id, action, position_id)
  ) STRICT;
  CREATE TABLE trades (
    position_id TEXT NOT NULL PRIMARY KEY,
    symbol TEXT NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    entry_time_us INTEGER NOT NULL,
    entry_price REAL NOT NULL,
    exit_time_us INTEGER NOT NULL,
    exit_price REAL NOT NULL,
    exit_reason TEXT NOT NULL,
    pnl REAL NOT NULL,
    commission REAL NOT NULL,
    swap REAL NOT NULL,
    spread_cost REAL NOT NULL,
    mae REAL NOT NULL,
    mfe REAL NOT NULL
  ) STRICT;
  CREATE INDEX trades_by_exit ON trades (exit_time_us);
  CREATE TABLE account_states (
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    balance REAL NOT NULL,
    equity REAL NOT NULL,
    margin REAL NOT NULL,
    open_positions INTEGER NOT NULL,
    UNIQUE (time_us, balance, equity, margin, open_positions)
  ) STRICT;
  CREATE TABLE regimes (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    volatility TEXT NOT NULL,
    trend TEXT NOT NULL,
    realised_volatility REAL NOT NULL,
    volatility_percentile REAL NOT NULL,
    adx REAL NOT NULL,
    efficiency_ratio REAL NOT NULL,
    move REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, time_us)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX regimes_by_time ON regimes (time_us);
  CREATE TABLE predictions (
    symbol TEXT NOT NULL,
    open_us INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    role TEXT NOT NULL,
    close_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    p_down REAL NOT NULL,
    p_flat REAL NOT NULL,
    p_up REAL NOT NULL,
    agreement REAL NOT NULL,
    members TEXT NOT NULL,
    PRIMARY KEY (symbol, open_us, model_id, role)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE model_events (
    time_us INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
  ) STRICT;
  CREATE TABLE config_changes (
    version INTEGER NOT NULL PRIMARY KEY,
    time_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    config TEXT NOT NULL
  ) STRICT;
  CREATE TABLE audit_log (
    time_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    detail TEXT
  ) STRICT;`,
];

/** The schema version this code writes; a file at a higher version is refused. */
export const JOURNAL_SCHEMA_VERSION = MIGRATIONS.length;

export interface JournalOptions {
  /**
   * Wall clock in ms, for `schema_migrations.applied_at` and the time of a config change
   * given none; defaults to `Date.now`.
   */
  readonly now?: () => number;
  /**
   * "NORMAL" (default) loses nothing acknowledged on a process crash; "FULL" also
   * survives a power cut, at the cost of an fsync per batch.
   */
  readonly synchronous?: "NORMAL" | "FULL";
  /**
   * SQLite checkpoints the WAL inside whichever commit crosses 1,000 pages (the default,
   * true), a stall of milliseconds on that commit. A live server sets false and calls
   * `checkpoint()` on a timer instead, off the path of the terminal's reply.
   */
  readonly autoCheckpoint?: boolean;
}

/** Rows per table (including those written before this open) and counters since open. */
export interface JournalStats {
  readonly bars: number;
  readonly gaps: number;
  readonly regimes: number;
  readonly predictions: number;
  readonly signals: number;
  readonly riskDecisions: number;
  readonly orders: number;
  readonly fills: number;
  readonly trades: number;
  readonly accountStates: number;
  readonly modelEvents: number;
  readonly configChanges: number;
  readonly auditEntries: number;
  /** Ticks and feature rows seen since open: counted, not stored (they are recomputable). */
  readonly eventsNotStored: number;
  /** Events since open whose key was already stored, as on a retry or a replay after a restart. */
  readonly duplicatesSkipped: number;
}

/** What one `appendBatch` did with its events. */
export interface AppendResult {
  readonly stored: number;
  /** Already stored under their key: a retried report or a replayed bar. */
  readonly duplicates: number;
  /** Ticks and feature rows, which are not kept. */
  readonly notStored: number;
}

/** A position the fills opened and no trade has closed yet, as the journal knows it. */
export interface JournalPosition {
  readonly positionId: string;
  /** The order of its first entry fill. */
  readonly clientOrderId: string;
  readonly side: Side;
  /** Entry lots less any partial close. */
  readonly lots: number;
  /** Lot-weighted over its entry fills. */
  readonly entryPrice: number;
  /** The first entry fill's time. */
  readonly entryTimeUs: number;
}

/**
 * How an order ended without a fill: the broker "rejected" it, it was "cancelled", or it
 * was "acked" (done without a fill of its own, as a modify is).
 */
export type OrderDoneStatus = "rejected" | "cancelled" | "acked";

/** Something that happened to a model in the registry: registered, promoted, rolled back... */
export interface ModelEventEntry {
  readonly timeUs: number;
  readonly modelId: string;
  readonly kind: string;
  /** Any JSON value. */
  readonly detail: unknown;
}

/** One version of the runtime config, as `PUT /v1/config` stored it. */
export interface ConfigChange {
  readonly version: number;
  readonly timeUs: number;
  readonly actor: string;
  /** Any JSON value; validate it with the config schema before use. */
  readonly config: unknown;
}

/** One control-plane call. */
export interface AuditEntry {
  /** Wall-clock time of the answer, in µs since the epoch. */
  readonly timeUs: number;
  /** Who called: a token fingerprint, never the token. */
  readonly actor: string;
  readonly method: string;
  readonly path: string;
  /** The HTTP status answered. */
  readonly status: number;
  readonly detail: string | null;
}

/**
 * A report arrived again under a key the journal holds, with different content: two
 * versions of one fact, which only a person can settle. The live server answers it as a
 * conflict rather than an internal error.
 */
export class JournalConflictError extends Error {
  constructor(
    message: string,
    /** The table and the key's columns and values. */
    readonly table: string,
    readonly key: Readonly<Record<string, SQLInputValue>>,
  ) {
    super(message);
    this.name = "JournalConflictError";
  }
}

/**
 * Reads that take a `limit` return the latest `limit` rows, oldest first (charts draw
 * left to right); without a limit, all of them.
 */
export interface Journal {
  readonly path: string;
  /**
   * Stores the batch's events in one transaction: all of them or, on error, none. Its
   * return is the acknowledgement: the batch is committed.
   */
  appendBatch(batch: EventBatch): AppendResult;
  /** Bars with `fromUs <= openUs < toUs`, oldest first. */
  bars(symbol: string, timeframe: Timeframe, fromUs?: number, toUs?: number): BarEvent[];
  /** The open time of the latest bar stored, or null when there is none (one index lookup). */
  lastBarOpenUs(symbol: string, timeframe: Timeframe): number | null;
  /** Gaps with `fromUs <= gap.fromUs < toUs`, oldest first. */
  gaps(symbol: string, timeframe: Timeframe, fromUs?: number, toUs?: number): GapEvent[];
  regimes(limit?: number): RegimeEvent[];
  /** Predictions with `fromUs <= openUs < toUs`, oldest first. */
  predictions(symbol: string, fromUs?: number, toUs?: number): PredictionEvent[];
  signals(limit?: number): SignalEvent[];
  riskDecisions(limit?: number): RiskDecisionEvent[];
  /** Every order, in time order. */
  orders(): OrderEvent[];
  /** Every fill, in time order. */
  fills(): FillEvent[];
  /** Trades by exit time. */
  trades(limit?: number): TradeEvent[];
  /** Account states with `fromUs <= timeUs < toUs`, in time order. */
  equity(fromUs?: number, toUs?: number): AccountEvent[];
  /** `symbol`'s positions opened by a fill and closed by no trade yet, oldest first. */
  openPositions(symbol: string): JournalPosition[];
  /** Orders with no fill that are not marked done: what the broker may still act on. */
  pendingOrders(): OrderEvent[];
  /**
   * Records how an order ended without a fill. Marking it again the same way is a no-op
   * (false); another status or reason is a `JournalConflictError`.
   */
  markOrderDone(clientOrderId: string, status: OrderDoneStatus, reason: string): boolean;
  appendModelEvent(entry: ModelEventEntry): void;
  modelEvents(limit?: number): ModelEventEntry[];
  /**
   * Stores a config version (`timeUs` defaults to the journal's clock). The same version
   * again with the same config and actor is a no-op (false); with another, a
   * `JournalConflictError`.
   */
  appendConfigChange(version: number, config: unknown, actor: string, timeUs?: number): boolean;
  /** The highest version stored, or null before the first. */
  latestConfig(): ConfigChange | null;
  appendAudit(entry: AuditEntry): void;
  audit(limit?: number): AuditEntry[];
  stats(): JournalStats;
  /**
   * Copies what the WAL holds into the database file without waiting for readers
   * (a passive checkpoint); for journals opened with `autoCheckpoint: false`.
   */
  checkpoint(): void;
  /** Checkpoints the WAL into the file (the flush), then closes; safe to call twice. */
  close(): void;
}

/** Opens or creates the journal at `path` and brings its schema up to date. */
export function openJournal(path: string, options: JournalOptions = {}): Journal {
  // Trades and the audit trail: readable by the owner only (0600), created so.
  preparePrivateDatabase(path);
  const db = new DatabaseSync(path);
  const now = options.now ?? Date.now;
  try {
    // busy_timeout: a second connection (the dashboard, a migration) waits instead of failing.
    db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${
        options.synchronous ?? "NORMAL"
      }; PRAGMA busy_timeout = 5000;${
        options.autoCheckpoint === false ? " PRAGMA wal_autocheckpoint = 0;" : ""
      }`,
    );
    migrate(db, path, now);
  } catch (error) {
    db.close();
    throw error;
  }

  const tables = {
    bar: keyedTable(db, BAR_TABLE),
    gap: keyedTable(db, GAP_TABLE),
    regime: keyedTable(db, REGIME_TABLE),
    prediction: keyedTable(db, PREDICTION_TABLE),
    signal: keyedTable(db, SIGNAL_TABLE),
    risk: keyedTable(db, RISK_TABLE),
    order: keyedTable(db, ORDER_TABLE),
    fill: keyedTable(db, FILL_TABLE),
    trade: keyedTable(db, TRADE_TABLE),
    account: keyedTable(db, ACCOUNT_TABLE),
  };
  const select = {
    bars: db.prepare(
      `SELECT * FROM bars WHERE symbol = ? AND timeframe = ? AND open_us >= ? AND open_us < ?
       ORDER BY open_us`,
    ),
    gaps: db.prepare(
      `SELECT * FROM gaps WHERE symbol = ? AND timeframe = ? AND from_us >= ? AND from_us < ?
       ORDER BY from_us`,
    ),
    regimes: db.prepare(latestFirst("regimes", "time_us DESC, symbol DESC, timeframe DESC")),
    lastBarOpenUs: db.prepare(
      "SELECT MAX(open_us) AS open_us FROM bars WHERE symbol = ? AND timeframe = ?",
    ),
    predictions: db.prepare(
      `SELECT * FROM predictions WHERE symbol = ? AND open_us >= ? AND open_us < ?
       ORDER BY open_us, model_id, role`,
    ),
    signals: db.prepare(latestFirst("signals", "time_us DESC, symbol DESC")),
    riskDecisions: db.prepare(latestFirst("risk_decisions", "time_us DESC, symbol DESC")),
    orders: db.prepare("SELECT * FROM orders ORDER BY time_us, rowid"),
    fills: db.prepare("SELECT * FROM fills ORDER BY time_us, rowid"),
    trades: db.prepare(latestFirst("trades", "exit_time_us DESC, rowid DESC")),
    equity: db.prepare(
      "SELECT * FROM account_states WHERE time_us >= ? AND time_us < ? ORDER BY time_us, rowid",
    ),
    openFills: db.prepare(
      `SELECT * FROM fills AS f WHERE symbol = ?
         AND NOT EXISTS (SELECT 1 FROM trades AS t WHERE t.position_id = f.position_id)
       ORDER BY time_us, rowid`,
    ),
    pendingOrders: db.prepare(
      `SELECT * FROM orders AS o WHERE done_status IS NULL
         AND NOT EXISTS (SELECT 1 FROM fills AS f WHERE f.client_order_id = o.client_order_id)
       ORDER BY time_us, rowid`,
    ),
    orderDone: db.prepare(
      "SELECT done_status, done_reason FROM orders WHERE client_order_id = ?",
    ),
    modelEvents: db.prepare(latestFirst("model_events", "time_us DESC, rowid DESC")),
    config: db.prepare("SELECT * FROM config_changes WHERE version = ?"),
    latestConfig: db.prepare("SELECT * FROM config_changes ORDER BY version DESC LIMIT 1"),
    audit: db.prepare(latestFirst("audit_log", "time_us DESC, rowid DESC")),
    counts: db.prepare(
      `SELECT ${
        Object.entries(COUNTED_TABLES).map(([name, table]) =>
          `(SELECT COUNT(*) FROM ${table}) AS ${name}`
        ).join(", ")
      }`,
    ),
  };
  const markDone = db.prepare(
    `UPDATE orders SET done_status = ?, done_reason = ?
     WHERE client_order_id = ? AND done_status IS NULL`,
  );
  const insertModelEvent = db.prepare(
    "INSERT INTO model_events (time_us, model_id, kind, detail) VALUES (?, ?, ?, ?)",
  );
  const insertConfig = db.prepare(
    `INSERT INTO config_changes (version, time_us, actor, config) VALUES (?, ?, ?, ?)
     ON CONFLICT (version) DO NOTHING`,
  );
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (time_us, actor, method, path, status, detail)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  let eventsNotStored = 0;
  let duplicatesSkipped = 0;
  let closed = false;

  function assertOpen(action: string): void {
    if (closed) throw new Error(`Cannot ${action} journal "${path}": it is closed`);
  }

  return {
    path,
    appendBatch(batch) {
      assertOpen("append to");
      let stored = 0;
      let duplicates = 0;
      let notStored = 0;
      if (batch.length === 0) return { stored, duplicates, notStored };
      let index = 0;
      db.exec("BEGIN");
      try {
        for (; index < batch.length; index++) {
          const event = batch[index];
          let isNew: boolean;
          switch (event.kind) {
            case "bar":
              isNew = tables.bar.store(event, index);
              break;
            case "gap":
              isNew = tables.gap.store(event, index);
              break;
            case "regime":
              isNew = tables.regime.store(event, index);
              break;
            case "prediction":
              isNew = tables.prediction.store(event, index);
              break;
            case "signal":
              isNew = tables.signal.store(event, index);
              break;
            case "risk":
              isNew = tables.risk.store(event, index);
              break;
            case "order":
              isNew = tables.order.store(event, index);
              break;
            case "fill":
              isNew = tables.fill.store(event, index);
              break;
            case "trade":
              isNew = tables.trade.store(event, index);
              break;
            case "account":
              isNew = tables.account.store(event, index);
              break;
            case "tick":
            case "features":
              // Recomputable from the feed and the spec: not worth the disk.
            case "watermark":
              // Coordination between components on a bus, not history.
              notStored++;
              continue;
            default: {
              // A new event kind must be given a table or a counter here, never dropped.
              const unhandled: never = event;
              throw new TypeError(
                `no table or counter takes this kind: ${JSON.stringify(unhandled)}`,
              );
            }
          }
          if (isNew) stored++;
          else duplicates++;
        }
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        if (error instanceof JournalConflictError) throw error;
        const what = index < batch.length
          ? `${describeEvent(batch[index])} (event ${index} of the batch)`
          : `a batch of ${batch.length} events`;
        throw new Error(`Cannot journal ${what} in "${path}": ${messageOf(error)}`, {
          cause: error,
        });
      }
      eventsNotStored += notStored;
      duplicatesSkipped += duplicates;
      return { stored, duplicates, notStored };
    },
    bars(symbol, timeframe, fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      return rows<BarRow>(select.bars, symbol, timeframe, fromUs, toUs).map(barFromRow);
    },
    lastBarOpenUs(symbol, timeframe) {
      const row = select.lastBarOpenUs.get(symbol, timeframe) as { open_us: number | null };
      return row.open_us;
    },
    gaps(symbol, timeframe, fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      return rows<GapRow>(select.gaps, symbol, timeframe, fromUs, toUs).map(gapFromRow);
    },
    regimes(limit) {
      return latest<RegimeRow>(select.regimes, limit, "regimes").map(regimeFromRow);
    },
    predictions(symbol, fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      return rows<PredictionRow>(select.predictions, symbol, fromUs, toUs).map(predictionFromRow);
    },
    signals(limit) {
      return latest<SignalRow>(select.signals, limit, "signals").map(signalFromRow);
    },
    riskDecisions(limit) {
      return latest<RiskRow>(select.riskDecisions, limit, "risk decisions").map(
        riskFromRow,
      );
    },
    orders() {
      return rows<OrderRow>(select.orders).map(orderFromRow);
    },
    fills() {
      return rows<FillRow>(select.fills).map(fillFromRow);
    },
    trades(limit) {
      return latest<TradeRow>(select.trades, limit, "trades").map(tradeFromRow);
    },
    equity(fromUs = Number.MIN_SAFE_INTEGER, toUs = Number.MAX_SAFE_INTEGER) {
      return rows<AccountRow>(select.equity, fromUs, toUs).map(accountFromRow);
    },
    openPositions(symbol) {
      return positionsFromFills(rows<FillRow>(select.openFills, symbol).map(fillFromRow));
    },
    pendingOrders() {
      return rows<OrderRow>(select.pendingOrders).map(orderFromRow);
    },
    markOrderDone(clientOrderId, status, reason) {
      assertOpen("mark an order done in");
      if (markDone.run(status, reason, clientOrderId).changes === 1) return true;
      const done = select.orderDone.get(clientOrderId) as
        | { done_status: string | null; done_reason: string | null }
        | undefined;
      if (done === undefined) {
        throw new Error(
          `Cannot mark order "${clientOrderId}" ${status} in "${path}": the journal has no such order`,
        );
      }
      if (done.done_status === status && done.done_reason === reason) return false;
      throw new JournalConflictError(
        `Cannot mark order "${clientOrderId}" ${status} ("${reason}") in "${path}": it is already marked ${done.done_status} ("${done.done_reason}")`,
        "orders",
        { client_order_id: clientOrderId },
      );
    },
    appendModelEvent(entry) {
      assertOpen("append a model event to");
      insertModelEvent.run(
        entry.timeUs,
        entry.modelId,
        entry.kind,
        jsonText(entry.detail, `the detail of model event "${entry.kind}"`),
      );
    },
    modelEvents(limit) {
      return latest<ModelEventRow>(select.modelEvents, limit, "model events").map((
        row,
      ) => ({
        timeUs: row.time_us,
        modelId: row.model_id,
        kind: row.kind,
        detail: JSON.parse(row.detail),
      }));
    },
    appendConfigChange(version, config, actor, timeUs = Math.round(now() * 1000)) {
      assertOpen("append a config change to");
      const text = jsonText(config, `config version ${version}`);
      if (insertConfig.run(version, timeUs, actor, text).changes === 1) return true;
      const stored = select.config.get(version) as unknown as ConfigRow;
      if (stored.config === text && stored.actor === actor) return false;
      throw new JournalConflictError(
        `Cannot store config version ${version} in "${path}": the journal holds a different version ${version} (by "${stored.actor}" at ${
          isoFromUs(stored.time_us)
        }); a new config needs a new version`,
        "config_changes",
        { version },
      );
    },
    latestConfig() {
      const row = select.latestConfig.get() as ConfigRow | undefined;
      return row === undefined ? null : {
        version: row.version,
        timeUs: row.time_us,
        actor: row.actor,
        config: JSON.parse(row.config),
      };
    },
    appendAudit(entry) {
      assertOpen("append an audit entry to");
      insertAudit.run(
        entry.timeUs,
        entry.actor,
        entry.method,
        entry.path,
        entry.status,
        entry.detail,
      );
    },
    audit(limit) {
      return latest<AuditRow>(select.audit, limit, "the audit log").map((row) => ({
        timeUs: row.time_us,
        actor: row.actor,
        method: row.method,
        path: row.path,
        status: row.status,
        detail: row.detail,
      }));
    },
    stats() {
      const counts = select.counts.get() as Record<keyof typeof COUNTED_TABLES, number>;
      return { ...counts, eventsNotStored, duplicatesSkipped };
    },
    checkpoint() {
      if (!closed) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
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

/** The `JournalStats` row counts and the table each counts. */
const COUNTED_TABLES = {
  bars: "bars",
  gaps: "gaps",
  regimes: "regimes",
  predictions: "predictions",
  signals: "signals",
  riskDecisions: "risk_decisions",
  orders: "orders",
  fills: "fills",
  trades: "trades",
  accountStates: "account_states",
  modelEvents: "model_events",
  configChanges: "config_changes",
  auditEntries: "audit_log",
} as const;

/** The latest `?` rows of `table`, newest first: the reader reverses them. */
function latestFirst(table: string, newestFirst: string): string {
  return `SELECT * FROM ${table} ORDER BY ${newestFirst} LIMIT ?`;
}

/** How a table treats an event arriving again under a key it already holds. */
type OnDuplicate =
  /** Keep the first copy whatever the new one holds: a revised feed, a rescored bar. */
  | "keep-first"
  /** Skip an identical copy (a retried report) and refuse a different one. */
  | "refuse-different";

/** Where one event kind goes: its table, the columns it fills and the key that makes it unique. */
interface TableSpec<E extends MarketEvent> {
  readonly table: string;
  /** The columns `values` fills, in its order. */
  readonly columns: readonly string[];
  readonly key: readonly string[];
  readonly onDuplicate: OnDuplicate;
  readonly values: (event: E) => SQLInputValue[];
}

interface KeyedTable<E extends MarketEvent> {
  /** Inserts `event`'s row: true if new, false if its key was already stored. */
  store(event: E, index: number): boolean;
}

/**
 * Prepares a table's insert, which skips key conflicts only, and the look-up that tells a
 * retried report from a contradicting one by comparing every column it wrote.
 */
function keyedTable<E extends MarketEvent>(db: DatabaseSync, spec: TableSpec<E>): KeyedTable<E> {
  const { table, columns, key } = spec;
  const insert = db.prepare(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
     ON CONFLICT (${key.join(", ")}) DO NOTHING`,
  );
  const keyIndexes = key.map((column) => columns.indexOf(column));
  const storedRow = db.prepare(
    `SELECT ${columns.join(", ")} FROM ${table} WHERE ${key.map((c) => `${c} = ?`).join(" AND ")}`,
  );
  return {
    store(event, index) {
      const values = spec.values(event);
      if (insert.run(...values).changes === 1) return true;
      if (spec.onDuplicate === "keep-first") return false;
      const keyValues = keyIndexes.map((i) => values[i]);
      const stored = storedRow.get(...keyValues) as Record<string, SQLOutputValue>;
      const differing = columns.filter((column, i) => values[i] !== stored[column]);
      if (differing.length === 0) return false;
      throw new JournalConflictError(
        `Cannot journal ${
          describeEvent(event)
        } (event ${index} of the batch): the journal holds a different one under its key (${
          differing.join(", ")
        } differ); a retried report must repeat the original exactly`,
        table,
        Object.fromEntries(key.map((column, i) => [column, keyValues[i]])),
      );
    },
  };
}

const BAR_TABLE: TableSpec<BarEvent> = {
  table: "bars",
  columns: columnList(
    "symbol, timeframe, open_us, close_us, v, bid_open, bid_high, bid_low, bid_close, ask_open, ask_high, ask_low, ask_close, spread, volume",
  ),
  key: ["symbol", "timeframe", "open_us"],
  onDuplicate: "keep-first",
  values: ({ symbol, timeframe, openUs, closeUs, v, bid, ask, spread, volume }) => [
    symbol,
    timeframe,
    openUs,
    closeUs,
    v,
    bid.open,
    bid.high,
    bid.low,
    bid.close,
    ask?.open ?? null,
    ask?.high ?? null,
    ask?.low ?? null,
    ask?.close ?? null,
    spread,
    volume,
  ],
};

const GAP_TABLE: TableSpec<GapEvent> = {
  table: "gaps",
  columns: columnList(
    "symbol, timeframe, from_us, to_us, v, missing_session_minutes, category",
  ),
  key: ["symbol", "timeframe", "from_us"],
  onDuplicate: "keep-first",
  values: (
    e,
  ) => [e.symbol, e.timeframe, e.fromUs, e.toUs, e.v, e.missingSessionMinutes, e.category],
};

const REGIME_TABLE: TableSpec<RegimeEvent> = {
  table: "regimes",
  columns: columnList(
    "symbol, timeframe, time_us, v, volatility, trend, realised_volatility, volatility_percentile, adx, efficiency_ratio, move",
  ),
  key: ["symbol", "timeframe", "time_us"],
  onDuplicate: "refuse-different",
  values: ({ measures: m, ...e }) => [
    e.symbol,
    e.timeframe,
    e.timeUs,
    e.v,
    e.volatility,
    e.trend,
    m.realisedVolatility,
    m.volatilityPercentile,
    m.adx,
    m.efficiencyRatio,
    m.move,
  ],
};

const PREDICTION_TABLE: TableSpec<PredictionEvent> = {
  table: "predictions",
  columns: columnList(
    "symbol, open_us, model_id, role, close_us, v, p_down, p_flat, p_up, agreement, members",
  ),
  key: ["symbol", "open_us", "model_id", "role"],
  onDuplicate: "keep-first",
  values: (e) => [
    e.symbol,
    e.openUs,
    e.modelId,
    e.role,
    e.closeUs,
    e.v,
    e.probabilities[0],
    e.probabilities[1],
    e.probabilities[2],
    e.agreement,
    JSON.stringify(e.members),
  ],
};

const SIGNAL_TABLE: TableSpec<SignalEvent> = {
  table: "signals",
  columns: columnList(
    "symbol, time_us, v, side, confidence, entry_price, stop_loss, take_profit, stop_distance, take_distance, stop_points, take_points, votes, regime_volatility, regime_trend, spec_hash, model_id",
  ),
  key: ["symbol", "time_us"],
  onDuplicate: "refuse-different",
  values: (e) => [
    e.symbol,
    e.timeUs,
    e.v,
    e.side,
    e.confidence,
    e.entryPrice,
    e.stopLoss,
    e.takeProfit,
    e.stopDistance,
    e.takeDistance,
    e.stopPoints,
    e.takePoints,
    // Fields picked in a fixed order, so a retried copy serialises to the same text.
    JSON.stringify(
      e.votes.map(({ source, side, confidence, weight, reasons }) => ({
        source,
        side,
        confidence,
        weight,
        reasons,
      })),
    ),
    e.regime?.volatility ?? null,
    e.regime?.trend ?? null,
    e.specHash,
    e.modelId,
  ],
};

const RISK_TABLE: TableSpec<RiskDecisionEvent> = {
  table: "risk_decisions",
  columns: columnList(
    "symbol, time_us, v, side, decision, lots, stop_loss, take_profit, reasons, state, client_order_id",
  ),
  key: ["symbol", "time_us"],
  onDuplicate: "refuse-different",
  values: (e) => [
    e.symbol,
    e.timeUs,
    e.v,
    e.side,
    e.decision,
    e.lots,
    e.stopLoss,
    e.takeProfit,
    JSON.stringify(e.reasons.map(({ code, detail }) => ({ code, detail }))),
    e.state,
    e.clientOrderId,
  ],
};

const ORDER_TABLE: TableSpec<OrderEvent> = {
  table: "orders",
  columns: columnList(
    "client_order_id, symbol, time_us, v, action, side, lots, stop_loss, take_profit, position_id, reason",
  ),
  key: ["client_order_id"],
  onDuplicate: "refuse-different",
  values: (e) => [
    e.clientOrderId,
    e.symbol,
    e.timeUs,
    e.v,
    e.action,
    e.side,
    e.lots,
    e.stopLoss,
    e.takeProfit,
    e.positionId,
    e.reason,
  ],
};

const FILL_TABLE: TableSpec<FillEvent> = {
  table: "fills",
  columns: columnList(
    "client_order_id, action, position_id, symbol, time_us, v, side, lots, price, commission, slippage, reason",
  ),
  key: ["client_order_id", "action", "position_id"],
  onDuplicate: "refuse-different",
  values: (e) => [
    e.clientOrderId,
    e.action,
    e.positionId,
    e.symbol,
    e.timeUs,
    e.v,
    e.side,
    e.lots,
    e.price,
    e.commission,
    e.slippage,
    e.reason,
  ],
};

const TRADE_TABLE: TableSpec<TradeEvent> = {
  table: "trades",
  columns: columnList(
    "position_id, symbol, v, side, lots, entry_time_us, entry_price, exit_time_us, exit_price, exit_reason, pnl, commission, swap, spread_cost, mae, mfe",
  ),
  key: ["position_id"],
  onDuplicate: "refuse-different",
  values: (e) => [
    e.positionId,
    e.symbol,
    e.v,
    e.side,
    e.lots,
    e.entryTimeUs,
    e.entryPrice,
    e.exitTimeUs,
    e.exitPrice,
    e.exitReason,
    e.pnl,
    e.commission,
    e.swap,
    e.spreadCost,
    e.mae,
    e.mfe,
  ],
};

/**
 * An account state has no id of its own: the key is its time and content, so a repeated
 * report is skipped while two different states at one time (an open and a close in the
 * same instant) are both kept, in arrival order.
 */
const ACCOUNT_TABLE: TableSpec<AccountEvent> = {
  table: "account_states",
  columns: columnList(
    "time_us, v, balance, equity, margin, open_positions",
  ),
  key: ["time_us", "balance", "equity", "margin", "open_positions"],
  onDuplicate: "keep-first",
  values: (e) => [e.timeUs, e.v, e.balance, e.equity, e.margin, e.openPositions],
};

/** `"a, b"` as `["a", "b"]`: a table's columns read like the SQL that made them. */
function columnList(names: string): readonly string[] {
  return names.split(", ");
}

/** Names an event by its key, for error messages. */
function describeEvent(event: MarketEvent): string {
  switch (event.kind) {
    case "tick":
      return `tick ${event.symbol} at ${isoFromUs(event.timeUs)}`;
    case "bar":
      return `bar ${event.symbol} ${event.timeframe} at ${isoFromUs(event.openUs)}`;
    case "gap":
      return `gap ${event.symbol} ${event.timeframe} from ${isoFromUs(event.fromUs)}`;
    case "features":
      return `features ${event.symbol} at ${isoFromUs(event.openUs)}`;
    case "regime":
      return `regime ${event.symbol} ${event.timeframe} at ${isoFromUs(event.timeUs)}`;
    case "prediction":
      return `${event.role} prediction of model "${event.modelId}" for ${event.symbol} at ${
        isoFromUs(event.openUs)
      }`;
    case "signal":
      return `signal ${event.symbol} at ${isoFromUs(event.timeUs)}`;
    case "risk":
      return `risk decision ${event.symbol} at ${isoFromUs(event.timeUs)}`;
    case "order":
      return `order "${event.clientOrderId}"`;
    case "fill":
      return `${event.action} fill of order "${event.clientOrderId}" on position "${event.positionId}"`;
    case "trade":
      return `trade of position "${event.positionId}"`;
    case "account":
      return `account state at ${isoFromUs(event.timeUs)}`;
    default:
      return `event of kind "${(event as { kind: string }).kind}"`;
  }
}

/**
 * Folds fills, in time order, into the positions they leave open, as the risk engine's
 * `PositionBook.onFill` does: an entry fill adds lots at a lot-weighted price, an exit
 * fill takes lots away, and an exit with no entry seen is ignored.
 */
function positionsFromFills(fills: readonly FillEvent[]): JournalPosition[] {
  const open = new Map<string, JournalPosition>();
  for (const fill of fills) {
    const position = open.get(fill.positionId);
    if (fill.action === "open" && position === undefined) {
      open.set(fill.positionId, {
        positionId: fill.positionId,
        clientOrderId: fill.clientOrderId,
        side: fill.side,
        lots: fill.lots,
        entryPrice: fill.price,
        entryTimeUs: fill.timeUs,
      });
    } else if (fill.action === "open" && position !== undefined) {
      const lots = cleanLots(position.lots + fill.lots);
      const entryPrice = (position.entryPrice * position.lots + fill.price * fill.lots) / lots;
      open.set(fill.positionId, { ...position, lots, entryPrice });
    } else if (position !== undefined) {
      const lots = cleanLots(position.lots - fill.lots);
      if (lots > 0) open.set(fill.positionId, { ...position, lots });
      else open.delete(fill.positionId);
    }
  }
  return [...open.values()];
}

/** Lots to 8 decimals, as `PositionBook` keeps them, so partial fills leave no float dust. */
function cleanLots(lots: number): number {
  return Number(lots.toFixed(8));
}

function rows<R>(statement: StatementSync, ...params: SQLInputValue[]): R[] {
  return statement.all(...params) as unknown as R[];
}

/** The rows of a `latestFirst` statement, oldest first. */
function latest<R>(statement: StatementSync, limit: number | undefined, what: string): R[] {
  return rows<R>(statement, rowLimit(limit, what)).reverse();
}

/** A reader's `limit` as SQL's: -1 (no limit) when absent. */
function rowLimit(limit: number | undefined, what: string): number {
  if (limit === undefined) return -1;
  if (Number.isSafeInteger(limit) && limit >= 0) return limit;
  throw new RangeError(
    `Cannot read ${what} from the journal: limit ${limit} must be a whole number, 0 or more`,
  );
}

/** JSON text of a caller's value; refuses what JSON cannot hold rather than store "undefined". */
function jsonText(value: unknown, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(`Cannot store ${what} in the journal: ${typeof value} is not JSON`);
  }
  return text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

interface RegimeRow {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly time_us: number;
  readonly v: number;
  readonly volatility: VolatilityLabel;
  readonly trend: TrendLabel;
  readonly realised_volatility: number;
  readonly volatility_percentile: number;
  readonly adx: number;
  readonly efficiency_ratio: number;
  readonly move: number;
}

interface PredictionRow {
  readonly symbol: string;
  readonly open_us: number;
  readonly model_id: string;
  readonly role: PredictionEvent["role"];
  readonly close_us: number;
  readonly v: number;
  readonly p_down: number;
  readonly p_flat: number;
  readonly p_up: number;
  readonly agreement: number;
  readonly members: string;
}

interface SignalRow {
  readonly symbol: string;
  readonly time_us: number;
  readonly v: number;
  readonly side: SignalEvent["side"];
  readonly confidence: number;
  readonly entry_price: number;
  readonly stop_loss: number | null;
  readonly take_profit: number | null;
  readonly stop_distance: number | null;
  readonly take_distance: number | null;
  readonly stop_points: number | null;
  readonly take_points: number | null;
  readonly votes: string;
  readonly regime_volatility: VolatilityLabel | null;
  readonly regime_trend: TrendLabel | null;
  readonly spec_hash: string;
  readonly model_id: string | null;
}

interface RiskRow {
  readonly symbol: string;
  readonly time_us: number;
  readonly v: number;
  readonly side: Side;
  readonly decision: RiskDecisionEvent["decision"];
  readonly lots: number;
  readonly stop_loss: number | null;
  readonly take_profit: number | null;
  readonly reasons: string;
  readonly state: TradingState;
  readonly client_order_id: string | null;
}

interface OrderRow {
  readonly client_order_id: string;
  readonly symbol: string;
  readonly time_us: number;
  readonly v: number;
  readonly action: OrderEvent["action"];
  readonly side: Side;
  readonly lots: number;
  readonly stop_loss: number | null;
  readonly take_profit: number | null;
  readonly position_id: string | null;
  readonly reason: string;
}

interface FillRow {
  readonly client_order_id: string;
  readonly action: FillEvent["action"];
  readonly position_id: string;
  readonly symbol: string;
  readonly time_us: number;
  readonly v: number;
  readonly side: Side;
  readonly lots: number;
  readonly price: number;
  readonly commission: number;
  readonly slippage: number;
  readonly reason: FillEvent["reason"];
}

interface TradeRow {
  readonly position_id: string;
  readonly symbol: string;
  readonly v: number;
  readonly side: Side;
  readonly lots: number;
  readonly entry_time_us: number;
  readonly entry_price: number;
  readonly exit_time_us: number;
  readonly exit_price: number;
  readonly exit_reason: ExitReason;
  readonly pnl: number;
  readonly commission: number;
  readonly swap: number;
  readonly spread_cost: number;
  readonly mae: number;
  readonly mfe: number;
}

interface AccountRow {
  readonly time_us: number;
  readonly v: number;
  readonly balance: number;
  readonly equity: number;
  readonly margin: number;
  readonly open_positions: number;
}

interface ModelEventRow {
  readonly time_us: number;
  readonly model_id: string;
  readonly kind: string;
  readonly detail: string;
}

interface ConfigRow {
  readonly version: number;
  readonly time_us: number;
  readonly actor: string;
  readonly config: string;
}

interface AuditRow {
  readonly time_us: number;
  readonly actor: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly detail: string | null;
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

function regimeFromRow(row: RegimeRow): RegimeEvent {
  return {
    v: eventVersion(row.v, `regime ${row.symbol} ${row.timeframe} at ${row.time_us}`),
    kind: "regime",
    symbol: row.symbol,
    timeframe: row.timeframe,
    timeUs: row.time_us,
    volatility: row.volatility,
    trend: row.trend,
    measures: {
      realisedVolatility: row.realised_volatility,
      volatilityPercentile: row.volatility_percentile,
      adx: row.adx,
      efficiencyRatio: row.efficiency_ratio,
      move: row.move,
    },
  };
}

function predictionFromRow(row: PredictionRow): PredictionEvent {
  return {
    v: eventVersion(row.v, `prediction of model "${row.model_id}" at ${row.open_us}`),
    kind: "prediction",
    symbol: row.symbol,
    openUs: row.open_us,
    closeUs: row.close_us,
    modelId: row.model_id,
    role: row.role,
    probabilities: [row.p_down, row.p_flat, row.p_up],
    agreement: row.agreement,
    members: JSON.parse(row.members),
  };
}

function signalFromRow(row: SignalRow): SignalEvent {
  return {
    v: eventVersion(row.v, `signal ${row.symbol} at ${row.time_us}`),
    kind: "signal",
    symbol: row.symbol,
    timeUs: row.time_us,
    side: row.side,
    confidence: row.confidence,
    entryPrice: row.entry_price,
    stopLoss: row.stop_loss,
    takeProfit: row.take_profit,
    stopDistance: row.stop_distance,
    takeDistance: row.take_distance,
    stopPoints: row.stop_points,
    takePoints: row.take_points,
    votes: JSON.parse(row.votes) as Vote[],
    // appendBatch writes both regime columns from one `regime`, so they are both null or both set.
    regime: row.regime_volatility === null
      ? null
      : { volatility: row.regime_volatility, trend: row.regime_trend as TrendLabel },
    specHash: row.spec_hash,
    modelId: row.model_id,
  };
}

function riskFromRow(row: RiskRow): RiskDecisionEvent {
  return {
    v: eventVersion(row.v, `risk decision ${row.symbol} at ${row.time_us}`),
    kind: "risk",
    symbol: row.symbol,
    timeUs: row.time_us,
    side: row.side,
    decision: row.decision,
    lots: row.lots,
    stopLoss: row.stop_loss,
    takeProfit: row.take_profit,
    reasons: JSON.parse(row.reasons) as RiskReason[],
    state: row.state,
    clientOrderId: row.client_order_id,
  };
}

function orderFromRow(row: OrderRow): OrderEvent {
  return {
    v: eventVersion(row.v, `order "${row.client_order_id}"`),
    kind: "order",
    symbol: row.symbol,
    timeUs: row.time_us,
    clientOrderId: row.client_order_id,
    action: row.action,
    side: row.side,
    lots: row.lots,
    stopLoss: row.stop_loss,
    takeProfit: row.take_profit,
    positionId: row.position_id,
    reason: row.reason,
  };
}

function fillFromRow(row: FillRow): FillEvent {
  return {
    v: eventVersion(row.v, `fill of order "${row.client_order_id}"`),
    kind: "fill",
    symbol: row.symbol,
    timeUs: row.time_us,
    clientOrderId: row.client_order_id,
    positionId: row.position_id,
    action: row.action,
    side: row.side,
    lots: row.lots,
    price: row.price,
    commission: row.commission,
    slippage: row.slippage,
    reason: row.reason,
  };
}

function tradeFromRow(row: TradeRow): TradeEvent {
  return {
    v: eventVersion(row.v, `trade of position "${row.position_id}"`),
    kind: "trade",
    symbol: row.symbol,
    positionId: row.position_id,
    side: row.side,
    lots: row.lots,
    entryTimeUs: row.entry_time_us,
    entryPrice: row.entry_price,
    exitTimeUs: row.exit_time_us,
    exitPrice: row.exit_price,
    exitReason: row.exit_reason,
    pnl: row.pnl,
    commission: row.commission,
    swap: row.swap,
    spreadCost: row.spread_cost,
    mae: row.mae,
    mfe: row.mfe,
  };
}

function accountFromRow(row: AccountRow): AccountEvent {
  return {
    v: eventVersion(row.v, `account state at ${row.time_us}`),
    kind: "account",
    timeUs: row.time_us,
    balance: row.balance,
    equity: row.equity,
    margin: row.margin,
    openPositions: row.open_positions,
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
