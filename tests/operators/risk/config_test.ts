/**
 * `parseRiskConfig`: `{}` gives the documented defaults, every field carries a
 * description, a default and (for numbers) bounds, and invalid configs fail naming each
 * field, including the named cross-field checks.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import {
  DEFAULT_RISK_CONFIG,
  parseRiskConfig,
  RISK_CONFIG_CHECKS,
  riskConfigSchema,
} from "@/operators/risk/mod.ts";

Deno.test("parseRiskConfig() turns {} into the safe retail defaults", () => {
  const config = parseRiskConfig({}, "(empty)");
  assert.deepEqual(config, DEFAULT_RISK_CONFIG);
  assert.equal(config.riskPercent, 0.5);
  assert.equal(config.dailyLoss.maxPercent, 2);
  assert.equal(config.maxDrawdownPercent, 10);
  assert.equal(config.positions.maxOpen, 1);
  assert.equal(config.spread.maxSpread, 0.6);
  assert.deepEqual(config.sessions.windows.map((w) => w.name), ["london", "new-york"]);
  assert.deepEqual(config.weekdayBlocks, [
    { weekday: "friday", timeZone: "UTC", from: "19:00", to: "24:00" },
  ]);
  assert.deepEqual(
    [config.lossStreak.cooldownAfter, config.lossStreak.cooldownMinutes],
    [3, 30],
  );
  assert.deepEqual([config.lossStreak.reduceAfter, config.lossStreak.reduceFactor], [2, 0.5]);
  assert.deepEqual(
    [config.breakeven.triggerR, config.trailing.triggerR, config.trailing.distanceR],
    [
      1,
      1.5,
      1,
    ],
  );
});

Deno.test("DEFAULT_RISK_CONFIG is frozen all the way down", () => {
  assert.ok(Object.isFrozen(DEFAULT_RISK_CONFIG));
  assert.ok(Object.isFrozen(DEFAULT_RISK_CONFIG.sessions.windows[0]));
  assert.throws(() => {
    (DEFAULT_RISK_CONFIG.dailyLoss as { maxPercent: number }).maxPercent = 50;
  }, TypeError);
});

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}

Deno.test("riskConfigSchema gives every field a description and a default, and every number bounds", () => {
  const schema = z.toJSONSchema(riskConfigSchema, { io: "input" }) as JsonSchema;
  const visit = (node: JsonSchema, path: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const at = path === "" ? key : `${path}.${key}`;
      assert.ok(child.description, `${at} has no description`);
      assert.ok("default" in child, `${at} has no default`);
      const numeric = [child, ...(child.anyOf ?? [])].find((s) =>
        s.type === "number" || s.type === "integer"
      );
      if (numeric !== undefined) {
        assert.ok(
          numeric.minimum !== undefined || numeric.exclusiveMinimum !== undefined,
          `${at} has no lower bound`,
        );
        assert.ok(numeric.maximum !== undefined, `${at} has no upper bound`);
      }
      if (child.type === "object") visit(child, at);
    }
  };
  visit(schema, "");
});

/** The message of the TypeError `fn` throws. */
function typeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    return error.message;
  }
  assert.fail("expected a TypeError, nothing was thrown");
}

Deno.test("parseRiskConfig() names the origin and every invalid field", () => {
  const message = typeErrorOf(() =>
    parseRiskConfig({
      riskPercent: 0,
      spread: { maxSpread: -1 },
      sessions: {
        windows: [{ name: "tokyo", timeZone: "Asia/Tokyo", start: "9:00", end: "15:00" }],
      },
      weekdayBlocks: [{ weekday: "fri", timeZone: "UTC", from: "19:00", to: "24:00" }],
      sizeMultiplier: 2,
    }, "risk.json")
  );
  assert.match(message, /^Risk config risk\.json is invalid: /);
  for (
    const field of [
      "riskPercent:",
      "spread.maxSpread:",
      'sessions.windows.0.timeZone: unknown time zone "Asia/Tokyo"',
      "sessions.windows.0.start: expected a time of day HH:MM",
      "weekdayBlocks.0.weekday:",
      '"sizeMultiplier"',
    ]
  ) {
    assert.ok(message.includes(field), `${field} missing from: ${message}`);
  }
});

Deno.test("parseRiskConfig() refuses empty windows and blocks that run backwards", () => {
  const message = typeErrorOf(() =>
    parseRiskConfig({
      sessions: {
        windows: [
          { name: "x", timeZone: "UTC", start: "08:00", end: "08:00" },
          { name: "y", timeZone: "UTC", start: "24:00", end: "08:00" },
        ],
      },
      weekdayBlocks: [{ weekday: "friday", timeZone: "UTC", from: "20:00", to: "19:00" }],
    }, "(test)")
  );
  assert.match(message, /sessions\.windows\.0\.end: start and end are equal/);
  assert.match(message, /sessions\.windows\.1\.start: a window cannot start at 24:00/);
  assert.match(message, /weekdayBlocks\.0\.to: from must be before to/);
});

Deno.test("parseRiskConfig() applies each named consistency check", async (t) => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["risk-within-daily-loss", { riskPercent: 3 }, "riskPercent"],
    ["daily-loss-within-drawdown", { dailyLoss: { maxPercent: 12 } }, "dailyLoss.maxPercent"],
    ["trailing-locks-profit", { trailing: { triggerR: 1, distanceR: 1 } }, "trailing.distanceR"],
    ["assumed-spread-tradeable", { spread: { assumedSpread: 0.7 } }, "spread.assumedSpread"],
    ["cut-before-cooldown", { lossStreak: { reduceAfter: 4 } }, "lossStreak.reduceAfter"],
  ];
  assert.deepEqual(cases.map(([name]) => name), RISK_CONFIG_CHECKS.map((c) => c.name));
  for (const [name, value, path] of cases) {
    await t.step(name, () => {
      const check = RISK_CONFIG_CHECKS.find((c) => c.name === name)!;
      assert.equal(
        typeErrorOf(() => parseRiskConfig(value, "(test)")).includes(
          `${path}: ${check.message}`,
        ),
        true,
      );
    });
  }
});
