/**
 * `mlVote()`: a production prediction's calibrated probabilities to a vote (the likelier
 * of up and down when it beats flat and its prior by the margin; confidence
 * p(side) - p(opposite)), and no vote at all from a shadow model.
 */

import assert from "node:assert/strict";
import { FUSION_DEFAULTS, mlVote, parseFusionConfig } from "@/operators/fusion/mod.ts";
import { m1, prediction, START_US } from "./_fixtures.ts";

const BAR = m1(START_US, 1250, 1250.2);
const ML = FUSION_DEFAULTS.ml;

Deno.test("mlVote() gives no vote for a shadow prediction", () => {
  assert.equal(mlVote(prediction(BAR, [0.1, 0.1, 0.8], "shadow"), ML), null);
});

Deno.test("mlVote() maps probabilities to a side and a confidence", async (t) => {
  const skewed = parseFusionConfig({ ml: { priors: [0.2, 0.4, 0.4], margin: 0.1 } }).ml;
  const cases: [string, [number, number, number], typeof ML, string, number][] = [
    ["up beats down and flat: buy, p(up) - p(down)", [0.2, 0.3, 0.5], ML, "buy", 0.3],
    ["down beats up and flat: sell, p(down) - p(up)", [0.5, 0.3, 0.2], ML, "sell", 0.3],
    ["up and down tie: flat with p(flat)", [0.3, 0.4, 0.3], ML, "flat", 0.4],
    ["up under flat: flat", [0.25, 0.4, 0.35], ML, "flat", 0.4],
    [
      "up over flat but within the margin of its prior: flat",
      [0.15, 0.4, 0.45],
      skewed,
      "flat",
      0.4,
    ],
    ["down over its prior 0.2 by the margin 0.1: sell", [0.45, 0.35, 0.2], skewed, "sell", 0.25],
  ];
  for (const [name, probabilities, config, side, confidence] of cases) {
    await t.step(name, () => {
      const vote = mlVote(prediction(BAR, probabilities), config)!;
      assert.equal(vote.source, "ml");
      assert.equal(vote.side, side);
      assert.ok(Math.abs(vote.confidence - confidence) < 1e-12, `${vote.confidence}`);
    });
  }
});

Deno.test("mlVote() gives the model id, probabilities and member agreement as reasons", () => {
  const vote = mlVote(
    {
      ...prediction(BAR, [0.2, 0.3, 0.5]),
      agreement: 2 / 3,
      members: [[0.2, 0.3, 0.5], [0.1, 0.3, 0.6], [0.4, 0.3, 0.3]],
    },
    ML,
  )!;
  assert.deepEqual(vote.reasons, [
    `model ${"a".repeat(12)}`,
    "p(down/flat/up) 0.200/0.300/0.500",
    "member agreement 0.67 of 3",
  ]);
});

Deno.test("mlVote() writes to JSON as a plain vote, its reasons included", () => {
  const vote = mlVote(prediction(BAR, [0.3, 0.4, 0.3]), ML)!;
  assert.deepEqual(JSON.parse(JSON.stringify(vote)), {
    source: "ml",
    side: "flat",
    confidence: 0.4,
    reasons: [...vote.reasons],
  });
  assert.equal(vote.reasons.at(-1), "up and down tie");
});
