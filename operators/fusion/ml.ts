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
  const isUp = up > down;
  const pSide = isUp ? up : down;
  const prior = config.priors[isUp ? 2 : 0];
  if (up === down || pSide <= flat || pSide - prior < config.margin) {
    return new MlVote("flat", flat, prediction, config);
  }
  return new MlVote(isUp ? "buy" : "sell", pSide - (isUp ? down : up), prediction, config);
}

/**
 * An ML vote. Like the technical vote, its reasons are written on first read, from its
 * prediction: most decisions are holds nobody reads. `reasons` is a getter of the class;
 * its JSON is that of a plain vote (reasons included).
 */
class MlVote implements SourceVote {
  readonly source = "ml";
  readonly side: "buy" | "sell" | "flat";
  readonly confidence: number;
  readonly #prediction: PredictionEvent;
  readonly #config: MlConfig;
  #reasons: readonly string[] | null = null;

  constructor(
    side: "buy" | "sell" | "flat",
    confidence: number,
    prediction: PredictionEvent,
    config: MlConfig,
  ) {
    this.side = side;
    this.confidence = confidence;
    this.#prediction = prediction;
    this.#config = config;
  }

  get reasons(): readonly string[] {
    return this.#reasons ??= mlReasons(this.#prediction, this.#config, this.side === "flat");
  }

  toJSON(): SourceVote {
    return {
      source: this.source,
      side: this.side,
      confidence: this.confidence,
      reasons: this.reasons,
    };
  }
}

/** The model, its probabilities and agreement; for a flat vote, why it is flat. */
function mlReasons(prediction: PredictionEvent, config: MlConfig, isFlat: boolean): string[] {
  const [down, flat, up] = prediction.probabilities;
  const reasons = [
    `model ${prediction.modelId.slice(0, 12)}`,
    `p(down/flat/up) ${p3(prediction.probabilities)}`,
    `member agreement ${prediction.agreement.toFixed(2)}` +
    (prediction.members.length > 0 ? ` of ${prediction.members.length}` : ""),
  ];
  if (!isFlat) return reasons;
  const isUp = up > down;
  const pSide = isUp ? up : down;
  const prior = config.priors[isUp ? 2 : 0];
  const name = isUp ? "up" : "down";
  reasons.push(
    up === down
      ? "up and down tie"
      : pSide <= flat
      ? `${name} does not beat flat`
      : `${name} is ${(pSide - prior).toFixed(3)} above its prior ${prior.toFixed(3)}, ` +
        `under the margin ${config.margin}`,
  );
  return reasons;
}
