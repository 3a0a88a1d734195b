/**
 * The random-entry baseline on every core: a pilot run calibrates the rate (here, once),
 * then this thread and the Workers (random_baseline_worker.ts) take the seeds one at a
 * time from a shared counter until none is left, so a thread slowed by a busy machine, or
 * a Worker still compiling its first run, takes fewer. The Workers load their modules
 * while the pilot runs here; the bars and the levels' ATR reach them in shared memory,
 * copied once, never cloned per Worker. Results come back by seed, so the report is the
 * same whatever ran where. It must never change a run, only where it runs.
 */

import { defaultWorkers, moduleWorker } from "../../pipeline/workers.ts";
import { levelAtrSeries } from "../fusion/mod.ts";
import type { NewsEvent } from "../risk/news.ts";
import type { BarBatch } from "../../sources/source.ts";
import {
  baselineReport,
  type BaselineTarget,
  calibratedEntryRate,
  randomRun,
  type RandomRunResult,
  type RandomRunSetup,
} from "./random_baseline.ts";
import type { RandomBaseline } from "./schema.ts";

/** What a Worker is sent first: the setup without its rate and calendar (a class). */
export interface BaselineSetupMessage {
  readonly kind: "setup";
  readonly setup: Omit<RandomRunSetup, "calendar" | "entryRate">;
  readonly calendarEvents: readonly NewsEvent[] | null;
}

/** Then, once the pilot has set the rate: run seeds until the shared counter passes them. */
export interface BaselineRunMessage {
  readonly kind: "run";
  readonly entryRate: number;
  readonly seeds: readonly number[];
  /** `next[0]`: the index of the next seed to take (Atomics.add), shared by every thread. */
  readonly next: Int32Array;
}

export type BaselineMessage = BaselineSetupMessage | BaselineRunMessage;

/** A Worker's answer: each seed it ran, by its index in `seeds`. */
export type BaselineAnswer = readonly (readonly [number, RandomRunResult])[];

/** Workers for the baseline besides this thread: the cores less this one, at most 3. */
export function defaultBaselineWorkers(): number {
  return defaultWorkers() - 1;
}

/**
 * The baseline's Workers, started to run one baseline's seeds beside this thread. A caller
 * that knows a baseline will follow starts them early (a backtest, before its pipeline),
 * so their start-up is done on a core the pipeline leaves idle, not after it.
 */
export class BaselineWorkers {
  readonly #workers: Worker[];

  private constructor(workers: Worker[]) {
    this.#workers = workers;
  }

  /** Starts `count` Workers; `terminate` them after. */
  static start(count: number): BaselineWorkers {
    return new BaselineWorkers(
      Array.from(
        { length: count },
        () =>
          moduleWorker(new URL("./random_baseline_worker.ts", import.meta.url), "random-baseline"),
      ),
    );
  }

  /** Stops every Worker; safe to call more than once. */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }

  /**
   * Sends the setup, runs `pilot` here meanwhile, then lets every Worker and this thread
   * take seeds until none is left (this thread none when `here` is false); the results
   * in seed order.
   */
  async share(
    setup: Omit<RandomRunSetup, "entryRate">,
    pilot: () => number,
    seeds: readonly number[],
    here = true,
  ): Promise<RandomRunResult[]> {
    if (!here && this.#workers.length === 0) {
      throw new RangeError("the random baseline's runs need this thread or a Worker");
    }
    const { calendar, ...rest } = setup;
    const setupMessage: BaselineSetupMessage = {
      kind: "setup",
      setup: rest,
      calendarEvents: calendar?.events ?? null,
    };
    const answers = this.#workers.map((worker) =>
      new Promise<BaselineAnswer>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<BaselineAnswer>) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`a random-baseline worker failed: ${event.message}`));
        };
        worker.postMessage(setupMessage);
      })
    );
    const entryRate = pilot();
    const next = new Int32Array(new SharedArrayBuffer(4));
    const run: BaselineRunMessage = { kind: "run", entryRate, seeds, next };
    for (const worker of this.#workers) worker.postMessage(run);
    const results: RandomRunResult[] = new Array(seeds.length);
    if (here) {
      for (const [k, result] of takeSeeds({ ...setup, entryRate }, seeds, next)) {
        results[k] = result;
      }
    }
    for (const answer of await Promise.all(answers)) {
      for (const [k, result] of answer) results[k] = result;
    }
    return results;
  }
}

/** Runs seeds taken from `next` until they are all taken: each by its index in `seeds`. */
export function takeSeeds(
  setup: RandomRunSetup,
  seeds: readonly number[],
  next: Int32Array,
): [number, RandomRunResult][] {
  const done: [number, RandomRunResult][] = [];
  for (let k = Atomics.add(next, 0, 1); k < seeds.length; k = Atomics.add(next, 0, 1)) {
    done.push([k, randomRun(setup, seeds[k])]);
  }
  return done;
}

export interface BaselineOptions {
  readonly runs: number;
  /** The first run's seed; the pilot uses `seed - 1`. */
  readonly seed: number;
  /**
   * Workers that share the runs with this thread: how many to start (0 runs them all
   * here), or ones started earlier, which the caller terminates. Default:
   * `defaultBaselineWorkers()` started here.
   */
  readonly workers?: number | BaselineWorkers;
  /**
   * False: this thread runs the pilot only, the Workers every seed (for a test that they
   * give what this thread gives). Default true.
   */
  readonly here?: boolean;
}

/** `runs` seeded random-entry runs after one pilot, and the strategy's place among them. */
export async function runRandomBaseline(
  setup: Omit<RandomRunSetup, "entryRate">,
  target: BaselineTarget,
  options: BaselineOptions,
): Promise<RandomBaseline> {
  // The bars and the levels' ATR are the same in every run: in memory every thread reads.
  const shared = {
    ...setup,
    bars: sharedBars(setup.bars),
    levelAtr: sharedCopy(setup.levelAtr ?? levelAtrSeries(setup.fusion.levels, setup.bars)),
  };
  const seeds = Array.from({ length: options.runs }, (_, k) => options.seed + k);
  let entryRate = NaN;
  const pilot = () => {
    const trades = randomRun({ ...shared, entryRate: target.entryRate }, options.seed - 1).trades;
    entryRate = calibratedEntryRate(target, trades);
    return entryRate;
  };
  const given = options.workers;
  const workers = given instanceof BaselineWorkers
    ? given
    : BaselineWorkers.start(given ?? defaultBaselineWorkers());
  try {
    const runs = await workers.share(shared, pilot, seeds, options.here ?? true);
    return baselineReport(runs, target, { seed: options.seed, entryRate });
  } finally {
    if (workers !== given) workers.terminate();
  }
}

/** A copy of `values` in a SharedArrayBuffer (itself when it is one already). */
function sharedCopy(values: Float64Array): Float64Array {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const copy = new Float64Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

/** The bars with every column in shared memory. */
function sharedBars(bars: BarBatch): BarBatch {
  const column = (values: Float64Array | null) => values === null ? null : sharedCopy(values);
  return {
    ...bars,
    openUs: sharedCopy(bars.openUs),
    closeUs: sharedCopy(bars.closeUs),
    bidOpen: sharedCopy(bars.bidOpen),
    bidHigh: sharedCopy(bars.bidHigh),
    bidLow: sharedCopy(bars.bidLow),
    bidClose: sharedCopy(bars.bidClose),
    askOpen: column(bars.askOpen),
    askHigh: column(bars.askHigh),
    askLow: column(bars.askLow),
    askClose: column(bars.askClose),
    spread: column(bars.spread),
    volume: column(bars.volume),
  };
}
