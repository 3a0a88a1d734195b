/** Features: one spec, one engine, for training, backtest and live alike. */

export { FEATURE_KINDS, type FeatureKindName } from "./catalogue.ts";
export { DEFAULT_FEATURE_SPEC } from "./default_spec.ts";
export { FeatureEngine, type FeatureEngineOptions } from "./engine.ts";
export { computeFeatures, type ComputeFeaturesOptions } from "./operators.ts";
export {
  FEATURE_SPEC_VERSION,
  type FeatureDef,
  type FeatureSpec,
  featureSpecSchema,
  loadFeatureSpec,
  parseFeatureSpec,
  specHash,
} from "./spec.ts";
