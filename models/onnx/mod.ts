/**
 * ONNX for our models: `exportOnnx` writes any model as one graph, `createOrtSession`
 * scores it with onnxruntime-web, `readOnnxMetadata` reads its metadata without trusting
 * anything else in the file. Nothing here trains or changes a model.
 */

export {
  exportOnnx,
  INPUT_NAME,
  IR_VERSION,
  memberOutputName,
  ML_OPSET,
  OPSET,
  OUTPUT_NAME,
  PRODUCER_NAME,
} from "./export.ts";
export { OnnxFormatError, readOnnxInputs, readOnnxMetadata } from "./metadata.ts";
export {
  createOrtSession,
  type OrtOutputs,
  type OrtSession,
  type OrtSessionOptions,
} from "./session.ts";
