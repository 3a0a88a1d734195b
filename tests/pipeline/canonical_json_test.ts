/** `canonicalJson`: the text every content hash (feature spec, meta primary, parameter set) is taken over. */

import assert from "node:assert/strict";
import { canonicalJson } from "@/pipeline/canonical_json.ts";

Deno.test("canonicalJson() sorts every object's keys, nested ones and those inside arrays too", () => {
  const a = { b: 1, a: { d: [2, { f: "x", e: null }], c: true } };
  const b = { a: { c: true, d: [2, { e: null, f: "x" }] }, b: 1 };
  const expected = '{"a":{"c":true,"d":[2,{"e":null,"f":"x"}]},"b":1}';
  assert.equal(canonicalJson(a), expected);
  assert.equal(canonicalJson(b), expected);
});

Deno.test("canonicalJson() leaves out keys whose value is undefined, as JSON.stringify does", () => {
  assert.equal(canonicalJson({ z: undefined, y: 0 }), '{"y":0}');
});

Deno.test("canonicalJson() writes strings, numbers and keys as JSON.stringify does, without spaces", () => {
  assert.equal(
    canonicalJson({ 'k"1': 'say "hi"\n', n: 0.1 }),
    '{"k\\"1":"say \\"hi\\"\\n","n":0.1}',
  );
});
