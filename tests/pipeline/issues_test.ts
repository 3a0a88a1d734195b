import assert from "node:assert/strict";
import { z } from "zod";
import { describeZodError } from "@/pipeline/issues.ts";

const schema = z.strictObject({
  risk: z.strictObject({
    riskPercent: z.number().gt(0).max(5).default(0.5),
    maxAmount: z.number().positive().nullable().default(null),
  }).optional(),
  mode: z.enum(["live", "replay"]).default("live"),
  runs: z.number().int().min(10).optional(),
  windows: z.array(z.string()).min(1).optional(),
});

function sentence(value: unknown): string {
  const parsed = schema.safeParse(value);
  assert.ok(!parsed.success, "the value is invalid");
  return describeZodError(parsed.error, `"c.json"`, schema);
}

Deno.test("describeZodError() names a misspelt key with the known one nearest to it", () => {
  assert.equal(
    sentence({ risk: { riskPercnt: 1 } }),
    '"c.json": unknown key "riskPercnt" in risk: did you mean "riskPercent"?',
  );
  assert.equal(
    sentence({ foo: 1 }),
    '"c.json": unknown key "foo" (known keys: risk, mode, runs, windows)',
  );
});

Deno.test("describeZodError() says bounds, types and choices as sentences with the path", () => {
  assert.equal(
    sentence({ risk: { riskPercent: 9 } }),
    '"c.json": risk.riskPercent must be at most 5',
  );
  assert.equal(
    sentence({ risk: { riskPercent: 0 } }),
    '"c.json": risk.riskPercent must be above 0',
  );
  assert.equal(
    sentence({ risk: { riskPercent: "1" } }),
    '"c.json": risk.riskPercent must be a number, not string',
  );
  assert.equal(sentence({ mode: "paper" }), '"c.json": mode must be one of "live", "replay"');
  assert.equal(sentence({ windows: [] }), '"c.json": windows must be at least 1 item');
  assert.equal(sentence([1]), '"c.json": the top level must be an object, not array');
});

Deno.test("describeZodError() joins several problems and never prints raw JSON", () => {
  const text = sentence({ runs: 1, mode: 3 });
  assert.equal(
    text,
    '"c.json": mode must be one of "live", "replay"; runs must be at least 10',
  );
  assert.ok(!text.includes("{") && !text.includes('"code"'));
});

Deno.test("describeZodError() says what a union wants: a missing key, a type, a discriminator", () => {
  const union = z.discriminatedUnion("format", [
    z.strictObject({ format: z.literal("json"), url: z.string() }),
    z.strictObject({ format: z.literal("telegram"), chatId: z.union([z.number(), z.string()]) }),
  ]);
  const text = (value: unknown) => {
    const parsed = union.safeParse(value);
    assert.ok(!parsed.success);
    return describeZodError(parsed.error, "w.json", union);
  };
  assert.equal(
    text({ format: "telegram", chatid: 1 }),
    'w.json: chatId is required; unknown key "chatid": did you mean "chatId"?',
  );
  assert.equal(
    text({ format: "telegram", chatId: true }),
    "w.json: chatId must be a number or a string",
  );
  assert.equal(text({ format: "sms" }), 'w.json: format must be one of "json", "telegram"');
});
