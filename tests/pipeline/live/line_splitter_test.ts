import assert from "node:assert/strict";
import { LINE_TOO_LONG, LineSplitter } from "@/pipeline/live/line_splitter.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Every line `next()` gives until it has none. */
function drain(splitter: LineSplitter): (string | null)[] {
  const out: (string | null)[] = [];
  for (let line = splitter.next(); line !== undefined; line = splitter.next()) out.push(line);
  return out;
}

Deno.test("LineSplitter.next() joins a line across chunks and trims it", () => {
  const splitter = new LineSplitter(100, 4);
  splitter.push(bytes('{"a":'));
  assert.deepEqual(drain(splitter), []);
  splitter.push(bytes('1}\r\n\n  \n{"b":2}\n{"c"'));
  assert.deepEqual(drain(splitter), ['{"a":1}', '{"b":2}']);
  assert.equal(splitter.pendingBytes, 4, 'the partial line {"c" is kept');
  splitter.push(bytes(":3}\n"));
  assert.deepEqual(drain(splitter), ['{"c":3}']);
  assert.equal(splitter.pendingBytes, 0);
});

Deno.test("LineSplitter.next() reports a line over the limit before its newline arrives", () => {
  const splitter = new LineSplitter(8);
  splitter.push(bytes("12345678"));
  assert.deepEqual(drain(splitter), [], "8 bytes is at the limit, not over it");
  splitter.push(bytes("9"));
  assert.equal(splitter.next(), LINE_TOO_LONG);
});

Deno.test("LineSplitter.next() refuses a complete line over the limit", () => {
  const splitter = new LineSplitter(3);
  splitter.push(bytes("abc\nabcd\n"));
  assert.deepEqual(drain(splitter).slice(0, 2), ["abc", LINE_TOO_LONG]);
});

Deno.test("LineSplitter.maxBytes may grow between lines (a small login, then envelopes)", () => {
  const splitter = new LineSplitter(4);
  splitter.push(bytes("ok\n0123456789\n"));
  assert.equal(splitter.next(), "ok");
  splitter.maxBytes = 10;
  assert.equal(splitter.next(), "0123456789");
});

Deno.test("LineSplitter holds no more than the limit and one chunk, whatever is pushed", () => {
  const splitter = new LineSplitter(1000, 16);
  const chunk = bytes("x".repeat(100));
  // 5,000 chunks of 100 bytes, a line ending in every fifth: 4 x 100 + 99 = 499 bytes a line.
  for (let i = 0; i < 5000; i++) {
    splitter.push(i % 5 === 4 ? bytes("x".repeat(99) + "\n") : chunk);
    const lines = drain(splitter);
    if (i % 5 === 4) assert.deepEqual(lines.map((l) => l?.length), [499]);
    assert.ok(splitter.pendingBytes <= 1000 + 100);
  }
});
