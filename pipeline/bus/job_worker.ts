/**
 * The script every job Worker runs (work_queue.ts). Told "local", it runs the jobs its
 * parent posts, one at a time; told "nats", it pulls jobs from the JetStream work queue
 * itself until told to stop. The runner module (its `runJob`) is loaded by URL, so this
 * script knows nothing of what a job does. It must never run two jobs at once.
 */

/// <reference lib="deno.worker" />

import type { FromWorker, JobRunner, ToWorker } from "./work_queue.ts";
import { serveJobs } from "./work_queue.ts";

const say = (message: FromWorker) => self.postMessage(message);

async function loadRunner(url: string): Promise<JobRunner> {
  const module = await import(url);
  if (typeof module.runJob !== "function") throw new Error(`${url} exports no runJob`);
  return module.runJob as JobRunner;
}

let runner: Promise<JobRunner> | null = null;
let stopNats: AbortController | null = null;
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "local":
      runner = loadRunner(message.runner);
      break;
    case "job":
      queue = queue.then(async () => {
        const started = performance.now();
        const { id, payload } = message.job;
        say({ type: "started", id });
        try {
          const value = await (await runner!)(payload);
          const seconds = (performance.now() - started) / 1000;
          say({ type: "result", result: { id, ok: true, value, error: null, seconds } });
        } catch (error) {
          const seconds = (performance.now() - started) / 1000;
          const text = String((error as Error).message ?? error);
          say({ type: "result", result: { id, ok: false, value: null, error: text, seconds } });
        }
      });
      break;
    case "nats":
      stopNats = new AbortController();
      loadRunner(message.runner).then((run) =>
        serveJobs({
          queue: message.queue,
          runner: run,
          worker: message.worker,
          signal: stopNats!.signal,
          onStart: (id) => say({ type: "started", id }),
        })
      ).then(
        () => say({ type: "stopped" }),
        (error) => say({ type: "failed", error: String((error as Error).message ?? error) }),
      );
      break;
    case "stop":
      stopNats?.abort();
      break;
  }
};
