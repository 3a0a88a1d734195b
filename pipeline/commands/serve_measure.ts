/**
 * How `serve` measures a model before believing it: in a Worker (models/measure_worker.ts)
 * that reads the journal's latest bars into labelled rows and scores the model's verified
 * bytes on them, so the pipeline and the EA never wait. Nothing is cached: each
 * measurement reads the journal as it is then.
 */

import { measureInWorker, type MeasureRequest } from "../../models/measure_worker.ts";
import type { RegisteredModel } from "../../models/registry.ts";
import type { Measurement } from "../../models/verification.ts";

/** The request but the model: where the journal and registry are, and what to read. */
export type JournalMeasurerOptions = Omit<MeasureRequest, "modelId">;

export function journalMeasurer(
  options: JournalMeasurerOptions,
): (model: RegisteredModel) => Promise<Measurement> {
  return (model) => measureInWorker({ ...options, modelId: model.id });
}
