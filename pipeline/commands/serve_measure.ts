/**
 * How `serve` measures a model before believing it: the journal's latest bars made into
 * labelled rows (models/journal_rows.ts), the model's verified bytes run on onnxruntime-web
 * with the process's thread count, and the per-fold log losses handed back for the
 * registry's gates (models/verification.ts). Nothing is cached: each measurement reads the
 * journal as it is now.
 */

import type { FeatureSpec } from "../../operators/features/mod.ts";
import { specHash } from "../../operators/features/mod.ts";
import { journalEvaluationRows } from "../../models/journal_rows.ts";
import { createOrtSession } from "../../models/onnx/session.ts";
import type { RegisteredModel, Registry } from "../../models/registry.ts";
import type { ModelCard } from "../../models/card.ts";
import { type EvaluationRows, type Measurement, measureModel } from "../../models/verification.ts";
import type { Journal } from "../../sinks/journal.ts";
import type { FormatName } from "../../sources/source.ts";

export interface JournalMeasurerOptions {
  readonly journal: Journal;
  readonly registry: Pick<Registry, "load">;
  readonly spec: FeatureSpec;
  readonly symbol: string;
  /** Days of the journal's latest bars measured on. */
  readonly days: number;
  /** Days before those read only to warm the features up. */
  readonly warmUpDays: number;
  /** onnxruntime-web threads: the process's, which every session must share. */
  readonly threads: number;
  readonly format: FormatName;
}

/** Measures ONNX bytes (already verified by the registry) on `rows` with onnxruntime-web. */
export async function measureOnnx(
  bytes: Uint8Array,
  card: ModelCard,
  rows: EvaluationRows,
  threads: number,
): Promise<Measurement> {
  const session = await createOrtSession(bytes, { numThreads: threads });
  try {
    return await measureModel(card, async (x, n) => (await session.run(x, n)).probabilities, rows);
  } finally {
    await session.release();
  }
}

export function journalMeasurer(
  options: JournalMeasurerOptions,
): (model: RegisteredModel) => Promise<Measurement> {
  const hash = specHash(options.spec);
  return async (model) => {
    const rows = await journalEvaluationRows(options.journal, options);
    if ("reason" in rows) return { measured: false, reason: rows.reason };
    const { bytes } = options.registry.load(model.id, hash);
    return await measureOnnx(bytes, model.card, rows, options.threads);
  };
}
