/**
 * A Worker behind `createOrtSession(bytes, { workers })`: it starts one session
 * on this thread's own onnxruntime and scores the rows posted to it, one run after the
 * other in the order they came, posting each run's outputs back under its id. It never
 * scores for anyone but its client, and ends when released.
 */

import {
  createOrtSession,
  type FromSessionWorker,
  type OrtSession,
  type ToSessionWorker,
} from "./session.ts";

/** The worker's side of the message port. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToSessionWorker>) => void) | null;
  postMessage(message: FromSessionWorker, transfer?: Transferable[]): void;
  close(): void;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function handle(scope: WorkerScope, message: ToSessionWorker, session: OrtSession | null) {
  switch (message.type) {
    case "start":
      try {
        const started = await createOrtSession(message.bytes, { numThreads: message.numThreads });
        scope.postMessage({
          type: "ready",
          nFeatures: started.nFeatures,
          nMembers: started.nMembers,
        });
        return started;
      } catch (error) {
        scope.postMessage({ type: "failed", id: null, error: errorText(error) });
        return null;
      }
    case "run":
      try {
        const outputs = await session!.run(message.x, message.rows);
        scope.postMessage({ type: "scored", id: message.id, outputs });
      } catch (error) {
        scope.postMessage({ type: "failed", id: message.id, error: errorText(error) });
      }
      return session;
    case "release":
      await session?.release();
      scope.postMessage({ type: "released" });
      scope.close();
      return null;
  }
}

// Only inside a Worker: importing this module elsewhere (tests) must not listen for messages.
if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as WorkerScope;
  let queue: Promise<OrtSession | null> = Promise.resolve(null);
  scope.onmessage = (event) => {
    queue = queue.then((session) => handle(scope, event.data, session));
  };
}
