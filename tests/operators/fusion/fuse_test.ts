/**
 * `fuseVotes()`: weights renormalised over the sources that voted, the gate, a
 * technical-only config that trades, the regime as a modifier that never picks a side,
 * stop and target worked out by hand, and confidence within 0-1 whatever the votes.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DecisionQuote,
  fuseVotes,
  type FuseVotesOptions,
  FUSION_DEFAULTS,
  type FusionConfig,
  type LevelSource,
  parseFusionConfig,
  type SourceVote,
  TECHNICAL_ONLY,
} from "@/operators/fusion/mod.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import type { RegimeEvent } from "@/pipeline/events.ts";
import { regimeEvent, START_US, SYMBOL } from "./_fixtures.ts";

const CONFIG = parseFusionConfig({ weights: { technical: 0.5, ml: 0.3, llm: 0.2 }, gate: 0.3 });
const QUOTE: DecisionQuote = {
  symbol: SYMBOL,
  timeUs: START_US,
  bid: 1250.37,
  ask: null,
  spread: null,
};

/**
 * Levels at the defaults' old rule, 1.5 and 2 times a given ATR, so the arithmetic below
 * stays checkable by hand (the level model itself is tested in levels_test.ts).
 */
function atrLevels(atr: number | null): LevelSource {
  return {
    distances: () => (atr === null ? null : { stop: 1.5 * atr, take: 2 * atr, floored: false }),
  };
}

function options(overrides: Partial<FuseVotesOptions> = {}): FuseVotesOptions {
  return {
    config: CONFIG,
    spec: XAUUSD,
    quote: QUOTE,
    levels: atrLevels(0.4123),
    regime: null,
    specHash: "f".repeat(64),
    modelId: null,
    ...overrides,
  };
}

const vote = (
  source: SourceVote["source"],
  side: SourceVote["side"],
  confidence: number,
): SourceVote => ({ source, side, confidence, reasons: [`${source} says ${side}`] });

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

Deno.test("fuseVotes() renormalises the weights over the sources that voted", () => {
  const signal = fuseVotes([vote("technical", "buy", 0.8), vote("ml", "sell", 0.5)], options());
  // llm (0.2) is absent: technical 0.5 / 0.8 = 0.625, ml 0.3 / 0.8 = 0.375.
  assert.deepEqual(signal.votes.map((v) => v.source), ["technical", "ml"]);
  close(signal.votes[0].weight, 0.625);
  close(signal.votes[1].weight, 0.375);
  close(signal.confidence, 0.625 * 0.8 - 0.375 * 0.5);
  assert.equal(signal.side, "buy");
  assert.deepEqual(signal.votes[0].reasons, ["technical says buy"]);
});

Deno.test("fuseVotes() writes each vote to JSON as a plain vote with its reasons and weight", () => {
  const signal = fuseVotes([vote("technical", "buy", 0.8), vote("ml", "sell", 0.5)], options());
  const { weight } = signal.votes[1];
  assert.equal(
    JSON.stringify(signal.votes[1]),
    `{"source":"ml","side":"sell","confidence":0.5,"reasons":["ml says sell"],"weight":${weight}}`,
  );
});

Deno.test("fuseVotes() counts a flat vote, which dilutes the others", () => {
  const signal = fuseVotes([vote("technical", "sell", 0.8), vote("ml", "flat", 0.9)], options());
  close(signal.confidence, 0.625 * 0.8);
  assert.equal(signal.side, "sell");
});

Deno.test("fuseVotes() holds with confidence 0 when no source votes", () => {
  const signal = fuseVotes([], options());
  assert.equal(signal.side, "hold");
  assert.equal(signal.confidence, 0);
  assert.deepEqual(signal.votes, []);
  assert.equal(signal.entryPrice, QUOTE.bid);
});

Deno.test("fuseVotes() holds below the gate, keeping the confidence it had and no levels", () => {
  const gated = parseFusionConfig({ ...CONFIG, gate: 0.35 });
  const signal = fuseVotes(
    [vote("technical", "buy", 0.8), vote("ml", "sell", 0.5)],
    options({ config: gated }),
  );
  assert.equal(signal.side, "hold");
  close(signal.confidence, 0.3125);
  assert.deepEqual(
    [signal.stopLoss, signal.takeProfit, signal.stopDistance, signal.stopPoints, signal.takePoints],
    [null, null, null, null, null],
  );
  const atGate = fuseVotes([vote("technical", "buy", 0.35)], options({ config: gated }));
  assert.equal(atGate.side, "buy", "a confidence equal to the gate passes it");
});

Deno.test("fuseVotes() holds while the levels warm up", () => {
  const signal = fuseVotes([vote("technical", "buy", 0.9)], options({ levels: atrLevels(null) }));
  assert.equal(signal.side, "hold");
});

Deno.test("fuseVotes() trades on the technical vote alone with the technical-only preset", () => {
  const signal = fuseVotes(
    [vote("technical", "sell", 0.55), vote("ml", "buy", 1), vote("llm", "buy", 1)],
    options({ config: TECHNICAL_ONLY }),
  );
  assert.equal(signal.side, "sell");
  close(signal.confidence, 0.55);
  assert.deepEqual(signal.votes.map((v) => v.weight), [1, 0, 0], "weight-0 votes are recorded");
  assert.equal(TECHNICAL_ONLY.weights.ml, 0);
  assert.equal(TECHNICAL_ONLY.weights.llm, 0);
});

Deno.test("fuseVotes() sets stop and target from M1 ATR in whole points, by hand", async (t) => {
  // ATR 0.4123: stop 1.5 x 0.4123 = 0.61845 -> 62 points = 0.62; take 2 x 0.4123 = 0.8246 -> 82.
  const cases: [string, "buy" | "sell", Partial<DecisionQuote>, number, number, number][] = [
    [
      "a buy on bid-only data enters at bid + 30 fallback points",
      "buy",
      {},
      1250.67,
      1250.05,
      1251.49,
    ],
    ["a buy with a spread enters at bid + spread", "buy", { spread: 0.25 }, 1250.62, 1250, 1251.44],
    ["a buy with an ask enters at the ask", "buy", { ask: 1250.52 }, 1250.52, 1249.9, 1251.34],
    ["a sell enters at the bid", "sell", { ask: 1250.52 }, 1250.37, 1250.99, 1249.55],
  ];
  for (const [name, side, quote, entry, stop, take] of cases) {
    await t.step(name, () => {
      const signal = fuseVotes(
        [vote("technical", side, 0.9)],
        options({ quote: { ...QUOTE, ...quote } }),
      );
      assert.equal(signal.side, side);
      assert.equal(signal.entryPrice, entry);
      assert.equal(signal.stopLoss, stop);
      assert.equal(signal.takeProfit, take);
      assert.equal(signal.stopDistance, 0.62);
      assert.equal(signal.takeDistance, 0.82);
      assert.equal(signal.stopPoints, 62);
      assert.equal(signal.takePoints, 82);
    });
  }
});

Deno.test("fuseVotes() writes the regime labels, spec hash and model id into the signal", () => {
  const regime = regimeEvent(START_US, "bear", "high");
  const signal = fuseVotes(
    [vote("ml", "sell", 0.6)],
    options({ regime, modelId: "b".repeat(64) }),
  );
  assert.deepEqual(signal.regime, { volatility: "high", trend: "bear" });
  assert.equal(signal.specHash, "f".repeat(64));
  assert.equal(signal.modelId, "b".repeat(64));
  const { votes: _votes, confidence: _confidence, ...rest } = signal;
  assert.deepEqual(
    rest,
    {
      v: 1,
      kind: "signal",
      symbol: SYMBOL,
      timeUs: START_US,
      side: "sell",
      entryPrice: 1250.37,
      stopLoss: 1250.99,
      takeProfit: 1249.55,
      stopDistance: 0.62,
      takeDistance: 0.82,
      stopPoints: 62,
      takePoints: 82,
      regime: { volatility: "high", trend: "bear" },
      specHash: "f".repeat(64),
      modelId: "b".repeat(64),
    },
  );
});

Deno.test("fuseVotes() refuses votes that break the sources' contract", async (t) => {
  await t.step("a regime vote (the regime is a modifier)", () => {
    assert.throws(() => fuseVotes([vote("regime", "buy", 0.5)], options()), TypeError);
  });
  await t.step("two votes of one source", () => {
    assert.throws(
      () => fuseVotes([vote("ml", "buy", 0.5), vote("ml", "sell", 0.5)], options()),
      RangeError,
    );
  });
  await t.step("a confidence outside 0-1 or NaN", () => {
    assert.throws(() => fuseVotes([vote("ml", "buy", 1.2)], options()), RangeError);
    assert.throws(() => fuseVotes([vote("ml", "buy", NaN)], options()), RangeError);
  });
});

const sourceArb = fc.constantFrom("technical", "ml", "llm") as fc.Arbitrary<
  "technical" | "ml" | "llm"
>;
const voteArb = fc.record({
  source: sourceArb,
  side: fc.constantFrom("buy", "sell", "flat") as fc.Arbitrary<SourceVote["side"]>,
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  reasons: fc.constant([] as string[]),
});
const factorArb = fc.double({ min: 0, max: 2, noNaN: true });
const configArb: fc.Arbitrary<FusionConfig> = fc.record({
  weights: fc.record({
    technical: fc.double({ min: 0, max: 1, noNaN: true }),
    ml: fc.double({ min: 0, max: 1, noNaN: true }),
    llm: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  gate: fc.double({ min: 0, max: 1, noNaN: true }),
  regime: fc.record({
    withTrend: factorArb,
    againstTrend: factorArb,
    range: factorArb,
    highVolatility: factorArb,
    lowVolatility: factorArb,
  }),
}).map((c) => ({ ...FUSION_DEFAULTS, ...c }));
const regimeArb: fc.Arbitrary<RegimeEvent | null> = fc.option(
  fc.tuple(
    fc.constantFrom("bear", "range", "bull") as fc.Arbitrary<RegimeEvent["trend"]>,
    fc.constantFrom("low", "normal", "high") as fc.Arbitrary<RegimeEvent["volatility"]>,
  ).map(([trend, volatility]) => regimeEvent(START_US, trend, volatility)),
);

Deno.test("fuseVotes() keeps confidence within 0-1 and levels on the right side, for any votes", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(voteArb, { selector: (v) => v.source, maxLength: 3 }),
      configArb,
      regimeArb,
      fc.double({ min: 0.001, max: 20, noNaN: true }),
      fc.integer({ min: 100_000, max: 300_000 }).map((cents) => cents / 100),
      (votes, config, regime, atr, bid) => {
        const signal = fuseVotes(
          votes,
          options({ config, regime, levels: atrLevels(atr), quote: { ...QUOTE, bid } }),
        );
        assert.ok(signal.confidence >= 0 && signal.confidence <= 1, `${signal.confidence}`);
        const weights = signal.votes.filter((v) => v.source !== "regime").map((v) => v.weight);
        const total = weights.reduce((a, b) => a + b, 0);
        assert.ok(total === 0 || Math.abs(total - 1) < 1e-9, `weights sum to ${total}`);
        if (signal.side === "hold") {
          assert.equal(signal.stopLoss, null);
          return;
        }
        assert.ok(signal.confidence >= config.gate);
        assert.ok(votes.some((v) => v.side === signal.side), "a side nobody voted for");
        const sign = signal.side === "buy" ? 1 : -1;
        assert.ok(sign * (signal.entryPrice - signal.stopLoss!) > 0);
        assert.ok(sign * (signal.takeProfit! - signal.entryPrice) > 0);
        assert.ok(Number.isInteger(signal.stopPoints) && signal.stopPoints! >= 1);
        close(signal.stopDistance!, signal.stopPoints! * XAUUSD.point);
        close(Math.abs(signal.entryPrice - signal.stopLoss!), signal.stopDistance!, 1e-9);
      },
    ),
    { numRuns: 2000 },
  );
});
