/**
 * The model card: what a model is, exactly. Stored as JSON beside the ONNX file and in
 * the registry, and validated with zod whenever it comes from outside (a file, an
 * upload). Promotion gates read only its out-of-sample metrics.
 * This module describes; it must never load or run a model.
 */

import { z } from "zod";

const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, "ISO-8601 UTC");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex SHA-256");
const range = z.object({ from: isoTime, to: isoTime });

/** Out-of-sample metrics of one walk-forward fold, beside the class-prior baseline's. */
export const foldMetricsSchema = z.object({
  fold: z.number().int().min(0),
  test: range,
  rows: z.number().int().positive(),
  logLoss: z.number().nonnegative(),
  baselineLogLoss: z.number().nonnegative(),
}).passthrough();

/**
 * What a meta-labeling model needs at serving time and what it was trained on: it gates
 * the candidate trades of one primary (the technical-only fusion whose config hash it
 * names), passing a trade when p(win) is at least `threshold`. models/meta/ writes it.
 */
export const metaCardSchema = z.object({
  /** p(win) at or above which a candidate trade passes; chosen inside the walk-forward. */
  threshold: z.number().gt(0).lt(1),
  /** How the threshold was set: "auto" (chosen on out-of-fold rows) or "fixed" (the config's). */
  thresholdChoice: z.enum(["auto", "fixed"]),
  /** A candidate trade still open this long after its decision is closed: a timeout. */
  timeLimitMinutes: z.number().int().positive(),
  /** "fixed": a passed trade keeps its size; "linear": `floor` at the threshold to 1 at p(win) 1. */
  sizing: z.object({ mode: z.enum(["fixed", "linear"]), floor: z.number().min(0).max(1) }),
  /** The primary whose candidates were labelled: its config hash and resolved fusion config. */
  primary: z.object({ configHash: sha256, fusion: z.record(z.string(), z.unknown()) }),
  /** The simulated broker's resolved settings the candidate trades were settled with. */
  execution: z.record(z.string(), z.unknown()),
}).passthrough();

export const modelCardSchema = z.object({
  /** SHA-256 of the ONNX bytes. */
  id: sha256,
  kind: z.enum(["trees", "linear", "mlp", "ensemble"]),
  /**
   * What the classes mean: "direction" (down / flat / up of the triple-barrier label; the
   * default, and what a card without `task` is) or "meta" (loss / timeout / win of the
   * primary's candidate trades, with `meta` set).
   */
  task: z.enum(["direction", "meta"]).optional(),
  meta: metaCardSchema.optional(),
  description: z.string().default(""),
  createdAt: isoTime,
  featureSpec: z.object({
    hash: sha256,
    name: z.string(),
    names: z.array(z.string()).min(1),
  }),
  classes: z.union([
    z.tuple([z.literal("down"), z.literal("flat"), z.literal("up")]),
    z.tuple([z.literal("loss"), z.literal("timeout"), z.literal("win")]),
  ]),
  /** The label definition, as the labeler reports it (type and every parameter). */
  label: z.record(z.string(), z.unknown()),
  ranges: z.object({ train: range, validation: range.optional(), test: range.optional() }),
  data: z.array(z.object({ file: z.string(), sha256, rows: z.number().int().nonnegative() })).min(
    1,
  ),
  hyperparameters: z.record(z.string(), z.unknown()),
  metrics: z.object({
    /** Every fold's figures are out of sample: a model never scores the rows it learned. */
    folds: z.array(foldMetricsSchema).min(1),
    stitched: z.record(z.string(), z.unknown()),
  }),
  parent: sha256.nullable(),
}).superRefine((card, ctx) => {
  const meta = card.task === "meta";
  if (meta !== (card.meta !== undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["meta"],
      message: meta ? "a meta model's card needs its meta section" : "only a meta model has one",
    });
  }
  if (meta !== (card.classes[0] === "loss")) {
    ctx.addIssue({
      code: "custom",
      path: ["classes"],
      message: meta ? "a meta model's classes are loss, timeout, win" : "expected down, flat, up",
    });
  }
});

export type ModelCard = z.infer<typeof modelCardSchema>;
export type FoldMetrics = z.infer<typeof foldMetricsSchema>;
export type MetaCard = z.infer<typeof metaCardSchema>;

/** Validates a card from outside, naming every problem. */
export function parseModelCard(value: unknown, origin: string): ModelCard {
  const result = modelCardSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "card"}: ${issue.message}`
    );
    throw new TypeError(`Model card ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}
