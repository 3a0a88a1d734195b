// ProtocolJson.mqh: the little JSON that MT5 protocol v1 needs (docs/mt5-protocol.md).
// Writers build the EA's messages as strings; the reader finds a key's value inside one
// object and steps over values, enough to read the server's reply. It is not a general
// parser and must never be used to validate input: the server does that.
#ifndef PROTOCOL_JSON_MQH
#define PROTOCOL_JSON_MQH

//--- writing -----------------------------------------------------------

// A JSON string literal, quotes included; control characters escaped.
string JsonQuote(const string text) {
   string out = "\"";
   int n = StringLen(text);
   for(int i = 0; i < n; i++) {
      ushort c = StringGetCharacter(text, i);
      if(c == '"') out += "\\\"";
      else if(c == '\\') out += "\\\\";
      else if(c == '\n') out += "\\n";
      else if(c == '\r') out += "\\r";
      else if(c == '\t') out += "\\t";
      else if(c < 0x20) out += StringFormat("\\u%04x", c);
      else out += ShortToString(c);
   }
   return out + "\"";
}

// A number with `digits` decimals; null for NaN or infinity, so the server's
// 400 names the field rather than the EA sending invalid JSON.
string JsonNumber(const double value, const int digits) {
   if(!MathIsValidNumber(value)) return "null";
   return DoubleToString(value, digits);
}

// "key":value pairs; `JKey` is the shared prefix.
string JKey(const string key)                                 { return "\"" + key + "\":"; }
string JStr(const string key, const string value)             { return JKey(key) + JsonQuote(value); }
string JInt(const string key, const long value)               { return JKey(key) + IntegerToString(value); }
string JNum(const string key, const double value, const int d) { return JKey(key) + JsonNumber(value, d); }
// A price that MT5 stores as 0.0 when absent (stop-loss, take-profit) is null on the wire.
string JPriceOrNull(const string key, const double value, const int d) {
   return JKey(key) + (value == 0.0 ? "null" : JsonNumber(value, d));
}

//--- reading -----------------------------------------------------------

bool JsonIsSpace(const ushort c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int JsonSkipSpace(const string json, int pos) {
   int n = StringLen(json);
   while(pos < n && JsonIsSpace(StringGetCharacter(json, pos))) pos++;
   return pos;
}

// Index just past the value that starts at `pos` (string, number, literal,
// object or array); -1 when the text ends first.
int JsonSkipValue(const string json, int pos) {
   int n = StringLen(json);
   pos = JsonSkipSpace(json, pos);
   if(pos >= n) return -1;
   ushort c = StringGetCharacter(json, pos);
   if(c != '"' && c != '{' && c != '[') { // a number or literal ends at the next delimiter
      while(pos < n && StringFind(",}] \t\r\n", ShortToString(StringGetCharacter(json, pos))) < 0) pos++;
      return pos;
   }
   int depth = 0;
   bool inString = false;
   for(; pos < n; pos++) {
      ushort d = StringGetCharacter(json, pos);
      if(inString) {
         if(d == '\\') pos++;
         else if(d == '"') {
            inString = false;
            if(depth == 0) return pos + 1;
         }
      }
      else if(d == '"') inString = true;
      else if(d == '{' || d == '[') depth++;
      else if((d == '}' || d == ']') && --depth == 0) return pos + 1;
   }
   return -1;
}

// Where the value of `key` starts among the members of the object at `objectAt`;
// -1 when the key is absent (or the text is not an object there).
int JsonFind(const string json, const int objectAt, const string key) {
   if(objectAt < 0) return -1;
   int n = StringLen(json);
   int pos = JsonSkipSpace(json, objectAt);
   if(pos >= n || StringGetCharacter(json, pos) != '{') return -1;
   pos++;
   while(true) {
      pos = JsonSkipSpace(json, pos);
      if(pos >= n) return -1;
      ushort c = StringGetCharacter(json, pos);
      if(c == ',') {
         pos++;
         continue;
      }
      if(c != '"') return -1;
      int keyEnd = JsonSkipValue(json, pos);
      if(keyEnd < 0) return -1;
      // Protocol keys are plain ASCII: the raw text between the quotes is the key.
      string name = StringSubstr(json, pos + 1, keyEnd - pos - 2);
      pos = JsonSkipSpace(json, keyEnd);
      if(pos >= n || StringGetCharacter(json, pos) != ':') return -1;
      pos = JsonSkipSpace(json, pos + 1);
      if(name == key) return pos;
      pos = JsonSkipValue(json, pos);
      if(pos < 0) return -1;
   }
   return -1;
}

// The raw text of the value at `pos` ("" when absent): a number or literal as written.
string JsonRaw(const string json, const int pos) {
   if(pos < 0) return "";
   int end = JsonSkipValue(json, pos);
   return end < 0 ? "" : StringSubstr(json, pos, end - pos);
}

int JsonHexDigit(const ushort c) {
   if(c >= '0' && c <= '9') return c - '0';
   if(c >= 'a' && c <= 'f') return c - 'a' + 10;
   if(c >= 'A' && c <= 'F') return c - 'A' + 10;
   return 0;
}

// The decoded string at `pos`; "" when absent, null or not a string.
string JsonString(const string json, const int pos) {
   if(pos < 0 || StringGetCharacter(json, pos) != '"') return "";
   int end = JsonSkipValue(json, pos) - 1;
   string out = "";
   for(int i = pos + 1; i < end; i++) {
      ushort c = StringGetCharacter(json, i);
      if(c != '\\') {
         out += ShortToString(c);
         continue;
      }
      ushort e = StringGetCharacter(json, ++i);
      if(e == 'n') out += "\n";
      else if(e == 't') out += "\t";
      else if(e == 'r') out += "\r";
      else if(e == 'b' || e == 'f') out += ShortToString(e == 'b' ? (ushort)8 : (ushort)12);
      else if(e == 'u' && i + 4 < end) {
         int code = 0;
         for(int k = 1; k <= 4; k++) code = code * 16 + JsonHexDigit(StringGetCharacter(json, i + k));
         out += ShortToString((ushort)code);
         i += 4;
      }
      else
         out += ShortToString(e); // \" \\ \/
   }
   return out;
}

bool   JsonIsNull(const string json, const int pos) { return pos < 0 || JsonRaw(json, pos) == "null"; }
double JsonDouble(const string json, const int pos) { return StringToDouble(JsonRaw(json, pos)); }
long   JsonLong(const string json, const int pos)   { return StringToInteger(JsonRaw(json, pos)); }

// The start of every element of the array at `arrayAt`; returns how many.
int JsonArrayItems(const string json, const int arrayAt, int &starts[]) {
   ArrayResize(starts, 0);
   if(arrayAt < 0) return 0;
   int n = StringLen(json);
   int pos = JsonSkipSpace(json, arrayAt);
   if(pos >= n || StringGetCharacter(json, pos) != '[') return 0;
   pos = JsonSkipSpace(json, pos + 1);
   while(pos < n && StringGetCharacter(json, pos) != ']') {
      int count = ArraySize(starts);
      ArrayResize(starts, count + 1);
      starts[count] = pos;
      pos = JsonSkipValue(json, pos);
      if(pos < 0) break;
      pos = JsonSkipSpace(json, pos);
      if(pos < n && StringGetCharacter(json, pos) == ',') pos = JsonSkipSpace(json, pos + 1);
   }
   return ArraySize(starts);
}

#endif
