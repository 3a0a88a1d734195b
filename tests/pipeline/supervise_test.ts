import assert from "node:assert/strict";
import fc from "fast-check";
import {
  concatMap,
  concatWith,
  map,
  of,
  type OperatorFunction,
  Subject,
  take,
  throwError,
} from "rxjs";
import {
  EVENT_VERSION,
  type EventBatch,
  type FeatureEvent,
  type TickEvent,
} from "@/pipeline/events.ts";
import { createHealthRegistry, type HealthRegistry } from "@/pipeline/health.ts";
import type { OrtSession } from "@/models/onnx/session.ts";
import { type ModelSlot, scoreModels } from "@/operators/ensemble/scorer.ts";
import {
  componentController,
  supervise,
  type SupervisedStage,
  type SupervisorClock,
} from "@/pipeline/supervise.ts";

/** A batch of one tick whose time is its id; bid 1 as fed, 2 once a stage processed it. */
const batch = (id: number): EventBatch => [{
  v: EVENT_VERSION,
  kind: "tick",
  symbol: "XAUUSD",
  timeUs: id,
  bid: 1,
  ask: 1.1,
}];
const processed = (input: EventBatch): EventBatch =>
  input.map((event) => ({ ...(event as TickEvent), bid: 2 }));
/** "3" for batch 3 passed through unchanged, "3*" for batch 3 processed by the stage. */
const label = (b: EventBatch) => {
  const tick = b[0] as TickEvent;
  return `${tick.timeUs}${tick.bid === 2 ? "*" : ""}`;
};

/** A stage that throws on the `failOn`-th batch (1-based) each incarnation sees. */
function syncStage(failOn: number, made = { count: 0 }) {
  return () => {
    made.count++;
    let seen = 0;
    return map((b: EventBatch) => {
      if (++seen === failOn) throw new Error(`boom on batch ${label(b)}`);
      return processed(b);
    });
  };
}

/** The same, answering through a promise as the ONNX model stage does. */
function asyncStage(failOn: number, made = { count: 0 }) {
  return () => {
    made.count++;
    let seen = 0;
    return concatMap(async (b: EventBatch) => {
      await Promise.resolve();
      if (++seen === failOn) throw new Error(`rejected batch ${label(b)}`);
      return processed(b);
    });
  };
}

function fakeClock(): SupervisorClock & { advance(ms: number): void; delays(): number[] } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => now,
    setTimeout(run, ms) {
      timers.set(nextId, { at: now + ms, run });
      return nextId++;
    },
    clearTimeout: (id) => void timers.delete(id as number),
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].run();
      }
      now = until;
    },
    delays: () => [...timers.values()].map((t) => t.at - now),
  };
}

/** Subscribes the stage to a subject; `out` collects labels, `done` is set on complete. */
function drive(stage: SupervisedStage) {
  const input = new Subject<EventBatch>();
  const run = { out: [] as string[], done: false, error: null as unknown };
  const subscription = input.pipe(stage.operator).subscribe({
    next: (b) => run.out.push(label(b)),
    complete: () => run.done = true,
    error: (error) => run.error = error,
  });
  return { input, run, subscription };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(
  makeOperator: () => OperatorFunction<EventBatch, EventBatch>,
  options: { baseMs?: number; maxMs?: number; resetAfterMs?: number } = {},
) {
  const clock = fakeClock();
  const health: HealthRegistry = createHealthRegistry({ now: () => 0 });
  const stage = supervise("model", makeOperator, { health, clock, baseMs: 100, ...options });
  const component = () => health.snapshot().components.model;
  return { clock, health, stage, component, ...drive(stage) };
}

Deno.test("supervise() passes a batch its sync stage threw on through unchanged and restarts the stage after the backoff", () => {
  const made = { count: 0 };
  const { clock, stage, component, input, run } = setup(syncStage(2, made));
  input.next(batch(1));
  input.next(batch(2));
  input.next(batch(3));
  assert.deepEqual(run.out, ["1*", "2", "3"]);
  assert.equal(component().status, "degraded");
  assert.match(component().detail, /boom on batch 2/);
  assert.equal(component().counters.failures, 1);
  clock.advance(99);
  input.next(batch(4));
  assert.equal(made.count, 1, "not restarted before the backoff");
  clock.advance(1);
  input.next(batch(5));
  assert.deepEqual(run.out, ["1*", "2", "3", "4", "5*"]);
  assert.equal(made.count, 2);
  assert.equal(component().status, "ok");
  assert.match(component().detail, /restarted after: boom on batch 2/);
  assert.equal(component().counters.restarts, 1);
  assert.equal(stage.enabled, true);
});

Deno.test("supervise() keeps order when an async stage rejects with batches still inside it", async () => {
  const made = { count: 0 };
  const { clock, component, input, run } = setup(asyncStage(2, made));
  input.next(batch(1));
  input.next(batch(2));
  input.next(batch(3));
  assert.deepEqual(run.out, [], "nothing overtakes the batches inside the stage");
  await settle();
  assert.deepEqual(run.out, ["1*", "2", "3"]);
  assert.equal(component().status, "degraded");
  assert.match(component().detail, /rejected batch 2/);
  clock.advance(100);
  input.next(batch(4));
  await settle();
  assert.deepEqual(run.out, ["1*", "2", "3", "4*"]);
  assert.equal(made.count, 2);
});

Deno.test("supervise() doubles the restart delay on each consecutive failure up to maxMs", () => {
  const { clock, input } = setup(syncStage(1), { maxMs: 500, resetAfterMs: 10_000 });
  const delays: number[] = [];
  for (let i = 1; i <= 5; i++) {
    input.next(batch(i));
    delays.push(...clock.delays());
    clock.advance(clock.delays()[0]);
  }
  assert.deepEqual(delays, [100, 200, 400, 500, 500]);
});

Deno.test("supervise() starts the backoff again once a restarted stage ran for resetAfterMs", () => {
  const { clock, input } = setup(syncStage(1), { maxMs: 5_000, resetAfterMs: 1_000 });
  input.next(batch(1));
  clock.advance(100);
  input.next(batch(2));
  assert.deepEqual(clock.delays(), [200]);
  clock.advance(200);
  clock.advance(1_000);
  input.next(batch(3));
  assert.deepEqual(clock.delays(), [100]);
});

Deno.test("supervise() treats a factory that throws as a failed stage", () => {
  let calls = 0;
  const { clock, component, input, run } = setup(() => {
    if (++calls === 1) throw new Error("model file missing");
    return map(processed);
  });
  input.next(batch(1));
  assert.deepEqual(run.out, ["1"]);
  assert.match(component().detail, /model file missing/);
  clock.advance(100);
  input.next(batch(2));
  assert.deepEqual(run.out, ["1", "2*"]);
});

Deno.test("supervise() disable() passes batches through, reports idle and enable() starts a fresh stage", () => {
  const made = { count: 0 };
  const { stage, component, input, run } = setup(syncStage(0, made));
  input.next(batch(1));
  stage.disable();
  assert.equal(stage.enabled, false);
  assert.deepEqual(
    [component().status, component().detail],
    ["idle", "disabled by operator"],
  );
  input.next(batch(2));
  stage.enable();
  input.next(batch(3));
  assert.deepEqual(run.out, ["1*", "2", "3*"]);
  assert.equal(made.count, 2, "re-enabling re-creates the stage");
  assert.equal(component().status, "ok");
});

Deno.test("supervise() disable() lets a batch inside an async stage through unchanged, in order", async () => {
  const { stage, input, run } = setup(asyncStage(0));
  input.next(batch(1));
  input.next(batch(2));
  stage.disable();
  input.next(batch(3));
  await settle();
  assert.deepEqual(run.out, ["1", "2", "3"]);
});

Deno.test("supervise() cancels a pending restart on disable() and restarts at once on enable()", () => {
  const made = { count: 0 };
  const { clock, stage, input, run } = setup(syncStage(1, made));
  input.next(batch(1));
  stage.disable();
  assert.deepEqual(clock.delays(), []);
  stage.enable();
  assert.equal(made.count, 2);
  input.next(batch(2));
  assert.deepEqual(run.out, ["1", "2"], "the fresh stage throws on its first batch too");
});

Deno.test("supervise() starts disabled when asked, and the stage is never created", () => {
  const made = { count: 0 };
  const health = createHealthRegistry({ now: () => 0 });
  const stage = supervise("llm", syncStage(0, made), { health, enabled: false });
  const { input, run } = drive(stage);
  input.next(batch(1));
  assert.deepEqual(run.out, ["1"]);
  assert.equal(made.count, 0);
  assert.equal(health.snapshot().components.llm.status, "idle");
});

Deno.test("supervise() lets the stage flush after its input completes, then completes", async () => {
  const { input, run } = setup(() => (source) =>
    source.pipe(map(processed), concatWith(of(batch(99))))
  );
  input.next(batch(1));
  input.complete();
  await settle();
  assert.deepEqual(run.out, ["1*", "99"]);
  assert.equal(run.done, true);
});

Deno.test("supervise() completes at once when its input completes while the stage is down", () => {
  const { clock, input, run } = setup(syncStage(1));
  input.next(batch(1));
  input.complete();
  assert.deepEqual(run.out, ["1"]);
  assert.equal(run.done, true);
  assert.deepEqual(clock.delays(), [], "no restart is left pending");
});

Deno.test("supervise() restarts a stage that completes before its input does", () => {
  const { clock, component, input, run } = setup(() => (source) =>
    source.pipe(map(processed), take(1))
  );
  input.next(batch(1));
  input.next(batch(2));
  assert.equal(component().status, "degraded");
  assert.match(component().detail, /completed before its input/);
  clock.advance(100);
  input.next(batch(3));
  assert.deepEqual(run.out, ["1*", "2", "3*"]);
});

Deno.test("supervise() forwards an upstream error after the batches it holds", async () => {
  const health = createHealthRegistry();
  const stage = supervise("model", asyncStage(0), { health, clock: fakeClock() });
  const out: string[] = [];
  let failure: unknown = null;
  of(batch(1)).pipe(concatWith(throwError(() => new Error("feed lost"))), stage.operator)
    .subscribe({ next: (b) => out.push(label(b)), error: (error) => failure = error });
  await settle();
  assert.deepEqual(out, ["1"]);
  assert.equal((failure as Error).message, "feed lost");
});

Deno.test("supervise() keeps batches flowing past a failing model stage and scores again after the restart", async () => {
  let runs = 0;
  const session: OrtSession = {
    nFeatures: 2,
    nMembers: 0,
    run: (_x, rows) => {
      if (++runs === 1) return Promise.reject(new Error("onnxruntime: out of memory"));
      return Promise.resolve({
        probabilities: new Float32Array(rows * 3).fill(1 / 3),
        members: [],
      });
    },
    release: () => Promise.resolve(),
  };
  const slot: ModelSlot = { production: { id: "m", specHash: "s", session }, shadow: null };
  const row = (closeUs: number): FeatureEvent => ({
    v: EVENT_VERSION,
    kind: "features",
    symbol: "XAUUSD",
    openUs: closeUs - 60e6,
    closeUs,
    specHash: "s",
    values: [1, 2],
  });
  const { clock, component, stage } = setup(() => scoreModels(slot));
  const kinds: string[][] = [];
  const input = new Subject<EventBatch>();
  input.pipe(stage.operator).subscribe((b) => kinds.push(b.map((e) => e.kind)));
  input.next([row(60e6)]);
  await settle();
  assert.deepEqual(kinds, [["features"]], "the batch went on without a prediction");
  assert.match(component().detail, /out of memory/);
  clock.advance(100);
  input.next([row(120e6)]);
  await settle();
  assert.deepEqual(kinds, [["features"], ["features", "prediction"]]);
});

Deno.test("supervise() rejects a backoff whose maxMs is below baseMs", () => {
  const health = createHealthRegistry();
  assert.throws(
    () => supervise("x", () => map(processed), { health, baseMs: 10, maxMs: 5 }),
    /baseMs \(10\) <= maxMs \(5\)/,
  );
});

Deno.test("supervise() tears down the stage and its restart timer on unsubscribe", () => {
  const { clock, input, subscription } = setup(syncStage(1));
  input.next(batch(1));
  assert.equal(clock.delays().length, 1);
  subscription.unsubscribe();
  assert.deepEqual(clock.delays(), []);
});

Deno.test("componentController() lists and switches supervised stages by name", () => {
  const health = createHealthRegistry();
  const model = supervise("model", () => map(processed), { health });
  const controller = componentController([model]);
  assert.equal(controller.has("model"), true);
  assert.equal(controller.has("nope"), false);
  assert.deepEqual(controller.list(), [{ name: "model", enabled: true }]);
  controller.setEnabled("model", false);
  assert.equal(model.enabled, false);
  assert.deepEqual(controller.list(), [{ name: "model", enabled: false }]);
  controller.setEnabled("model", true);
  assert.equal(model.enabled, true);
  assert.throws(() => componentController([model, model]), /two components named "model"/);
});

type Command =
  | { readonly kind: "batch" }
  | { readonly kind: "toggle" }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "settle" };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "batch" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "toggle" } as const) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 300 }).map((ms) => ({ kind: "advance", ms }) as const),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "settle" } as const) },
);

Deno.test("supervise() never drops, duplicates or reorders a batch (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      fc.array(command, { maxLength: 60 }),
      async (isAsync, failures, commands) => {
        let calls = 0;
        const fails = () => failures[calls++ % failures.length];
        const makeOperator = isAsync
          ? () =>
            concatMap(async (b: EventBatch) => {
              await Promise.resolve();
              if (fails()) throw new Error("async failure");
              return processed(b);
            })
          : () =>
            map((b: EventBatch) => {
              if (fails()) throw new Error("sync failure");
              return processed(b);
            });
        const { clock, stage, input, run } = setup(makeOperator, { maxMs: 400 });
        let sent = 0;
        for (const c of commands) {
          if (c.kind === "batch") input.next(batch(sent++));
          else if (c.kind === "toggle") stage.enabled ? stage.disable() : stage.enable();
          else if (c.kind === "advance") clock.advance(c.ms);
          else await settle();
        }
        input.complete();
        await settle();
        clock.advance(1_000);
        await settle();
        const ids = run.out.map((l) => Number.parseInt(l, 10));
        assert.deepEqual(ids, Array.from({ length: sent }, (_, i) => i));
        assert.equal(run.done, true);
      },
    ),
    { numRuns: 150 },
  );
});
