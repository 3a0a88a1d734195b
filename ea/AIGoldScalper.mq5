//+------------------------------------------------------------------+
//| AIGoldScalper.mq5                                                 |
//| The terminal side of MT5 protocol v1 (docs/mt5-protocol.md, schema |
//| in pipeline/live/protocol.ts). It sends closed M1 bars, account    |
//| reports and execution reports to `deno task serve`, and executes   |
//| the order commands the server answers with, each client order id   |
//| at most once. It makes no trading decision of its own: it must     |
//| never open, close or modify a position the server did not command. |
//| Not compiled in this repository: see ea/README.md.                 |
//+------------------------------------------------------------------+
#property copyright "AI Gold Scalper"
#property version   "1.00"
#property description "MT5 protocol v1 bridge to `deno task serve`."
#property description "Add the server URL to Tools > Options > Expert Advisors > Allow WebRequest for listed URL."

#include <Trade\Trade.mqh>
#include "ProtocolJson.mqh"

input string        InpServerUrl          = "http://127.0.0.1:8787"; // Server URL (HTTP)
input string        InpApiToken           = "";                      // API token (from serve's secrets file)
input string        InpSymbol             = "";                      // Symbol ("" = the chart's)
input string        InpServerSymbol       = "";                      // Symbol's name at the server ("" = same; e.g. XAUUSD for XAUUSD.m)
input bool          InpAutoUtcOffset      = true;                    // Server-time offset from TimeTradeServer()-TimeGMT()
input int           InpServerUtcOffsetMin = 120;                     // Server time minus UTC, minutes (auto off)
input int           InpMaxCommandAgeSec   = 30;                      // Reject older opens (STALE_COMMAND)
input int           InpHeartbeatMs        = 1000;                    // Heartbeat until the server names one
input int           InpTimeoutMs          = 5000;                    // Network timeout per request, ms
input ulong         InpMagic              = 770077;                  // Magic number of this EA's orders
input uint          InpDeviationPoints    = 30;                      // Max deviation for market orders, points

#define EA_BUILD            "AIGoldScalper/1.0"
#define POLL_MS             250        // timer period: how soon a closed bar or a fill is sent
#define MAX_BATCH           4000       // messages per envelope (the protocol allows 5000)
#define MAX_BODY_CHARS      800000     // and bytes: serve refuses bodies over 1 MiB
#define BAR_GRACE_SEC       1          // a bar counts as closed this long after its end
#define HISTORY_DAYS        7          // order history searched for an already used client order id
#define PRICE_DIGITS_EXTRA  2          // fills can carry sub-point prices (slippage, averages)

//--- protocol state
string  g_symbol;                  // the terminal's name of the symbol
string  g_wireSymbol;              // its name in the protocol (the server's)
string  g_session = "";
int     g_sessions = 0;
long    g_seq = 0;                 // last seq the server accepted in this session
bool    g_needHello = true;
string  g_queue[];                 // messages not yet accepted, in the order they happened
long    g_queueUs[];               // when each happened (UTC µs), to slot late bars in place
string  g_acks[];                  // client order ids handled, not yet acknowledged to the server
//--- the envelope in flight: the first g_inFlight messages and g_acksInFlight acks, frozen
//--- into g_flightBody and resent byte for byte (same seq) until the server answers
string  g_flightBody = "";
long    g_flightSeq = 0;
bool    g_flightHello = false;
int     g_inFlight = 0;
int     g_acksInFlight = 0;
ulong   g_lastAttemptMs = 0;
ulong   g_lastAcceptedMs = 0;
int     g_heartbeatMs;
string  g_status = "starting";    // the link's state, shown on the chart; a failure is logged once
string  g_holds = "";
//--- market and execution state
datetime g_lastBarOpen = 0;        // server-time open of the last bar queued
int      g_serverMinusUtc = 0;     // seconds
string   g_lastAccount = "";
string   g_handled[];              // client order ids executed or rejected (persisted)
CTrade   g_trade;

// A position this EA opened (or found with its magic on start), with what the trade report needs.
struct Tracked {
   ulong             id;            // POSITION_IDENTIFIER: the protocol's positionId
   string            clientOrderId; // the opening command's id ("" when unknown)
   int               dir;           // +1 long, -1 short
   double            lots;
   long              entryUs;
   double            entryPrice;
   double            entrySpread;   // quoted spread when the entry was seen (estimate)
   double            mae;           // worst and best open P&L seen, money
   double            mfe;
};
Tracked g_positions[];

// An order this EA sent, keyed by its ticket, so its deal can be reported under the command's id.
struct SentOrder {
   ulong             order;
   string            clientOrderId;
   string            exitReason;    // for closes: the protocol's exit reason
   double            requestedPrice;
};
SentOrder g_sent[];

// ---- Lifecycle -----------------------------------------------------
int OnInit() {
   g_symbol = InpSymbol == "" ? _Symbol : InpSymbol;
   g_wireSymbol = InpServerSymbol == "" ? g_symbol : InpServerSymbol;
   if(MQLInfoInteger(MQL_TESTER)) {
      Print("AIGoldScalper: WebRequest does not run in the Strategy Tester");
      return INIT_FAILED;
   }
   if(InpApiToken == "") {
      Print("AIGoldScalper: set InpApiToken (serve prints where its secrets file is)");
      return INIT_PARAMETERS_INCORRECT;
   }
   if(AccountInfoInteger(ACCOUNT_MARGIN_MODE) != ACCOUNT_MARGIN_MODE_RETAIL_HEDGING) {
      Print("AIGoldScalper: needs a hedging account (each order its own position)");
      return INIT_FAILED;
   }
   if(!SymbolSelect(g_symbol, true)) {
      Print("AIGoldScalper: unknown symbol \"", g_symbol, "\"");
      return INIT_PARAMETERS_INCORRECT;
   }
   g_trade.SetExpertMagicNumber(InpMagic);
   g_trade.SetDeviationInPoints(InpDeviationPoints);
   g_trade.SetTypeFillingBySymbol(g_symbol);
   g_heartbeatMs = MathMax(InpHeartbeatMs, POLL_MS);
   RefreshUtcOffset();
   LoadHandledIds();
   TrackOpenPositions();
   // Bars that closed before the start are history, not news: start after the last one.
   long closedBy = (long)TimeTradeServer() - BAR_GRACE_SEC;
   g_lastBarOpen = (datetime)((closedBy / 60 - 1) * 60);
   StartSession();
   if(!EventSetMillisecondTimer(POLL_MS)) return INIT_FAILED;
   return INIT_SUCCEEDED;
}

void OnDeinit(const int reason) {
   EventKillTimer();
   Comment("");
}

void OnTick() {
   UpdateExcursions();
}

// Every POLL_MS: queue closed bars, then send when there is something to say or a heartbeat is due.
void OnTimer() {
   RefreshUtcOffset();
   UpdateExcursions();
   if(QueueClosedBars()) QueueAccount(false);
   ulong now = GetTickCount64();
   bool retrying = g_flightBody != "";
   bool news = ArraySize(g_queue) > 0 || ArraySize(g_acks) > 0 || g_needHello;
   if(retrying ? now - g_lastAttemptMs >= (ulong)g_heartbeatMs
      : news || now - g_lastAcceptedMs >= (ulong)g_heartbeatMs)
      Sync();
   Comment("AIGoldScalper  ", g_symbol, "  session ", g_session, "  seq ", g_seq,
           "\n", g_status, "  queued ", ArraySize(g_queue),
           g_holds == "" ? "" : "\nholds: " + g_holds);
}

// ---- Time: MT5 stamps in the broker's server time; the protocol in UTC ----
void RefreshUtcOffset() {
   if(!InpAutoUtcOffset) {
      g_serverMinusUtc = InpServerUtcOffsetMin * 60;
      return;
   }
   // Both clocks are computed from the local PC clock; brokers sit on whole quarter hours.
   double diff = (double)(TimeTradeServer() - TimeGMT());
   g_serverMinusUtc = (int)MathRound(diff / 900.0) * 900;
}

long UsFromServerTime(const datetime serverTime) { return ((long)serverTime - g_serverMinusUtc) * 1000000; }
long UsFromServerMs(const long serverMs)         { return (serverMs - (long)g_serverMinusUtc * 1000) * 1000; }
long NowUs()                                     { return (long)TimeGMT() * 1000000; }

// ---- The outgoing queue --------------------------------------------
void PushString(string &items[], const string value) {
   int n = ArraySize(items);
   ArrayResize(items, n + 1);
   items[n] = value;
}

bool Contains(const string &items[], const string value) {
   for(int i = ArraySize(items) - 1; i >= 0; i--)
      if(items[i] == value) return true;
   return false;
}

template<typename T>
void RemoveRange(T &items[], const int from, const int count) {
   int n = ArraySize(items);
   for(int i = from; i + count < n; i++) items[i] = items[i + count];
   ArrayResize(items, n - count);
}

// Appends a message that happened now (execution reports, account reports).
void QueueMessage(const long happenedUs, const string json) {
   int n = ArraySize(g_queue);
   ArrayResize(g_queue, n + 1);
   ArrayResize(g_queueUs, n + 1);
   g_queue[n] = json;
   g_queueUs[n] = happenedUs;
}

// A bar is queued a moment after its close: it goes before whatever not yet in flight was
// queued at or after its close, so an entry filled at the next bar's open still follows it.
void QueueBar(const long closeUs, const string json) {
   int at = ArraySize(g_queue);
   QueueMessage(closeUs, json);
   for(; at > g_inFlight && g_queueUs[at - 1] >= closeUs; at--) {
      g_queue[at] = g_queue[at - 1];
      g_queueUs[at] = g_queueUs[at - 1];
   }
   g_queue[at] = json;
   g_queueUs[at] = closeUs;
}

void Ack(const string clientOrderId) {
   if(!Contains(g_acks, clientOrderId)) PushString(g_acks, clientOrderId);
}

// ---- Sessions and envelopes ------------------------------------------
void StartSession() {
   g_sessions++;
   g_session = IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + "-" +
               IntegerToString((long)TimeGMT()) + "-" + IntegerToString(g_sessions);
   g_seq = 0;
   g_needHello = true;
   g_flightBody = ""; // whatever was in flight goes again, in the new session
   g_inFlight = 0;
   g_acksInFlight = 0;
}

// Freezes the next envelope: the oldest messages (within MAX_BATCH and MAX_BODY_CHARS) and every ack.
void BuildFlight() {
   int chars = 0;
   for(g_inFlight = 0; g_inFlight < ArraySize(g_queue) && g_inFlight < MAX_BATCH; g_inFlight++) {
      chars += StringLen(g_queue[g_inFlight]);
      if(g_inFlight > 0 && chars > MAX_BODY_CHARS) break;
   }
   g_acksInFlight = ArraySize(g_acks);
   g_flightHello = g_needHello;
   g_flightSeq = g_seq + 1;
   g_flightBody = EnvelopeJson();
}

string EnvelopeJson() {
   string messages = g_flightHello ? HelloJson() : "";
   for(int i = 0; i < g_inFlight; i++) messages += (messages == "" ? "" : ",") + g_queue[i];
   string acks = "";
   for(int i = 0; i < g_acksInFlight; i++) acks += (i == 0 ? "" : ",") + JsonQuote(g_acks[i]);
   return "{" + JInt("v", 1) + "," + JStr("session", g_session) + "," + JInt("seq", g_flightSeq) + "," +
          JInt("sentUs", NowUs()) + "," + JKey("messages") + "[" + messages + "]," +
          JKey("acks") + "[" + acks + "]}";
}

// The server took the envelope: its messages and acks are done with.
void FlightAccepted() {
   g_seq = g_flightSeq;
   if(g_flightHello) g_needHello = false;
   RemoveRange(g_queue, 0, g_inFlight);
   RemoveRange(g_queueUs, 0, g_inFlight);
   RemoveRange(g_acks, 0, g_acksInFlight);
   g_flightBody = "";
   g_inFlight = 0;
   g_acksInFlight = 0;
}

// A 400 names the first bad field ("bad envelope at messages.3.bid: ..."). Nothing was
// processed, so the same seq goes again without that message; a bad hello or a bad
// envelope field cannot be dropped, and is retried until an operator looks.
void DropRefusedMessage(const string error) {
   int at = StringFind(error, "messages.");
   if(at < 0) return;
   int index = (int)StringToInteger(StringSubstr(error, at + 9, 6)) - (g_flightHello ? 1 : 0);
   if(index < 0 || index >= g_inFlight) return;
   Print("AIGoldScalper: dropping refused message: ", g_queue[index]);
   RemoveRange(g_queue, index, 1);
   RemoveRange(g_queueUs, index, 1);
   g_inFlight--;
   g_flightBody = EnvelopeJson();
}

// Logs a failure once, not at every retry.
void SetStatus(const string status) {
   if(status != g_status) Print("AIGoldScalper: ", status);
   g_status = status;
}

// Sends the envelope in flight (building it first if none) and handles the answer.
void Sync() {
   if(g_flightBody == "") BuildFlight();
   g_lastAttemptMs = GetTickCount64();
   string reply = "";
   int status = 0;
   if(!HttpExchange(g_flightBody, reply, status))
      return; // kept: the same seq and content go again at the next heartbeat
   if(status == 200) {
      FlightAccepted();
      g_lastAcceptedMs = g_lastAttemptMs;
      SetStatus("connected");
      HandleReply(reply);
      return;
   }
   string error = JsonString(reply, JsonFind(reply, 0, "error"));
   SetStatus("server answered " + IntegerToString(status) + ": " + error);
   if(status == 409) {
      // "hello required" (the server restarted) or a seq it did not expect: start over.
      StartSession();
   }
   else if(status == 400) DropRefusedMessage(error);
   // anything else (401, 429, 5xx): kept and retried unchanged
}

// ---- Transports ----------------------------------------------------
// POST /v1/ea/sync; false when no HTTP answer came (status then meaningless).
bool HttpExchange(const string body, string &reply, int &status) {
   char data[], result[];
   string resultHeaders;
   // StringToCharArray copies the terminating zero too; it must not be sent.
   int length = StringToCharArray(body, data, 0, WHOLE_ARRAY, CP_UTF8);
   ArrayResize(data, MathMax(length - 1, 0));
   string headers = "Content-Type: application/json\r\nAuthorization: Bearer " + InpApiToken + "\r\n";
   ResetLastError();
   status = WebRequest("POST", InpServerUrl + "/v1/ea/sync", headers, InpTimeoutMs, data, result, resultHeaders);
   if(status == -1) {
      int error = GetLastError();
      SetStatus("WebRequest failed (error " + IntegerToString(error) + "): is " + InpServerUrl +
                " in Tools > Options > Expert Advisors > Allow WebRequest, and is serve running?");
      return false;
   }
   reply = CharArrayToString(result, 0, WHOLE_ARRAY, CP_UTF8);
   return true;
}

// ---- The reply: heartbeat, holds, commands -------------------------
void HandleReply(const string reply) {
   int heartbeatAt = JsonFind(reply, 0, "heartbeatMs");
   if(heartbeatAt >= 0) g_heartbeatMs = MathMax((int)JsonLong(reply, heartbeatAt), POLL_MS);
   int items[];
   string holds = "";
   int n = JsonArrayItems(reply, JsonFind(reply, 0, "holds"), items);
   for(int i = 0; i < n; i++)
      holds += (i == 0 ? "" : "; ") + JsonString(reply, JsonFind(reply, items[i], "code")) + ": " +
               JsonString(reply, JsonFind(reply, items[i], "detail"));
   if(holds != g_holds) Print("AIGoldScalper: new orders held by the server: ", holds == "" ? "none" : holds);
   g_holds = holds;
   n = JsonArrayItems(reply, JsonFind(reply, 0, "commands"), items);
   for(int i = 0; i < n; i++) HandleCommand(reply, items[i]);
}

// Executes one command unless its id was handled before; every outcome is acknowledged.
void HandleCommand(const string json, const int at) {
   string id = JsonString(json, JsonFind(json, at, "clientOrderId"));
   if(id == "") {
      Print("AIGoldScalper: ignored a command without clientOrderId");
      return;
   }
   if(Contains(g_handled, id)) {
      Ack(id); // a repeat: acknowledged again, never executed again
      return;
   }
   string action = JsonString(json, JsonFind(json, at, "action"));
   string symbol = JsonString(json, JsonFind(json, at, "symbol"));
   if(symbol != g_wireSymbol)
      Reject(id, "WRONG_SYMBOL", "this EA trades " + g_wireSymbol + ", not " + symbol);
   else if(action == "open") ExecuteOpen(json, at, id);
   else if(action == "close") ExecuteClose(json, at, id);
   else if(action == "modify") ExecuteModify(json, at, id);
   else Reject(id, "UNKNOWN_ACTION", "action \"" + action + "\"");
}

double CommandPrice(const string json, const int at, const string key) {
   int valueAt = JsonFind(json, at, key);
   return JsonIsNull(json, valueAt) ? 0.0 : NormalizeDouble(JsonDouble(json, valueAt), (int)SymbolInfoInteger(g_symbol, SYMBOL_DIGITS));
}

void ExecuteOpen(const string json, const int at, const string id) {
   if(OrderCommentExists(id)) {
      Print("AIGoldScalper: ", id, " was already sent (found in orders): not sent again");
      MarkHandled(id);
      Ack(id);
      return;
   }
   long ageSec = (NowUs() - JsonLong(json, JsonFind(json, at, "timeUs"))) / 1000000;
   if(ageSec > InpMaxCommandAgeSec) {
      Reject(id, "STALE_COMMAND", "decided " + IntegerToString(ageSec) + " s ago; the limit is " +
             IntegerToString(InpMaxCommandAgeSec) + " s");
      return;
   }
   string side = JsonString(json, JsonFind(json, at, "side"));
   if(side != "buy" && side != "sell") {
      Reject(id, "BAD_SIDE", "side \"" + side + "\"");
      return;
   }
   bool buy = side == "buy";
   MqlTick tick;
   if(!SymbolInfoTick(g_symbol, tick)) {
      Reject(id, "NO_PRICE", "no current quote for " + g_symbol);
      return;
   }
   double price = buy ? tick.ask : tick.bid;
   double lots = JsonDouble(json, JsonFind(json, at, "lots"));
   bool sent = g_trade.PositionOpen(g_symbol, buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL, lots, price,
                                    CommandPrice(json, at, "stopLoss"), CommandPrice(json, at, "takeProfit"), id);
   FinishTrade(id, sent, "", price);
}

void ExecuteClose(const string json, const int at, const string id) {
   string positionId = JsonString(json, JsonFind(json, at, "positionId"));
   ulong ticket = SelectPosition((ulong)StringToInteger(positionId));
   if(ticket == 0) {
      Reject(id, "UNKNOWN_POSITION", "position " + positionId + " is not open");
      return;
   }
   bool isLong = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
   string side = JsonString(json, JsonFind(json, at, "side"));
   if(side != (isLong ? "sell" : "buy")) {
      Reject(id, "CLOSE_SIDE_MISMATCH", "a " + (isLong ? "buy" : "sell") + " position closes with a " +
             (isLong ? "sell" : "buy") + ", got " + side);
      return;
   }
   double volume = PositionGetDouble(POSITION_VOLUME);
   double lots = JsonDouble(json, JsonFind(json, at, "lots"));
   if(MathAbs(lots - volume) > SymbolInfoDouble(g_symbol, SYMBOL_VOLUME_STEP) / 2) {
      Reject(id, "PARTIAL_CLOSE", "close of " + DoubleToString(lots, 2) + " lots on a " +
             DoubleToString(volume, 2) + "-lot position; only whole closes are supported");
      return;
   }
   // The exit reason the simulator books: the command's, when it is one an order can have.
   string reason = JsonString(json, JsonFind(json, at, "reason"));
   // The risk engine's halt codes name the halt that closed the position (exitReasonOfOrder).
   if(reason == "KILL_SWITCH") reason = "kill_switch";
   else if(reason == "MAX_DRAWDOWN") reason = "max_drawdown";
   else if(reason != "signal" && reason != "manual" && reason != "kill_switch" && reason != "max_drawdown") reason = "manual";
   MqlTick tick;
   double requested = SymbolInfoTick(g_symbol, tick) ? (isLong ? tick.bid : tick.ask) : 0.0;
   bool sent = g_trade.PositionClose(ticket);
   FinishTrade(id, sent, reason, requested);
}

void ExecuteModify(const string json, const int at, const string id) {
   string positionId = JsonString(json, JsonFind(json, at, "positionId"));
   ulong ticket = SelectPosition((ulong)StringToInteger(positionId));
   if(ticket == 0) {
      Reject(id, "UNKNOWN_POSITION", "position " + positionId + " is not open");
      return;
   }
   bool sent = g_trade.PositionModify(ticket, CommandPrice(json, at, "stopLoss"), CommandPrice(json, at, "takeProfit"));
   FinishTrade(id, sent, "", 0.0);
}

// Books the trade server's answer: handled and acknowledged either way, rejected unless done.
void FinishTrade(const string id, const bool sent, const string exitReason, const double requestedPrice) {
   uint code = g_trade.ResultRetcode();
   bool done = code == TRADE_RETCODE_NO_CHANGES ||
               (sent && (code == TRADE_RETCODE_DONE || code == TRADE_RETCODE_DONE_PARTIAL || code == TRADE_RETCODE_PLACED));
   if(!done) {
      string detail = g_trade.ResultRetcodeDescription() + " " + g_trade.ResultComment();
      Reject(id, code == 0 ? "ERR_" + IntegerToString(GetLastError()) : IntegerToString(code), detail);
      return;
   }
   ulong order = g_trade.ResultOrder();
   if(order != 0) {
      int n = ArraySize(g_sent);
      ArrayResize(g_sent, n + 1);
      g_sent[n].order = order;
      g_sent[n].clientOrderId = id;
      g_sent[n].exitReason = exitReason;
      g_sent[n].requestedPrice = requestedPrice;
   }
   MarkHandled(id);
   Ack(id);
}

void Reject(const string id, const string code, const string detail) {
   Print("AIGoldScalper: rejected ", id, ": ", code, " ", detail);
   QueueMessage(NowUs(), "{" + JStr("kind", "reject") + "," + JStr("clientOrderId", id) + "," +
                JInt("timeUs", NowUs()) + "," + JStr("code", code) + "," + JStr("detail", StringSubstr(detail, 0, 500)) + "}");
   MarkHandled(id);
   Ack(id);
}

// ---- At most once: handled ids on disk, and the orders' comments ----
string HandledFile() {
   return "AIGoldScalper_" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + "_" +
          IntegerToString((long)InpMagic) + "_handled.txt";
}

void LoadHandledIds() {
   ArrayResize(g_handled, 0);
   if(!FileIsExist(HandledFile())) return;
   int file = FileOpen(HandledFile(), FILE_READ | FILE_TXT | FILE_ANSI);
   if(file == INVALID_HANDLE) {
      Print("AIGoldScalper: cannot read ", HandledFile(), " (error ", GetLastError(), ")");
      return;
   }
   while(!FileIsEnding(file)) {
      string id = FileReadString(file);
      if(id != "") PushString(g_handled, id);
   }
   FileClose(file);
}

// Appended (MQL5/Files) as soon as the trade server answered, before anything else.
void MarkHandled(const string id) {
   PushString(g_handled, id);
   int file = FileOpen(HandledFile(), FILE_READ | FILE_WRITE | FILE_TXT | FILE_ANSI);
   if(file == INVALID_HANDLE) {
      Print("AIGoldScalper: cannot record ", id, " in ", HandledFile(), " (error ", GetLastError(), ")");
      return;
   }
   FileSeek(file, 0, SEEK_END);
   FileWriteString(file, id + "\r\n");
   FileClose(file);
}

// An open position or a recent order carrying `id` as its comment: it was sent before
// (a crash between the order and MarkHandled).
bool OrderCommentExists(const string id) {
   for(int i = PositionsTotal() - 1; i >= 0; i--)
      if(PositionGetTicket(i) != 0 && PositionGetString(POSITION_COMMENT) == id) return true;
   if(!HistorySelect(TimeCurrent() - HISTORY_DAYS * 86400, TimeCurrent() + 86400)) return false;
   for(int i = HistoryOrdersTotal() - 1; i >= 0; i--)
      if(HistoryOrderGetString(HistoryOrderGetTicket(i), ORDER_COMMENT) == id) return true;
   return false;
}

// ---- Positions -----------------------------------------------------
// Selects the open position with this identifier; returns its ticket, 0 when none.
ulong SelectPosition(const ulong positionId) {
   for(int i = PositionsTotal() - 1; i >= 0; i--) {
      ulong ticket = PositionGetTicket(i);
      if(ticket != 0 && (ulong)PositionGetInteger(POSITION_IDENTIFIER) == positionId) return ticket;
   }
   return 0;
}

int FindTracked(const ulong positionId) {
   for(int i = ArraySize(g_positions) - 1; i >= 0; i--)
      if(g_positions[i].id == positionId) return i;
   return -1;
}

double CurrentSpread() {
   MqlTick tick;
   return SymbolInfoTick(g_symbol, tick) ? tick.ask - tick.bid : 0.0;
}

// Open P&L (money) of a tracked position at the current quote it would exit on.
double OpenValue(const Tracked &p, const double exitQuote) {
   return p.dir * (exitQuote - p.entryPrice) * SymbolInfoDouble(g_symbol, SYMBOL_TRADE_CONTRACT_SIZE) * p.lots;
}

void Track(const ulong id, const string clientOrderId, const int dir, const double lots,
           const long entryUs, const double entryPrice) {
   int n = ArraySize(g_positions);
   ArrayResize(g_positions, n + 1);
   g_positions[n].id = id;
   g_positions[n].clientOrderId = clientOrderId;
   g_positions[n].dir = dir;
   g_positions[n].lots = lots;
   g_positions[n].entryUs = entryUs;
   g_positions[n].entryPrice = entryPrice;
   MqlTick tick;
   bool quoted = SymbolInfoTick(g_symbol, tick);
   g_positions[n].entrySpread = quoted ? tick.ask - tick.bid : 0.0;
   double value = quoted ? OpenValue(g_positions[n], dir > 0 ? tick.bid : tick.ask) : 0.0;
   g_positions[n].mae = value;
   g_positions[n].mfe = value;
}

// On start: this EA's positions on the symbol, their ids from the order comment.
void TrackOpenPositions() {
   ArrayResize(g_positions, 0);
   for(int i = PositionsTotal() - 1; i >= 0; i--) {
      if(PositionGetTicket(i) == 0 || PositionGetString(POSITION_SYMBOL) != g_symbol ||
         PositionGetInteger(POSITION_MAGIC) != (long)InpMagic)
         continue;
      Track((ulong)PositionGetInteger(POSITION_IDENTIFIER), PositionGetString(POSITION_COMMENT),
            PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY ? 1 : -1, PositionGetDouble(POSITION_VOLUME),
            UsFromServerMs(PositionGetInteger(POSITION_TIME_MSC)), PositionGetDouble(POSITION_PRICE_OPEN));
   }
}

// MAE/MFE on every tick the terminal delivers (and every timer): an approximation, as
// ticks that arrive while the EA is busy are not all seen.
void UpdateExcursions() {
   MqlTick tick;
   if(ArraySize(g_positions) == 0 || !SymbolInfoTick(g_symbol, tick)) return;
   for(int i = ArraySize(g_positions) - 1; i >= 0; i--) {
      if(g_positions[i].id == 0) continue;
      double value = OpenValue(g_positions[i], g_positions[i].dir > 0 ? tick.bid : tick.ask);
      g_positions[i].mae = MathMin(g_positions[i].mae, value);
      g_positions[i].mfe = MathMax(g_positions[i].mfe, value);
   }
}

// ---- Execution reports from the terminal's deals -------------------
int FindSent(const ulong order) {
   for(int i = ArraySize(g_sent) - 1; i >= 0; i--)
      if(g_sent[i].order == order) return i;
   return -1;
}

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result) {
   if(trans.type != TRADE_TRANSACTION_DEAL_ADD || !HistoryDealSelect(trans.deal) ||
      HistoryDealGetString(trans.deal, DEAL_SYMBOL) != g_symbol)
      return;
   ENUM_DEAL_ENTRY entry = (ENUM_DEAL_ENTRY)HistoryDealGetInteger(trans.deal, DEAL_ENTRY);
   if(entry == DEAL_ENTRY_IN) OnEntryDeal(trans.deal);
   else if(entry == DEAL_ENTRY_OUT || entry == DEAL_ENTRY_OUT_BY) OnExitDeal(trans.deal);
   QueueAccount(true);
}

string FillJson(const long timeUs, const string clientOrderId, const ulong positionId, const string action,
                const string side, const double lots, const double price, const double commission,
                const double slippage, const string reason) {
   int digits = (int)SymbolInfoInteger(g_symbol, SYMBOL_DIGITS) + PRICE_DIGITS_EXTRA;
   return "{" + JInt("v", 1) + "," + JStr("kind", "fill") + "," + JStr("symbol", g_wireSymbol) + "," +
          JInt("timeUs", timeUs) + "," + JStr("clientOrderId", clientOrderId) + "," +
          JStr("positionId", IntegerToString((long)positionId)) + "," + JStr("action", action) + "," +
          JStr("side", side) + "," + JNum("lots", lots, 8) + "," + JNum("price", price, digits) + "," +
          JNum("commission", commission, 2) + "," + JNum("slippage", slippage, digits) + "," +
          JStr("reason", reason) + "}";
}

// MT5 books commission and fees as negative amounts; the protocol as a positive cost.
double DealCost(const ulong deal) {
   return -(HistoryDealGetDouble(deal, DEAL_COMMISSION) + HistoryDealGetDouble(deal, DEAL_FEE));
}

void OnEntryDeal(const ulong deal) {
   if(HistoryDealGetInteger(deal, DEAL_MAGIC) != (long)InpMagic)
      return; // not this EA's: the server learns of it through the hello's positions
   int sent = FindSent((ulong)HistoryDealGetInteger(deal, DEAL_ORDER));
   string id = sent >= 0 ? g_sent[sent].clientOrderId : HistoryDealGetString(deal, DEAL_COMMENT);
   ulong positionId = (ulong)HistoryDealGetInteger(deal, DEAL_POSITION_ID);
   if(id == "" || FindTracked(positionId) >= 0)
      return; // unknown origin, or a second partial fill of a tracked position
   int dir = HistoryDealGetInteger(deal, DEAL_TYPE) == DEAL_TYPE_BUY ? 1 : -1;
   double price = HistoryDealGetDouble(deal, DEAL_PRICE);
   double lots = HistoryDealGetDouble(deal, DEAL_VOLUME);
   long timeUs = UsFromServerMs(HistoryDealGetInteger(deal, DEAL_TIME_MSC));
   double slippage = sent >= 0 ? dir * (price - g_sent[sent].requestedPrice) : 0.0;
   Track(positionId, id, dir, lots, timeUs, price);
   QueueMessage(timeUs, FillJson(timeUs, id, positionId, "open", dir > 0 ? "buy" : "sell", lots, price,
                                 DealCost(deal), slippage, "market"));
}

// A closing deal: a fill, and once the position is gone, the trade with its whole accounting.
void OnExitDeal(const ulong deal) {
   ulong positionId = (ulong)HistoryDealGetInteger(deal, DEAL_POSITION_ID);
   int t = FindTracked(positionId);
   if(t < 0)
      return; // a position this EA did not open
   int dir = g_positions[t].dir;
   string base = g_positions[t].clientOrderId != "" ? g_positions[t].clientOrderId : IntegerToString((long)positionId);
   ENUM_DEAL_REASON why = (ENUM_DEAL_REASON)HistoryDealGetInteger(deal, DEAL_REASON);
   int sent = FindSent((ulong)HistoryDealGetInteger(deal, DEAL_ORDER));
   string reason = "manual";
   string id = base + ":manual";
   double reference = 0.0; // the price the exit was meant to happen at
   if(why == DEAL_REASON_SL) {
      reason = "stop_loss";
      id = base + ":sl";
      reference = HistoryDealGetDouble(deal, DEAL_SL);
   }
   else if(why == DEAL_REASON_TP) {
      reason = "take_profit";
      id = base + ":tp";
      reference = HistoryDealGetDouble(deal, DEAL_TP);
   }
   else if(sent >= 0) {
      reason = g_sent[sent].exitReason;
      id = g_sent[sent].clientOrderId;
      reference = g_sent[sent].requestedPrice;
   }
   double price = HistoryDealGetDouble(deal, DEAL_PRICE);
   long timeUs = UsFromServerMs(HistoryDealGetInteger(deal, DEAL_TIME_MSC));
   // A long exits by selling: filling below the intended price is against it.
   double slippage = reference > 0.0 ? dir * (reference - price) : 0.0;
   QueueMessage(timeUs, FillJson(timeUs, id, positionId, "close", dir > 0 ? "sell" : "buy",
                                 HistoryDealGetDouble(deal, DEAL_VOLUME), price, DealCost(deal), slippage, reason));
   if(SelectPosition(positionId) != 0)
      return; // partly closed: the trade is reported when the rest closes
   QueueMessage(timeUs, TradeJson(g_positions[t], price, timeUs, reason));
   g_positions[t].id = 0; // closed: the entry stays, so structs are never copied

}

// The closed position's accounting from all its deals (profit, commission, fee, swap).
string TradeJson(const Tracked &p, const double exitPrice, const long exitUs, const string reason) {
   double gross = 0.0, commission = 0.0, swap = 0.0;
   if(HistorySelectByPosition((long)p.id))
      for(int i = HistoryDealsTotal() - 1; i >= 0; i--) {
         ulong deal = HistoryDealGetTicket(i);
         gross += HistoryDealGetDouble(deal, DEAL_PROFIT);
         commission += DealCost(deal);
         swap += HistoryDealGetDouble(deal, DEAL_SWAP);
      }
   double contract = SymbolInfoDouble(g_symbol, SYMBOL_TRADE_CONTRACT_SIZE);
   double exitValue = OpenValue(p, exitPrice);
   // Estimate: the spreads quoted when the entry and the exit were seen, half each way.
   double spreadCost = (p.entrySpread + CurrentSpread()) / 2 * contract * p.lots;
   int digits = (int)SymbolInfoInteger(g_symbol, SYMBOL_DIGITS) + PRICE_DIGITS_EXTRA;
   return "{" + JInt("v", 1) + "," + JStr("kind", "trade") + "," + JStr("symbol", g_wireSymbol) + "," +
          JStr("positionId", IntegerToString((long)p.id)) + "," + JStr("side", p.dir > 0 ? "buy" : "sell") + "," +
          JNum("lots", p.lots, 8) + "," + JInt("entryTimeUs", p.entryUs) + "," + JNum("entryPrice", p.entryPrice, digits) + "," +
          JInt("exitTimeUs", exitUs) + "," + JNum("exitPrice", exitPrice, digits) + "," + JStr("exitReason", reason) + "," +
          JNum("pnl", gross - commission + swap, 2) + "," + JNum("commission", commission, 2) + "," +
          JNum("swap", swap, 2) + "," + JNum("spreadCost", spreadCost, 2) + "," +
          JNum("mae", MathMin(p.mae, exitValue), 2) + "," + JNum("mfe", MathMax(p.mfe, exitValue), 2) + "}";
}

// ---- Market data and account reports -------------------------------
// Queues every M1 bar that closed since the last one queued; true when there was one.
bool QueueClosedBars() {
   datetime closedBy = TimeTradeServer() - BAR_GRACE_SEC;
   datetime lastOpen = closedBy - 60; // a bar opened at t is closed once t + 60 <= closedBy
   if(lastOpen < g_lastBarOpen + 60) return false;
   MqlRates rates[];
   int n = CopyRates(g_symbol, PERIOD_M1, g_lastBarOpen + 60, lastOpen, rates);
   if(n <= 0)
      return false; // no bar in the range (no ticks, weekend) or history still loading
   int digits = (int)SymbolInfoInteger(g_symbol, SYMBOL_DIGITS);
   double point = SymbolInfoDouble(g_symbol, SYMBOL_POINT);
   for(int i = 0; i < n; i++) { // oldest first
      long openUs = UsFromServerTime(rates[i].time);
      long closeUs = openUs + 60 * 1000000;
      QueueBar(closeUs, "{" + JInt("v", 1) + "," + JStr("kind", "bar") + "," + JStr("symbol", g_wireSymbol) + "," +
               JStr("timeframe", "M1") + "," + JInt("openUs", openUs) + "," + JInt("closeUs", closeUs) + "," +
               JKey("bid") + "{" + JNum("open", rates[i].open, digits) + "," + JNum("high", rates[i].high, digits) + "," +
               JNum("low", rates[i].low, digits) + "," + JNum("close", rates[i].close, digits) + "}," +
               JKey("ask") + "null," + JNum("spread", rates[i].spread * point, digits) + "," +
               JInt("volume", rates[i].tick_volume) + "}");
   }
   g_lastBarOpen = rates[n - 1].time;
   return true;
}

string AccountJson() {
   return "{" + JInt("v", 1) + "," + JStr("kind", "account") + "," + JInt("timeUs", NowUs()) + "," +
          JNum("balance", AccountInfoDouble(ACCOUNT_BALANCE), 2) + "," +
          JNum("equity", AccountInfoDouble(ACCOUNT_EQUITY), 2) + "," +
          JNum("margin", AccountInfoDouble(ACCOUNT_MARGIN), 2) + "," +
          JInt("openPositions", PositionsTotal()) + "}";
}

// Queues an account report when anything but its time changed (or always, after a deal).
void QueueAccount(const bool always) {
   string json = AccountJson();
   string key = StringSubstr(json, StringFind(json, "\"balance\""));
   if(!always && key == g_lastAccount) return;
   g_lastAccount = key;
   QueueMessage(NowUs(), json);
}

// The first message of every session: who we are, the symbol's terms, and what is open.
string HelloJson() {
   string positions = "";
   int digits = (int)SymbolInfoInteger(g_symbol, SYMBOL_DIGITS);
   for(int i = 0; i < PositionsTotal(); i++) {
      if(PositionGetTicket(i) == 0) continue;
      ulong id = (ulong)PositionGetInteger(POSITION_IDENTIFIER);
      int t = FindTracked(id);
      string clientOrderId = t >= 0 ? g_positions[t].clientOrderId : "";
      string symbol = PositionGetString(POSITION_SYMBOL);
      int d = (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
      positions += (positions == "" ? "" : ",") + "{" + JStr("positionId", IntegerToString((long)id)) + "," +
                   JKey("clientOrderId") + (clientOrderId == "" ? "null" : JsonQuote(clientOrderId)) + "," +
                   JStr("symbol", symbol == g_symbol ? g_wireSymbol : symbol) + "," +
                   JStr("side", PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY ? "buy" : "sell") + "," +
                   JNum("lots", PositionGetDouble(POSITION_VOLUME), 8) + "," +
                   JNum("openPrice", PositionGetDouble(POSITION_PRICE_OPEN), d + PRICE_DIGITS_EXTRA) + "," +
                   JPriceOrNull("stopLoss", PositionGetDouble(POSITION_SL), d) + "," +
                   JPriceOrNull("takeProfit", PositionGetDouble(POSITION_TP), d) + "}";
   }
   return "{" + JStr("kind", "hello") + "," + JStr("ea", EA_BUILD) + "," +
          JKey("account") + "{" + JStr("login", IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN))) + "," +
          JStr("server", AccountInfoString(ACCOUNT_SERVER)) + "," + JStr("currency", AccountInfoString(ACCOUNT_CURRENCY)) + "," +
          JInt("leverage", MathMax(AccountInfoInteger(ACCOUNT_LEVERAGE), (long)1)) + "}," +
          JKey("symbol") + "{" + JStr("name", g_wireSymbol) + "," + JInt("digits", digits) + "," +
          JNum("point", SymbolInfoDouble(g_symbol, SYMBOL_POINT), 10) + "," +
          JNum("contractSize", SymbolInfoDouble(g_symbol, SYMBOL_TRADE_CONTRACT_SIZE), 4) + "," +
          JNum("volumeMin", SymbolInfoDouble(g_symbol, SYMBOL_VOLUME_MIN), 8) + "," +
          JNum("volumeMax", SymbolInfoDouble(g_symbol, SYMBOL_VOLUME_MAX), 8) + "," +
          JNum("volumeStep", SymbolInfoDouble(g_symbol, SYMBOL_VOLUME_STEP), 8) + "}," +
          JKey("state") + AccountJson() + "," + JKey("positions") + "[" + positions + "]}";
}
//+------------------------------------------------------------------+
