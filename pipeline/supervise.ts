/**
 * Supervision: a stage that throws is reported, bypassed and restarted, and the rest of
 * the pipeline keeps running (the model stage failing leaves fusion running on its other
 * sources, and `/health` says "degraded").
 *
 * `supervise()` wraps a stage factory into a `Stage` whose operator, per subscription:
 *
 * 1. runs the stage's operator on an inner stream fed batch by batch;
 * 2. when the inner stream errors (a sync throw or a rejected promise), reports the
 *    stage "degraded" with the message, passes the failing batch (and any batch still
 *    inside the stage) through unchanged, and re-creates the stage from the factory after
 *    an exponential backoff (`baseMs` x 2^(consecutive failures - 1), capped at `maxMs`);
 * 3. passes batches through unchanged while the stage is down or disabled by an operator
 *    (`disable()`, reported "idle"); `enable()` starts a fresh stage at once.
 *
 * It must never reorder, drop or duplicate a batch, and never schedule per event: a
 * synchronous stage stays synchronous, and the only timer is the restart's. The contract
 * a supervised stage keeps (every stage here does: `map` or `concatMap` over batches):
 * it answers each input batch with exactly one output batch, in order, and may add
 * batches after its input completes (a flush).
 */

import {
  Observable,
  type OperatorFunction,
  Subject,
  type Subscriber,
  type Subscription,
} from "rxjs";
import type { Stage } from "./build.ts";
import type { EventBatch } from "./events.ts";
import type { ComponentController } from "./control/components.ts";
import type { ComponentHealth, HealthRegistry } from "./health.ts";

/** Wall clock and timers, injected so tests control the backoff. */
export interface SupervisorClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SuperviseOptions {
  /** The stage registers itself here under its name. */
  readonly health: HealthRegistry;
  /** First restart delay (default 1 000 ms); each consecutive failure doubles it. */
  readonly baseMs?: number;
  /** Longest restart delay (default 60 000 ms). */
  readonly maxMs?: number;
  /**
   * A failure this long (default `maxMs`) after the stage (re)started is not
   * consecutive: the backoff starts again from `baseMs`.
   */
  readonly resetAfterMs?: number;
  /** Start enabled (default true). */
  readonly enabled?: boolean;
  readonly clock?: SupervisorClock;
}

/** A stage with a lifecycle: the control plane enables and disables it by name. */
export interface SupervisedStage extends Stage {
  /** Its own health handle, shared with the pipeline's reporting (see docs/architecture.md). */
  readonly health: ComponentHealth;
  readonly enabled: boolean;
  /** Starts a fresh stage (from the factory) on every running pipeline; idempotent. */
  enable(): void;
  /** Makes the stage a pass-through, discarding its state; idempotent. */
  disable(): void;
}

type StageFactory = () => OperatorFunction<EventBatch, EventBatch>;

/**
 * Wraps `makeOperator` so its failures are contained and retried.
 *
 * @example
 * ```ts
 * const model = supervise("model", () => scoreModels(slot), { health });
 * runPipeline({ ..., stages: [features, model, fusion] });
 * model.disable(); // batches now skip the model; fusion runs without the ML vote
 * ```
 */
export function supervise(
  name: string,
  makeOperator: StageFactory,
  options: SuperviseOptions,
): SupervisedStage {
  const baseMs = options.baseMs ?? 1_000;
  const maxMs = options.maxMs ?? 60_000;
  const resetAfterMs = options.resetAfterMs ?? maxMs;
  if (!(baseMs > 0) || !(maxMs >= baseMs) || !(resetAfterMs >= 0)) {
    throw new RangeError(
      `Cannot supervise "${name}": need 0 < baseMs (${baseMs}) <= maxMs (${maxMs}) and resetAfterMs (${resetAfterMs}) >= 0`,
    );
  }
  const clock = options.clock ?? SYSTEM_CLOCK;
  const health = options.health.register(name);
  const runs = new Set<SupervisedRun>();
  const state: SupervisorState = {
    name,
    makeOperator,
    health,
    clock,
    enabled: options.enabled ?? true,
    consecutive: 0,
    lastError: "",
    delayAfterFailure(startedMs) {
      if (clock.now() - startedMs >= resetAfterMs) state.consecutive = 0;
      state.consecutive++;
      return Math.min(maxMs, baseMs * 2 ** (state.consecutive - 1));
    },
  };

  const operator: OperatorFunction<EventBatch, EventBatch> = (source) =>
    new Observable<EventBatch>((subscriber) => {
      const run = new SupervisedRun(state, subscriber);
      runs.add(run);
      run.start("running");
      const upstream = source.subscribe({
        next: (batch) => run.push(batch),
        error: (error) => run.upstreamFailed(error),
        complete: () => run.end(),
      });
      return () => {
        upstream.unsubscribe();
        run.close();
        runs.delete(run);
      };
    });

  return {
    name,
    operator,
    health,
    get enabled() {
      return state.enabled;
    },
    enable() {
      if (state.enabled) return;
      state.enabled = true;
      state.consecutive = 0;
      health.report("ok", "running (enabled by operator)");
      for (const run of runs) run.start("running (enabled by operator)");
    },
    disable() {
      if (!state.enabled) return;
      state.enabled = false;
      for (const run of runs) run.bypass();
      health.report("idle", "disabled by operator");
    },
  };
}

/** Lists supervised stages and switches them by name. */
export function componentController(stages: readonly SupervisedStage[]): ComponentController {
  const byName = new Map<string, SupervisedStage>();
  for (const stage of stages) {
    if (byName.has(stage.name)) {
      throw new RangeError(`Cannot control two components named "${stage.name}"`);
    }
    byName.set(stage.name, stage);
  }
  return {
    has: (name) => byName.has(name),
    list: () => stages.map((stage) => ({ name: stage.name, enabled: stage.enabled })),
    setEnabled: (name, enabled) => {
      const stage = byName.get(name);
      if (enabled) stage?.enable();
      else stage?.disable();
    },
  };
}

/** What every subscription of one supervised stage shares. */
interface SupervisorState {
  readonly name: string;
  readonly makeOperator: StageFactory;
  readonly health: ComponentHealth;
  readonly clock: SupervisorClock;
  enabled: boolean;
  consecutive: number;
  lastError: string;
  /** Counts a failure of a stage started at `startedMs` and returns the restart delay. */
  delayAfterFailure(startedMs: number): number;
}

/**
 * One subscription: the running stage (if any) and the batches not yet emitted, oldest
 * first. A batch is either inside the stage (its answer pending) or ready to pass
 * through; only the head is ever emitted, so a pass-through never overtakes a batch the
 * stage still holds.
 */
class SupervisedRun {
  private readonly waiting: EventBatch[] = [];
  /** Parallel to `waiting`: is that batch inside the stage? */
  private readonly inside: boolean[] = [];
  private input: Subject<EventBatch> | null = null;
  private inner: Subscription | null = null;
  /** Bumped on every (re)start, so a torn-down stage's late signals are ignored. */
  private incarnation = 0;
  private startedMs = 0;
  private restartTimer: unknown = null;
  private inputDone = false;
  private closed = false;

  constructor(
    private readonly state: SupervisorState,
    private readonly out: Subscriber<EventBatch>,
  ) {}

  /** Starts a fresh stage when enabled and none runs. */
  start(detail: string): void {
    this.cancelRestart();
    if (!this.state.enabled) {
      this.state.health.report("idle", "disabled by operator");
      return;
    }
    if (this.input !== null || this.inputDone || this.closed) return;
    const incarnation = ++this.incarnation;
    const input = new Subject<EventBatch>();
    this.input = input;
    this.startedMs = this.state.clock.now();
    this.state.health.report("ok", detail);
    try {
      const inner = input.pipe(this.state.makeOperator()).subscribe({
        next: (batch) => incarnation === this.incarnation && this.answered(batch),
        error: (error) => incarnation === this.incarnation && this.failed(error),
        complete: () => incarnation === this.incarnation && this.innerCompleted(),
      });
      if (incarnation === this.incarnation) this.inner = inner;
    } catch (error) {
      // The factory itself threw: the same as a stage that fails at once.
      if (incarnation === this.incarnation) this.failed(error);
    }
  }

  push(batch: EventBatch): void {
    const input = this.input;
    this.waiting.push(batch);
    this.inside.push(input !== null);
    if (input !== null) input.next(batch);
    else this.drain();
  }

  /** The outer input completed: let the stage flush, then complete. */
  end(): void {
    this.inputDone = true;
    this.cancelRestart();
    if (this.input !== null) this.input.complete();
    else this.finish();
  }

  upstreamFailed(error: unknown): void {
    this.stopStage();
    this.drain();
    this.out.error(error);
  }

  /** Disabled by an operator: drop the stage, pass everything through. */
  bypass(): void {
    this.cancelRestart();
    this.stopStage();
    this.drain();
    if (this.inputDone) this.finish();
  }

  close(): void {
    this.closed = true;
    this.cancelRestart();
    this.stopStage();
  }

  private answered(batch: EventBatch): void {
    if (this.inside.length > 0 && this.inside[0]) {
      this.waiting.shift();
      this.inside.shift();
    }
    this.out.next(batch);
    this.drain();
  }

  private failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const delay = this.state.delayAfterFailure(this.startedMs);
    this.state.lastError = message;
    this.stopStage();
    this.state.health.count("failures");
    this.drain();
    if (this.inputDone) {
      this.state.health.report("degraded", `failed: ${message}; input finished, not restarted`);
      this.finish();
      return;
    }
    this.state.health.report(
      "degraded",
      `failed: ${message}; passing batches through, restart in ${delay} ms`,
    );
    if (this.closed || !this.state.enabled) return;
    this.restartTimer = this.state.clock.setTimeout(() => {
      this.restartTimer = null;
      this.state.health.count("restarts");
      this.start(`running (restarted after: ${this.state.lastError})`);
    }, delay);
  }

  private innerCompleted(): void {
    if (!this.inputDone) {
      this.failed(new Error(`stage "${this.state.name}" completed before its input`));
      return;
    }
    this.stopStage();
    this.drain();
    this.finish();
  }

  /** Tears the stage down; whatever it still held passes through unchanged. */
  private stopStage(): void {
    this.incarnation++;
    const inner = this.inner;
    this.inner = null;
    this.input = null;
    inner?.unsubscribe();
    this.inside.fill(false);
  }

  /** Emits the ready batches at the head. */
  private drain(): void {
    while (this.inside.length > 0 && !this.inside[0]) {
      this.inside.shift();
      this.out.next(this.waiting.shift()!);
    }
  }

  private finish(): void {
    if (this.waiting.length === 0) this.out.complete();
  }

  private cancelRestart(): void {
    if (this.restartTimer === null) return;
    this.state.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}
