/**
 * The random-entry baseline on every core: a pilot run calibrates the rate (here, once),
 * then this thread and the Workers (random_baseline_worker.ts) take the seeds one at a
 * time from a shared counter until none is left, so a thread slowed by a busy machine, or
 * a Worker still compiling its first run, takes fewer; a small baseline stays here. A
 * baseline is started (`startRandomBaseline`) as soon as the strategy's trades are known:
 * the Workers load while the pilot runs here, where the kernel's code is warm from the
 * pipeline, then take seeds while this thread builds the document and renders the files,
 * and joins them after (`finish`). The bars and the levels' ATR reach the Workers in
 * shared memory, copied once, never cloned per Worker. Results come back by seed, so the
 * report is the same whatever ran where. It must never change a run, only where it runs.
 */

import { defaultWorkers, moduleWorker } from "../../pipeline/workers.ts";
import { quotedBars, resolveExecutionConfig } from "../execution/mod.ts";
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
  type StrategyFigures,
} from "./random_baseline.ts";
import type { RandomBaseline } from "./schema.ts";

/** What a Worker is sent first: the setup without its rate and calendar (a class). */
export interface BaselineSetupMessage {
  readonly kind: "setup";
  readonly setup: Omit<RandomRunSetup, "calendar" | "entryRate">;
  readonly calendarEvents: readonly NewsEvent[] | null;
}

/** What calibrates the runs' rate: the strategy's trades and its own entry rate. */
export type BaselineCalibration = Pick<BaselineTarget, "trades" | "entryRate">;

/**
 * Then, with the pilot's rate: run seeds until the shared counter passes them. `counts[0]`
 * is the index of the next seed to take (Atomics.add), `counts[1]` the runs every thread
 * has finished (for a progress line).
 */
export interface BaselineRunMessage {
  readonly kind: "run";
  readonly entryRate: number;
  readonly seeds: readonly number[];
  readonly counts: Int32Array;
}

export type BaselineMessage = BaselineSetupMessage | BaselineRunMessage;

/** A Worker's answer: each seed it ran, by its index in `seeds`. */
export type BaselineAnswer = readonly (readonly [number, RandomRunResult])[];

/**
 * A baseline of fewer bars in a position than this, all runs together, runs on this
 * thread alone: a Worker's start-up and cold first runs cost more than it takes over.
 * Whole processes with `bench/trade_all_year.json`, `--no-ml`, the backtest rendering its
 * files while a Worker runs (interleaved, medians, load 1.4-2.4): HistData 2018, 30 runs
 * x 71,615 bars (2.1 M), 1.413 s with a Worker against 1.409 s without (15 runs each);
 * 2017-2018, 30 x 165,507 (5.0 M), 2.305 s against 2.356 s (7 each).
 */
const WORKERS_FROM_BARS = 3_000_000;

/**
 * Workers for the baseline besides this thread: the cores less this one, at most 3; none
 * for `runs` runs of about `barsPerRun` bars each in a position, when they come to fewer
 * than `WORKERS_FROM_BARS` (unknown: the cores less this one).
 */
export function defaultBaselineWorkers(runs?: number, barsPerRun?: number): number {
  if (runs !== undefined && barsPerRun !== undefined && runs * barsPerRun < WORKERS_FROM_BARS) {
    return 0;
  }
  return defaultWorkers() - 1;
}

/**
 * Runs seeds taken from the shared counter until they are all taken: each by its index in
 * `seeds`. `afterRun` is told the runs every thread has finished, after each run here.
 */
export function takeSeeds(
  setup: RandomRunSetup,
  seeds: readonly number[],
  counts: Int32Array,
  afterRun?: (finished: number) => void,
): [number, RandomRunResult][] {
  const done: [number, RandomRunResult][] = [];
  for (let k = Atomics.add(counts, 0, 1); k < seeds.length; k = Atomics.add(counts, 0, 1)) {
    done.push([k, randomRun(setup, seeds[k])]);
    const finished = Atomics.add(counts, 1, 1) + 1;
    afterRun?.(finished);
  }
  return done;
}

/**
 * The baseline's Workers, started with the pilot, which this thread runs while they load
 * (started before a backtest's pipeline instead, they slowed it as much as they saved).
 */
class BaselineWorkers {
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

  get count(): number {
    return this.#workers.length;
  }

  /** Stops every Worker; safe to call more than once. */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }

  /** Sends every Worker the setup and the rate; each takes seeds. Their answers; a crash rejects. */
  run(
    setup: RandomRunSetup,
    seeds: readonly number[],
    counts: Int32Array,
  ): Promise<BaselineAnswer[]> {
    const { calendar, entryRate, ...rest } = setup;
    const setupMessage: BaselineSetupMessage = {
      kind: "setup",
      setup: rest,
      calendarEvents: calendar?.events ?? null,
    };
    const run: BaselineRunMessage = { kind: "run", entryRate, seeds, counts };
    return Promise.all(
      this.#workers.map((worker) =>
        new Promise<BaselineAnswer>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<BaselineAnswer>) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            reject(new Error(`a random-baseline worker failed: ${event.message}`));
          };
          worker.postMessage(setupMessage);
          worker.postMessage(run);
        })
      ),
    );
  }
}

export interface BaselineOptions {
  readonly runs: number;
  /** The first run's seed; the pilot uses `seed - 1`. */
  readonly seed: number;
  /**
   * Workers that share the runs with this thread; 0 runs them all here. Default:
   * `defaultBaselineWorkers(runs, barsPerRun)`.
   */
  readonly workers?: number;
  /**
   * About how many bars each run spends in a position (the strategy's own, as the runs
   * trade about as often): what the default number of Workers is chosen by.
   */
  readonly barsPerRun?: number;
  /**
   * False: this thread runs no seed, the Workers every one (for a test that they give
   * what this thread gives). Default true.
   */
  readonly here?: boolean;
}

/**
 * A baseline under way: `finish` it with the strategy's figures for its report. Disposing
 * of it (a `using` declaration) stops its Workers, so a caller that fails before `finish`
 * leaves none running; it is safe after `finish` and more than once.
 */
export interface StartedBaseline extends Disposable {
  /**
   * Runs this thread's share of the seeds, then the bands and the strategy's percentiles.
   * `progress` is told the runs finished by every thread, after each run this thread makes.
   */
  finish(
    figures: StrategyFigures,
    progress?: (finished: number) => void,
  ): Promise<RandomBaseline>;
}

/**
 * Runs the pilot here, then starts `options.runs` seeded random-entry runs on the Workers
 * at its rate; this thread takes its share when it calls `finish`.
 */
export function startRandomBaseline(
  setup: Omit<RandomRunSetup, "entryRate">,
  calibration: BaselineCalibration,
  options: BaselineOptions,
): StartedBaseline {
  const workers = BaselineWorkers.start(
    options.workers ?? defaultBaselineWorkers(options.runs, options.barsPerRun),
  );
  const stop = () => workers.terminate();
  const here = options.here ?? true;
  if (!here && workers.count === 0) {
    stop();
    throw new RangeError("the random baseline's runs need this thread or a Worker");
  }
  const seeds = Array.from({ length: options.runs }, (_, k) => options.seed + k);
  const counts = new Int32Array(new SharedArrayBuffer(8));
  /** The pilot here, then the Workers on their way: the runs' setup and their answers. */
  const begin = () => {
    // The bars and the levels' ATR are the same in every run: in memory every thread reads
    // (copied there only when there are Workers to read it).
    const levelAtr = setup.levelAtr ?? levelAtrSeries(setup.fusion.levels, setup.bars);
    const quoted = setup.quoted ?? quotedBars(
      setup.bars,
      resolveExecutionConfig(setup.execution).spreadModel,
      setup.tradingStart,
    );
    const shared = workers.count === 0 ? { ...setup, levelAtr, quoted } : sharedSetup({
      ...setup,
      levelAtr,
      quoted,
    });
    // A pilot run at the strategy's own rate shows how many asks the risk engine lets
    // through (`calibratedEntryRate`).
    const pilot = randomRun({ ...shared, entryRate: calibration.entryRate }, options.seed - 1);
    const runSetup: RandomRunSetup = {
      ...shared,
      entryRate: calibratedEntryRate(calibration, pilot.trades),
    };
    const answers = workers.run(runSetup, seeds, counts);
    // Awaited in `finish`; a crash before then is reported there.
    answers.catch(() => {});
    return { runSetup, answers };
  };
  let begun: ReturnType<typeof begin>;
  try {
    begun = begin();
  } catch (error) {
    stop();
    throw error;
  }
  const { runSetup, answers } = begun;
  return {
    [Symbol.dispose]: stop,
    async finish(figures, progress) {
      try {
        const results: RandomRunResult[] = new Array(seeds.length);
        if (here) {
          for (const [k, result] of takeSeeds(runSetup, seeds, counts, progress)) {
            results[k] = result;
          }
        }
        for (const answer of await answers) {
          for (const [k, result] of answer) results[k] = result;
        }
        return baselineReport(results, { ...calibration, ...figures }, {
          seed: options.seed,
          entryRate: runSetup.entryRate,
        });
      } finally {
        stop();
      }
    },
  };
}

/** `runs` seeded random-entry runs after one pilot, and the strategy's place among them. */
export function runRandomBaseline(
  setup: Omit<RandomRunSetup, "entryRate">,
  target: BaselineTarget,
  options: BaselineOptions,
): Promise<RandomBaseline> {
  return startRandomBaseline(setup, target, options).finish(target);
}

/** The setup with its bars, their quotes and the levels' ATR in shared memory. */
function sharedSetup(
  setup: Omit<RandomRunSetup, "entryRate"> & Required<Pick<RandomRunSetup, "levelAtr" | "quoted">>,
): Omit<RandomRunSetup, "entryRate"> {
  const bars = sharedBars(setup.bars);
  const { quoted } = setup;
  // The quotes' ask columns are the bars' own when the bars carry all four (quotedBars).
  const { askOpen, askHigh, askLow, askClose } = bars;
  return {
    ...setup,
    bars,
    levelAtr: sharedCopy(setup.levelAtr),
    quoted: askOpen && askHigh && askLow && askClose
      ? { ...bars, askOpen, askHigh, askLow, askClose }
      : {
        ...bars,
        askOpen: sharedCopy(quoted.askOpen),
        askHigh: sharedCopy(quoted.askHigh),
        askLow: sharedCopy(quoted.askLow),
        askClose: sharedCopy(quoted.askClose),
      },
  };
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
