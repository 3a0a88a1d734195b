/**
 * The retrain worker: receives a `RetrainRequest`, opens the latest window of data (the
 * replayed files or the live journal) cut at the trigger time, runs `trainModel` on it,
 * registers the candidate, and posts back its id and the gates' verdict, or the error.
 * Progress lines are posted as they come. It runs off the main thread so the pipeline
 * never waits for a training run; it must never read a bar that closed after the
 * trigger, and never promote (the scheduler does, through the gates).
 */

import { openJournal } from "../sinks/journal.ts";
import { journalSource } from "../sources/journal_source.ts";
import { openSources, type Source } from "../sources/mod.ts";
import { usFromIso } from "../pipeline/events.ts";
import { readOnnxMetadata } from "./onnx/metadata.ts";
import { checkGates, Registry } from "./registry.ts";
import type { RetrainMessage, RetrainRequest, RetrainResult } from "./retraining.ts";
import { trainModel } from "./training.ts";

/** A source of the request's data from `readFrom` up to the trigger, and how to let it go. */
export interface TrainingSource {
  readonly source: Source;
  close(): void;
}

/** Opens the request's data: only bars opening in [readFrom, to), so none closes after `to`. */
export async function openTrainingSource(request: RetrainRequest): Promise<TrainingSource> {
  const fromUs = usFromIso(request.readFrom);
  const toUs = usFromIso(request.to);
  const { data, symbol } = request;
  if (data.kind === "files") {
    const source = await openSources(data.files, {
      ...data.sourceOptions,
      symbol,
      fromUs,
      toUs,
    });
    return { source, close: () => {} };
  }
  const journal = openJournal(data.path);
  try {
    return {
      source: journalSource(journal, { symbol, fromUs, toUs, format: data.format }),
      close: () => journal.close(),
    };
  } catch (error) {
    journal.close();
    throw error;
  }
}

/** Trains on the request's window and registers the candidate; the work of one message. */
async function retrain(
  request: RetrainRequest,
  progress: (line: string) => void,
): Promise<RetrainResult> {
  const { source, close } = await openTrainingSource(request);
  try {
    const registry = Registry.open(request.registryDir, {
      readMetadata: readOnnxMetadata,
      gates: request.gates,
    });
    try {
      const result = await trainModel(source, request.config, registry, {
        from: request.from,
        to: request.to,
        progress,
      });
      return {
        id: result.model.id,
        gate: checkGates(result.model.card, request.gates),
        rows: result.dataset.rows,
      };
    } finally {
      registry.close();
    }
  } finally {
    close();
  }
}

/** The worker's side of the message port. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<RetrainRequest>) => void) | null;
  postMessage(message: RetrainMessage): void;
}

// Only inside a Worker: importing this module elsewhere (tests) must not listen for messages.
if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = (event) => {
    retrain(event.data, (line) => scope.postMessage({ kind: "progress", line })).then(
      (result) => scope.postMessage({ kind: "done", result }),
      (error) =>
        scope.postMessage({
          kind: "error",
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  };
}
