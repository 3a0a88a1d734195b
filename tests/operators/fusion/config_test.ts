/**
 * The fusion config: every field has a description, bounds and a default, each of which
 * docs/fusion.md lists; the technical-only preset has no model or LLM weight; and a bad
 * config names every problem.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import {
  FUSION_DEFAULTS,
  fusionConfigSchema,
  parseFusionConfig,
  TECHNICAL_ONLY,
} from "@/operators/fusion/mod.ts";

interface JsonSchema {
  readonly type?: string;
  readonly properties?: Record<string, JsonSchema>;
  readonly description?: string;
  readonly default?: unknown;
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
}

/** Every leaf field of the schema, by dotted path. */
function leaves(node: JsonSchema, path: string[] = []): [string, JsonSchema][] {
  if (node.type === "object" && node.properties) {
    return Object.entries(node.properties).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [[path.join("."), node]];
}

const FIELDS = leaves(z.toJSONSchema(fusionConfigSchema, { io: "input" }) as JsonSchema);

Deno.test("fusionConfigSchema describes, bounds and defaults every field", () => {
  assert.ok(FIELDS.length > 40, `${FIELDS.length} fields`);
  for (const [path, field] of FIELDS) {
    assert.ok(field.description, `${path} has no description`);
    assert.ok(field.default !== undefined, `${path} has no default`);
    if (field.type === "number" || field.type === "integer") {
      assert.ok(
        (field.minimum ?? field.exclusiveMinimum) !== undefined && field.maximum !== undefined,
        `${path} is unbounded`,
      );
    }
  }
});

Deno.test("docs/fusion.md lists every config field with its default", async () => {
  const docs = await Deno.readTextFile(new URL("../../../docs/fusion.md", import.meta.url));
  for (const [path, field] of FIELDS) {
    const row = new RegExp(
      `^\\| \`${path.replaceAll(".", "\\.")}\` +\\| \`${
        JSON.stringify(field.default).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      }\` +\\|`,
      "m",
    );
    assert.match(
      docs,
      row,
      `docs/fusion.md has no row for ${path} = ${JSON.stringify(field.default)}`,
    );
  }
});

Deno.test("TECHNICAL_ONLY weighs only the technical scorer and leaves the LLM off", () => {
  assert.deepEqual(TECHNICAL_ONLY.weights, { technical: 1, ml: 0, llm: 0 });
  assert.equal(TECHNICAL_ONLY.llm.enabled, false);
  assert.equal(TECHNICAL_ONLY.gate, 0.5);
  assert.deepEqual(TECHNICAL_ONLY.technical, FUSION_DEFAULTS.technical);
});

Deno.test("parseFusionConfig() names every problem of a bad config", () => {
  assert.throws(
    () =>
      parseFusionConfig({
        weights: { technical: 0, ml: 0, llm: 0 },
        gate: 1.5,
        technical: { emaFast: 30 },
        levels: { stopLoss: 2 },
      }, "fusion.json"),
    (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Fusion fusion\.json is invalid: /);
      for (
        const part of [
          "weights: at least one source needs a positive weight",
          "gate: ",
          "technical: emaFast must be below emaSlow",
          'levels: Unrecognized key: "stopLoss"',
        ]
      ) assert.ok(error.message.includes(part), `"${part}" missing from: ${error.message}`);
      return true;
    },
  );
});
