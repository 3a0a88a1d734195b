/**
 * Trains a model the honest way and registers it: builds the dataset from real files,
 * evaluates the configured ensemble by purged walk-forward (each fold's ensemble, with
 * its stacking and calibration, is fit only on that fold's training window, nested), then
 * fits the final ensemble on all rows, exports it to ONNX and registers it as a
 * candidate with a card holding exactly those out-of-sample figures.
 * It must never score a row it trained on, never shuffle time, and never promote.
 */

import { basename } from "node:path";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  loadFeatureSpec,
} from "../operators/features/mod.ts";
import { isoFromUs, US_PER_DAY, US_PER_MINUTE } from "../pipeline/events.ts";
import type { Source } from "../sources/source.ts";
import type { ModelCard } from "./card.ts";
import { buildDataset, type Dataset } from "./dataset.ts";
import {
  type FoldPredictions,
  type FoldReport,
  foldReport,
  stitchedReport,
  type WalkForwardReport,
} from "./metrics.ts";
import { CLASSES, type EnsembleModel, N_CLASSES } from "./model.ts";
import { exportOnnx } from "./onnx/export.ts";
import { predictProba } from "./predict.ts";
import type { RegisteredModel, Registry } from "./registry.ts";
import { sha256Hex } from "./registry.ts";
import { type Samples, takeRows } from "./samples.ts";
import { memberTrainer, type TrainConfig } from "./train/config.ts";
import { trainEnsemble } from "./train/ensemble.ts";
import { type Fold, walkForwardFolds } from "./validation.ts";

export interface TrainingResult {
  readonly model: RegisteredModel;
  readonly report: WalkForwardReport;
  readonly folds: readonly Fold[];
  readonly dataset: Pick<
    Dataset,
    "rows" | "nFeatures" | "provenance" | "labelOptions" | "sampleEvery"
  >;
  readonly seconds: {
    readonly dataset: number;
    readonly walkForward: number;
    readonly final: number;
  };
}

/** A phase of `trainModel` and how far it is (`done` of `total` units: folds in walk-forward). */
export interface TrainStep {
  readonly phase: "dataset" | "walk-forward" | "final";
  readonly done: number;
  readonly total: number;
}

/**
 * A time as progress lines show it, to the minute: a fold's exclusive end is its last
 * row + 1 µs, which would print as "...:00.000001Z".
 */
const minuteIso = (us: number) => isoFromUs(Math.floor(us / US_PER_MINUTE) * US_PER_MINUTE);

export interface TrainOptions {
  readonly from?: string;
  readonly to?: string;
  /** Progress lines for long jobs (stderr in the CLI). */
  readonly progress?: (line: string) => void;
  /** Where the job is, for a progress bar: called as each phase starts and after each fold. */
  readonly onStep?: (step: TrainStep) => void;
  readonly now?: () => Date;
  /**
   * The feature spec `config.spec` names, when the caller has loaded it already (train
   * does, for the warm-up); without it the spec is loaded here.
   */
  readonly spec?: FeatureSpec;
}

/** The walk-forward folds a config asks for, over a dataset's rows. */
export function foldsFor(
  config: TrainConfig["walkForward"],
  timeUs: Float64Array,
  labelEndUs: Float64Array,
): Fold[] {
  return walkForwardFolds(timeUs, labelEndUs, {
    folds: config.folds,
    scheme: config.scheme,
    testSpanUs: config.testDays === undefined ? undefined : config.testDays * US_PER_DAY,
    trainSpanUs: config.trainDays === undefined ? undefined : config.trainDays * US_PER_DAY,
    embargoUs: config.embargoMinutes * US_PER_MINUTE,
    minTrainRows: config.minTrainRows,
  });
}

/**
 * The `innerFolds` walk-forward folds over `rows` of the dataset (indices into `rows`), as
 * the outer folds are cut but in equal row blocks: what stacking, calibration and a meta
 * model's threshold learn from inside one training window.
 */
export function innerFolds(dataset: TimedSamples, rows: Int32Array, config: TrainConfig): Fold[] {
  return foldsFor(
    { ...config.walkForward, folds: config.innerFolds, testDays: undefined, trainDays: undefined },
    Float64Array.from(rows, (r) => dataset.timeUs[r]),
    Float64Array.from(rows, (r) => dataset.labelEndUs[r]),
  );
}

/** Rows in time order with their label windows: what the walk-forward splits. */
export type TimedSamples = Samples & Pick<Dataset, "timeUs" | "labelEndUs">;

/** The ensemble of `config` fit on `rows` of the dataset, its combiner and calibration out of fold. */
export function fitEnsemble(
  dataset: TimedSamples,
  rows: Int32Array,
  config: TrainConfig,
): EnsembleModel {
  const samples = takeRows(dataset, rows);
  // Soft voting without calibration learns nothing out of fold: it needs no inner folds.
  const inner = config.method === "soft_voting" && !config.calibrate
    ? undefined
    : innerFolds(dataset, rows, config);
  return trainEnsemble(samples, config.members.map(memberTrainer), {
    method: config.method,
    folds: inner?.map((f) => ({ train: f.train, test: f.test })),
    calibrate: config.calibrate,
    seed: config.seed,
  });
}

/** The ensemble of `config` fit on `train` rows, and its probabilities for the `test` rows. */
export function fitAndPredict(
  dataset: TimedSamples,
  train: Int32Array,
  test: Int32Array,
  config: TrainConfig,
): { readonly model: EnsembleModel; readonly test: Samples; readonly p: Float64Array } {
  const model = fitEnsemble(dataset, train, config);
  const rows = takeRows(dataset, test);
  const p = new Float64Array(rows.rows * N_CLASSES);
  predictProba(model, rows.x, rows.rows, p);
  return { model, test: rows, p };
}

/**
 * Each fold's ensemble fit on its training rows and scored once on its test rows, with a
 * progress line per fold; `onFold` may add to the line what a task makes of the fold.
 */
export function evaluateFolds(
  dataset: TimedSamples,
  folds: readonly Fold[],
  config: TrainConfig,
  progress: (line: string) => void,
  onFold?: (fold: Fold, test: Samples, p: Float64Array) => string,
): FoldPredictions[] {
  return folds.map((fold) => {
    const foldStarted = performance.now();
    const { test, p } = fitAndPredict(dataset, fold.train, fold.test, config);
    const extra = onFold?.(fold, test, p) ?? "";
    const trainY = Uint8Array.from(fold.train, (r) => dataset.y[r]);
    const report = foldReport(`fold ${fold.fold + 1}`, { y: test.y, p, trainY });
    progress(`${foldProgress(fold, folds.length, report, foldStarted)}${extra}`);
    return { y: test.y, p, trainY };
  });
}

/** The progress line of a finished fold, started at `startedMs` (performance.now()). */
function foldProgress(
  fold: Fold,
  folds: number,
  report: FoldReport,
  startedMs: number,
): string {
  return `fold ${fold.fold + 1}/${folds}: train ${
    fold.train.length.toLocaleString("en-US")
  } rows to ` +
    `${minuteIso(fold.trainEndUs)}, test ${minuteIso(fold.testStartUs)} .. ${
      minuteIso(fold.testEndUs)
    }: ` +
    `log loss ${report.model.logLoss.toFixed(4)} vs prior ${report.baseline.logLoss.toFixed(4)} ` +
    `(${((performance.now() - startedMs) / 1000).toFixed(1)} s)`;
}

/** What the card of a model trained by walk-forward here says, whatever its task. */
export interface CardBaseInput {
  readonly bytes: Uint8Array;
  readonly config: TrainConfig;
  readonly specName: string;
  readonly dataset: Pick<Dataset, "timeUs" | "rows" | "specHash" | "featureNames" | "provenance">;
  readonly folds: readonly Fold[];
  readonly report: WalkForwardReport;
  readonly model: EnsembleModel;
  readonly options: Pick<TrainOptions, "now">;
  /** Figures a task adds to each fold's metrics. */
  readonly foldExtras?: (fold: number) => Record<string, unknown>;
}

/** The card without its classes and label: id, data, ranges, settings, out-of-sample metrics. */
export function cardBase(input: CardBaseInput): Omit<ModelCard, "classes" | "label"> {
  const { config, dataset, folds, report, model } = input;
  return {
    id: sha256Hex(input.bytes),
    kind: "ensemble",
    description: config.description,
    createdAt: (input.options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    featureSpec: { hash: dataset.specHash, name: input.specName, names: [...dataset.featureNames] },
    ranges: {
      train: {
        from: isoFromUs(dataset.timeUs[0]),
        to: isoFromUs(dataset.timeUs[dataset.rows - 1]),
      },
      validation: {
        from: isoFromUs(folds[0].testStartUs),
        to: isoFromUs(folds[folds.length - 1].testEndUs),
      },
    },
    data: dataset.provenance.files.map((f) => ({
      file: basename(f.file),
      sha256: f.sha256,
      rows: f.rows,
    })),
    hyperparameters: {
      members: config.members,
      method: config.method,
      calibrate: config.calibrate,
      calibration: model.calibration.type,
      innerFolds: config.innerFolds,
      walkForward: config.walkForward,
      seed: config.seed,
    },
    metrics: {
      folds: folds.map((fold, i) => ({
        fold: fold.fold,
        test: { from: isoFromUs(fold.testStartUs), to: isoFromUs(fold.testEndUs) },
        rows: fold.test.length,
        logLoss: report.folds[i].model.logLoss,
        baselineLogLoss: report.folds[i].baseline.logLoss,
        brier: report.folds[i].model.brier,
        accuracy: report.folds[i].model.accuracy,
        balancedAccuracy: report.folds[i].model.balancedAccuracy,
        auc: report.folds[i].model.auc,
        directionalAuc: report.folds[i].model.directionalAuc,
        trainRows: fold.train.length,
        purged: fold.purged,
        embargoed: fold.embargoed,
        ...input.foldExtras?.(i),
      })),
      stitched: JSON.parse(JSON.stringify(report.stitched)),
    },
    parent: null,
  };
}

export async function trainModel(
  input: Source,
  config: TrainConfig,
  registry: Registry,
  options: TrainOptions = {},
): Promise<TrainingResult> {
  const progress = options.progress ?? (() => {});
  const step = options.onStep ?? (() => {});
  const spec: FeatureSpec = options.spec ??
    (config.spec ? await loadFeatureSpec(config.spec) : DEFAULT_FEATURE_SPEC);
  let started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;

  progress(`building the dataset from ${input.path} ...`);
  step({ phase: "dataset", done: 0, total: 1 });
  const dataset = await buildDataset(input, {
    spec,
    from: options.from,
    to: options.to,
    labels: config.labels,
    sampleEvery: config.sampleEvery,
  });
  const datasetSeconds = elapsed();
  progress(
    `dataset: ${dataset.rows.toLocaleString("en-US")} rows x ${dataset.nFeatures} features in ${
      datasetSeconds.toFixed(1)
    } s`,
  );

  started = performance.now();
  const folds = foldsFor(config.walkForward, dataset.timeUs, dataset.labelEndUs);
  step({ phase: "walk-forward", done: 0, total: folds.length });
  let foldsDone = 0;
  // evaluateFolds writes one progress line per finished fold.
  const report = stitchedReport(evaluateFolds(dataset, folds, config, (line) => {
    progress(line);
    step({ phase: "walk-forward", done: ++foldsDone, total: folds.length });
  }));
  const walkForwardSeconds = elapsed();

  started = performance.now();
  progress("fitting the final ensemble on every row ...");
  step({ phase: "final", done: 0, total: 1 });
  const all = Int32Array.from({ length: dataset.rows }, (_, i) => i);
  const model = fitEnsemble(dataset, all, config);
  const finalSeconds = elapsed();

  const bytes = exportOnnx(model, {
    feature_spec_hash: dataset.specHash,
    feature_spec_name: spec.name,
    classes: CLASSES.join(","),
    model_kind: "ensemble",
  });
  const card: ModelCard = {
    ...cardBase({ bytes, config, specName: spec.name, dataset, folds, report, model, options }),
    classes: [...CLASSES],
    label: { type: "triple_barrier", ...dataset.labelOptions, sampleEvery: dataset.sampleEvery },
  };
  const registered = registry.register(bytes, card);
  return {
    model: registered,
    report,
    folds,
    dataset,
    seconds: { dataset: datasetSeconds, walkForward: walkForwardSeconds, final: finalSeconds },
  };
}
