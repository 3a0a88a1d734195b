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

export const modelCardSchema = z.object({
  /** SHA-256 of the ONNX bytes. */
  id: sha256,
  kind: z.enum(["trees", "linear", "mlp", "ensemble"]),
  description: z.string().default(""),
  createdAt: isoTime,
  featureSpec: z.object({
    hash: sha256,
    name: z.string(),
    names: z.array(z.string()).min(1),
  }),
  classes: z.tuple([z.literal("down"), z.literal("flat"), z.literal("up")]),
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
});

export type ModelCard = z.infer<typeof modelCardSchema>;
export type FoldMetrics = z.infer<typeof foldMetricsSchema>;

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
