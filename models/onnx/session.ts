/**
 * Runs an exported model (export.ts) in onnxruntime-web's WASM backend: one session per
 * model, created once, scoring batches of float32 feature rows into class probabilities
 * and, for an ensemble, each member's probabilities. It must never load a model whose
 * bytes were not checked first (the registry reads `readOnnxMetadata` before calling
 * `createOrtSession`), and never pick a thread count on its own.
 */

import * as ort from "onnxruntime-web";
import { N_CLASSES } from "../model.ts";
import { INPUT_NAME, memberOutputName, OUTPUT_NAME } from "./export.ts";

export { OnnxFormatError, readOnnxMetadata } from "./metadata.ts";

export interface OrtSessionOptions {
  /**
   * WASM threads for the whole process: onnxruntime reads it once, when its backend
   * starts with the first session, so every later session must ask for the same number.
   * 1 or 2 on a 2-core machine (4 is slower).
   */
  readonly numThreads: number;
}

export interface OrtOutputs {
  /** rows x 3, row-major. */
  readonly probabilities: Float32Array;
  /** Each member's rows x 3 probabilities, in member order; empty for a single model. */
  readonly members: readonly Float32Array[];
}

export interface OrtSession {
  readonly nFeatures: number;
  readonly nMembers: number;
  /** Scores `rows` rows of `x` (rows x nFeatures, row-major) in one call. */
  run(x: Float32Array, rows: number): Promise<OrtOutputs>;
  /** Frees the session's WASM memory; the session cannot run afterwards. */
  release(): Promise<void>;
}

/** The thread count the WASM backend started with, once a session has been created. */
let backendThreads: number | null = null;
/** Session creation is serialised: onnxruntime refuses concurrent backend start-ups. */
let creating: Promise<unknown> = Promise.resolve();

function tensorShape(
  metadata: readonly ort.InferenceSession.ValueMetadata[],
  name: string,
): readonly (number | string)[] {
  const found = metadata.find((m) => m.name === name);
  if (!found?.isTensor) {
    throw new TypeError(`Cannot use ONNX model: it has no tensor "${name}"`);
  }
  return found.shape;
}

async function startSession(bytes: Uint8Array, numThreads: number): Promise<OrtSession> {
  if (backendThreads !== null && backendThreads !== numThreads) {
    throw new RangeError(
      `Cannot create an ONNX session with numThreads ${numThreads}: onnxruntime already ` +
        `started with ${backendThreads} in this process`,
    );
  }
  // The backend reads this when the first session starts it, even if that session fails.
  ort.env.wasm.numThreads = numThreads;
  backendThreads = numThreads;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });

  let nFeatures: number;
  let nMembers = 0;
  try {
    const inputShape = tensorShape(session.inputMetadata, INPUT_NAME);
    if (inputShape.length !== 2 || typeof inputShape[1] !== "number") {
      throw new TypeError(
        `Cannot use ONNX model: input "${INPUT_NAME}" has shape [${inputShape}], expected [N, F]`,
      );
    }
    nFeatures = inputShape[1];
    tensorShape(session.outputMetadata, OUTPUT_NAME);
    while (session.outputNames.includes(memberOutputName(nMembers))) nMembers++;
  } catch (e) {
    await session.release();
    throw e;
  }
  const fetches = [OUTPUT_NAME, ...Array.from({ length: nMembers }, (_, i) => memberOutputName(i))];

  const probabilities = (result: ort.InferenceSession.ReturnType, name: string, rows: number) => {
    const tensor = result[name];
    if (tensor.type !== "float32" || tensor.size !== rows * N_CLASSES) {
      throw new TypeError(
        `ONNX output "${name}" is ${tensor.type} [${tensor.dims}], expected float32 [${rows}, 3]`,
      );
    }
    return tensor.data as Float32Array;
  };

  return {
    nFeatures,
    nMembers,
    async run(x, rows) {
      if (!Number.isInteger(rows) || rows < 1 || x.length !== rows * nFeatures) {
        throw new RangeError(
          `Cannot score ${rows} rows from ${x.length} values: the model reads ${nFeatures} ` +
            `features per row`,
        );
      }
      const input = new ort.Tensor("float32", x, [rows, nFeatures]);
      const result = await session.run({ [INPUT_NAME]: input }, fetches);
      return {
        probabilities: probabilities(result, OUTPUT_NAME, rows),
        members: fetches.slice(1).map((name) => probabilities(result, name, rows)),
      };
    },
    release: () => session.release(),
  };
}

/**
 * An onnxruntime-web session over ONNX bytes from `exportOnnx`: input "features"
 * [N, F], output "probabilities" [N, 3], plus "member_<i>_probabilities" for ensembles.
 *
 * @example
 * ```ts
 * const session = await createOrtSession(bytes, { numThreads: 1 });
 * const { probabilities, members } = await session.run(rows, 1024);
 * ```
 */
export async function createOrtSession(
  bytes: Uint8Array,
  options: OrtSessionOptions,
): Promise<OrtSession> {
  const { numThreads } = options;
  if (!Number.isInteger(numThreads) || numThreads < 1) {
    throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
  }
  const created = creating.then(() => startSession(bytes, numThreads));
  creating = created.catch(() => undefined);
  return await created;
}
