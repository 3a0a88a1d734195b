/**
 * docs/features.md against the code: its catalogue and default-spec tables are the ones
 * `_docs_tables.ts` generates, its example spec loads, and the hashes it quotes are the
 * real ones. A change to the catalogue or the default spec fails here until the page is
 * regenerated (see `_docs_tables.ts`).
 */

import assert from "node:assert/strict";
import { DEFAULT_FEATURE_SPEC, parseFeatureSpec, specHash } from "@/operators/features/mod.ts";
import { catalogueTable, findTable, rowsOf, specTable } from "./_docs_tables.ts";

const PAGE = new URL("../../../docs/features.md", import.meta.url);

Deno.test("docs/features.md lists every kind of FEATURE_KINDS as catalogueTable() generates it", async () => {
  const page = await Deno.readTextFile(PAGE);
  const generated = catalogueTable();
  assert.deepEqual(findTable(page, generated), rowsOf(generated));
});

Deno.test("docs/features.md lists the 57 default features as specTable() generates them", async () => {
  const page = await Deno.readTextFile(PAGE);
  const generated = specTable();
  assert.equal(rowsOf(generated).length, 57);
  assert.deepEqual(findTable(page, generated), rowsOf(generated));
});

Deno.test("docs/features.md's example spec loads, and the hashes the page quotes are the real ones", async () => {
  const page = await Deno.readTextFile(PAGE);
  const example = page.match(/its hash is `([0-9a-f]{64})`[\s\S]*?```json\n([\s\S]*?)```/);
  assert.ok(example, "an example spec after its hash");
  const spec = parseFeatureSpec(JSON.parse(example[2]), "docs/features.md example");
  assert.equal(specHash(spec), example[1]);
  assert.ok(page.includes(specHash(DEFAULT_FEATURE_SPEC)), "the default spec's hash");
});
