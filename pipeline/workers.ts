/**
 * Module Workers started one way everywhere: Deno's web Worker, how many to start by
 * default, whether code runs on the main thread (`onMainThread`), and the one-shot call
 * (post a request to a fresh Worker, settle on its answer, terminate it) that retraining
 * and model measurement each make (the chance baseline keeps its Workers for several
 * messages: operators/backtest/random_baseline_parallel.ts). It must never swallow a
 * Worker's crash: the caller's promise rejects, naming it.
 */

import { isMainThread } from "node:worker_threads";

/**
 * Deno's web Worker, kept before anything can replace it: creating an onnxruntime-web
 * session swaps `globalThis.Worker` for Node's `worker_threads` Worker (measured), which
 * cannot start a module worker. Every module starting Workers imports this one, so it is
 * evaluated before any session exists.
 */
const WebWorker = globalThis.Worker;

/** A module Worker running `url`, on Deno's web Worker whatever has replaced the global. */
export function moduleWorker(url: URL, name?: string): Worker {
  return new WebWorker(
    url.href,
    name === undefined ? { type: "module" } : { type: "module", name },
  );
}

/**
 * Whether this code runs on the process's main thread: not in a Deno Worker (where
 * `node:worker_threads`' `isMainThread` is true all the same), nor in a `node:worker_threads`
 * one. A `node:worker_threads` Worker started from a Deno Worker hands its messages over
 * late (Deno 2.9.6: about half a second each, measured), so only the main thread starts one.
 */
export const onMainThread: boolean = isMainThread && !("WorkerGlobalScope" in globalThis);

/** Workers to share work among when not told: one per core, at least 1, at most 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

export interface WorkerCall<M, T> {
  /**
   * The answer in a message, or undefined for one on the way (a progress line, passed on
   * here); what it throws rejects the call.
   */
  readonly read: (message: M) => T | undefined;
  /** Names the Worker in the error when it crashes: "<crashed>: <its error>". */
  readonly crashed: string;
}

/**
 * Posts `request` to a fresh Worker running `url` and resolves with its answer; the
 * Worker is terminated once it answers, fails or crashes.
 */
export function callWorker<M, T>(url: URL, request: unknown, call: WorkerCall<M, T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = moduleWorker(url);
    worker.onmessage = (event: MessageEvent<M>) => {
      let answer: T | undefined;
      try {
        answer = call.read(event.data);
      } catch (error) {
        worker.terminate();
        return reject(error);
      }
      if (answer === undefined) return;
      worker.terminate();
      resolve(answer);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`${call.crashed}: ${event.message}`));
    };
    worker.postMessage(request);
  });
}
