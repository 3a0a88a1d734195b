/**
 * The measurement worker: receives a `MeasureRequest`, opens the journal and the registry
 * itself, builds the labelled rows from the journal's latest bars (journal_rows.ts) and
 * measures the model's verified bytes on them (verification.ts), then posts back the
 * measurement or the error. Building tens of thousands of feature rows and scoring them
 * takes seconds of CPU: in a Worker, the live pipeline, the EA's replies and `/health` never
 * wait for it. It must never write to the journal or the registry.
 */

import type { FeatureSpec } from "../operators/features/mod.ts";
import { specHash } from "../operators/features/mod.ts";
import { callWorker } from "../pipeline/workers.ts";
import { openJournal } from "../sinks/journal.ts";
import type { FormatName } from "../sources/source.ts";
import { journalEvaluationRows } from "./journal_rows.ts";
import { readOnnxMetadata } from "./onnx/metadata.ts";
import { Registry } from "./registry.ts";
import { type Measurement, measureOnnx } from "./verification.ts";

/** What the worker is asked to measure: plain data, so it crosses `postMessage`. */
export interface MeasureRequest {
  readonly journalPath: string;
  readonly registryDir: string;
  readonly modelId: string;
  readonly spec: FeatureSpec;
  readonly symbol: string;
  /** Days of the journal's latest bars measured on. */
  readonly days: number;
  /** Days before those read only to warm the features up. */
  readonly warmUpDays: number;
  /** The feed that wrote the journal. */
  readonly format: FormatName;
}

type MeasureMessage =
  | { readonly kind: "done"; readonly measurement: Measurement }
  | { readonly kind: "error"; readonly error: string };

/** Measures in this thread: the worker's work, and what tests call directly. */
export async function measureFromJournal(request: MeasureRequest): Promise<Measurement> {
  const journal = openJournal(request.journalPath);
  const registry = Registry.open(request.registryDir, { readMetadata: readOnnxMetadata });
  try {
    const rows = await journalEvaluationRows(journal, request);
    if ("reason" in rows) return { measured: false, reason: rows.reason };
    const model = registry.get(request.modelId);
    const { bytes } = registry.load(model.id, specHash(request.spec));
    // Its own onnxruntime in its own thread: one thread is the steadiest on a small machine.
    return await measureOnnx(bytes, model.card, rows, 1);
  } finally {
    registry.close();
    journal.close();
  }
}

/** Measures in a fresh Worker, terminated when it answers. */
export function measureInWorker(
  request: MeasureRequest,
  url: URL = new URL("./measure_worker.ts", import.meta.url),
): Promise<Measurement> {
  return callWorker(url, request, {
    read: (message: MeasureMessage) => {
      if (message.kind === "done") return message.measurement;
      throw new Error(message.error);
    },
    crashed: "the measurement worker crashed",
  });
}

/** The worker's side of the message port. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<MeasureRequest>) => void) | null;
  postMessage(message: MeasureMessage): void;
}

// Only inside a Worker: importing this module elsewhere must not listen for messages.
if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = (event) => {
    measureFromJournal(event.data).then(
      (measurement) => scope.postMessage({ kind: "done", measurement }),
      (error) =>
        scope.postMessage({
          kind: "error",
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  };
}
