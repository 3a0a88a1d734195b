/**
 * The rows a server measures uploaded models on: its journal's latest M1 bars turned into
 * labelled feature rows by the same dataset builder training uses (features warmed up on
 * the days before, triple-barrier labels that never look past the last bar stored). Time
 * is the journal's own (its latest bar), never the wall clock, so a replay's journal
 * works as a live one does.
 * It must never read a file but the journal, nor hash it (a live journal grows to gigabytes).
 */

import { BadInputError } from "../pipeline/errors.ts";
import { US_PER_DAY } from "../pipeline/events.ts";
import type { FeatureSpec } from "../operators/features/mod.ts";
import type { Journal } from "../sinks/journal.ts";
import { journalSource } from "../sources/journal_source.ts";
import type { FormatName } from "../sources/source.ts";
import { buildDataset } from "./dataset.ts";
import type { TripleBarrierOptions } from "./labels.ts";
import type { EvaluationRows } from "./verification.ts";

export interface JournalRowsOptions {
  readonly symbol: string;
  /** Rows decided in the last `days` before the journal's latest bar are kept. */
  readonly days: number;
  /** Days read before those only to warm the features up. */
  readonly warmUpDays: number;
  readonly spec: FeatureSpec;
  /** Triple-barrier options; labels.ts's defaults when absent. */
  readonly labels?: TripleBarrierOptions;
  /** Keep every k-th labelled row, as training does (default 5). */
  readonly sampleEvery?: number;
  /** The feed that wrote the journal (the journal does not store one). */
  readonly format: FormatName;
}

/** The journal's latest rows, or why there are none. */
export async function journalEvaluationRows(
  journal: Journal,
  options: JournalRowsOptions,
): Promise<EvaluationRows | { readonly reason: string }> {
  const { symbol, days, warmUpDays } = options;
  const lastOpenUs = journal.lastBarOpenUs(symbol, "M1");
  if (lastOpenUs === null) return { reason: `the journal holds no ${symbol} M1 bars yet` };
  const toUs = lastOpenUs + 1;
  const fromUs = toUs - days * US_PER_DAY;
  let source;
  try {
    source = journalSource(journal, {
      symbol,
      fromUs: fromUs - warmUpDays * US_PER_DAY,
      toUs,
      format: options.format,
    });
  } catch (error) {
    if (error instanceof BadInputError) return { reason: error.reason };
    throw error;
  }
  const dataset = await buildDataset(source, {
    spec: options.spec,
    hashFiles: false,
    from: fromUs,
    labels: options.labels,
    sampleEvery: options.sampleEvery ?? 5,
  });
  return {
    rows: dataset.rows,
    nFeatures: dataset.nFeatures,
    x: dataset.x,
    y: dataset.y,
    timeUs: dataset.timeUs,
    specHash: dataset.specHash,
    source: `the journal's ${symbol} M1 bars of the last ${days} days`,
  };
}
