import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  EVENT_VERSION,
  type MarketEvent,
  NO_LEVELS,
  type PendingOrderEvent,
  type RejectionEvent,
  US_PER_MINUTE,
} from "@/pipeline/events.ts";
import { JOURNAL_SCHEMA_VERSION, JournalConflictError, openJournal } from "@/sinks/journal.ts";
import {
  account,
  bar,
  EMPTY_STATS,
  entryFill,
  entryOrder,
  exitFill,
  exitOrder,
  prediction,
  regime,
  riskDecision,
  signal,
  T0,
  tempJournalPath,
  trade,
  tradingRound,
} from "./_journal_fixtures.ts";

const ofKind = <K extends MarketEvent["kind"]>(events: readonly MarketEvent[], kind: K) =>
  events.filter((e): e is Extract<MarketEvent, { kind: K }> => e.kind === kind);

Deno.test("Journal.appendBatch() round-trips every field of every stored kind", async () => {
  await using tmp = await tempJournalPath();
  const batch = [
    ...tradingRound(0),
    signal(1, {
      side: "hold",
      ...NO_LEVELS,
      votes: [],
      regime: null,
      modelId: null,
    }),
    riskDecision(2, { decision: "reject", lots: 0, reasons: [], clientOrderId: null }),
  ];
  const journal = openJournal(tmp.path);
  journal.appendBatch(batch);
  journal.close();

  const reopened = openJournal(tmp.path);
  assert.deepEqual(reopened.bars("XAUUSD", "M1"), ofKind(batch, "bar"));
  assert.deepEqual(reopened.predictions("XAUUSD"), ofKind(batch, "prediction"));
  assert.deepEqual(reopened.regimes(), ofKind(batch, "regime"));
  assert.deepEqual(reopened.signals(), ofKind(batch, "signal"));
  assert.deepEqual(reopened.riskDecisions(), ofKind(batch, "risk"));
  assert.deepEqual(reopened.orders(), ofKind(batch, "order"));
  assert.deepEqual(reopened.fills(), ofKind(batch, "fill"));
  assert.deepEqual(reopened.trades(), ofKind(batch, "trade"));
  assert.deepEqual(reopened.equity(), ofKind(batch, "account"));
  reopened.close();
});

Deno.test("Journal.appendBatch() stores every kind but ticks and feature rows", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const features: MarketEvent = {
    v: EVENT_VERSION,
    kind: "features",
    symbol: "XAUUSD",
    openUs: T0,
    closeUs: T0 + US_PER_MINUTE,
    specHash: "c3d4e5",
    values: [1, 2, 3],
  };
  const result = journal.appendBatch([...tradingRound(0), features]);
  assert.deepEqual(result, { stored: 13, duplicates: 0, notStored: 1 });
  assert.deepEqual(journal.stats(), {
    ...EMPTY_STATS,
    bars: 1,
    regimes: 1,
    predictions: 2,
    signals: 1,
    riskDecisions: 1,
    orders: 2,
    fills: 2,
    trades: 1,
    accountStates: 2,
    eventsNotStored: 1,
  });
  journal.close();
});

Deno.test("Journal.appendBatch() has committed the batch when it returns", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch(tradingRound(0));
  const reader = new DatabaseSync(tmp.path, { readOnly: true });
  const { n } = reader.prepare("SELECT COUNT(*) AS n FROM fills").get() as { n: number };
  reader.close();
  journal.close();
  assert.equal(n, 2);
});

Deno.test("Journal.appendBatch() skips and counts a retried batch, storing nothing twice", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch(tradingRound(0));
  const before = journal.stats();
  assert.deepEqual(journal.appendBatch(tradingRound(0)), {
    stored: 0,
    duplicates: 13,
    notStored: 0,
  });
  assert.deepEqual(journal.stats(), { ...before, duplicatesSkipped: 13 });
  journal.close();
});

Deno.test("Journal.appendBatch() refuses a report that contradicts a stored one, naming its key", async (t) => {
  const cases: [string, MarketEvent, RegExp][] = [
    [
      "signal",
      signal(0, { confidence: 0.9 }),
      /signal XAUUSD at 2024-03-04T00:01:00Z .*confidence/,
    ],
    ["risk decision", riskDecision(0, { lots: 0.2 }), /risk decision XAUUSD at .*lots/],
    ["order", entryOrder(0, { lots: 0.2 }), /order "XAUUSD-\d+-buy" .*lots/],
    [
      "fill",
      entryFill(0, { price: 1 }),
      /open fill of order "XAUUSD-\d+-buy" on position "XAUUSD-\d+-buy" .*price/,
    ],
    ["trade", trade(0, { pnl: -1 }), /trade of position "XAUUSD-\d+-buy" .*pnl/],
    ["regime", regime(0, { trend: "bear" }), /regime XAUUSD M1 at .*trend/],
  ];
  for (const [name, conflicting, message] of cases) {
    await t.step(name, async () => {
      await using tmp = await tempJournalPath();
      const journal = openJournal(tmp.path);
      journal.appendBatch(tradingRound(0));
      const before = journal.stats();
      assert.throws(
        () => journal.appendBatch([bar(5), conflicting]),
        (error) =>
          error instanceof JournalConflictError && message.test(error.message) &&
          /event 1 of the batch/.test(error.message),
      );
      assert.deepEqual(journal.stats(), before, "the batch is rolled back whole");
      journal.close();
    });
  }
});

Deno.test("JournalConflictError carries the table and the key's values", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([entryFill(0)]);
  try {
    journal.appendBatch([entryFill(0, { lots: 0.5 })]);
    assert.fail("expected a conflict");
  } catch (error) {
    assert.ok(error instanceof JournalConflictError);
    assert.equal(error.table, "fills");
    assert.deepEqual(error.key, {
      client_order_id: entryFill(0).clientOrderId,
      action: "open",
      position_id: entryFill(0).positionId,
    });
  } finally {
    journal.close();
  }
});

Deno.test("Journal.appendBatch() keeps the first prediction of a model for a bar", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([prediction(0)]);
  const rescored = { ...prediction(0), probabilities: [0.1, 0.1, 0.8] as const };
  assert.deepEqual(journal.appendBatch([rescored]), { stored: 0, duplicates: 1, notStored: 0 });
  assert.deepEqual(journal.predictions("XAUUSD"), [prediction(0)]);
  journal.close();
});

Deno.test("Journal.appendBatch() keeps two account states of one instant, in arrival order, once each", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const afterEntry = account(0, { equity: 10_003 });
  const afterExit = account(0, { equity: 9_990, openPositions: 0 });
  journal.appendBatch([afterEntry, afterExit]);
  journal.appendBatch([afterEntry, afterExit]);
  assert.deepEqual(journal.equity(), [afterEntry, afterExit]);
  assert.equal(journal.stats().duplicatesSkipped, 2);
  journal.close();
});

Deno.test("Journal.appendBatch() fails a corrupt fill naming it, rather than skipping it", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  assert.throws(() => journal.appendBatch([entryOrder(0), entryFill(0, { price: NaN })]), {
    message: new RegExp(
      `^Cannot journal open fill of order "${
        entryFill(0).clientOrderId
      }" on position ".*" \\(event 1 of the batch\\) in ".*": NOT NULL constraint failed: fills.price$`,
    ),
  });
  assert.equal(journal.stats().orders, 0);
  journal.close();
});

Deno.test("Journal.openPositions() lists positions a fill opened and no trade closed", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([entryOrder(0), entryFill(0), entryOrder(1), entryFill(1)]);
  journal.appendBatch([exitOrder(0), exitFill(0), trade(0)]);
  journal.appendBatch([entryFill(2, { symbol: "XAGUSD" })]);
  assert.deepEqual(journal.openPositions("XAUUSD"), [{
    positionId: entryFill(1).positionId,
    clientOrderId: entryFill(1).clientOrderId,
    side: "buy",
    lots: 0.12,
    entryPrice: entryFill(1).price,
    entryTimeUs: entryFill(1).timeUs,
  }]);
  journal.close();
});

Deno.test("Journal.openPositions() adds entry fills at a weighted price and takes off partial closes", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const positionId = entryFill(0).positionId;
  const addOn = entryFill(0, { clientOrderId: "add-on", lots: 0.04, price: 2060.13 });
  const partialClose = exitFill(0, { lots: 0.06 });
  journal.appendBatch([entryFill(0), addOn]);
  const [added] = journal.openPositions("XAUUSD");
  assert.equal(added.lots, 0.16);
  assert.equal(added.entryPrice, (2051.13 * 0.12 + 2060.13 * 0.04) / 0.16);
  journal.appendBatch([partialClose]);
  const [reduced] = journal.openPositions("XAUUSD");
  assert.deepEqual(reduced, { ...added, lots: 0.1 });
  assert.equal(reduced.positionId, positionId);
  assert.equal(reduced.entryTimeUs, entryFill(0).timeUs);
  journal.close();
});

Deno.test("Journal.pendingOrders() lists orders with no fill that are not marked done", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const modify = exitOrder(1, { clientOrderId: "modify-1", action: "modify", stopLoss: 2050 });
  journal.appendBatch([entryOrder(0), entryFill(0), exitOrder(0), entryOrder(1), modify]);
  assert.deepEqual(journal.pendingOrders(), [entryOrder(1), exitOrder(0), modify]);
  journal.markOrderDone(entryOrder(1).clientOrderId, "rejected", "insufficient_margin");
  journal.markOrderDone("modify-1", "acked", "stops moved");
  journal.appendBatch([exitFill(0)]);
  assert.deepEqual(journal.pendingOrders(), []);
  journal.close();
});

Deno.test("Journal keeps pending orders beside market orders and the broker's rejections", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const limit: PendingOrderEvent = {
    v: EVENT_VERSION,
    kind: "pending",
    symbol: "XAUUSD",
    timeUs: entryOrder(0).timeUs + 1,
    clientOrderId: "bracket-1-limit",
    side: "buy",
    type: "limit",
    price: 2049.5,
    lots: 0.1,
    stopLoss: 2046.5,
    takeProfit: 2055.5,
    expiresUs: T0 + 15 * US_PER_MINUTE,
    ocoGroup: "bracket-1",
    reason: "SIGNAL",
  };
  const stop: PendingOrderEvent = {
    ...limit,
    clientOrderId: "bracket-1-stop",
    type: "stop",
    price: 2051.5,
    stopLoss: 2048.5,
    takeProfit: 2057.5,
  };
  const cancelled: RejectionEvent = {
    v: EVENT_VERSION,
    kind: "rejection",
    symbol: "XAUUSD",
    timeUs: T0 + 2 * US_PER_MINUTE,
    clientOrderId: "bracket-1-stop",
    action: "pending",
    positionId: null,
    reason: "cancelled",
    detail: 'one-cancels-other: bracket-1-limit of group "bracket-1" filled',
  };
  const refused: RejectionEvent = {
    ...cancelled,
    clientOrderId: exitOrder(0).clientOrderId,
    action: "close",
    positionId: entryOrder(0).clientOrderId,
    reason: "unknown_position",
    detail: "position is not open",
  };
  const batch = [entryOrder(0), limit, stop, cancelled, exitOrder(0), refused];
  assert.deepEqual(journal.appendBatch(batch), { stored: 6, duplicates: 0, notStored: 0 });
  assert.deepEqual(journal.orders(), [entryOrder(0), limit, stop, exitOrder(0)]);
  assert.deepEqual(journal.rejections(), [cancelled, refused]);
  assert.deepEqual(journal.pendingOrders(), [entryOrder(0), limit, stop, exitOrder(0)]);
  assert.equal(journal.stats().rejections, 2);
  // A rejection sent again is skipped; one with another reason under its id is a conflict.
  assert.deepEqual(journal.appendBatch([cancelled]), { stored: 0, duplicates: 1, notStored: 0 });
  assert.throws(
    () => journal.appendBatch([{ ...cancelled, reason: "expired" }]),
    JournalConflictError,
  );
  journal.close();
});

Deno.test("Journal.markOrderDone() is a no-op the second time and refuses another status", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const id = entryOrder(0).clientOrderId;
  journal.appendBatch([entryOrder(0)]);
  assert.equal(journal.markOrderDone(id, "rejected", "market closed"), true);
  assert.equal(journal.markOrderDone(id, "rejected", "market closed"), false);
  assert.throws(() => journal.markOrderDone(id, "cancelled", "kill switch"), {
    name: "JournalConflictError",
    message: `Cannot mark order "${id}" cancelled ("kill switch") in "${tmp.path}": ` +
      `it is already marked rejected ("market closed")`,
  });
  journal.close();
});

Deno.test("Journal.markOrderDone() refuses an order it does not hold", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  assert.throws(() => journal.markOrderDone("nope", "acked", "ok"), {
    message: `Cannot mark order "nope" acked in "${tmp.path}": the journal has no such order`,
  });
  journal.close();
});

Deno.test("Journal.trades(), signals() and riskDecisions() return the latest `limit`, oldest first", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendBatch([0, 1, 2, 3].flatMap(tradingRound));
  assert.deepEqual(journal.trades(2), [trade(2), trade(3)]);
  assert.deepEqual(journal.signals(2), [signal(2), signal(3)]);
  assert.deepEqual(journal.riskDecisions(1), [riskDecision(3)]);
  assert.deepEqual(journal.trades(0), []);
  assert.equal(journal.trades().length, 4);
  assert.throws(() => journal.trades(1.5), {
    name: "RangeError",
    message: "Cannot read trades from the journal: limit 1.5 must be a whole number, 0 or more",
  });
  journal.close();
});

Deno.test("Journal.equity() returns the half-open range fromUs <= timeUs < toUs", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const states = [0, 1, 2, 3].map((i) => account(i));
  journal.appendBatch(states);
  assert.deepEqual(journal.equity(states[1].timeUs, states[3].timeUs), [states[1], states[2]]);
  journal.close();
});

Deno.test("Journal.appendConfigChange() stores versions and latestConfig() reads the highest", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path, { now: () => Date.UTC(2024, 2, 4) });
  assert.equal(journal.latestConfig(), null);
  const config = { risk: { maxLots: 0.5 }, sources: ["technical", "ml"] };
  assert.equal(journal.appendConfigChange(1, { risk: { maxLots: 1 } }, "operator"), true);
  assert.equal(journal.appendConfigChange(2, config, "dashboard", T0), true);
  assert.equal(journal.appendConfigChange(2, config, "dashboard", T0 + 5), false, "a retry");
  journal.close();
  const reopened = openJournal(tmp.path);
  assert.deepEqual(reopened.latestConfig(), {
    version: 2,
    timeUs: T0,
    actor: "dashboard",
    config,
  });
  assert.equal(reopened.stats().configChanges, 2);
  reopened.close();
});

Deno.test("Journal.appendConfigChange() refuses another config under a stored version", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  journal.appendConfigChange(3, { a: 1 }, "operator", T0);
  assert.throws(() => journal.appendConfigChange(3, { a: 2 }, "operator"), {
    name: "JournalConflictError",
    message: `Cannot store config version 3 in "${tmp.path}": the journal holds a different ` +
      `version 3 (by "operator" at 2024-03-04T00:00:00Z); a new config needs a new version`,
  });
  assert.throws(() => journal.appendConfigChange(4, undefined, "operator"), {
    name: "TypeError",
    message: "Cannot store config version 4 in the journal: undefined is not JSON",
  });
  journal.close();
});

Deno.test("Journal.appendAudit() and audit() keep the control plane's calls, latest `limit` oldest first", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const calls = [
    {
      timeUs: T0,
      actor: "dashboard",
      method: "GET",
      path: "/v1/status",
      status: 200,
      detail: null,
    },
    {
      timeUs: T0 + 1,
      actor: "operator",
      method: "PUT",
      path: "/v1/config",
      status: 200,
      detail: "version 2",
    },
    {
      timeUs: T0 + 2,
      actor: "anonymous",
      method: "POST",
      path: "/v1/kill-switch",
      status: 401,
      detail: "no token",
    },
  ];
  for (const call of calls) journal.appendAudit(call);
  assert.deepEqual(journal.audit(2), calls.slice(1));
  assert.deepEqual(journal.audit(), calls);
  journal.close();
});

Deno.test("Journal.appendModelEvent() keeps model events with their JSON detail", async () => {
  await using tmp = await tempJournalPath();
  const journal = openJournal(tmp.path);
  const promoted = {
    timeUs: T0,
    modelId: "9f3c01",
    kind: "promoted",
    detail: { from: "shadow", gates: { logLoss: 0.61, passed: true } },
  };
  const rolledBack = { timeUs: T0 + 1, modelId: "9f3c01", kind: "rolled_back", detail: null };
  journal.appendModelEvent(promoted);
  journal.appendModelEvent(rolledBack);
  assert.deepEqual(journal.modelEvents(), [promoted, rolledBack]);
  assert.deepEqual(journal.modelEvents(1), [rolledBack]);
  journal.close();
});

Deno.test("openJournal() upgrades a version-1 journal and keeps its bars", async () => {
  await using tmp = await tempJournalPath();
  // What the version-1 build wrote: the schema of migration 1 and a bar.
  const db = new DatabaseSync(tmp.path);
  db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
    INSERT INTO schema_migrations VALUES (1, '2024-01-01T00:00:00.000Z');
    CREATE TABLE bars (symbol TEXT NOT NULL, timeframe TEXT NOT NULL, open_us INTEGER NOT NULL,
      close_us INTEGER NOT NULL, v INTEGER NOT NULL, bid_open REAL NOT NULL,
      bid_high REAL NOT NULL, bid_low REAL NOT NULL, bid_close REAL NOT NULL, ask_open REAL,
      ask_high REAL, ask_low REAL, ask_close REAL, spread REAL, volume REAL NOT NULL,
      PRIMARY KEY (symbol, timeframe, open_us)) STRICT, WITHOUT ROWID;
    CREATE TABLE gaps (symbol TEXT NOT NULL, timeframe TEXT NOT NULL, from_us INTEGER NOT NULL,
      to_us INTEGER NOT NULL, v INTEGER NOT NULL, missing_session_minutes REAL NOT NULL,
      category TEXT NOT NULL, PRIMARY KEY (symbol, timeframe, from_us)) STRICT, WITHOUT ROWID;`);
  const { bid, openUs, closeUs, spread, volume } = bar(0);
  db.prepare(
    "INSERT INTO bars VALUES ('XAUUSD', 'M1', ?, ?, 1, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?)",
  )
    .run(openUs, closeUs, bid.open, bid.high, bid.low, bid.close, spread, volume);
  db.close();

  const journal = openJournal(tmp.path);
  journal.appendBatch(tradingRound(1));
  assert.deepEqual(journal.bars("XAUUSD", "M1"), [bar(0), bar(1)]);
  assert.deepEqual(journal.trades(), [trade(1)]);
  journal.close();
  const check = new DatabaseSync(tmp.path);
  const { version } = check.prepare("SELECT MAX(version) AS version FROM schema_migrations")
    .get() as { version: number };
  check.close();
  assert.equal(version, JOURNAL_SCHEMA_VERSION);
});
