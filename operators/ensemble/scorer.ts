/**
 * The model stage: scores feature rows with the production model (and the shadow model,
 * when there is one) on onnxruntime-web, inserting a `PredictionEvent` after each
 * `FeatureEvent`. Each batch's rows are scored in one call per model; live, a batch is
 * one bar. Models are read from a slot on every batch, so a promotion or rollback swaps
 * them between batches without restarting the pipeline.
 * It never scores rows of another feature spec than the model's, never emits a batch
 * before the ones that came in before it, and a shadow prediction is only ever logged,
 * never traded.
 *
 * 1. A batch is handed to the models the moment it arrives, not when the batches before
 *    it are out: a session on Workers (`createOrtSession(..., { workers: 2 })`) scores it
 *    while this thread computes the next batches' features. A `Backlog` counts the rows
 *    in flight, so a replay can wait instead of running far ahead.
 * 2. The rows are packed into a float32 input taken from a pool of typed arrays, returned
 *    once the session has read them: no per-row or per-batch input allocation.
 * 3. The batches come out in order, each with its predictions after its feature rows.
 */

import { concatMap, map, Observable, type OperatorFunction } from "rxjs";
import {
  EVENT_VERSION,
  type EventBatch,
  type FeatureEvent,
  type MarketEvent,
  type PredictionEvent,
} from "../../pipeline/events.ts";
import type { Backlog } from "../../pipeline/backlog.ts";
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

export interface ScoreModelsOptions {
  /** Counts the feature rows handed to the models and not yet scored. */
  readonly backlog?: Backlog;
  /**
   * Hold batches until together they carry at least this many feature rows (the last
   * ones at the end of the stream), then score them in one call per model: a call, and
   * a message to a session's Worker, costs about 0.2 ms besides its rows, and a replay
   * emits slices of a few hundred events. Each batch still comes out on its own. Default
   * 1: every batch scored as it comes, as live trading needs.
   */
  readonly groupRows?: number;
}

/** The most likely class of the row at `at` (first of equals). */
const top = (p: Float32Array, at: number) => {
  let best = 0;
  for (let k = 1; k < N_CLASSES; k++) if (p[at + k] > p[at + best]) best = k;
  return best;
};

/** The prediction of row `i` of a scored batch. */
function prediction(
  row: FeatureEvent,
  model: ServingModel,
  role: PredictionEvent["role"],
  out: OrtOutputs,
  i: number,
): PredictionEvent {
  const at = i * N_CLASSES;
  const p = out.probabilities;
  const ensembleTop = top(p, at);
  const members = new Array<readonly [number, number, number]>(out.members.length);
  let agreeing = 0;
  for (let m = 0; m < members.length; m++) {
    const q = out.members[m];
    members[m] = [q[at], q[at + 1], q[at + 2]];
    if (top(q, at) === ensembleTop) agreeing++;
  }
  return {
    v: EVENT_VERSION,
    kind: "prediction",
    symbol: row.symbol,
    openUs: row.openUs,
    closeUs: row.closeUs,
    modelId: model.id,
    role,
    probabilities: [p[at], p[at + 1], p[at + 2]],
    agreement: members.length === 0 ? 1 : agreeing / members.length,
    members,
  };
}

/** Float32 inputs for the sessions, reused once a session has read them. */
class InputPool {
  readonly #free: Float32Array[] = [];

  /** An array of at least `length` values; give it back with `release`. */
  take(length: number): Float32Array {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      if (free[i].length >= length) {
        const found = free[i];
        free[i] = free[free.length - 1];
        free.pop();
        return found;
      }
    }
    return new Float32Array(length);
  }

  release(input: Float32Array): void {
    this.#free.push(input);
  }
}

/** Starts scoring `rows` with `model`; the input goes back to the pool when it is read. */
function score(
  model: ServingModel,
  rows: readonly FeatureEvent[],
  pool: InputPool,
): Promise<OrtOutputs> {
  const f = model.session.nFeatures;
  const input = pool.take(rows.length * f);
  try {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row.specHash !== model.specHash) {
        throw new TypeError(
          `Cannot score features of spec ${row.specHash.slice(0, 12)}… with model ${
            model.id.slice(0, 12)
          }…, trained on spec ${model.specHash.slice(0, 12)}…`,
        );
      }
      const values = row.values;
      if (values.length !== f) {
        throw new RangeError(
          `Feature row has ${values.length} values; model ${model.id.slice(0, 12)}… reads ${f}`,
        );
      }
      const at = i * f;
      for (let j = 0; j < f; j++) input[at + j] = values[j];
    }
  } catch (error) {
    pool.release(input);
    return Promise.reject(error);
  }
  const scored = model.session.run(input.subarray(0, rows.length * f), rows.length);
  const done = () => pool.release(input);
  scored.then(done, done);
  return scored;
}

/**
 * Inserts production and shadow predictions after each feature row, in order. A meta
 * model in the slot is skipped: its loss / timeout / win are no direction vote.
 */
export function scoreModels(
  slot: ModelSlot,
  options: ScoreModelsOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  const { backlog } = options;
  const pool = new InputPool();

  /** Hands a group's rows to the models now; resolves to its batches with their predictions. */
  const start = (group: readonly EventBatch[]): Promise<readonly EventBatch[]> => {
    const production = slot.production?.meta === undefined ? slot.production : null;
    const shadow = slot.shadow?.meta === undefined ? slot.shadow : null;
    if (production === null && shadow === null) return Promise.resolve(group);
    const rows: FeatureEvent[] = [];
    for (const batch of group) {
      for (const event of batch) if (event.kind === "features") rows.push(event);
    }
    if (rows.length === 0) return Promise.resolve(group);
    const productionOut = production && score(production, rows, pool);
    const shadowOut = shadow && score(shadow, rows, pool);
    backlog?.add(rows.length);
    const scored = Promise.all([productionOut, shadowOut]);
    const settled = () => backlog?.remove(rows.length);
    scored.then(settled, settled);
    return scored.then(([p, s]) => {
      let i = 0;
      return group.map((batch) => {
        const result: MarketEvent[] = [];
        for (const event of batch) {
          result.push(event);
          if (event.kind !== "features") continue;
          if (p !== null) result.push(prediction(event, production!, "production", p, i));
          if (s !== null) result.push(prediction(event, shadow!, "shadow", s, i));
          i++;
        }
        return result;
      });
    });
  };

  return (batches) =>
    batches.pipe(
      groupByRows(options.groupRows ?? 1),
      map((group) => {
        const scored = start(group);
        // Settled later, in turn: marked handled now so a failure waits for its turn.
        scored.catch(() => {});
        return scored;
      }),
      concatMap((scored) => scored),
      concatMap((group) => group),
    );
}

/**
 * Consecutive batches until they carry at least `minRows` feature rows, and what is left
 * at the end; with `minRows` 1, every batch alone (with or without rows).
 */
function groupByRows(minRows: number): OperatorFunction<EventBatch, readonly EventBatch[]> {
  return (batches) =>
    new Observable((subscriber) => {
      let group: EventBatch[] = [];
      let rows = 0;
      return batches.subscribe({
        next(batch) {
          group.push(batch);
          for (const event of batch) if (event.kind === "features") rows++;
          if (rows >= minRows || minRows <= 1) {
            subscriber.next(group);
            group = [];
            rows = 0;
          }
        },
        error: (error) => subscriber.error(error),
        complete() {
          if (group.length > 0) subscriber.next(group);
          subscriber.complete();
        },
      });
    });
}
