/**
 * The server measures a model instead of believing its card: it scores the model on
 * labelled feature rows it built itself (from its own journal's bars), only rows after
 * the model's training data, split into consecutive time folds, each beside the class
 * prior of the measured rows, and hands the per-fold log losses to the registry's gates.
 * A model that cannot be measured (another feature spec, too few rows) is reported with
 * the reason and goes nowhere.
 * It must never read a card's metrics, never score a row the card says the model learned
 * from, and never fill in a figure it could not measure.
 */

import type { ModelCard } from "./card.ts";
import { classPriorBaseline, logLoss, repeatPrior } from "./metrics.ts";
import { N_CLASSES } from "./model.ts";
import { createOrtSession } from "./onnx/session.ts";
import type { FoldLogLoss } from "./registry.ts";
import { isoFromUs, usFromIso } from "../pipeline/events.ts";

/** Labelled feature rows the server built from data it holds, in time order. */
export interface EvaluationRows {
  readonly rows: number;
  readonly nFeatures: number;
  /** rows x nFeatures, row-major. */
  readonly x: Float32Array;
  /** 0 = down, 1 = flat, 2 = up. */
  readonly y: Uint8Array;
  /** Decision time of each row, UTC µs. */
  readonly timeUs: Float64Array;
  /** The feature spec the rows were computed with. */
  readonly specHash: string;
  /** Where the rows came from, in words ("the journal's XAUUSD M1 bars"). */
  readonly source: string;
}

export interface MeasureOptions {
  /** Consecutive time folds the rows are cut into (default 4). */
  readonly folds?: number;
  /** Rows each fold needs, at least, for a measurement (default 250). */
  readonly minRowsPerFold?: number;
  /** Rows scored per `score` call (default 4096). */
  readonly chunkRows?: number;
}

const DEFAULT_MEASURE = { folds: 4, minRowsPerFold: 250, chunkRows: 4096 } as const;

/** A measurement, or why there is none. */
export type Measurement =
  | {
    readonly measured: true;
    readonly folds: readonly FoldLogLoss[];
    /** What was measured on, in words, for the model's history. */
    readonly description: string;
  }
  | { readonly measured: false; readonly reason: string };

/** Scores rows: rows x nFeatures in, rows x 3 class probabilities out. */
export type Scorer = (x: Float32Array, rows: number) => Promise<Float32Array>;

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Measures `card`'s model, through `score`, on `data`: the rows decided after the card's
 * training range ends, cut into `folds` consecutive folds of equal size (the remainder
 * goes to the last). Each fold's baseline is the class prior of all the rows measured,
 * known in hindsight: the best constant forecast over them, so a model must add more
 * than the base rates did in that very period.
 */
export async function measureModel(
  card: ModelCard,
  score: Scorer,
  data: EvaluationRows,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { folds, minRowsPerFold, chunkRows } = { ...DEFAULT_MEASURE, ...options };
  if (data.specHash !== card.featureSpec.hash) {
    return {
      measured: false,
      reason: `the server's rows are of feature spec ${short(data.specHash)}, the model reads ${
        short(card.featureSpec.hash)
      }`,
    };
  }
  if (data.nFeatures !== card.featureSpec.names.length) {
    return {
      measured: false,
      reason:
        `the server's rows have ${data.nFeatures} features, the model's card lists ${card.featureSpec.names.length}`,
    };
  }
  // Rows are in time order: the first after the training range, then all the rest.
  const trainedUntilUs = usFromIso(card.ranges.train.to);
  let first = 0;
  while (first < data.rows && data.timeUs[first] <= trainedUntilUs) first++;
  const rows = data.rows - first;
  if (rows < folds * minRowsPerFold) {
    return {
      measured: false,
      reason: `${rows} of the server's ${data.rows} labelled rows (${data.source}) fall after ` +
        `the model's training data (to ${card.ranges.train.to}); a measurement needs ` +
        `${folds} folds of ${minRowsPerFold} rows`,
    };
  }
  const f = data.nFeatures;
  const y = data.y.subarray(first);
  const p = new Float32Array(rows * N_CLASSES);
  for (let at = 0; at < rows; at += chunkRows) {
    const n = Math.min(chunkRows, rows - at);
    const x = data.x.subarray((first + at) * f, (first + at + n) * f);
    p.set(await score(x, n), at * N_CLASSES);
  }
  const prior = classPriorBaseline(y, N_CLASSES);
  const size = Math.floor(rows / folds);
  const measuredFolds: FoldLogLoss[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const from = fold * size;
    const to = fold === folds - 1 ? rows : from + size;
    const labels = y.subarray(from, to);
    measuredFolds.push({
      fold,
      logLoss: logLoss(labels, p.subarray(from * N_CLASSES, to * N_CLASSES)),
      baselineLogLoss: logLoss(labels, repeatPrior(prior, labels.length)),
    });
  }
  return {
    measured: true,
    folds: measuredFolds,
    description: `measured by the server on ${rows} rows of ${data.source}, ${
      isoFromUs(data.timeUs[first])
    } to ${isoFromUs(data.timeUs[data.rows - 1])}, in ${folds} folds against the rows' class prior`,
  };
}

/**
 * Measures ONNX bytes (already verified by the registry) on `rows` with onnxruntime-web,
 * `threads` being the calling process's (or worker's) onnxruntime thread count.
 */
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
