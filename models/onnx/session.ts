/**
 * Runs an exported model (export.ts) in onnxruntime-web's WASM backend: one session per
 * model, created once, scoring batches of float32 feature rows into class probabilities
 * and, for an ensemble, each member's probabilities. On the calling thread by default,
 * or on Workers of its own (`session_worker.ts`), which score while the caller works on.
 * It must never load a model whose
 * bytes were not checked first (the registry reads `readOnnxMetadata` before calling
 * `createOrtSession`), and never pick a thread count on its own.
 */

import type * as ort from "onnxruntime-web";
import { moduleWorker } from "../../pipeline/workers.ts";
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
  /**
   * Score on this many Workers of the session's own, so the caller keeps working while
   * batches are scored (a backtest computes the next bars' features meanwhile), the runs
   * dealt to them in turn. Each worker has its own onnxruntime, whose thread count is
   * `numThreads`. Default 0: on the calling thread, where a single row (live) is
   * answered soonest.
   */
  readonly workers?: number;
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
  /**
   * Scores `rows` rows of `x` (rows x nFeatures, row-major) in one call. Calls may
   * overlap, each answered with its own rows' outputs. `x` may be read until the promise
   * settles, so the caller must not change it until then.
   */
  run(x: Float32Array, rows: number): Promise<OrtOutputs>;
  /** Frees the session's WASM memory; the session cannot run afterwards. */
  release(): Promise<void>;
}

/** A RangeError unless `x` holds `rows` whole rows of `nFeatures` values, else null. */
function badRows(x: Float32Array, rows: number, nFeatures: number): RangeError | null {
  if (Number.isInteger(rows) && rows >= 1 && x.length === rows * nFeatures) return null;
  return new RangeError(
    `Cannot score ${rows} rows from ${x.length} values: the model reads ${nFeatures} ` +
      `features per row`,
  );
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
  // Loaded with the first session, so commands that never score (a --no-ml backtest) do
  // not pay for parsing onnxruntime-web.
  const ort = await import("onnxruntime-web");
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

  const score = async (x: Float32Array, rows: number): Promise<OrtOutputs> => {
    const input = new ort.Tensor("float32", x, [rows, nFeatures]);
    const result = await session.run({ [INPUT_NAME]: input }, fetches);
    return {
      probabilities: probabilities(result, OUTPUT_NAME, rows),
      members: fetches.slice(1).map((name) => probabilities(result, name, rows)),
    };
  };
  /** The last run asked for: each run starts when the one before it has settled. */
  let last: Promise<unknown> = Promise.resolve();
  return {
    nFeatures,
    nMembers,
    run(x, rows) {
      const bad = badRows(x, rows, nFeatures);
      if (bad !== null) return Promise.reject(bad);
      const scored = last.then(() => score(x, rows));
      last = scored.catch(() => undefined);
      return scored;
    },
    release: () => last.then(() => session.release()),
  };
}

/** What the client posts to `session_worker.ts`. */
export type ToSessionWorker =
  | { readonly type: "start"; readonly bytes: Uint8Array; readonly numThreads: number }
  | { readonly type: "run"; readonly id: number; readonly x: Float32Array; readonly rows: number }
  | { readonly type: "release" };

/** What `session_worker.ts` posts back. */
export type FromSessionWorker =
  | { readonly type: "ready"; readonly nFeatures: number; readonly nMembers: number }
  | { readonly type: "scored"; readonly id: number; readonly outputs: OrtOutputs }
  | { readonly type: "failed"; readonly id: number | null; readonly error: string }
  | { readonly type: "released" };

/**
 * A session on a Worker of its own: runs are posted with an id and answered in order;
 * a run's rows are copied into the message, so the caller may reuse `x` at once.
 */
function startWorkerSession(bytes: Uint8Array, numThreads: number): Promise<OrtSession> {
  const worker = moduleWorker(new URL("./session_worker.ts", import.meta.url), "onnx-session");
  const pending = new Map<number, PromiseWithResolvers<OrtOutputs>>();
  let started: PromiseWithResolvers<OrtSession> | null = Promise.withResolvers<OrtSession>();
  let released: PromiseWithResolvers<void> | null = null;
  let nextId = 0;
  /** Rejects everything still waiting, when the worker is gone. */
  const fail = (error: Error) => {
    started?.reject(error);
    started = null;
    for (const run of pending.values()) run.reject(error);
    pending.clear();
    released?.resolve();
    worker.terminate();
  };
  worker.onerror = (event) => {
    event.preventDefault();
    fail(new Error(`Cannot score: the ONNX session worker crashed: ${event.message}`));
  };
  worker.onmessage = (event: MessageEvent<FromSessionWorker>) => {
    const message = event.data;
    switch (message.type) {
      case "ready": {
        const { nFeatures, nMembers } = message;
        started?.resolve({
          nFeatures,
          nMembers,
          run(x, rows) {
            const bad = badRows(x, rows, nFeatures);
            if (bad !== null) return Promise.reject(bad);
            if (released !== null) {
              return Promise.reject(new Error("Cannot score: the ONNX session was released"));
            }
            const id = nextId++;
            const run = Promise.withResolvers<OrtOutputs>();
            pending.set(id, run);
            const copy = x.slice();
            worker.postMessage({ type: "run", id, x: copy, rows } satisfies ToSessionWorker, [
              copy.buffer,
            ]);
            return run.promise;
          },
          release() {
            if (released === null) {
              released = Promise.withResolvers<void>();
              worker.postMessage({ type: "release" } satisfies ToSessionWorker);
            }
            return released.promise;
          },
        });
        started = null;
        return;
      }
      case "scored":
        pending.get(message.id)?.resolve(message.outputs);
        pending.delete(message.id);
        return;
      case "failed":
        if (message.id === null) return fail(new Error(message.error));
        pending.get(message.id)?.reject(new Error(message.error));
        pending.delete(message.id);
        return;
      case "released":
        worker.terminate();
        released?.resolve();
        return;
    }
  };
  worker.postMessage({ type: "start", bytes, numThreads } satisfies ToSessionWorker);
  return started.promise;
}

/** One session over several identical ones, dealing the runs to them in turn. */
function dealRuns(sessions: readonly OrtSession[]): OrtSession {
  let next = 0;
  return {
    nFeatures: sessions[0].nFeatures,
    nMembers: sessions[0].nMembers,
    run(x, rows) {
      const session = sessions[next];
      next = (next + 1) % sessions.length;
      return session.run(x, rows);
    },
    release: async () => {
      await Promise.all(sessions.map((session) => session.release()));
    },
  };
}

/**
 * A session still starting, usable at once: each `run` waits for it, so the caller goes on
 * meanwhile (a backtest reads and computes features while the model's Workers start).
 * `nFeatures` is the count the caller was told (a registry card's); a start that failed
 * fails every `run` with its error. `nMembers` is known only once it has started.
 */
export function pendingSession(starting: Promise<OrtSession>, nFeatures: number): OrtSession {
  let started: OrtSession | null = null;
  const ready = starting.then((session) => started = session);
  // A failed start is reported by the runs that wait for it, and by nothing else.
  ready.catch(() => {});
  return {
    nFeatures,
    get nMembers(): number {
      if (started === null) {
        throw new RangeError("the session's member count is known only once it has started");
      }
      return started.nMembers;
    },
    async run(x, rows) {
      return (started ?? await ready).run(x, rows);
    },
    release: async () => {
      const session = await ready.catch(() => null);
      await session?.release();
    },
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
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0) {
    throw new RangeError(`workers must be a whole number >= 0, got ${workers}`);
  }
  if (workers > 0) {
    const started = await Promise.allSettled(
      Array.from({ length: workers }, () => startWorkerSession(bytes, numThreads)),
    );
    const sessions = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
    const failed = started.find((s) => s.status === "rejected");
    if (failed !== undefined) {
      await Promise.all(sessions.map((session) => session.release()));
      throw failed.reason;
    }
    return sessions.length === 1 ? sessions[0] : dealRuns(sessions);
  }
  const created = creating.then(() => startSession(bytes, numThreads));
  creating = created.catch(() => undefined);
  return await created;
}
