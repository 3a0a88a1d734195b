/**
 * The model stage over fake sessions whose answers the tests control: predictions after
 * each feature row, order kept when runs finish out of order, batches handed over as they
 * arrive, the backlog, and refusals. Real onnxruntime sessions are tested in
 * tests/models/onnx/session_test.ts.
 */

import assert from "node:assert/strict";
import { Subject } from "rxjs";
import type { OrtOutputs, OrtSession } from "@/models/onnx/session.ts";
import { type ModelSlot, scoreModels } from "@/operators/ensemble/scorer.ts";
import { Backlog } from "@/pipeline/backlog.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type FeatureEvent,
  type PredictionEvent,
} from "@/pipeline/events.ts";

const row = (minute: number, values = [minute, -minute], specHash = "spec"): FeatureEvent => ({
  v: EVENT_VERSION,
  kind: "features",
  symbol: "XAUUSD",
  openUs: minute * 60e6,
  closeUs: (minute + 1) * 60e6,
  specHash,
  values,
});

const bar = (minute: number): BarEvent => ({
  v: EVENT_VERSION,
  kind: "bar",
  symbol: "XAUUSD",
  timeframe: "M1",
  openUs: minute * 60e6,
  closeUs: (minute + 1) * 60e6,
  bid: { open: 1, high: 1, low: 1, close: 1 },
  ask: null,
  spread: null,
  volume: 0,
});

/** A 2-feature session whose runs wait for the test; it keeps a copy of each run's rows. */
function fakeSession(answer: (x: Float32Array, rows: number) => OrtOutputs) {
  const runs: { rows: Float32Array; answer: () => void }[] = [];
  const session: OrtSession = {
    nFeatures: 2,
    nMembers: 0,
    run(x, rows) {
      const { promise, resolve } = Promise.withResolvers<OrtOutputs>();
      const copy = x.slice();
      runs.push({ rows: copy, answer: () => resolve(answer(copy, rows)) });
      return promise;
    },
    release: () => Promise.resolve(),
  };
  return { session, runs };
}

/** Down, flat, up = 0.1, 0.2, 0.7 for every row. */
const allUp = (_x: Float32Array, rows: number): OrtOutputs => ({
  probabilities: Float32Array.from({ length: rows * 3 }, (_, i) => [0.1, 0.2, 0.7][i % 3]),
  members: [],
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function run(slot: ModelSlot, backlog?: Backlog) {
  const input = new Subject<EventBatch>();
  const out: EventBatch[] = [];
  input.pipe(scoreModels(slot, { backlog })).subscribe({ next: (b) => out.push(b) });
  return { input, out };
}

Deno.test("scoreModels() inserts each feature row's production and shadow predictions after it", async () => {
  const production = fakeSession(allUp);
  // Shadow: an ensemble of 3 whose members' top classes are up, up and down for every row.
  const shadow = fakeSession((_x, rows) => ({
    probabilities: Float32Array.from({ length: rows * 3 }, (_, i) => [0.2, 0.3, 0.5][i % 3]),
    members: [[0.1, 0.1, 0.8], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]].map((p) =>
      Float32Array.from({ length: rows * 3 }, (_, i) => p[i % 3])
    ),
  }));
  const slot: ModelSlot = {
    production: { id: "p".repeat(64), specHash: "spec", session: production.session },
    shadow: { id: "s".repeat(64), specHash: "spec", session: shadow.session },
  };
  const { input, out } = run(slot);
  input.next([bar(1), row(1), bar(2), row(2)]);
  production.runs[0].answer();
  shadow.runs[0].answer();
  await settle();
  assert.deepEqual(out[0].map((e) => e.kind === "prediction" ? e.role : e.kind), [
    "bar",
    "features",
    "production",
    "shadow",
    "bar",
    "features",
    "production",
    "shadow",
  ]);
  assert.deepEqual(production.runs[0].rows, Float32Array.of(1, -1, 2, -2));
  const [p, s] = [out[0][6], out[0][7]] as PredictionEvent[];
  assert.equal(p.openUs, 2 * 60e6);
  assert.deepEqual(p.probabilities, [0.1, 0.2, 0.7].map(Math.fround));
  assert.equal(p.agreement, 1, "a single model agrees with itself");
  assert.deepEqual(p.members, []);
  // Ensemble top: up (0.5); members' tops: up, up, down: 2 of 3 agree.
  assert.equal(s.agreement, 2 / 3);
  assert.deepEqual(s.members[2], [0.6, 0.3, 0.1].map(Math.fround));
});

Deno.test("scoreModels() hands each batch to the session on arrival and emits them in order", async () => {
  const production = fakeSession(allUp);
  const slot: ModelSlot = {
    production: { id: "p".repeat(64), specHash: "spec", session: production.session },
    shadow: null,
  };
  const { input, out } = run(slot);
  input.next([row(1)]);
  input.next([bar(2)]); // no feature row: nothing to score, but it waits for its turn
  input.next([row(3), row(4)]);
  assert.equal(production.runs.length, 2, "both batches with rows were handed over at once");
  production.runs[1].answer(); // the later batch is scored first
  await settle();
  assert.equal(out.length, 0, "nothing overtakes the first batch");
  production.runs[0].answer();
  await settle();
  assert.deepEqual(out.map((b) => b.map((e) => e.kind)), [
    ["features", "prediction"],
    ["bar"],
    ["features", "prediction", "features", "prediction"],
  ]);
});

Deno.test("scoreModels() counts the rows being scored in its backlog until each run settles", async () => {
  const production = fakeSession(allUp);
  const slot: ModelSlot = {
    production: { id: "p".repeat(64), specHash: "spec", session: production.session },
    shadow: null,
  };
  const backlog = new Backlog(0);
  const { input } = run(slot, backlog);
  input.next([row(1), row(2)]);
  input.next([row(3)]);
  assert.equal(backlog.pending, 3);
  const ready = backlog.ready();
  assert.ok(ready instanceof Promise);
  production.runs[0].answer();
  await settle();
  assert.equal(backlog.pending, 1);
  production.runs[1].answer();
  await ready;
  assert.equal(backlog.pending, 0);
});

Deno.test("scoreModels() fails the stream naming both specs when a row's spec is not the model's", async () => {
  const production = fakeSession(allUp);
  const slot: ModelSlot = {
    production: { id: "p".repeat(64), specHash: "a".repeat(64), session: production.session },
    shadow: null,
  };
  const input = new Subject<EventBatch>();
  const failed = new Promise<Error>((resolve) =>
    input.pipe(scoreModels(slot)).subscribe({ error: resolve })
  );
  input.next([row(1, [1, 2], "b".repeat(64))]);
  const error = await failed;
  assert.match(
    error.message,
    /Cannot score features of spec bbbbbbbbbbbb… with model pppppppppppp…/,
  );
  assert.match(error.message, /trained on spec aaaaaaaaaaaa…/);
  assert.equal(production.runs.length, 0);
});

Deno.test("scoreModels() with groupRows scores batches together once they carry that many rows, and emits each on its own", async () => {
  const production = fakeSession((x, rows) => ({
    // Each row's "up" probability is its first feature (its minute) over 10.
    probabilities: Float32Array.from(
      { length: rows * 3 },
      (_, i) => i % 3 === 2 ? x[(i - 2) / 3 * 2] / 10 : 0,
    ),
    members: [],
  }));
  const slot: ModelSlot = {
    production: { id: "p".repeat(64), specHash: "spec", session: production.session },
    shadow: null,
  };
  const input = new Subject<EventBatch>();
  const out: EventBatch[] = [];
  let completed = false;
  input.pipe(scoreModels(slot, { groupRows: 3 })).subscribe({
    next: (b) => out.push(b),
    complete: () => completed = true,
  });
  input.next([bar(1), row(1), row(2)]); // 2 rows: held
  input.next([bar(3)]); // still 2: held
  assert.equal(production.runs.length, 0);
  input.next([row(3)]); // 3 rows: the three batches go to the session in one run
  assert.equal(production.runs.length, 1);
  assert.deepEqual(production.runs[0].rows, Float32Array.of(1, -1, 2, -2, 3, -3));
  input.next([row(4)]); // 1 row: held until the end of the stream
  input.complete();
  assert.equal(production.runs.length, 2);
  production.runs[0].answer();
  production.runs[1].answer();
  await settle();
  assert.ok(completed);
  // Four batches out, as they came in, each row followed by its own prediction.
  assert.deepEqual(out.map((b) => b.map((e) => e.kind)), [
    ["bar", "features", "prediction", "features", "prediction"],
    ["bar"],
    ["features", "prediction"],
    ["features", "prediction"],
  ]);
  const ups = out.flat().flatMap((e) => e.kind === "prediction" ? [e.probabilities[2]] : []);
  assert.deepEqual(ups, [0.1, 0.2, 0.3, 0.4].map(Math.fround));
});
