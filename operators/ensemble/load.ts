/**
 * Loads registered models for serving: verified bytes from the registry (hash and feature
 * spec checked there), then one onnxruntime-web session each. Never loads anything the
 * registry has not verified.
 */

import { createOrtSession } from "../../models/onnx/session.ts";
import type { Registry } from "../../models/registry.ts";
import type { ModelSlot, ServingModel } from "./scorer.ts";

/**
 * One registered model with its session. `workers`: score on that many Workers of its
 * own, for a backtest that computes features while batches are scored
 * (`OrtSessionOptions.workers`; default 0, on the calling thread).
 */
export async function loadServingModel(
  registry: Registry,
  idOrPrefix: string,
  runningSpecHash: string,
  numThreads: number,
  options: { readonly workers?: number } = {},
): Promise<ServingModel> {
  const { bytes, card } = registry.load(idOrPrefix, runningSpecHash);
  const session = await createOrtSession(bytes, { numThreads, workers: options.workers });
  if (session.nFeatures !== card.featureSpec.names.length) {
    await session.release();
    throw new TypeError(
      `Model ${
        card.id.slice(0, 12)
      }… reads ${session.nFeatures} features but its card lists ${card.featureSpec.names.length}`,
    );
  }
  return { id: card.id, specHash: card.featureSpec.hash, session, meta: card.meta };
}

/** The registry's production and shadow models, each loaded and verified, or null. */
export async function loadModelSlot(
  registry: Registry,
  runningSpecHash: string,
  numThreads: number,
): Promise<ModelSlot> {
  const production = registry.production();
  const shadow = registry.shadow();
  return {
    production: production &&
      await loadServingModel(registry, production.id, runningSpecHash, numThreads),
    shadow: shadow && await loadServingModel(registry, shadow.id, runningSpecHash, numThreads),
  };
}
