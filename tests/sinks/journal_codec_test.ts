import assert from "node:assert/strict";
import type { Vote } from "@/pipeline/events.ts";
import {
  decodeProbabilities,
  decodeVotes,
  encodeProbabilities,
  encodeVotes,
  levelsText,
  SignalContexts,
} from "@/sinks/_journal_codec.ts";
import { hold, signal } from "./_journal_fixtures.ts";

const f32 = Math.fround;

Deno.test("encodeProbabilities() writes float32 when every value is one, exactly", () => {
  const probabilities = [f32(0.036), f32(0.93), f32(0.034)];
  const members = [[f32(0.33), f32(0.3), f32(0.37)], [f32(0.31), f32(0.4), f32(0.29)]];
  const blob = encodeProbabilities(probabilities, members);
  // One width byte, then 3 + 2 x 3 = 9 values of 4 bytes.
  assert.equal(blob.length, 1 + 9 * 4);
  assert.deepEqual(decodeProbabilities(blob), { probabilities, members });
});

Deno.test("encodeProbabilities() writes float64 when one value is not a float32", () => {
  // 0.2 is no float32 (float32 holds 0.20000000298...), so all 6 values take 8 bytes.
  const blob = encodeProbabilities([0.2, f32(0.3), f32(0.5)], [[f32(0.1), f32(0.3), f32(0.6)]]);
  assert.equal(blob.length, 1 + 6 * 8);
  assert.deepEqual(decodeProbabilities(blob), {
    probabilities: [0.2, f32(0.3), f32(0.5)],
    members: [[f32(0.1), f32(0.3), f32(0.6)]],
  });
});

Deno.test("encodeProbabilities() refuses a non-finite probability or a member without three", () => {
  assert.throws(() => encodeProbabilities([0.2, NaN, 0.5], []), {
    message: "a probability of the model is NaN; the journal stores finite numbers only",
  });
  assert.throws(() => encodeProbabilities([0.2, 0.3, 0.5], [[0.5, 0.5]]), {
    message: "the model's member 0 gives 2 probabilities, not 3 (down, flat, up)",
  });
});

Deno.test("encodeVotes() writes 0 and 1 in the side byte, a float32 in 4 more, others in 8", () => {
  const vote = (confidence: number): Vote => ({
    source: "technical",
    side: "sell",
    confidence,
    weight: 1,
    reasons: [],
  });
  const cases: [number, number][] = [[0, 1], [1, 1], [f32(0.93), 5], [0.11235055835928696, 9]];
  for (const [confidence, bytes] of cases) {
    const blob = encodeVotes([vote(confidence)]);
    assert.equal(blob.length, bytes, `confidence ${confidence}`);
    assert.deepEqual(decodeVotes(blob, [["technical", 1]], null), [vote(confidence)]);
  }
});

Deno.test("decodeVotes() gives each vote its context's source and weight and its reasons", () => {
  const { votes } = hold(0);
  const sources = votes.map((vote) => [vote.source, vote.weight] as const);
  const blob = encodeVotes(votes);
  assert.deepEqual(decodeVotes(blob, sources, votes.map((vote) => vote.reasons)), votes);
  assert.throws(() => decodeVotes(blob, sources.slice(0, 2), null), {
    message: "a votes blob of 23 bytes does not hold the 2 votes of its context",
  });
});

Deno.test("SignalContexts.text() changes with a vote's weight and not with its confidence", () => {
  const contexts = new SignalContexts();
  const first = contexts.text(hold(0));
  const votes = hold(0).votes;
  assert.equal(
    contexts.text(hold(1, { votes: [{ ...votes[0], confidence: 0.5 }, ...votes.slice(1)] })),
    first,
  );
  assert.notEqual(
    contexts.text(hold(2, { votes: [{ ...votes[0], weight: 0.6 }, ...votes.slice(1)] })),
    first,
  );
  assert.deepEqual(JSON.parse(first), {
    spec: "c3d4e5",
    model: "9f3c01",
    regime: ["normal", "range"],
    sources: [["technical", 0.5294117647058824], ["ml", 0.47058823529411764], ["regime", 0]],
  });
});

Deno.test("levelsText() is null for a hold and the six levels of a trade", () => {
  assert.equal(levelsText(hold(0)), null);
  assert.equal(levelsText(signal(0)), "[2048.08,2057.08,3,6,300,600]");
  assert.throws(() => levelsText(signal(0, { stopLoss: Infinity })), {
    message: "a signal's level is Infinity; the journal stores finite numbers only",
  });
});
