/**
 * Trains a meta-labeling model the way `trainModel` trains a direction model: purged,
 * embargoed walk-forward (a row's label window ends when its trade left the market), the
 * configured ensemble fit nested inside each fold's training window, the final ensemble on
 * every row, ONNX export and a candidate in the registry. The classes are the candidate
 * trade's loss / timeout / win, in the down / flat / up slots, so every trainer, the
 * exporter, the metrics and the gates work unchanged.
 *
 * The threshold is chosen inside each training window: the window's rows are split by an
 * inner walk-forward, each inner test block is predicted by an ensemble fit on the rows
 * before it, and `chooseThreshold` reads those out-of-fold predictions. The outer test
 * fold is then scored once with that threshold. The final model's threshold comes from
 * the same procedure over every row. It must never choose a threshold on a test fold.
 */

import { isoFromUs } from "../../pipeline/events.ts";
import type { ModelCard } from "../card.ts";
import { stitchedReport, type WalkForwardReport } from "../metrics.ts";
import { exportOnnx } from "../onnx/export.ts";
import type { RegisteredModel, Registry } from "../registry.ts";
import type { MetaConfig, TrainConfig } from "../train/config.ts";
import {
  cardBase,
  evaluateFolds,
  fitAndPredict,
  fitEnsemble,
  foldsFor,
  innerFolds,
  type TrainOptions,
} from "../training.ts";
import type { Fold } from "../validation.ts";
import type { MetaDataset } from "./dataset.ts";
import { type Admitted, admitted, chooseThreshold, type ThresholdChoice } from "./threshold.ts";

/** The slots of a meta model's probabilities. */
export const META_CLASS_NAMES = ["loss", "timeout", "win"] as const;

export interface MetaTrainOptions extends Pick<TrainOptions, "progress" | "now"> {
  /** The primary the candidates came from: its config hash and resolved fusion settings. */
  readonly primary: { readonly configHash: string; readonly fusion: object };
  /** The simulated broker's resolved settings the candidate trades were settled with. */
  readonly execution: object;
  /** The feature spec's name, for the card. */
  readonly specName: string;
}

/** One outer fold: the threshold its training window chose, and its test trades. */
export interface MetaFoldResult {
  readonly fold: Fold;
  readonly threshold: ThresholdChoice;
  /** Every candidate of the test fold, and those the threshold admits. */
  readonly test: { readonly all: Admitted; readonly passed: Admitted };
}

export interface MetaTrainingResult {
  readonly model: RegisteredModel;
  readonly report: WalkForwardReport;
  readonly folds: readonly MetaFoldResult[];
  /** The final model's threshold, chosen on every row out of fold. */
  readonly threshold: ThresholdChoice;
  readonly seconds: { readonly walkForward: number; readonly final: number };
}

/** `meta` of a config, or an error saying the config is not a meta config. */
function metaOf(config: TrainConfig): MetaConfig {
  if (config.meta === undefined) {
    throw new TypeError("Cannot train a meta model: the training config has no meta section");
  }
  return config.meta;
}

/**
 * The threshold for `rows` of the dataset, from out-of-fold predictions inside them.
 * `where` names the window in errors.
 */
export function thresholdInside(
  dataset: MetaDataset,
  rows: Int32Array,
  config: TrainConfig,
  where: string,
): ThresholdChoice {
  const meta = metaOf(config);
  let inner: Fold[];
  try {
    inner = innerFolds(dataset, rows, config);
  } catch (error) {
    throw new RangeError(
      `Cannot choose the meta threshold ${where} (${rows.length} rows, ${config.innerFolds} ` +
        `inner folds): ${(error as Error).message}`,
    );
  }
  const tested = inner.reduce((n, fold) => n + fold.test.length, 0);
  const p = new Float64Array(tested * 3);
  const y = new Uint8Array(tested);
  const net = new Float64Array(tested);
  let at = 0;
  for (const fold of inner) {
    const train = Int32Array.from(fold.train, (i) => rows[i]);
    const test = Int32Array.from(fold.test, (i) => rows[i]);
    p.set(fitAndPredict(dataset, train, test, config).p, at * 3);
    test.forEach((r, k) => {
      y[at + k] = dataset.y[r];
      net[at + k] = dataset.netPrice[r];
    });
    at += test.length;
  }
  return chooseThreshold(p, y, net, {
    threshold: meta.threshold,
    grid: meta.thresholdGrid,
    minTrades: meta.minTrades,
  }, where);
}

const span = (dataset: MetaDataset, rows: Int32Array) =>
  `${isoFromUs(dataset.timeUs[rows[0]])} .. ${isoFromUs(dataset.timeUs[rows[rows.length - 1]])}`;

/** Walks `config` forward over a meta dataset, fits the final model and registers it. */
export function trainMetaModel(
  dataset: MetaDataset,
  config: TrainConfig,
  registry: Registry,
  options: MetaTrainOptions,
): MetaTrainingResult {
  const meta = metaOf(config);
  const progress = options.progress ?? (() => {});
  let started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;

  const folds = foldsFor(config.walkForward, dataset.timeUs, dataset.labelEndUs);
  const results: MetaFoldResult[] = [];
  const predictions = evaluateFolds(dataset, folds, config, progress, (fold, test, p) => {
    const threshold = thresholdInside(
      dataset,
      fold.train,
      config,
      `in fold ${fold.fold}'s training window ${span(dataset, fold.train)}`,
    );
    const net = Float64Array.from(fold.test, (r) => dataset.netPrice[r]);
    results.push({
      fold,
      threshold,
      test: {
        all: admitted(p, test.y, net, 0),
        passed: admitted(p, test.y, net, threshold.threshold),
      },
    });
    return `; threshold ${threshold.threshold}`;
  });
  const report = stitchedReport(predictions);
  const walkForward = elapsed();

  started = performance.now();
  progress("choosing the final threshold and fitting the final ensemble on every row ...");
  const all = Int32Array.from({ length: dataset.rows }, (_, i) => i);
  const threshold = thresholdInside(
    dataset,
    all,
    config,
    `in the whole window ${span(dataset, all)}`,
  );
  const model = fitEnsemble(dataset, all, config);
  const final = elapsed();

  const bytes = exportOnnx(model, {
    feature_spec_hash: dataset.specHash,
    feature_spec_name: options.specName,
    classes: META_CLASS_NAMES.join(","),
    model_kind: "ensemble",
    task: "meta",
    primary_config_hash: options.primary.configHash,
  });
  const base = cardBase({
    bytes,
    config,
    specName: options.specName,
    dataset,
    folds,
    report,
    model,
    options,
    foldExtras: (i) => ({
      threshold: results[i].threshold.threshold,
      thresholdTrades: results[i].threshold.trades,
      trades: results[i].test.all,
      passed: results[i].test.passed,
    }),
  });
  const card: ModelCard = {
    ...base,
    task: "meta",
    meta: {
      threshold: threshold.threshold,
      thresholdChoice: threshold.choice,
      timeLimitMinutes: meta.timeLimitMinutes,
      sizing: meta.sizing,
      primary: { configHash: options.primary.configHash, fusion: { ...options.primary.fusion } },
      execution: { ...options.execution },
      candidates: dataset.counts,
      thresholdWindow: { trades: threshold.trades, wins: threshold.wins, net: threshold.net },
    },
    classes: [...META_CLASS_NAMES],
    label: {
      type: "meta_outcome",
      classes: META_CLASS_NAMES.join(","),
      timeLimitMinutes: meta.timeLimitMinutes,
      lots: 1,
      win: "the target filled before the stop within the time limit, with a positive net P&L",
      loss: "the stop filled first, or the target did with a net P&L of zero or less",
      timeout: "neither within the time limit: closed at the next price",
      sampleEvery: dataset.sampleEvery,
    },
    hyperparameters: { ...base.hyperparameters, meta },
    metrics: {
      ...base.metrics,
      stitched: { ...base.metrics.stitched, trading: stitchedTrading(results) },
    },
  };
  return {
    model: registry.register(bytes, card),
    report,
    folds: results,
    threshold,
    seconds: { walkForward, final },
  };
}

/** Every test fold's candidates and passed trades together. */
export function stitchedTrading(
  folds: readonly MetaFoldResult[],
): { readonly all: Admitted; readonly passed: Admitted } {
  const sum = (pick: (f: MetaFoldResult) => Admitted): Admitted =>
    folds.reduce((total, fold) => {
      const a = pick(fold);
      return {
        trades: total.trades + a.trades,
        wins: total.wins + a.wins,
        net: total.net + a.net,
      };
    }, { trades: 0, wins: 0, net: 0 });
  return { all: sum((f) => f.test.all), passed: sum((f) => f.test.passed) };
}
