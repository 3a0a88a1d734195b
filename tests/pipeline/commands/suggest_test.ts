import assert from "node:assert/strict";
import { closest, editDistance } from "@/pipeline/commands/_suggest.ts";

Deno.test("editDistance() counts inserts, deletes, substitutions and swaps as one edit each", async (t) => {
  const cases: [string, string, number][] = [
    ["json", "json", 0],
    ["jsn", "json", 1], // insert "o"
    ["jsoon", "json", 1], // delete "o"
    ["jsan", "json", 1], // substitute "a" -> "o"
    ["jsno", "json", 1], // swap "no" -> "on"
    ["", "abc", 3],
    ["kitten", "sitting", 3], // the textbook example: k->s, e->i, insert g
  ];
  for (const [a, b, expected] of cases) {
    await t.step(
      `"${a}" -> "${b}" is ${expected}`,
      () => assert.equal(editDistance(a, b), expected),
    );
  }
});

Deno.test("closest() suggests the flag a typo meant, a prefix, and nothing for a stranger", () => {
  const flags = ["data", "json", "report", "no-ml", "registry", "from", "to"];
  assert.equal(closest("jsn", flags), "json");
  assert.equal(closest("frm", flags), "from");
  assert.equal(closest("rep", flags), "report", "a prefix of three or more letters");
  assert.equal(closest("REPORT", flags), "report", "case does not matter");
  assert.equal(closest("speed", flags), null, "five letters, two edits from no flag at all");
  assert.equal(closest("x", flags), null);
});
