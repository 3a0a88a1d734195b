/**
 * Loads registered models for serving: verified bytes from the registry (hash and feature
 * spec checked there), then one onnxruntime-web session each. Never loads anything the
 * registry has not verified.
 */

import { createOrtSession, type OrtSession, pendingSession } from "../../models/onnx/session.ts";
import type { ModelCard } from "../../models/card.ts";
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
  const session = await matchingSession(
    createOrtSession(bytes, { numThreads, workers: options.workers }),
    card,
  );
  return { id: card.id, specHash: card.featureSpec.hash, session, meta: card.meta };
}

/**
 * `loadServingModel` without waiting for its session to start: the model is returned at
 * once and its session's runs wait for the start (`pendingSession`), so a backtest reads
 * and computes its first features meanwhile. A session that fails to start, or reads
 * other features than its card lists, fails the first batch scored with the same error.
 */
export function startServingModel(
  registry: Registry,
  idOrPrefix: string,
  runningSpecHash: string,
  numThreads: number,
  options: { readonly workers?: number } = {},
): ServingModel {
  const { bytes, card } = registry.load(idOrPrefix, runningSpecHash);
  const starting = matchingSession(
    createOrtSession(bytes, { numThreads, workers: options.workers }),
    card,
  );
  return {
    id: card.id,
    specHash: card.featureSpec.hash,
    session: pendingSession(starting, card.featureSpec.names.length),
    meta: card.meta,
  };
}

/** The session once started, released and refused when it reads other features than `card` lists. */
async function matchingSession(
  starting: Promise<OrtSession>,
  card: ModelCard,
): Promise<OrtSession> {
  const session = await starting;
  if (session.nFeatures !== card.featureSpec.names.length) {
    await session.release();
    throw new TypeError(
      `Model ${
        card.id.slice(0, 12)
      }… reads ${session.nFeatures} features but its card lists ${card.featureSpec.names.length}`,
    );
  }
  return session;
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
