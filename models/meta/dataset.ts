/**
 * The meta-labeling training set: one row per candidate trade of the primary. The bars of
 * a file run through the features stage and the primary's own stages (regimes and the
 * technical-only fusion, exactly as the backtest runs them), so every candidate and its
 * stop and target come from the code that trades. Each candidate with a feature row is
 * settled by `CandidateBook` (the simulated broker, costs included, with a time limit)
 * and labelled loss, timeout or win; its label window ends when the trade left the market.
 * It must never let a feature read a later bar, nor keep a row settled after `to`.
 */

import { map, takeWhile } from "rxjs";
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  specHash,
} from "../../operators/features/mod.ts";
import type { ExecutionConfigInput } from "../../operators/execution/mod.ts";
import { runPipeline, type Stage } from "../../pipeline/build.ts";
import { type FeatureEvent, isoFromUs } from "../../pipeline/events.ts";
import { createHealthRegistry } from "../../pipeline/health.ts";
import { eventTimeUs, replay$ } from "../../pipeline/replay.ts";
import type { Source } from "../../sources/source.ts";
import { checkM1, type DataProvenance, datasetWindow, provenanceOf } from "../dataset.ts";
import type { Samples } from "../samples.ts";
import { CandidateBook, type CandidateOutcome } from "./outcomes.ts";

/** The primary whose candidates are labelled: its stages and the hash that names it. */
export interface MetaPrimary {
  /** Everything up to and including fusion (buildPrimary's stages): one signal per bar. */
  readonly stages: readonly Stage[];
  readonly configHash: string;
  /** How errors name it, e.g. "the technical-only fusion (gate 0.5), primary 1a2b…". */
  readonly describe: string;
}

export interface BuildMetaDatasetOptions {
  readonly primary: MetaPrimary;
  /** The feature spec; the built-in default spec when absent. */
  readonly spec?: FeatureSpec;
  /** The simulated broker's settings (the trading config's `execution`); defaults when absent. */
  readonly execution?: ExecutionConfigInput;
  /** A candidate still open this long after its decision is closed: a timeout. */
  readonly timeLimitMinutes: number;
  /** Keep candidates decided at or after this time (UTC µs or ISO-8601); earlier bars warm up. */
  readonly from?: number | string;
  /** Read bars that close at or before this time; a trade not settled by then has no label. */
  readonly to?: number | string;
  /** Keep every k-th labelled candidate (the first, the (k+1)-th ...). Default 1. */
  readonly sampleEvery?: number;
}

/** What became of the primary's candidates, so a card can say how its rows were chosen. */
export interface MetaCandidateCounts {
  /** Buy or sell signals of the primary decided in [from, to]. */
  readonly candidates: number;
  /** Of those, without a feature row (the features still warming up). */
  readonly withoutFeatures: number;
  /** Refused by the broker on arrival or at their fill (a level already on the wrong side). */
  readonly refused: number;
  /** Still open when the data ended: no label. */
  readonly unsettled: number;
  /** Settled: loss, timeout or win. */
  readonly labelled: number;
  /** Labelled rows kept after `sampleEvery`. */
  readonly kept: number;
}

/** Candidate rows with outcome labels (0 loss, 1 timeout, 2 win), in decision order. */
export interface MetaDataset extends Samples {
  /** Decision time: the close of the candidate's bar, UTC µs. */
  readonly timeUs: Float64Array;
  /** When the trade left the market: the label window is [timeUs, labelEndUs]. */
  readonly labelEndUs: Float64Array;
  /** +1 buy, -1 sell. */
  readonly side: Int8Array;
  /** Net P&L of the trade in price units (per unit of the contract), costs included. */
  readonly netPrice: Float64Array;
  readonly featureNames: readonly string[];
  readonly specHash: string;
  readonly sampleEvery: number;
  readonly counts: MetaCandidateCounts;
  readonly provenance: DataProvenance;
}

/** `data` with room for `n` values, grown (doubled at least) and copied when it has not. */
function room(data: Float32Array, n: number): Float32Array {
  if (n <= data.length) return data;
  const grown = new Float32Array(Math.max(n, data.length * 2));
  grown.set(data);
  return grown;
}

/**
 * Runs `input` through the features and `options.primary`'s stages and returns its
 * labelled candidate trades. Throws, naming the file and the period, when the primary
 * never asks to trade, when no candidate has a feature row, or when none is settled.
 */
export async function buildMetaDataset(
  input: Source,
  options: BuildMetaDatasetOptions,
): Promise<MetaDataset> {
  const spec = options.spec ?? DEFAULT_FEATURE_SPEC;
  const { fromUs, toUs: toUsLimit, sampleEvery } = datasetWindow(options, "a meta dataset");
  checkM1(input, "a meta dataset");
  const book = new CandidateBook(options.execution ?? {}, options.timeLimitMinutes);
  const symbol = input.symbol;
  const nFeatures = spec.features.length;
  let features: Float32Array = new Float32Array(1 << 16);
  const decided: number[] = [];
  const sides: number[] = [];
  const settled: CandidateOutcome[] = [];
  let candidates = 0;
  let withoutFeatures = 0;
  let barsRead = 0;
  let firstUs = NaN;
  let lastUs = NaN;
  let row: FeatureEvent | null = null;

  const stages: Stage[] = [
    {
      name: "features",
      operator: computeFeatures(spec, { symbol, hasSpread: input.sides !== "bid" }),
    },
    ...options.primary.stages,
  ];
  const source$ = replay$(input).pipe(
    takeWhile((batch) => batch.length === 0 || eventTimeUs(batch[0]) <= toUsLimit),
    map((batch) =>
      batch.length > 0 && eventTimeUs(batch[batch.length - 1]) > toUsLimit
        ? batch.filter((event) => eventTimeUs(event) <= toUsLimit)
        : batch
    ),
  );
  await runPipeline({
    sourceName: "file",
    source$,
    stages,
    sinks: [{
      name: "meta-candidates",
      write(batch) {
        for (const event of batch) {
          if (event.kind === "bar") {
            if (event.timeframe !== "M1" || event.symbol !== symbol) continue;
            if (barsRead++ === 0) firstUs = event.openUs;
            lastUs = event.closeUs;
            book.onBar(event, settled);
          } else if (event.kind === "features" && event.symbol === symbol) {
            row = event;
          } else if (
            event.kind === "signal" && event.symbol === symbol && event.side !== "hold" &&
            event.timeUs >= fromUs
          ) {
            candidates++;
            if (row === null || row.closeUs !== event.timeUs) {
              withoutFeatures++;
              continue;
            }
            const id = sides.length;
            features = room(features, (id + 1) * nFeatures);
            features.set(row.values, id * nFeatures);
            decided.push(event.timeUs);
            sides.push(event.side === "buy" ? 1 : -1);
            book.open(id, event);
          }
        }
      },
      close() {},
    }],
    health: createHealthRegistry(),
  }).done;

  const period = `${input.path}${
    barsRead > 0 ? ` from ${isoFromUs(Math.max(firstUs, fromUs))} to ${isoFromUs(lastUs)}` : ""
  }`;
  if (candidates === 0) {
    throw new RangeError(
      `Cannot train a meta model on ${period}: the primary (${options.primary.describe}) never ` +
        `asked to trade in ${barsRead.toLocaleString("en-US")} M1 bars; lower its fusion gate, ` +
        `or give a longer period`,
    );
  }
  if (sides.length === 0) {
    throw new RangeError(
      `Cannot train a meta model on ${period}: none of the primary's ${candidates} candidate ` +
        `trades had a feature row (the features need about three weeks of M1 bars to warm up); ` +
        `give more history before "from"`,
    );
  }
  const outcome = new Uint8Array(sides.length).fill(255);
  const exitUs = new Float64Array(sides.length);
  const net = new Float64Array(sides.length);
  for (const s of settled) {
    outcome[s.id] = s.outcome;
    exitUs[s.id] = s.exitTimeUs;
    net[s.id] = s.netPrice;
  }
  const labelled: number[] = [];
  for (let id = 0; id < sides.length; id++) if (outcome[id] !== 255) labelled.push(id);
  if (labelled.length === 0) {
    throw new RangeError(
      `Cannot train a meta model on ${period}: none of the primary's ${sides.length} candidate ` +
        `trades with features was settled (stop, target or the ${options.timeLimitMinutes}-minute ` +
        `limit) before the data ended`,
    );
  }
  const keep = labelled.filter((_, i) => i % sampleEvery === 0);
  const rows = keep.length;
  const x = new Float32Array(rows * nFeatures);
  keep.forEach((id, i) => {
    x.set(features.subarray(id * nFeatures, (id + 1) * nFeatures), i * nFeatures);
  });
  return {
    rows,
    nFeatures,
    x,
    y: Uint8Array.from(keep, (id) => outcome[id]),
    timeUs: Float64Array.from(keep, (id) => decided[id]),
    labelEndUs: Float64Array.from(keep, (id) => exitUs[id]),
    side: Int8Array.from(keep, (id) => sides[id]),
    netPrice: Float64Array.from(keep, (id) => net[id]),
    featureNames: spec.features.map((feature) => feature.name),
    specHash: specHash(spec),
    sampleEvery,
    counts: {
      candidates,
      withoutFeatures,
      refused: book.refused,
      unsettled: book.openCount,
      labelled: labelled.length,
      kept: rows,
    },
    provenance: await provenanceOf(input, barsRead, firstUs, lastUs),
  };
}
