import assert from "node:assert/strict";
import { parseJsonc, stripJsonComments } from "@/pipeline/jsonc.ts";

Deno.test("parseJsonc() reads line and block comments and trailing commas", () => {
  const text = `{
  // the risk part
  "risk": { "riskPercent": 0.25, /* half the default */ },
  "list": [1, 2,],
}`;
  assert.deepEqual(parseJsonc(text), { risk: { riskPercent: 0.25 }, list: [1, 2] });
});

Deno.test("parseJsonc() leaves strings alone, escaped quotes and slashes included", () => {
  const text = `{"url": "http://x//y", "a": "say \\"hi\\" // not a comment", "b": "1,]"}`;
  assert.deepEqual(parseJsonc(text), {
    url: "http://x//y",
    a: 'say "hi" // not a comment',
    b: "1,]",
  });
});

Deno.test("stripJsonComments() keeps every newline, so positions stay those of the file", () => {
  const text = '{\n// one\n/* two\nthree */\n"a": 1\n}';
  const stripped = stripJsonComments(text);
  assert.equal(stripped.length, text.length);
  assert.equal(stripped.split("\n").length, text.split("\n").length);
});

Deno.test("parseJsonc() names the line and column of a syntax error", () => {
  // Line 3 starts "b" where a comma was expected after line 2's value.
  assert.throws(() => parseJsonc(`{\n  "a": 1\n  "b": 2\n}`), {
    name: "SyntaxError",
    message: /^line 3, column 3: /,
  });
  assert.throws(() => parseJsonc("  // only a comment\n"), { message: "the file is empty" });
});
