/**
 * The random-entry baseline on every core: a pilot run calibrates the rate (here, once),
 * then the seeds are shared out among Workers (random_baseline_worker.ts), each running
 * its share with the same setup. Results come back in seed order, so the report is the
 * same whatever the number of Workers. It must never change a run, only where it runs.
 */

import { levelAtrSeries } from "../fusion/mod.ts";
import type { NewsEvent } from "../risk/news.ts";
import {
  baselineReport,
  type BaselineTarget,
  calibratedEntryRate,
  randomRun,
  type RandomRunResult,
  type RandomRunSetup,
} from "./random_baseline.ts";
import type { RandomBaseline } from "./schema.ts";

/** What a Worker is sent: the setup without its calendar (a class), the events instead. */
export interface BaselineJob {
  readonly setup: Omit<RandomRunSetup, "calendar">;
  readonly calendarEvents: readonly NewsEvent[] | null;
  readonly seeds: readonly number[];
}

/**
 * Deno's web Worker, kept before anything can replace it: creating an onnxruntime-web
 * session swaps `globalThis.Worker` for Node's `worker_threads` Worker, which cannot start
 * a module worker (models/retraining.ts measured it). This module loads before any session.
 */
const WebWorker = globalThis.Worker;

export interface BaselineOptions {
  readonly runs: number;
  /** The first run's seed; the pilot uses `seed - 1`. */
  readonly seed: number;
  /** Workers to share the runs among; 1 runs them here. Default: the cores, at most 4. */
  readonly workers?: number;
}

/** `runs` seeded random-entry runs after one pilot, and the strategy's place among them. */
export async function runRandomBaseline(
  setup: Omit<RandomRunSetup, "entryRate">,
  target: BaselineTarget,
  options: BaselineOptions,
): Promise<RandomBaseline> {
  // The levels' ATR is the same in every run: computed once, here.
  const shared = {
    ...setup,
    levelAtr: setup.levelAtr ?? levelAtrSeries(setup.fusion.levels, setup.bars),
  };
  const pilot = randomRun({ ...shared, entryRate: target.entryRate }, options.seed - 1);
  const entryRate = calibratedEntryRate(target, pilot.trades);
  const seeds = Array.from({ length: options.runs }, (_, k) => options.seed + k);
  const workers = Math.max(
    1,
    Math.min(options.workers ?? Math.min(4, navigator.hardwareConcurrency || 1), seeds.length),
  );
  const runs = workers === 1
    ? seeds.map((seed) => randomRun({ ...shared, entryRate }, seed))
    : await inWorkers({ ...shared, entryRate }, seeds, workers);
  return baselineReport(runs, target, { seed: options.seed, entryRate });
}

/** The seeds dealt round-robin to `count` Workers, the results put back in seed order. */
async function inWorkers(
  setup: RandomRunSetup,
  seeds: readonly number[],
  count: number,
): Promise<RandomRunResult[]> {
  const { calendar, ...rest } = setup;
  const shares = Array.from({ length: count }, (_, w) => seeds.filter((_, i) => i % count === w));
  const results = await Promise.all(
    shares.map((share) =>
      new Promise<RandomRunResult[]>((resolve, reject) => {
        const worker = new WebWorker(
          new URL("./random_baseline_worker.ts", import.meta.url).href,
          { type: "module" },
        );
        worker.onmessage = (event: MessageEvent<RandomRunResult[]>) => {
          worker.terminate();
          resolve(event.data);
        };
        worker.onerror = (event) => {
          event.preventDefault();
          worker.terminate();
          reject(new Error(`a random-baseline worker failed: ${event.message}`));
        };
        const job: BaselineJob = {
          setup: rest,
          calendarEvents: calendar?.events ?? null,
          seeds: share,
        };
        worker.postMessage(job);
      })
    ),
  );
  return seeds.map((_, i) => results[i % count][Math.floor(i / count)]);
}
