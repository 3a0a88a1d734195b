/**
 * A logic check of the Expert Advisor, which cannot be compiled here. The MQL5 sources are
 * translated mechanically (regular expressions) to JavaScript, run against a fake terminal,
 * and every envelope they build must pass the server's own `parseEnvelope`. It exercises
 * the EA's logic and message shapes, not its MQL5 syntax: it must never be taken as proof
 * that the EA compiles or behaves in a real terminal.
 *
 * Run: deno test --allow-read tests/ea/ea_logic_test.ts
 */

import assert from "node:assert";
import {
  type Envelope,
  parseEnvelope,
  pendingCommandSchema,
} from "../../pipeline/live/protocol.ts";

type Msg = Record<string, unknown>;

/** The EA functions the check calls, after translation. */
interface Ea {
  StartSession(): void;
  BuildFlight(): void;
  FlightAccepted(): void;
  Sync(): void;
  DropRefusedMessage(error: string): void;
  QueueClosedBars(): boolean;
  QueueAccount(always: boolean): void;
  QueueMessage(happenedUs: number, json: string): void;
  HandleReply(reply: string): void;
  OnEntryDeal(deal: number): void;
  OnExitDeal(deal: number): void;
  UpdateExcursions(): void;
  ExpireWorking(): void;
  state(): { flightBody: string; seq: number; queued: number };
}

/** The reader and writer functions the check calls, after translation. */
interface Json {
  JsonQuote(text: string): string;
  JStr(key: string, value: string): string;
  JInt(key: string, value: number): string;
  JNum(key: string, value: number, digits: number): string;
  JPriceOrNull(key: string, value: number, digits: number): string;
  JsonFind(json: string, at: number, key: string): number;
  JsonRaw(json: string, at: number): string;
  JsonString(json: string, at: number): string;
  JsonIsNull(json: string, at: number): boolean;
  JsonDouble(json: string, at: number): number;
  JsonLong(json: string, at: number): number;
  JsonArrayItems(json: string, at: number, starts: number[]): number;
}

const MQL_TYPES =
  "string|int|ushort|bool|double|long|ulong|uint|datetime|ENUM_DEAL_REASON|ENUM_DEAL_ENTRY|MqlTick|MqlRates";
const CHAR_ESCAPES: Record<string, string> = {
  "\\n": "\n",
  "\\r": "\r",
  "\\t": "\t",
  "\\\\": "\\",
};

/** MQL5 to JavaScript for the subset these files use: types dropped, char literals to codes. */
function translate(source: string): string {
  return source
    .replace(/^#.*$/gm, "")
    .replace(/^template<typename T>\n/gm, "")
    .replace(/'(\\.|[^'\\])'/g, (_m, ch: string) => String((CHAR_ESCAPES[ch] ?? ch).charCodeAt(0)))
    .replace(
      new RegExp(`^(?:${MQL_TYPES}|void)\\s+(\\w+)\\(([^)]*)\\)\\s*\\{`, "gm"),
      (_m, name: string, params: string) => {
        const names = params.split(",").filter((p) => p.trim() !== "")
          .map((p) => p.trim().split(/\s+/).pop()!.replace(/[&[\]]/g, ""));
        return `function ${name}(${names.join(", ")}) {`;
      },
    )
    .replace(
      /\((?:ushort|int|long|ulong|uint|double|datetime|ENUM_DEAL_ENTRY|ENUM_DEAL_REASON)\)/g,
      "",
    )
    .replace(
      new RegExp(`\\b(?:${MQL_TYPES}) (\\w+)(\\[\\])?`, "g"),
      (_m, name: string, array) => array ? `let ${name} = []` : `let ${name}`,
    )
    .replace(/let tick;/g, "let tick = {};")
    // MQL5 lowers a string in place; a JavaScript string is immutable.
    .replace(/StringToLower\((\w+)\);/g, "$1 = $1.toLowerCase();")
    // MQL5 passes these by reference; JavaScript cannot, so the fake returns them.
    .replace(
      "if(!HttpExchange(g_flightBody, reply, status))",
      "const answer = HttpExchange(g_flightBody); if(answer) { reply = answer.reply; status = answer.status; } if(!answer)",
    );
}

/** The text of each named function (or template) in `source`. */
function functions(source: string, names: readonly string[]): string {
  return names.map((name) => {
    const found = new RegExp(`^(?:template<typename T>\\n)?[a-z]+\\s+${name}\\([^]*?\\n\\}`, "m")
      .exec(source);
    if (found === null) throw new Error(`check_ea: no function ${name} in the EA`);
    return found[0];
  }).join("\n\n");
}

const MQL_BUILTINS = `
const StringLen = (s) => s.length;
const StringGetCharacter = (s, i) => (i >= 0 && i < s.length ? s.charCodeAt(i) : 0);
const StringSubstr = (s, start, length = -1) => (length < 0 ? s.slice(start) : s.substr(start, length));
const StringFind = (s, x) => s.indexOf(x);
const ShortToString = (c) => String.fromCharCode(c);
const StringFormat = (_f, c) => "\\\\u" + c.toString(16).padStart(4, "0");
const MathIsValidNumber = (v) => Number.isFinite(v);
const DoubleToString = (v, d) => v.toFixed(d);
const IntegerToString = (v) => String(v);
const StringToDouble = (s) => parseFloat(s) || 0;
const StringToInteger = (s) => parseInt(s) || 0;
const ArraySize = (a) => a.length;
const ArrayResize = (a, n) => { const old = a.length; a.length = n; for (let i = old; i < n; i++) a[i] = {}; return n; };
const MathMin = Math.min, MathMax = Math.max, MathAbs = Math.abs;
const NormalizeDouble = (v, d) => Number(v.toFixed(d));
`;

const eaDir = new URL("../../ea/", import.meta.url);
const jsonSource = translate(Deno.readTextFileSync(new URL("ProtocolJson.mqh", eaDir)));
const eaSource = Deno.readTextFileSync(new URL("AIGoldScalper.mq5", eaDir));

function loadJson(): Json {
  return new Function(
    MQL_BUILTINS + jsonSource +
      "return { JsonQuote, JStr, JInt, JNum, JPriceOrNull, JsonFind, JsonRaw, JsonString, JsonIsNull, JsonDouble, JsonLong, JsonArrayItems };",
  )();
}

/** A fake terminal: one account, XAUUSD.m at 2 digits, server time UTC+2. */
interface Terminal {
  nowSec: number;
  bid: number;
  positions: Msg[];
  deals: Record<number, Msg>;
  bars: Msg[];
  orders: Msg[];
  bodies: string[];
  http: ({ status: number; reply: string } | null)[];
  log: string[];
}

const EA_FUNCTIONS = `UsFromServerTime UsFromServerMs NowUs PushString Contains RemoveRange
  QueueMessage QueueBar Ack StartSession BuildFlight EnvelopeJson FlightAccepted DropRefusedMessage
  SetStatus Sync HandleReply HandleCommand ExitReasonOf RejectStale CommandPrice ExecuteOpen
  ExecutePending FindWorking DeleteWorking ExecuteCancel ExpireWorking CancelSiblings ExecuteClose
  ExecuteModify FinishTrade Reject MarkHandled SelectPosition FindTracked CurrentSpread OpenValue Track
  UpdateExcursions FindSent FillJson DealCost OnEntryDeal OnExitDeal TradeJson QueueClosedBars
  AccountJson QueueAccount HelloJson`.split(/\s+/);

/** MT5 property identifiers the fake answers for, each standing for its own name. */
const PROPERTIES = `ACCOUNT_BALANCE ACCOUNT_CURRENCY ACCOUNT_EQUITY ACCOUNT_LEVERAGE ACCOUNT_LOGIN
  ACCOUNT_MARGIN ACCOUNT_SERVER DEAL_COMMENT DEAL_COMMISSION DEAL_FEE DEAL_MAGIC DEAL_ORDER
  DEAL_POSITION_ID DEAL_PRICE DEAL_PROFIT DEAL_REASON DEAL_SL DEAL_SWAP DEAL_TIME_MSC DEAL_TP DEAL_ENTRY
  DEAL_TYPE DEAL_VOLUME POSITION_IDENTIFIER POSITION_PRICE_OPEN POSITION_SL POSITION_SYMBOL
  POSITION_TP POSITION_TYPE POSITION_VOLUME POSITION_COMMENT POSITION_MAGIC SYMBOL_DIGITS
  SYMBOL_POINT SYMBOL_TRADE_CONTRACT_SIZE SYMBOL_VOLUME_MAX SYMBOL_VOLUME_MIN SYMBOL_VOLUME_STEP`
  .split(/\s+/);

const FAKE_TERMINAL = `
${PROPERTIES.map((name) => `const ${name} = "${name}";`).join("\n")}
const DEAL_REASON_SL = 4, DEAL_REASON_TP = 5, DEAL_REASON_SO = 6, DEAL_ENTRY_IN = 0, DEAL_TYPE_BUY = 0, ORDER_TYPE_BUY = 0, ORDER_TYPE_SELL = 1, POSITION_TYPE_BUY = 0, ORDER_TIME_GTC = 0;
const TRADE_RETCODE_DONE = 10009, TRADE_RETCODE_DONE_PARTIAL = 10010, TRADE_RETCODE_PLACED = 10008, TRADE_RETCODE_NO_CHANGES = 10025;
const FILE_READ = 1, FILE_WRITE = 2, FILE_TXT = 16, FILE_ANSI = 32, SEEK_END = 2, INVALID_HANDLE = -1, PERIOD_M1 = 1;
const MAX_BATCH = 4000, MAX_BODY_CHARS = 800000, BAR_GRACE_SEC = 1, PRICE_DIGITS_EXTRA = 2, POLL_MS = 250, EA_BUILD = "AIGoldScalper/1.0";
const InpMagic = 770077, InpMaxCommandAgeSec = 30;
let g_symbol = "XAUUSD.m", g_wireSymbol = "XAUUSD", g_session = "", g_sessions = 0, g_seq = 0, g_needHello = true;
let g_queue = [], g_queueUs = [], g_acks = [], g_flightBody = "", g_flightSeq = 0, g_flightHello = false, g_inFlight = 0, g_acksInFlight = 0;
let g_status = "starting", g_lastAttemptMs = 0, g_lastAcceptedMs = 0, g_heartbeatMs = 1000, g_holds = "";
let g_lastBarOpen = 0, g_serverMinusUtc = 7200, g_lastAccount = "", g_handled = [], g_positions = [], g_sent = [], g_working = [];
const Print = (...parts) => T.log.push(parts.join(""));
const GetLastError = () => 0, GetTickCount64 = () => 0;
const TimeGMT = () => T.nowSec, TimeTradeServer = () => T.nowSec + 7200;
const AccountInfoInteger = (p) => ({ ACCOUNT_LOGIN: 12345678, ACCOUNT_LEVERAGE: 100 })[p];
const AccountInfoDouble = (p) => ({ ACCOUNT_BALANCE: 10000, ACCOUNT_EQUITY: 10000, ACCOUNT_MARGIN: 52.3 })[p];
const AccountInfoString = (p) => ({ ACCOUNT_SERVER: "Demo-Server", ACCOUNT_CURRENCY: "USD" })[p];
const SymbolInfoInteger = (_s, p) => ({ SYMBOL_DIGITS: 2 })[p];
const SymbolInfoDouble = (_s, p) => ({ SYMBOL_POINT: 0.01, SYMBOL_TRADE_CONTRACT_SIZE: 100, SYMBOL_VOLUME_MIN: 0.01, SYMBOL_VOLUME_MAX: 100, SYMBOL_VOLUME_STEP: 0.01 })[p];
const SymbolInfoTick = (_s, tick) => { tick.bid = T.bid; tick.ask = T.bid + 0.25; return true; };
let selected = {};
const PositionsTotal = () => T.positions.length;
const PositionGetTicket = (i) => { selected = T.positions[i]; return selected.POSITION_IDENTIFIER; };
const PositionGetInteger = (p) => selected[p], PositionGetDouble = (p) => selected[p], PositionGetString = (p) => selected[p];
const HistoryDealGetInteger = (d, p) => T.deals[d][p] ?? 0, HistoryDealGetDouble = (d, p) => T.deals[d][p] ?? 0;
const HistoryDealGetString = (d, p) => T.deals[d][p] ?? "";
let history = [];
const HistorySelectByPosition = (id) => { history = Object.keys(T.deals).filter((d) => T.deals[d].DEAL_POSITION_ID === id); return true; };
const HistoryDealsTotal = () => history.length, HistoryDealGetTicket = (i) => history[i];
const CopyRates = (_s, _tf, from, to, rates) => { const r = T.bars.filter((b) => b.time >= from && b.time <= to); rates.push(...r); return r.length || -1; };
const OrderCommentExists = () => false, FileOpen = () => 1, FileSeek = () => true, FileWriteString = () => 1, FileClose = () => {}, HandledFile = () => "handled.txt";
const HttpExchange = (body) => { T.bodies.push(body); return T.http.shift() ?? null; };
const g_trade = {
  retcode: TRADE_RETCODE_DONE, order: 0,
  PositionOpen(symbol, type, lots, price, sl, tp, comment) { T.orders.push({ symbol, type, lots, price, sl, tp, comment }); this.order = 555; return true; },
  PositionClose() { this.order = 556; return true; },
  PositionClosePartial(ticket, lots) { T.orders.push({ partial: ticket, lots }); this.order = 557; return true; },
  PositionModify() { this.order = 0; return true; },
  pending(type, lots, price, symbol, sl, tp, _timeType, _expiration, comment) { T.orders.push({ type, lots, price, symbol, sl, tp, comment }); this.order = 600 + T.orders.length; return true; },
  BuyLimit(...a) { return this.pending("buy_limit", ...a); },
  SellLimit(...a) { return this.pending("sell_limit", ...a); },
  BuyStop(...a) { return this.pending("buy_stop", ...a); },
  SellStop(...a) { return this.pending("sell_stop", ...a); },
  OrderDelete(ticket) { T.orders.push({ deleted: ticket }); return true; },
  ResultRetcode() { return this.retcode; }, ResultOrder() { return this.order; },
  ResultRetcodeDescription() { return "done"; }, ResultComment() { return ""; },
};
`;

function loadEa(terminal: Terminal): Ea {
  const code = MQL_BUILTINS + jsonSource + FAKE_TERMINAL +
    translate(functions(eaSource, EA_FUNCTIONS)) +
    "return { StartSession, BuildFlight, FlightAccepted, Sync, DropRefusedMessage, QueueClosedBars, QueueAccount, QueueMessage, HandleReply, OnEntryDeal, OnExitDeal, UpdateExcursions, ExpireWorking, state: () => ({ flightBody: g_flightBody, seq: g_seq, queued: g_queue.length }) };";
  return new Function("T", code)(terminal);
}

Deno.test("ProtocolJson reads the server's reply and writes valid JSON", () => {
  const j = loadJson();
  const reply = JSON.stringify(
    {
      v: 1,
      seq: 7,
      commands: [
        {
          clientOrderId: "XAUUSD-1-buy",
          lots: 0.05,
          stopLoss: 2601.25,
          takeProfit: null,
          reason: 'a "q" \\ é\n',
        },
        { clientOrderId: "XAUUSD-1-close-12345", positionId: "12345" },
      ],
      holds: [{ code: "UNRECONCILED", detail: "position 9 {x} [y] is not in the journal" }],
      heartbeatMs: 1500,
    },
    null,
    1,
  );
  const items: number[] = [];
  assert.equal(j.JsonArrayItems(reply, j.JsonFind(reply, 0, "commands"), items), 2);
  assert.equal(j.JsonString(reply, j.JsonFind(reply, items[0], "reason")), 'a "q" \\ é\n');
  assert.equal(j.JsonDouble(reply, j.JsonFind(reply, items[0], "lots")), 0.05);
  assert.ok(j.JsonIsNull(reply, j.JsonFind(reply, items[0], "takeProfit")));
  assert.equal(j.JsonString(reply, j.JsonFind(reply, items[1], "positionId")), "12345");
  assert.equal(j.JsonLong(reply, j.JsonFind(reply, 0, "heartbeatMs")), 1500);
  assert.equal(j.JsonFind(reply, 0, "missing"), -1);
  assert.equal(j.JsonArrayItems(reply, j.JsonFind(reply, 0, "holds"), items), 1);
  assert.equal(
    j.JsonString(reply, j.JsonFind(reply, items[0], "detail")),
    "position 9 {x} [y] is not in the journal",
  );
  const escaped = '{"error":"bad \\u00e9 \\"x\\" at messages.3.bid"}';
  assert.equal(
    j.JsonString(escaped, j.JsonFind(escaped, 0, "error")),
    'bad é "x" at messages.3.bid',
  );
  const nasty = 'a"b\\c\n\t\u0001é';
  const written = "{" +
    [
      j.JStr("s", nasty),
      j.JInt("i", 1732540012000000),
      j.JNum("p", 2601.255, 3),
      j.JPriceOrNull("sl", 0, 2),
      j.JNum("bad", NaN, 2),
    ].join(",") + "}";
  assert.deepEqual(JSON.parse(written), {
    s: nasty,
    i: 1732540012000000,
    p: 2601.255,
    sl: null,
    bad: null,
  });
});

Deno.test("the EA's envelopes pass the server's parseEnvelope", async (t) => {
  const T: Terminal = {
    nowSec: 1732540020, // a whole minute: bars close on it
    bid: 2600,
    positions: [],
    deals: {},
    bars: [],
    orders: [],
    bodies: [],
    http: [],
    log: [],
  };
  const ea = loadEa(T);
  const send = (): Envelope => {
    ea.BuildFlight();
    const envelope = parseEnvelope(JSON.parse(ea.state().flightBody));
    ea.FlightAccepted();
    return envelope;
  };
  const reply = (commands: Msg[], holds: Msg[] = []) =>
    JSON.stringify({ v: 1, seq: 1, commands, holds, heartbeatMs: 1000, serverTimeUs: 0 });
  const serverNow = T.nowSec + 7200;
  let closeUs = 0;
  const id = () => `XAUUSD-${closeUs}-buy`;
  const open = (over: Msg = {}): Msg => ({
    v: 1,
    kind: "order",
    symbol: "XAUUSD",
    timeUs: closeUs,
    clientOrderId: id(),
    action: "open",
    side: "buy",
    lots: 0.05,
    stopLoss: 2595.123,
    takeProfit: null,
    positionId: null,
    reason: "signal",
    ...over,
  });

  await t.step("a session opens with a hello naming the server's symbol", () => {
    ea.StartSession();
    const envelope = send();
    assert.equal(envelope.seq, 1);
    const hello = envelope.messages[0] as unknown as Msg;
    assert.equal(hello.kind, "hello");
    assert.equal((hello.symbol as Msg).name, "XAUUSD");
  });

  await t.step("closed bars go out in UTC with the spread in price units", () => {
    T.bars = [
      {
        time: serverNow - 120,
        open: 2600,
        high: 2601.5,
        low: 2599.1,
        close: 2600.7,
        spread: 25,
        tick_volume: 140,
      },
      {
        time: serverNow - 60,
        open: 2600.7,
        high: 2602,
        low: 2600.1,
        close: 2601.2,
        spread: 30,
        tick_volume: 90,
      },
    ];
    T.nowSec += 2;
    assert.ok(ea.QueueClosedBars());
    ea.QueueAccount(false);
    const envelope = send();
    assert.deepEqual(envelope.messages.map((m) => m.kind), ["bar", "bar", "account"]);
    const bar = envelope.messages[1] as unknown as Msg;
    assert.equal(bar.openUs, (T.nowSec - 2 - 60) * 1e6);
    assert.equal(bar.spread, 0.3);
    closeUs = bar.closeUs as number;
  });

  await t.step("an open executes once, its fill carries the command's id", () => {
    ea.HandleReply(reply([open()]));
    assert.equal(T.orders.length, 1);
    assert.deepEqual(T.orders[0], {
      symbol: "XAUUSD.m",
      type: 0,
      lots: 0.05,
      price: 2600.25,
      sl: 2595.12,
      tp: 0,
      comment: id(),
    });
    T.deals[1001] = {
      DEAL_MAGIC: 770077,
      DEAL_ORDER: 555,
      DEAL_POSITION_ID: 777,
      DEAL_TYPE: 0,
      DEAL_PRICE: 2600.35,
      DEAL_VOLUME: 0.05,
      DEAL_TIME_MSC: (serverNow + 2) * 1000 + 300,
      DEAL_COMMISSION: -0.35,
      DEAL_COMMENT: id(),
    };
    ea.OnEntryDeal(1001);
    ea.HandleReply(reply([open()], [{ code: "UNRECONCILED", detail: "x" }]));
    assert.equal(T.orders.length, 1, "a repeated command is not executed again");
    const envelope = send();
    assert.deepEqual(envelope.acks, [id()]);
    const fill = envelope.messages[0] as unknown as Msg;
    assert.equal(fill.clientOrderId, id());
    assert.equal(fill.positionId, "777");
    assert.equal(fill.commission, 0.35);
    assert.ok(Math.abs((fill.slippage as number) - 0.1) < 1e-9);
  });

  await t.step("a stop hit is reported as id:sl, then the trade", () => {
    T.bid = 2596;
    ea.UpdateExcursions();
    T.deals[1002] = {
      DEAL_MAGIC: 770077,
      DEAL_ORDER: 999,
      DEAL_POSITION_ID: 777,
      DEAL_TYPE: 1,
      DEAL_PRICE: 2595,
      DEAL_VOLUME: 0.05,
      DEAL_TIME_MSC: (serverNow + 32) * 1000,
      DEAL_COMMISSION: -0.35,
      DEAL_PROFIT: -26.75,
      DEAL_SWAP: -0.1,
      DEAL_REASON: 4,
      DEAL_SL: 2595.12,
    };
    ea.OnExitDeal(1002);
    const [fill, trade] = send().messages as unknown as Msg[];
    assert.equal(fill.clientOrderId, id() + ":sl");
    assert.equal(fill.side, "sell");
    assert.ok(Math.abs((fill.slippage as number) - 0.12) < 1e-9);
    assert.deepEqual(
      [
        trade.kind,
        trade.exitReason,
        trade.pnl,
        trade.commission,
        trade.mae,
        trade.mfe,
        trade.spreadCost,
      ],
      ["trade", "stop_loss", -27.55, 0.7, -26.75, -1.75, 1.25],
    );
  });

  await t.step("stale and foreign commands are rejected and acknowledged", () => {
    T.nowSec += 100;
    ea.HandleReply(
      reply([open({ clientOrderId: "late" }), open({ clientOrderId: "other", symbol: "EURUSD" })]),
    );
    const envelope = send();
    assert.deepEqual(envelope.messages.map((m) => (m as unknown as Msg).code), [
      "STALE_COMMAND",
      "WRONG_SYMBOL",
    ]);
    assert.deepEqual(envelope.acks, ["late", "other"]);
  });

  /** A pending-order command as the server sends it: valid by the protocol's schema. */
  const pending = (clientOrderId: string, over: Msg = {}): Msg =>
    pendingCommandSchema.parse({
      v: 1,
      kind: "pending",
      symbol: "XAUUSD",
      timeUs: T.nowSec * 1e6,
      clientOrderId,
      side: "buy",
      type: "limit",
      price: 2599,
      lots: 0.1,
      stopLoss: 2596,
      takeProfit: 2605,
      expiresUs: (T.nowSec + 900) * 1e6,
      ocoGroup: null,
      reason: "SIGNAL",
      ...over,
    }) as unknown as Msg;

  await t.step(
    "a bracket's legs are placed; the limit's fill cancels the stop (one-cancels-other)",
    () => {
      const before = T.orders.length;
      ea.HandleReply(reply([
        pending("g-limit", { ocoGroup: "g" }),
        pending("g-stop", {
          type: "stop",
          price: 2601,
          stopLoss: 2598,
          takeProfit: 2607,
          ocoGroup: "g",
        }),
      ]));
      assert.deepEqual(T.orders.slice(before).map((o) => [o.type, o.price, o.sl, o.comment]), [
        ["buy_limit", 2599, 2596, "g-limit"],
        ["buy_stop", 2601, 2598, "g-stop"],
      ]);
      // The fake's tickets: 600 + the orders sent so far, so the legs are 602 and 603.
      T.deals[2001] = {
        DEAL_MAGIC: 770077,
        DEAL_ORDER: 602,
        DEAL_POSITION_ID: 888,
        DEAL_TYPE: 0,
        DEAL_PRICE: 2598.9,
        DEAL_VOLUME: 0.1,
        DEAL_TIME_MSC: T.nowSec * 1000,
        DEAL_COMMISSION: -0.35,
      };
      ea.OnEntryDeal(2001);
      assert.deepEqual(T.orders.at(-1), { deleted: 603 });
      const envelope = send();
      assert.deepEqual(envelope.acks, ["g-limit", "g-stop"]);
      const [fill, cancelled] = envelope.messages as unknown as Msg[];
      // A limit filled 0.10 better than its price: no slippage against the trader.
      assert.deepEqual([fill.kind, fill.clientOrderId, fill.reason, fill.slippage], [
        "fill",
        "g-limit",
        "limit",
        0,
      ]);
      assert.deepEqual([cancelled.kind, cancelled.clientOrderId, cancelled.reason], [
        "cancelled",
        "g-stop",
        "cancelled",
      ]);
    },
  );

  await t.step("a working order past its expiry is deleted and reported expired", () => {
    ea.HandleReply(reply([pending("late-limit", { expiresUs: (T.nowSec + 60) * 1e6 })]));
    send();
    T.nowSec += 61;
    ea.ExpireWorking();
    const [expired] = send().messages as unknown as Msg[];
    assert.deepEqual([expired.kind, expired.clientOrderId, expired.reason], [
      "cancelled",
      "late-limit",
      "expired",
    ]);
  });

  await t.step(
    "a cancel command deletes a working order; a partial close keeps the rest open",
    () => {
      ea.HandleReply(
        reply([
          pending("to-cancel", {
            side: "sell",
            type: "stop",
            price: 2590,
            stopLoss: 2593,
            takeProfit: 2585,
          }),
        ]),
      );
      const ticket = 600 + T.orders.length;
      send();
      const command = (over: Msg): Msg => ({ ...open(), ...over });
      T.positions = [{ POSITION_IDENTIFIER: 888, POSITION_TYPE: 0, POSITION_VOLUME: 0.1 }];
      ea.HandleReply(reply([
        command({ clientOrderId: "c-1", action: "cancel", positionId: "to-cancel" }),
        command({
          clientOrderId: "s-1",
          action: "close",
          side: "sell",
          lots: 0.05,
          positionId: "888",
          reason: "SCALE_OUT",
        }),
      ]));
      assert.deepEqual(T.orders.slice(-2), [{ deleted: ticket }, { partial: 888, lots: 0.05 }]);
      T.deals[2002] = {
        DEAL_MAGIC: 770077,
        DEAL_ORDER: 557,
        DEAL_POSITION_ID: 888,
        DEAL_TYPE: 1,
        DEAL_PRICE: 2601,
        DEAL_VOLUME: 0.05,
        DEAL_TIME_MSC: T.nowSec * 1000,
        DEAL_COMMISSION: -0.18,
        DEAL_ENTRY: 1,
      };
      ea.OnExitDeal(2002);
      const envelope = send();
      assert.deepEqual(envelope.acks, ["c-1", "s-1"]);
      // The cancelled order, then the partial close's fill and no trade: 0.05 lots stay open.
      assert.deepEqual(
        envelope.messages.map((
          m,
        ) => [m.kind, (m as unknown as Msg).clientOrderId, (m as unknown as Msg).reason]),
        [
          ["cancelled", "to-cancel", "cancelled"],
          ["fill", "s-1", "scale_out"],
        ],
      );
      T.positions = [];
    },
  );

  await t.step("a late bar goes before what was queued at or after its close", () => {
    ea.QueueMessage(
      (T.nowSec + 1) * 1e6,
      '{"v":1,"kind":"account","timeUs":1,"balance":1,"equity":1,"margin":0,"openPositions":0}',
    );
    T.bars.push({
      time: T.nowSec + 7200 - 60,
      open: 2601,
      high: 2602,
      low: 2600,
      close: 2601,
      spread: 20,
      tick_volume: 5,
    });
    T.nowSec += 2;
    assert.ok(ea.QueueClosedBars());
    assert.deepEqual(send().messages.map((m) => m.kind), ["bar", "account"]);
  });

  await t.step("a 400 drops the named message and keeps the seq", () => {
    ea.QueueAccount(true);
    ea.QueueAccount(true);
    ea.BuildFlight();
    const seq = ea.state().seq;
    ea.DropRefusedMessage("bad envelope at messages.1.balance: expected number");
    const again = parseEnvelope(JSON.parse(ea.state().flightBody));
    assert.equal(again.seq, seq + 1);
    assert.equal(again.messages.length, 1);
    ea.FlightAccepted();
  });

  await t.step("a failed send repeats the same bytes; a 409 starts a new session", () => {
    ea.QueueAccount(true);
    T.http.push(
      null,
      { status: 409, reply: '{"error":"hello required: session x is not known"}' },
      { status: 200, reply: reply([]) },
    );
    ea.Sync();
    ea.Sync();
    assert.equal(T.bodies[0], T.bodies[1]);
    ea.Sync();
    const renewed = parseEnvelope(JSON.parse(T.bodies[2]));
    assert.equal(renewed.seq, 1);
    assert.notEqual(renewed.session, parseEnvelope(JSON.parse(T.bodies[0])).session);
    assert.deepEqual(renewed.messages.map((m) => m.kind), ["hello", "account"]);
    assert.equal(ea.state().queued, 0);
  });
});
