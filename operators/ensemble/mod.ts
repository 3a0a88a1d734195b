/** The model stage: production and shadow models scored on onnxruntime-web. */

export { adaptModels } from "./adapt.ts";
export { loadModelSlot, loadServingModel, startServingModel } from "./load.ts";
export { type ModelSlot, scoreModels, type ServingModel } from "./scorer.ts";
