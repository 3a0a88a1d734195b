/** Real ONNX bytes, cards and evaluation rows for the model upload, promotion and push tests. */

import type { ModelCard } from "@/models/card.ts";
import type { LinearModel } from "@/models/model.ts";
import { exportOnnx } from "@/models/onnx/export.ts";
import { predictProba } from "@/models/predict.ts";
import { type RegisteredModel, type Registry, sha256Hex } from "@/models/registry.ts";
import { type EvaluationRows, type Measurement, measureOnnx } from "@/models/verification.ts";
import { gridRows, randomLinear } from "../../models/onnx/_models.ts";

export const SPEC = "a".repeat(64);

/** A random linear model over 4 features, its weights and bias times `sharpen`. */
export function linearModel(seed = 1, sharpen = 1): LinearModel {
  const model = randomLinear(seed, gridRows(seed, 50, 4));
  return {
    ...model,
    weights: model.weights.map((w) => w * sharpen),
    bias: model.bias.map((b) => b * sharpen),
  };
}

/** A small linear model's ONNX bytes whose metadata names `spec`; `seed` makes distinct bytes. */
export function onnxModel(seed = 1, spec = SPEC, model = linearModel(seed)): Uint8Array {
  return exportOnnx(model, { feature_spec_hash: spec });
}

/** A card for `bytes` whose every fold beats the class prior by `improvement`. */
export function cardFor(bytes: Uint8Array, improvement = 0.01, spec = SPEC): ModelCard {
  return {
    id: sha256Hex(bytes),
    kind: "linear",
    description: "test model",
    createdAt: "2026-11-25T12:00:00Z",
    featureSpec: { hash: spec, name: "default", names: ["f1", "f2", "f3", "f4"] },
    classes: ["down", "flat", "up"],
    label: { type: "triple_barrier" },
    ranges: { train: { from: "2017-01-01T00:00:00Z", to: "2017-12-31T00:00:00Z" } },
    data: [{ file: "x.csv.gz", sha256: "b".repeat(64), rows: 10 }],
    hyperparameters: {},
    metrics: {
      folds: [0, 1, 2].map((fold) => ({
        fold,
        test: { from: "2017-06-01T00:00:00Z", to: "2017-07-01T00:00:00Z" },
        rows: 100,
        logLoss: 1 - improvement,
        baselineLogLoss: 1,
      })),
      stitched: {},
    },
    parent: null,
  };
}

/** A multipart upload body as `models push` sends it. */
export function uploadForm(bytes: Uint8Array, card: unknown): FormData {
  const form = new FormData();
  form.append("onnx", new Blob([bytes as Uint8Array<ArrayBuffer>]), "model.onnx");
  form.append("card", JSON.stringify(card));
  return form;
}

/**
 * 1,200 rows of 4 features, one a minute from 2026-01-01, each labelled with the class
 * `truth` finds most likely (by the reference predictor, models/predict.ts): the model
 * itself, sharpened, scores well on them; the same model negated is confidently wrong.
 */
export function evaluationRows(truth: LinearModel, spec = SPEC): EvaluationRows {
  const { x, rows, nFeatures } = gridRows(7, 1200, 4);
  const p = new Float64Array(rows * 3);
  predictProba(truth, x, rows, p);
  const y = new Uint8Array(rows);
  const timeUs = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let k = 1; k < 3; k++) if (p[i * 3 + k] > p[i * 3 + y[i]]) y[i] = k;
    timeUs[i] = Date.UTC(2026, 0, 1) * 1000 + i * 60_000_000;
  }
  return { rows, nFeatures, x, y, timeUs, specHash: spec, source: "the test's rows" };
}

/** The server's measurement as `serve` makes it, on `rows`, through onnxruntime-web. */
export function measureOn(
  registry: Registry,
  rows: EvaluationRows,
): (model: RegisteredModel) => Promise<Measurement> {
  return (model) => {
    const { bytes } = registry.load(model.id, model.card.featureSpec.hash);
    return measureOnnx(bytes, model.card, rows, 1);
  };
}
