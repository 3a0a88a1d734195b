/**
 * The training configuration: one zod schema whose every field has a description, bounds
 * and a default, so `deno task train` with no config trains the documented default
 * ensemble, and a config file from outside is checked before any work starts.
 * It describes members; `memberTrainer` turns each into the trainer function.
 */

import { z } from "zod";
import type { MemberModel } from "../model.ts";
import type { Samples } from "../samples.ts";
import type { EnsembleMember } from "./ensemble.ts";
import { trainExtraTrees, trainRandomForest } from "./forest.ts";
import { trainGbdt } from "./gbdt.ts";
import { trainLogistic } from "./logistic.ts";
import { trainMlp } from "./mlp.ts";

const validFraction = z.number().min(0).max(0.5).default(0.1)
  .describe("share of each training window's latest rows held out for early stopping");
const positive = z.number().positive();
const count = z.number().int().positive();
const unit = z.number().gt(0).max(1);

/** Each trainer's own options (see its file); an unknown or misspelt one is an error. */
const gbdtParams = z.strictObject({
  nRounds: count,
  learningRate: unit,
  maxDepth: count,
  maxLeaves: count,
  minChildWeight: positive,
  l2: z.number().nonnegative(),
  minSplitGain: z.number().nonnegative(),
  rowSubsample: unit,
  colSubsample: unit,
  earlyStoppingRounds: count,
  maxBins: count,
}).partial().default({});
const forestParams = z.strictObject({
  nTrees: count,
  criterion: z.enum(["gini", "entropy"]),
  maxFeatures: z.union([z.enum(["sqrt", "log2"]), count]),
  maxDepth: count,
  minSamplesLeaf: count,
  maxBins: count,
}).partial().default({});
const logisticParams = z.strictObject({
  l2: z.number().nonnegative(),
  maxIter: count,
  tolerance: positive,
})
  .partial().default({});
const mlpParams = z.strictObject({
  hidden: z.array(count).min(1),
  maxEpochs: count,
  batchSize: count,
  learningRate: positive,
  weightDecay: z.number().nonnegative(),
  patience: count,
}).partial().default({});

const memberSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("gbdt"),
    name: z.string().optional(),
    params: gbdtParams,
    validFraction,
  }),
  z.object({ type: z.literal("random_forest"), name: z.string().optional(), params: forestParams }),
  z.object({ type: z.literal("extra_trees"), name: z.string().optional(), params: forestParams }),
  z.object({ type: z.literal("logistic"), name: z.string().optional(), params: logisticParams }),
  z.object({
    type: z.literal("mlp"),
    name: z.string().optional(),
    params: mlpParams,
    validFraction,
  }),
]);
export type MemberConfig = z.infer<typeof memberSchema>;

export const DEFAULT_MEMBERS: readonly MemberConfig[] = [
  {
    type: "gbdt",
    params: {
      nRounds: 300,
      learningRate: 0.05,
      maxDepth: 5,
      minChildWeight: 20,
      l2: 1,
      rowSubsample: 0.8,
      colSubsample: 0.8,
      earlyStoppingRounds: 30,
    },
    validFraction: 0.15,
  },
  { type: "random_forest", params: { nTrees: 60, maxDepth: 10, minSamplesLeaf: 100 } },
  { type: "logistic", params: { l2: 1e-3 } },
  {
    type: "mlp",
    params: { hidden: [32, 16], maxEpochs: 30, weightDecay: 1e-2, patience: 4 },
    validFraction: 0.15,
  },
];

const probability = z.number().gt(0).lt(1);

/** Meta-labeling (models/meta/): the labels are the outcomes of the primary's own trades. */
const metaSchema = z.strictObject({
  trading: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional().describe(
    "trading config (a file, or the object itself) whose fusion section, made technical-only, " +
      "is the primary and whose execution section settles its trades; absent: the " +
      "technical-only preset and the default simulated broker",
  ),
  timeLimitMinutes: z.number().int().min(1).max(10_080).default(1_440).describe(
    "a candidate trade neither stopped nor at its target this long after its decision is " +
      "closed at the next price: a timeout",
  ),
  threshold: z.union([z.literal("auto"), probability]).default("auto").describe(
    "p(win) at or above which a trade is taken: 'auto' chooses it on out-of-fold rows " +
      "inside each training window, or a fixed number",
  ),
  thresholdGrid: z.strictObject({
    from: probability.default(0.05),
    to: probability.default(0.95),
    step: z.number().gt(0).max(0.5).default(0.01),
  }).prefault({}).describe("the thresholds 'auto' tries"),
  minTrades: z.number().int().min(1).max(100_000).default(30).describe(
    "a threshold must admit at least this many out-of-fold trades where it is chosen",
  ),
  sizing: z.strictObject({
    mode: z.enum(["fixed", "linear"]).default("fixed").describe(
      "fixed: a passed trade keeps the risk engine's size; linear: floor x the size at the " +
        "threshold, rising to the full size at p(win) 1",
    ),
    floor: z.number().min(0).max(1).default(0.5).describe("share of the size at the threshold"),
  }).prefault({}),
});
export type MetaConfig = z.infer<typeof metaSchema>;

export const trainConfigSchema = z.object({
  description: z.string().default("").describe("free text for the model card"),
  spec: z.string().optional().describe(
    "feature spec file (JSON); the built-in default spec when absent",
  ),
  labels: z.object({
    upAtr: z.number().positive(),
    downAtr: z.number().positive(),
    horizonBars: z.number().int().positive(),
    atrPeriod: z.number().int().positive(),
    spread: z.number().nonnegative(),
    maxGapMinutes: z.number().int().positive(),
  }).partial().default({}).describe("triple-barrier label options (docs/labels-and-validation.md)"),
  sampleEvery: z.number().int().min(1).max(60).default(5)
    .describe(
      "keep every k-th labelled M1 row: neighbouring rows share most of their label window",
    ),
  walkForward: z.object({
    folds: z.number().int().min(2).max(24).default(4),
    scheme: z.enum(["expanding", "rolling"]).default("expanding"),
    testDays: z.number().positive().optional()
      .describe(
        "days per test fold, the folds ending at the data's end; default: equal row blocks",
      ),
    trainDays: z.number().positive().optional().describe(
      "rolling scheme: days of training before each fold",
    ),
    embargoMinutes: z.number().int().min(0).default(60),
    minTrainRows: z.number().int().min(100).default(2_000),
  }).prefault({}),
  innerFolds: z.number().int().min(2).max(10).default(2)
    .describe("walk-forward folds inside each training window for stacking and calibration"),
  members: z.array(memberSchema).min(1).default([...DEFAULT_MEMBERS]),
  method: z.enum(["soft_voting", "weighted_voting", "stacking"]).default("stacking"),
  calibrate: z.boolean().default(true).describe(
    "Platt scaling fit out of fold, kept only if it helps",
  ),
  seed: z.number().int().min(0).default(42),
  meta: metaSchema.optional().describe(
    "train a meta-labeling model on the primary's candidate trades instead of a direction model",
  ),
}).superRefine((config, ctx) => {
  if (config.meta !== undefined && Object.keys(config.labels).length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["labels"],
      message: "triple-barrier options do not apply to a meta model: its labels are the " +
        "outcomes of the primary's trades (set meta.timeLimitMinutes instead)",
    });
  }
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;

export function parseTrainConfig(value: unknown, origin: string): TrainConfig {
  const result = trainConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "config"}: ${issue.message}`
    );
    throw new TypeError(`Training config ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** The member as the ensemble trainer takes it; `params` are the trainer's own options. */
export function memberTrainer(config: MemberConfig, index: number): EnsembleMember {
  const name = config.name ?? `${index}_${config.type}`;
  const train = (samples: Samples, valid: Samples | null, seed: number): MemberModel => {
    switch (config.type) {
      case "gbdt":
        return trainGbdt(samples, { ...config.params, seed, valid: valid ?? undefined }).model;
      case "random_forest":
        return trainRandomForest(samples, { ...config.params, seed }).model;
      case "extra_trees":
        return trainExtraTrees(samples, { ...config.params, seed }).model;
      case "logistic":
        return trainLogistic(samples, config.params);
      case "mlp":
        return trainMlp(samples, valid, { ...config.params, seed });
    }
  };
  return { name, train, validFraction: "validFraction" in config ? config.validFraction : 0 };
}
