/**
 * The regime as a modifier: `regimeEffect()` factors for each trend and volatility, and
 * through `fuseVotes()` it scales the side the sources chose but never picks one itself.
 */

import assert from "node:assert/strict";
import {
  fuseVotes,
  parseFusionConfig,
  regimeEffect,
  type SourceVote,
  TECHNICAL_ONLY,
} from "@/operators/fusion/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import type { RegimeEvent } from "@/pipeline/events.ts";
import { regimeEvent, START_US, SYMBOL } from "./_fixtures.ts";

const REGIME = TECHNICAL_ONLY.regime; // with 1.1, against 0.7, range 0.9, high 0.8, low 0.9

Deno.test("regimeEffect() gives no effect before the first regime", () => {
  assert.equal(regimeEffect(null, REGIME), null);
});

Deno.test("regimeEffect() favours the trend's side and damps range and volatile markets", async (t) => {
  const cases: [RegimeEvent["trend"], RegimeEvent["volatility"], number, number, string][] = [
    ["bull", "normal", 1.1, 0.7, "buy"],
    ["bear", "normal", 0.7, 1.1, "sell"],
    ["range", "normal", 0.9, 0.9, "flat"],
    ["bull", "high", 1.1 * 0.8, 0.7 * 0.8, "buy"],
    ["range", "low", 0.9 * 0.9, 0.9 * 0.9, "flat"],
  ];
  for (const [trend, volatility, buy, sell, side] of cases) {
    await t.step(`${trend} trend, ${volatility} volatility`, () => {
      const effect = regimeEffect(regimeEvent(START_US, trend, volatility), REGIME)!;
      assert.ok(Math.abs(effect.buy - buy) < 1e-12, `buy x ${effect.buy}`);
      assert.ok(Math.abs(effect.sell - sell) < 1e-12, `sell x ${effect.sell}`);
      assert.equal(effect.vote.source, "regime");
      assert.equal(effect.vote.side, side);
      assert.equal(effect.vote.confidence, trend === "range" ? 0.9 : 0.4, "efficiency ratio");
    });
  }
});

const options = (regime: RegimeEvent) => ({
  config: TECHNICAL_ONLY,
  spec: XAUUSD,
  quote: { symbol: SYMBOL, timeUs: START_US, bid: 1250, ask: null, spread: null },
  // Fixed levels: only the side and confidence matter here.
  levels: { distances: () => ({ stop: 0.75, take: 1, floored: false }) },
  regime,
  specHash: "f".repeat(64),
  modelId: null,
});
const technical = (side: SourceVote["side"], confidence: number): SourceVote => ({
  source: "technical",
  side,
  confidence,
  reasons: [],
});

Deno.test("fuseVotes() scales the chosen side by the regime and records it with weight 0", () => {
  const bull = regimeEvent(START_US, "bull");
  const withTrend = fuseVotes([technical("buy", 0.5)], options(bull));
  assert.ok(Math.abs(withTrend.confidence - 0.55) < 1e-12);
  assert.equal(withTrend.side, "buy");
  const against = fuseVotes([technical("sell", 0.6)], options(bull));
  assert.ok(Math.abs(against.confidence - 0.42) < 1e-12);
  assert.equal(against.side, "hold", "0.42 is under the technical-only gate 0.5");
  assert.deepEqual(against.votes.at(-1)?.source, "regime");
  assert.equal(against.votes.at(-1)?.weight, 0);
  const capped = fuseVotes([technical("buy", 0.95)], options(bull));
  assert.equal(capped.confidence, 1);
});

Deno.test("fuseVotes() never takes a side from the regime alone", () => {
  const boosted = parseFusionConfig({ ...TECHNICAL_ONLY, regime: { withTrend: 2 } });
  for (const votes of [[], [technical("flat", 0.9)]]) {
    const signal = fuseVotes(votes, { ...options(regimeEvent(START_US, "bull")), config: boosted });
    assert.equal(signal.side, "hold");
    assert.equal(signal.confidence, 0);
  }
});
