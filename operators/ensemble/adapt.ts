/**
 * The adaptation stage: feeds every batch (bars and the model stage's predictions) to a
 * `RetrainScheduler`, which resolves outcomes, judges drift and the shadow, and starts
 * retrains in a Worker. Place it after `scoreModels`: it swaps the model slot between
 * batches, so the next batch is scored by the new models. Batches pass through unchanged;
 * the stage never awaits, so a retrain never holds up the stream.
 */

import { map, type OperatorFunction } from "rxjs";
import type { RetrainScheduler } from "../../models/retraining.ts";
import type { EventBatch } from "../../pipeline/events.ts";

/**
 * @example
 * ```ts
 * stages.push(
 *   { name: "model", operator: scoreModels(slot) },
 *   { name: "adapt", operator: adaptModels(scheduler) },
 * );
 * ```
 */
export function adaptModels(scheduler: RetrainScheduler): OperatorFunction<EventBatch, EventBatch> {
  return map((batch: EventBatch) => {
    scheduler.update(batch);
    return batch;
  });
}
