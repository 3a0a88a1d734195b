/**
 * `buildStrategy` with a meta-labeling model: the stages it composes, and the configs it
 * refuses (the technical source off, a primary other than the one on the model's card),
 * each with a message naming what differs. The model is a stand-in session: nothing here
 * scores a row.
 */

import assert from "node:assert/strict";
import type { MetaCard } from "@/models/card.ts";
import type { OrtSession } from "@/models/onnx/session.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "@/operators/features/mod.ts";
import { TECHNICAL_ONLY } from "@/operators/fusion/mod.ts";
import { primaryConfigHash } from "@/operators/meta/mod.ts";
import type { ServingModel } from "@/operators/ensemble/mod.ts";
import { buildPrimary, buildStrategy, type TradingConfig } from "@/pipeline/commands/strategy.ts";

const session: OrtSession = {
  nFeatures: DEFAULT_FEATURE_SPEC.features.length,
  nMembers: 0,
  run: () => Promise.reject(new Error("not scored here")),
  release: () => Promise.resolve(),
};

const META: MetaCard = {
  threshold: 0.4,
  thresholdChoice: "auto",
  timeLimitMinutes: 240,
  sizing: { mode: "fixed", floor: 0.5 },
  primary: { configHash: primaryConfigHash(TECHNICAL_ONLY), fusion: { ...TECHNICAL_ONLY } },
  execution: {},
};

const meta: ServingModel = {
  id: "1".repeat(64),
  specHash: specHash(DEFAULT_FEATURE_SPEC),
  session,
  meta: META,
};

const build = (config: Partial<TradingConfig> = {}, model: ServingModel | null = meta) =>
  buildStrategy({
    symbol: "XAUUSD",
    sides: "bid",
    config: { monteCarlo: {}, ...config },
    origin: '"trading.json"',
    model,
    calendar: null,
  });

Deno.test("buildStrategy() puts a meta model's gate after fusion, and no model stage", () => {
  const strategy = build();
  assert.deepEqual(strategy.stages.map((s) => s.name), [
    "features",
    "regimes",
    "fusion",
    "meta-gate",
  ]);
  assert.deepEqual(strategy.fusion.weights, { technical: 1, ml: 0, llm: 0 });
  assert.equal(strategy.fusion.gate, TECHNICAL_ONLY.gate);
});

Deno.test("buildStrategy() with scored features upstream keeps only the primary and the gate", () => {
  const strategy = buildStrategy({
    symbol: "XAUUSD",
    sides: "bid",
    config: { monteCarlo: {} },
    model: meta,
    calendar: null,
    scored: true,
  });
  assert.deepEqual(strategy.stages.map((s) => s.name), ["regimes", "fusion", "meta-gate"]);
});

Deno.test("buildStrategy() gates the technical-only form of a fusion config with other weights", () => {
  // Model and LLM weights do not change the primary: alone, the technical vote weighs 1.
  const strategy = build({
    fusion: { weights: { technical: 0.45, ml: 0.4, llm: 0.15 }, gate: TECHNICAL_ONLY.gate },
  });
  assert.deepEqual(strategy.fusion.weights, { technical: 1, ml: 0, llm: 0 });
});

Deno.test("buildStrategy() without a model layers a config's fusion section over the technical-only preset", () => {
  // Only the stop moves: the weights (technical 1) and the gate (0.5) stay the preset's,
  // not the fused defaults' (0.45 / 0.4 / 0.15, gate 0.35).
  const strategy = build({ fusion: { levels: { stopAtr: 3 } } }, null);
  assert.deepEqual(strategy.fusion.weights, { technical: 1, ml: 0, llm: 0 });
  assert.equal(strategy.fusion.gate, 0.5);
  assert.equal(strategy.fusion.levels.stopAtr, 3);
  assert.equal(strategy.fusion.levels.takeAtr, 3, "the other levels keep their defaults");
});

Deno.test("buildStrategy() refuses a meta model with a fusion config whose technical source is off", () => {
  assert.throws(
    () => build({ fusion: { weights: { technical: 0, ml: 1, llm: 0 } } }),
    /meta-labeling model with the fusion config "trading.json" fusion: its weights.technical is 0/,
  );
});

Deno.test("buildStrategy() refuses a meta model trained on another primary, naming what differs", () => {
  assert.throws(
    () => build({ fusion: { weights: { technical: 1, ml: 0, llm: 0 }, gate: 0.6 } }),
    /Cannot use meta model 111111111111…: it was trained on the candidate trades of primary [0-9a-f]{12}…, but "trading.json" fusion gives primary [0-9a-f]{12}… \(gate: 0.5 -> 0.6\)/,
  );
});

Deno.test("buildPrimary() names the technical-only primary by the hash a meta card carries", () => {
  const primary = buildPrimary({ symbol: "XAUUSD", sides: "bid", config: { monteCarlo: {} } });
  assert.equal(primary.configHash, META.primary.configHash);
  assert.deepEqual(primary.stages.map((s) => s.name), ["regimes", "fusion"]);
});
