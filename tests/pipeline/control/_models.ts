/** Real ONNX bytes and cards for the model upload and push tests. */

import type { ModelCard } from "@/models/card.ts";
import { exportOnnx } from "@/models/onnx/export.ts";
import { sha256Hex } from "@/models/registry.ts";
import { gridRows, randomLinear } from "../../models/onnx/_models.ts";

export const SPEC = "a".repeat(64);

/** A small linear model whose ONNX metadata names `spec`; `seed` makes distinct bytes. */
export function onnxModel(seed = 1, spec = SPEC): Uint8Array {
  return exportOnnx(randomLinear(seed, gridRows(seed, 50, 4)), { feature_spec_hash: spec });
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
