/**
 * Adaptive retraining: a scheduler fed the pipeline's batches that retrains on the latest
 * window of data when a period has passed or the production model has drifted, in a
 * Worker so the pipeline never waits, then runs the candidate in shadow and promotes it
 * only through the registry's gates and only when it beats production on the same bars.
 *
 * The policy, in order, on every batch (docs/retraining.md):
 * 1. Resolve predictions whose horizon has passed (outcomes.ts) and update each model's
 *    rolling log loss.
 * 2. Install a shadow model whose load finished since the last batch.
 * 3. With a shadow in the slot and `shadowMinResolved` of its predictions resolved,
 *    compare it with production over the same bars: better by `promoteMargin` promotes
 *    it and swaps the slot, otherwise it is retired.
 * 4. Idle and out of cooldown: retrain when `periodDays` have passed since the last one,
 *    or when production's rolling log loss over at least `minResolved` predictions is
 *    more than `driftThreshold` (relative) above its card's stitched validation log loss.
 *
 * Time comes only from the events; a retrain reads only data that closed by its trigger
 * time. Every step goes to the injected logger; stage changes also go to the registry's
 * event history with their reason. It must never run two retrains at once, never
 * promote around the gates, and never await inside the stream.
 */

import { z } from "zod";
import {
  type EventBatch,
  isoFromUs,
  US_PER_DAY,
  US_PER_MINUTE,
  usFromIso,
} from "../pipeline/events.ts";
import { eventTimeUs } from "../pipeline/replay.ts";
import { callWorker } from "../pipeline/workers.ts";
import type { ModelSlot, ServingModel } from "../operators/ensemble/scorer.ts";
import type { OpenSourceOptions } from "../sources/mod.ts";
import type { FormatName } from "../sources/source.ts";
import type { ModelCard } from "./card.ts";
import { DEFAULT_OUTCOME_WINDOW, OutcomeTracker } from "./outcomes.ts";
import { DEFAULT_GATES, type GateOptions, type GateResult, type Registry } from "./registry.ts";
import type { TrainConfig } from "./train/config.ts";

export const retrainConfigSchema = z.object({
  periodDays: z.number().positive().max(365).default(7)
    .describe("retrain when this many days of event time have passed since the last retrain"),
  windowDays: z.number().positive().max(3650).default(120)
    .describe("days of data, ending at the trigger time, that a retrain learns from"),
  warmupDays: z.number().min(0).max(365).default(30)
    .describe("days read before the window only to warm the features up; never trained on"),
  driftThreshold: z.number().min(0).max(10).default(0.02)
    .describe(
      "retrain when production's rolling log loss exceeds its card's stitched validation " +
        "log loss by this share (0.02 = 2% worse)",
    ),
  minResolved: z.number().int().min(1).default(500)
    .describe("resolved production predictions needed before drift is judged"),
  rollingWindow: z.number().int().min(1).default(DEFAULT_OUTCOME_WINDOW)
    .describe("resolved predictions per model in its rolling log loss (the most recent N)"),
  shadowMinResolved: z.number().int().min(1).default(500)
    .describe("resolved shadow predictions needed before the shadow is judged"),
  promoteMargin: z.number().min(0).max(1).default(0)
    .describe(
      "the shadow is promoted when its log loss is below production's x (1 - margin) " +
        "over the same bars",
    ),
  cooldownMinutes: z.number().min(0).default(60)
    .describe(
      "minutes of event time with no retrain after a failed one (worker error, failed " +
        "gate, load failure, or a shadow that did not beat production)",
    ),
})
  .refine((c) => c.rollingWindow >= c.minResolved, {
    path: ["rollingWindow"],
    message: "must be at least minResolved, or drift could never be judged",
  })
  .refine((c) => c.rollingWindow >= c.shadowMinResolved, {
    path: ["rollingWindow"],
    message: "must be at least shadowMinResolved, so the shadow is judged on all its rows",
  });

export type RetrainConfig = z.infer<typeof retrainConfigSchema>;

/** Validates a retraining config from outside, naming every problem. */
export function parseRetrainConfig(value: unknown, origin: string): RetrainConfig {
  const result = retrainConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "config"}: ${issue.message}`
    );
    throw new TypeError(`Retraining config ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** Where a retrain reads its data: the files being replayed, or the live journal. */
export type RetrainData =
  | {
    readonly kind: "files";
    readonly files: readonly string[];
    /** How the files are read (format, clock ...); the time range is the retrain's own. */
    readonly sourceOptions?: Omit<OpenSourceOptions, "fromUs" | "toUs" | "symbol">;
  }
  | {
    readonly kind: "journal";
    readonly path: string;
    /** The format of the feed that wrote the journal. */
    readonly format: FormatName;
  };

/** What the worker is asked to do: plain data, so it crosses `postMessage`. */
export interface RetrainRequest {
  readonly data: RetrainData;
  readonly symbol: string;
  /** First bar read (ISO-8601): features warm up from here; no row before `from` is kept. */
  readonly readFrom: string;
  /** First decision time trained on (ISO-8601). */
  readonly from: string;
  /** The trigger time (ISO-8601): no bar closing after it is read. */
  readonly to: string;
  readonly config: TrainConfig;
  readonly registryDir: string;
  readonly gates: GateOptions;
}

/** A registered candidate and the gates' verdict on its card. */
export interface RetrainResult {
  readonly id: string;
  readonly gate: GateResult;
  /** Training rows of the dataset. */
  readonly rows: number;
}

/** The worker's messages: progress lines, then the result or an error. */
export type RetrainMessage =
  | { readonly kind: "progress"; readonly line: string }
  | { readonly kind: "done"; readonly result: RetrainResult }
  | { readonly kind: "error"; readonly error: string };

/** Trains and registers a candidate; the worker in production, a fake in unit tests. */
export type Trainer = (
  request: RetrainRequest,
  progress: (line: string) => void,
) => Promise<RetrainResult>;

/** Runs each retrain in a fresh Worker (retrain_worker.ts), terminated when it replies. */
export function workerTrainer(
  url: URL = new URL("./retrain_worker.ts", import.meta.url),
): Trainer {
  return (request, progress) =>
    callWorker(url, request, {
      read: (message: RetrainMessage) => {
        if (message.kind === "done") return message.result;
        if (message.kind === "progress") {
          progress(message.line);
          return undefined;
        }
        throw new Error(message.error);
      },
      crashed: "the retrain worker crashed",
    });
}

export type RetrainStep =
  | "trigger"
  | "worker-start"
  | "worker-progress"
  | "worker-finish"
  | "register"
  | "worker-error"
  | "gate"
  | "promote"
  | "shadow"
  | "compare"
  | "swap"
  | "retire"
  | "release"
  | "failure"
  | "notice";

/** One logged step, at the event time the scheduler had reached. */
export interface RetrainLogEntry {
  readonly atUs: number;
  readonly step: RetrainStep;
  readonly message: string;
  readonly modelId?: string;
}

export type RetrainLogger = (entry: RetrainLogEntry) => void;

export interface RetrainSchedulerOptions {
  readonly config: RetrainConfig;
  /** How every retrain trains; its labels must be the serving models' label definition. */
  readonly train: TrainConfig;
  readonly data: RetrainData;
  readonly symbol: string;
  readonly registry: Registry;
  /** The slot the scorer reads; the scheduler installs shadows and swaps it. */
  readonly slot: ModelSlot;
  /** Loads a registered model for scoring: `loadServingModel` with the running spec and threads. */
  readonly loadModel: (id: string) => Promise<ServingModel>;
  readonly log: RetrainLogger;
  /** Default: `workerTrainer()`. */
  readonly trainer?: Trainer;
  /** The gates the registry was opened with, for the worker's verdict; default `DEFAULT_GATES`. */
  readonly gates?: GateOptions;
  /** When the last retrain was (UTC µs); default: the end of production's training data. */
  readonly lastRetrainUs?: number;
  /** Wall clock in ms, only to report how long a worker took; default `performance.now`. */
  readonly wallMs?: () => number;
}

/** The stitched out-of-sample log loss on a card, or null when the card has none. */
export function validationLogLoss(card: ModelCard): number | null {
  const model = card.metrics.stitched.model as { logLoss?: unknown } | undefined;
  const value = model?.logLoss;
  return typeof value === "number" && value > 0 ? value : null;
}

const short = (id: string) => `${id.slice(0, 12)}…`;
const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

/**
 * Decides when to retrain and what to promote, fed every batch in order by the
 * `adaptModels` stage placed after the model stage.
 */
export class RetrainScheduler {
  /** The online labeler behind every log loss the scheduler judges by. */
  readonly outcomes: OutcomeTracker;
  readonly config: RetrainConfig;
  readonly #options: RetrainSchedulerOptions;
  readonly #trainer: Trainer;
  readonly #wallMs: () => number;
  readonly #validation = new Map<string, number | null>();
  #state: "idle" | "training" | "shadowing";
  #nowUs = NaN;
  #lastRetrainUs: number | undefined;
  #cooldownUntilUs = -Infinity;
  /** A loaded shadow waiting for the next batch, so the slot changes only in the stream. */
  #loaded: ServingModel | null = null;
  #job: Promise<void> = Promise.resolve();

  constructor(options: RetrainSchedulerOptions) {
    this.#options = options;
    this.config = options.config;
    this.#trainer = options.trainer ?? workerTrainer();
    this.#wallMs = options.wallMs ?? (() => performance.now());
    this.#lastRetrainUs = options.lastRetrainUs;
    this.outcomes = new OutcomeTracker({
      symbol: options.symbol,
      labels: options.train.labels,
      window: options.config.rollingWindow,
    });
    for (const model of [options.slot.production, options.slot.shadow]) {
      if (model) this.#checkLabels(model.id);
    }
    this.#state = options.slot.shadow ? "shadowing" : "idle";
  }

  /** "training" from trigger until the shadow is installed or the retrain fails. */
  get state(): "idle" | "training" | "shadowing" {
    return this.#state;
  }

  /** Resolves once the running retrain's reply has been handled (at once when none runs). */
  settled(): Promise<void> {
    return this.#job;
  }

  /**
   * For shutdown: waits for a running retrain, then releases a shadow that was loaded
   * but never installed (the registry keeps it as the shadow for the next start).
   */
  async close(): Promise<void> {
    await this.#job;
    if (this.#loaded) this.#release(this.#loaded);
    this.#loaded = null;
  }

  /** Takes one batch of the stream: never blocks and never awaits. */
  update(batch: EventBatch): void {
    if (batch.length === 0) return;
    this.#nowUs = eventTimeUs(batch[batch.length - 1]);
    this.#lastRetrainUs ??= this.#trainingEndUs() ?? this.#nowUs;
    this.outcomes.observe(batch);
    if (this.#loaded) this.#installShadow(this.#loaded);
    if (this.#state === "shadowing") this.#judgeShadow();
    if (this.#state === "idle" && this.#nowUs >= this.#cooldownUntilUs) this.#considerRetrain();
  }

  #log(step: RetrainStep, message: string, modelId?: string): void {
    this.#options.log({ atUs: this.#nowUs, step, message, ...(modelId ? { modelId } : {}) });
  }

  /** The production model's last training row: the period counts from its data, not a wall clock. */
  #trainingEndUs(): number | undefined {
    const production = this.#options.slot.production;
    if (!production) return undefined;
    return usFromIso(this.#options.registry.get(production.id).card.ranges.train.to);
  }

  /** Refuses a model labelled otherwise: its log loss would measure a different target. */
  #checkLabels(id: string): void {
    const label = this.#options.registry.get(id).card.label;
    if (label.type === "meta_outcome") {
      throw new RangeError(
        `Cannot schedule retraining: model ${short(id)} is a meta-labeling model, and ` +
          `retraining trains direction models; retrain it with train and a meta config`,
      );
    }
    const wanted = this.outcomes.labelOptions;
    const differing = Object.entries(wanted).filter(([key, value]) => label[key] !== value);
    if (differing.length > 0) {
      throw new RangeError(
        `Cannot schedule retraining: model ${short(id)} was labelled with ${
          differing.map(([key]) => `${key} ${JSON.stringify(label[key])}`).join(", ")
        } but the retraining config labels with ${
          differing.map(([key, value]) => `${key} ${value}`).join(", ")
        }`,
      );
    }
  }

  #validationOf(id: string): number | null {
    if (!this.#validation.has(id)) {
      const value = validationLogLoss(this.#options.registry.get(id).card);
      this.#validation.set(id, value);
      if (value === null) {
        this.#log(
          "notice",
          `no drift check for ${short(id)}: its card has no validation log loss`,
          id,
        );
      }
    }
    return this.#validation.get(id)!;
  }

  #considerRetrain(): void {
    const { periodDays, minResolved, driftThreshold } = this.config;
    const sinceUs = this.#nowUs - this.#lastRetrainUs!;
    if (sinceUs >= periodDays * US_PER_DAY) {
      return this.#start(
        "period",
        `${(sinceUs / US_PER_DAY).toFixed(2)} days since the last retrain at ${
          isoFromUs(this.#lastRetrainUs!)
        } (period ${periodDays} days)`,
      );
    }
    const production = this.#options.slot.production;
    if (!production) return;
    const validation = this.#validationOf(production.id);
    if (validation === null) return;
    const { logLoss, rows } = this.outcomes.logLoss(production.id);
    if (rows >= minResolved && logLoss > validation * (1 + driftThreshold)) {
      this.#start(
        "drift",
        `production ${short(production.id)} has a rolling log loss of ${
          logLoss.toFixed(4)
        } over its last ${rows} resolved predictions, ${
          percent(logLoss / validation - 1)
        } above its validation log loss ${validation.toFixed(4)} (threshold ${
          percent(driftThreshold)
        })`,
      );
    }
  }

  #start(trigger: "period" | "drift", why: string): void {
    const { windowDays, warmupDays } = this.config;
    const triggerUs = this.#nowUs;
    this.#state = "training";
    this.#lastRetrainUs = triggerUs;
    const request: RetrainRequest = {
      data: this.#options.data,
      symbol: this.#options.symbol,
      readFrom: isoFromUs(triggerUs - (windowDays + warmupDays) * US_PER_DAY),
      from: isoFromUs(triggerUs - windowDays * US_PER_DAY),
      to: isoFromUs(triggerUs),
      config: this.#options.train,
      registryDir: this.#options.registry.dir,
      gates: this.#options.gates ?? DEFAULT_GATES,
    };
    this.#log("trigger", `retrain triggered by ${trigger}: ${why}`);
    this.#log(
      "worker-start",
      `training in a worker on ${request.from} .. ${request.to} from ${
        request.data.kind === "files" ? request.data.files.join(", ") : request.data.path
      } (features warmed up from ${request.readFrom})`,
    );
    const startedMs = this.#wallMs();
    const seconds = () => ((this.#wallMs() - startedMs) / 1000).toFixed(1);
    let running: Promise<RetrainResult>;
    try {
      running = this.#trainer(request, (line) => this.#log("worker-progress", line));
    } catch (error) {
      // A trainer that throws at once (no Worker permission) fails the retrain, not the stream.
      running = Promise.reject(error);
    }
    this.#job = running
      .then(
        (result) => this.#onCandidate(result, trigger, seconds()),
        (error) => {
          this.#log("worker-error", `worker failed after ${seconds()} s: ${messageOf(error)}`);
          this.#fail("the retrain produced no candidate");
        },
      )
      .catch((error) =>
        this.#fail(`the retrain's result could not be handled: ${messageOf(error)}`)
      );
  }

  /** The worker registered a candidate: shadow it through the gates and load it. */
  async #onCandidate(result: RetrainResult, trigger: string, seconds: string): Promise<void> {
    const { id, gate } = result;
    const registry = this.#options.registry;
    this.#log("worker-finish", `worker finished in ${seconds} s`, id);
    this.#log(
      "register",
      `candidate ${short(id)} registered in ${registry.dir}, trained on ${result.rows} rows`,
      id,
    );
    this.#log(
      "gate",
      `candidate ${short(id)} ${gate.pass ? "passes" : "fails"} the gates: ${gate.reason}`,
      id,
    );
    try {
      registry.promote(id, `retrained on ${trigger}: candidate to shadow`);
    } catch (error) {
      return this.#fail(`candidate ${short(id)} stays a candidate: ${messageOf(error)}`, id);
    }
    this.#log("promote", `candidate ${short(id)} promoted to shadow`, id);
    try {
      this.#loaded = await this.#options.loadModel(id);
    } catch (error) {
      const why = `could not be loaded for shadow scoring: ${messageOf(error)}`;
      registry.retire(id, `shadow ${why}`);
      this.#log("retire", `shadow ${short(id)} retired: it ${why}`, id);
      return this.#fail(`shadow ${short(id)} was not installed`, id);
    }
  }

  #installShadow(model: ServingModel): void {
    this.#loaded = null;
    this.#options.slot.shadow = model;
    this.#state = "shadowing";
    this.#log(
      "shadow",
      `shadow ${short(model.id)} is scored beside production from ${isoFromUs(this.#nowUs)}`,
      model.id,
    );
  }

  #judgeShadow(): void {
    const { slot, registry } = this.#options;
    const shadow = slot.shadow;
    if (!shadow) {
      this.#state = "idle";
      return;
    }
    const stats = this.outcomes.stats(shadow.id);
    if (stats.resolved < this.config.shadowMinResolved) return;
    const production = slot.production;
    const own = this.outcomes.logLoss(shadow.id);
    let verdict = `shadow ${short(shadow.id)} log loss ${
      own.logLoss.toFixed(4)
    } over ${own.rows} bars`;
    if (production) {
      const theirs = this.outcomes.logLoss(production.id, stats.windowStartUs);
      if (theirs.rows === 0) return;
      const better = own.logLoss < theirs.logLoss * (1 - this.config.promoteMargin);
      verdict += ` against production ${short(production.id)} ${theirs.logLoss.toFixed(4)} over ` +
        `the same ${theirs.rows} bars since ${isoFromUs(stats.windowStartUs)}: ${
          better ? "better" : "not better"
        } by the margin of ${percent(this.config.promoteMargin)}`;
      this.#log("compare", verdict, shadow.id);
      if (!better) return this.#dropShadow(shadow, `did not beat production: ${verdict}`);
    } else {
      verdict += "; there is no production model to beat";
      this.#log("compare", verdict, shadow.id);
    }
    try {
      registry.promote(shadow.id, `beat production in shadow: ${verdict}`);
    } catch (error) {
      return this.#dropShadow(shadow, `could not be promoted: ${messageOf(error)}`);
    }
    this.#log("promote", `shadow ${short(shadow.id)} promoted to production`, shadow.id);
    slot.production = shadow;
    slot.shadow = null;
    this.#state = "idle";
    this.#log(
      "swap",
      `production is now ${short(shadow.id)}${
        production ? ` in place of ${short(production.id)}` : ""
      }; the shadow slot is empty`,
      shadow.id,
    );
    if (production) this.#release(production);
  }

  /** Takes a shadow out of the slot and retires it; it counts as a failed retrain. */
  #dropShadow(shadow: ServingModel, why: string): void {
    this.#options.registry.retire(shadow.id, `shadow ${why}`);
    this.#options.slot.shadow = null;
    this.#log("retire", `shadow ${short(shadow.id)} retired: it ${why}`, shadow.id);
    this.#release(shadow);
    this.#fail(`shadow ${short(shadow.id)} was not promoted`, shadow.id);
  }

  #release(model: ServingModel): void {
    model.session.release().then(
      () => this.#log("release", `released the session of ${short(model.id)}`, model.id),
      (error) =>
        this.#log("failure", `could not release ${short(model.id)}: ${messageOf(error)}`, model.id),
    );
  }

  #fail(why: string, modelId?: string): void {
    this.#cooldownUntilUs = this.#nowUs + this.config.cooldownMinutes * US_PER_MINUTE;
    this.#state = "idle";
    this.#log("failure", `${why}; no retrain before ${isoFromUs(this.#cooldownUntilUs)}`, modelId);
  }
}

const messageOf = (error: unknown) => error instanceof Error ? error.message : String(error);
