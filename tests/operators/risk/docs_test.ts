/**
 * docs/risk.md stays true to the code: every reason code, every config field with its
 * default, every consistency check and the sizing worked example appear in it.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_RISK_CONFIG,
  DEFAULT_RULES,
  RISK_CODES,
  RISK_CONFIG_CHECKS,
  sizePosition,
} from "@/operators/risk/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import { lossPerLotAtStop } from "@/operators/execution/costs.ts";

const DOC = await Deno.readTextFile(
  fileURLToPath(new URL("../../../docs/risk.md", import.meta.url)),
);

Deno.test("docs/risk.md names every reason code", () => {
  for (const code of RISK_CODES) assert.ok(DOC.includes(`\`${code}\``), `${code} is undocumented`);
});

Deno.test("docs/risk.md names every default rule's file", () => {
  for (const rule of DEFAULT_RULES) {
    assert.ok(DOC.includes(`\`${rule.name}.ts\``), `rules/${rule.name}.ts is undocumented`);
  }
});

/** [path, value] for every leaf of the config (arrays are leaves). */
function leaves(value: unknown, path = ""): Array<readonly [string, unknown]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [[path, value]];
  return Object.entries(value).flatMap(([key, inner]) =>
    leaves(inner, path === "" ? key : `${path}.${key}`)
  );
}

Deno.test("docs/risk.md lists every config field with its default", () => {
  const rows = new Map(
    DOC.split("\n")
      .map((line) => /^\|\s*`([\w.]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2].trim()]),
  );
  for (const [path, value] of leaves(DEFAULT_RISK_CONFIG)) {
    assert.ok(rows.has(path), `${path} has no row`);
    if (typeof value === "number" || typeof value === "boolean" || value === null) {
      assert.equal(rows.get(path), String(value), `${path}'s documented default`);
    }
  }
});

Deno.test("docs/risk.md names every consistency check", () => {
  for (const check of RISK_CONFIG_CHECKS) assert.ok(DOC.includes(`\`${check.name}\``), check.name);
});

Deno.test("docs/risk.md's worked example matches sizePosition()", () => {
  assert.ok(DOC.includes("lots = 50 / (3.00 x 100 + 3.50 + 3.50) = 50 / 307 = 0.1628 → 0.16"));
  const { lots } = sizePosition({
    spec: XAUUSD,
    equity: 10_000,
    riskPercent: DEFAULT_RISK_CONFIG.riskPercent,
    lossPerLot: lossPerLotAtStop({ spec: XAUUSD, slippage: 0 }, "buy", 2000, 1997),
    price: 2000,
    marginInUse: 0,
    maxMarginUsePercent: DEFAULT_RISK_CONFIG.maxMarginUsePercent,
  });
  assert.equal(lots, 0.16);
});
