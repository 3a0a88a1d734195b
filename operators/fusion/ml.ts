/**
 * The production model's calibrated probabilities as a vote. Shadow predictions are
 * only ever scored beside production, never traded, so they give no vote.
 *
 * Side: the likelier of up and down, when it is strictly likelier than flat, than the
 * other one, and at least `margin` above its own class prior (a model that merely
 * repeats the training class shares has no edge). Otherwise the vote is flat.
 * Confidence of a side: p(side) - p(opposite), in [0, 1]: 0 when the model cannot tell
 * up from down, 1 only when it is sure. A flat vote's confidence is p(flat).
 */

import type { PredictionEvent } from "../../pipeline/events.ts";
import type { MlConfig } from "./config.ts";
import type { SourceVote } from "./fuse.ts";

const p3 = (p: readonly number[]) => p.map((x) => x.toFixed(3)).join("/");

/** The vote of a production prediction; null for a shadow one. */
export function mlVote(prediction: PredictionEvent, config: MlConfig): SourceVote | null {
  if (prediction.role !== "production") return null;
  const [down, flat, up] = prediction.probabilities;
  const reasons = [
    `model ${prediction.modelId.slice(0, 12)}`,
    `p(down/flat/up) ${p3(prediction.probabilities)}`,
    `member agreement ${prediction.agreement.toFixed(2)}` +
    (prediction.members.length > 0 ? ` of ${prediction.members.length}` : ""),
  ];
  const isUp = up > down;
  const pSide = isUp ? up : down;
  const prior = config.priors[isUp ? 2 : 0];
  const name = isUp ? "up" : "down";
  if (up === down || pSide <= flat || pSide - prior < config.margin) {
    reasons.push(
      up === down
        ? "up and down tie"
        : pSide <= flat
        ? `${name} does not beat flat`
        : `${name} is ${(pSide - prior).toFixed(3)} above its prior ${prior.toFixed(3)}, ` +
          `under the margin ${config.margin}`,
    );
    return { source: "ml", side: "flat", confidence: flat, reasons };
  }
  return {
    source: "ml",
    side: isUp ? "buy" : "sell",
    confidence: pSide - (isUp ? down : up),
    reasons,
  };
}
