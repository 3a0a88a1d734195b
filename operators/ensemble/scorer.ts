/**
 * The model stage: scores feature rows with the production model (and the shadow model,
 * when there is one) on onnxruntime-web, inserting a `PredictionEvent` after each
 * `FeatureEvent`. Replay scores a whole batch of rows in one call; live, a batch is one
 * bar. Models are read from a slot on every batch, so a promotion or rollback swaps
 * them between batches without restarting the pipeline.
 * It never scores rows of another feature spec than the model's, and a shadow
 * prediction is only ever logged, never traded.
 */

import { concatMap, type OperatorFunction } from "rxjs";
import {
  EVENT_VERSION,
  type EventBatch,
  type FeatureEvent,
  type MarketEvent,
  type PredictionEvent,
} from "../../pipeline/events.ts";
import { N_CLASSES } from "../../models/model.ts";
import type { OrtOutputs, OrtSession } from "../../models/onnx/session.ts";
import type { MetaCard } from "../../models/card.ts";

/** A model ready to score: its registry id, the spec hash it was trained on, its session. */
export interface ServingModel {
  readonly id: string;
  readonly specHash: string;
  readonly session: OrtSession;
  /**
   * Set for a meta-labeling model (its card's `meta`): it is scored only on the primary's
   * candidate trades, by the gate after fusion (operators/meta/), never by this stage.
   */
  readonly meta?: MetaCard;
}

/** The models in use; the scorer reads it on every batch. */
export interface ModelSlot {
  production: ServingModel | null;
  shadow: ServingModel | null;
}

const top = (p: ArrayLike<number>, at: number) => {
  let best = 0;
  for (let k = 1; k < N_CLASSES; k++) if (p[at + k] > p[at + best]) best = k;
  return best;
};

const triple = (
  p: Float32Array,
  at: number,
): [number, number, number] => [p[at], p[at + 1], p[at + 2]];

function predictions(
  rows: readonly FeatureEvent[],
  model: ServingModel,
  role: PredictionEvent["role"],
  out: OrtOutputs,
): PredictionEvent[] {
  return rows.map((row, i) => {
    const at = i * N_CLASSES;
    const ensembleTop = top(out.probabilities, at);
    const agreeing = out.members.filter((member) => top(member, at) === ensembleTop).length;
    return {
      v: EVENT_VERSION,
      kind: "prediction",
      symbol: row.symbol,
      openUs: row.openUs,
      closeUs: row.closeUs,
      modelId: model.id,
      role,
      probabilities: triple(out.probabilities, at),
      agreement: out.members.length === 0 ? 1 : agreeing / out.members.length,
      members: out.members.map((member) => triple(member, at)),
    };
  });
}

async function score(model: ServingModel, rows: readonly FeatureEvent[]): Promise<OrtOutputs> {
  const f = model.session.nFeatures;
  const x = new Float32Array(rows.length * f);
  for (const [i, row] of rows.entries()) {
    if (row.specHash !== model.specHash) {
      throw new TypeError(
        `Cannot score features of spec ${row.specHash.slice(0, 12)}… with model ${
          model.id.slice(0, 12)
        }…, ` +
          `trained on spec ${model.specHash.slice(0, 12)}…`,
      );
    }
    if (row.values.length !== f) {
      throw new RangeError(
        `Feature row has ${row.values.length} values; model ${model.id.slice(0, 12)}… reads ${f}`,
      );
    }
    x.set(row.values, i * f);
  }
  return await model.session.run(x, rows.length);
}

/**
 * Inserts production and shadow predictions after each feature row, in order. A meta
 * model in the slot is skipped: its loss / timeout / win are no direction vote.
 */
export function scoreModels(slot: ModelSlot): OperatorFunction<EventBatch, EventBatch> {
  return concatMap(async (batch: EventBatch): Promise<EventBatch> => {
    const rows = batch.filter((event): event is FeatureEvent => event.kind === "features");
    const { production, shadow } = slot;
    if (rows.length === 0 || (production === null && shadow === null)) return batch;
    const made = new Map<FeatureEvent, PredictionEvent[]>();
    for (const [model, role] of [[production, "production"], [shadow, "shadow"]] as const) {
      if (model === null || model.meta !== undefined) continue;
      const out = await score(model, rows);
      predictions(rows, model, role, out).forEach((prediction, i) => {
        const list = made.get(rows[i]) ?? [];
        list.push(prediction);
        made.set(rows[i], list);
      });
    }
    const result: MarketEvent[] = [];
    for (const event of batch) {
      result.push(event);
      if (event.kind === "features") result.push(...(made.get(event) ?? []));
    }
    return result;
  });
}
