/**
 * The retraining scheduler: it triggers on the period and on drift (and only past the
 * threshold, over enough resolved predictions), never runs two retrains at once, cools
 * down after a failure, leaves production untouched when a candidate fails the gates,
 * and swaps a shadow into production only when it beats production on the same bars.
 * Unit tests drive it with synthetic bars, a fake trainer and stand-in models; real data
 * shows no retrain reads a bar after its trigger (files and journal alike), and one
 * end-to-end run trains a tiny model in the Worker while the main thread keeps working.
 * These tests must never write to the data folder; the real-data ones skip without it.
 */

import { deepStrictEqual, match, ok, strictEqual, throws } from "node:assert";
import { from, lastValueFrom, toArray } from "rxjs";
import type { ModelCard } from "@/models/card.ts";
import { resolveLabelOptions } from "@/models/labels.ts";
import { readOnnxMetadata } from "@/models/onnx/metadata.ts";
import { checkGates, DEFAULT_GATES, Registry, sha256Hex } from "@/models/registry.ts";
import { openTrainingSource } from "@/models/retrain_worker.ts";
import {
  parseRetrainConfig,
  type RetrainConfig,
  type RetrainLogEntry,
  type RetrainRequest,
  type RetrainResult,
  RetrainScheduler,
  type Trainer,
  validationLogLoss,
} from "@/models/retraining.ts";
import { parseTrainConfig } from "@/models/train/config.ts";
import { adaptModels, loadServingModel, type ModelSlot } from "@/operators/ensemble/mod.ts";
import type { ServingModel } from "@/operators/ensemble/scorer.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "@/operators/features/mod.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  isoFromUs,
  type MarketEvent,
  US_PER_DAY,
  US_PER_MINUTE,
  usFromIso,
} from "@/pipeline/events.ts";
import { eventsOf } from "@/pipeline/replay.ts";
import { openJournal } from "@/sinks/journal.ts";
import type { BarBatch } from "@/sources/source.ts";
import { dataPath, dataTest } from "../_data.ts";

const FILE = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const SPEC = "a".repeat(64);
/** Labels small enough to check by eye: quiet bars around 100 never reach a barrier, so flat. */
const LABELS = {
  horizonBars: 3,
  atrPeriod: 2,
  upAtr: 2,
  downAtr: 2,
  spread: 0.3,
  maxGapMinutes: 5,
};
const TRAIN = parseTrainConfig({ labels: LABELS }, "(test)");
const T0 = Date.UTC(2017, 0, 3) * 1000;
/** Every improvement above the 0.2% margin passes; two of three folds worse fails. */
const GOOD = [0.01, 0.01, 0.01];
const BAD = [0.01, -0.02, -0.01];
const VALIDATION = 0.5;

function config(overrides: Record<string, unknown> = {}): RetrainConfig {
  return parseRetrainConfig(
    {
      periodDays: 365,
      windowDays: 10,
      warmupDays: 1,
      minResolved: 20,
      shadowMinResolved: 20,
      rollingWindow: 50,
      cooldownMinutes: 30,
      ...overrides,
    },
    "(test)",
  );
}

// Registry stand-ins as in registry_test.ts: JSON "ONNX bytes" read by an injected reader.
const fakeOnnx = (tag: string) =>
  new TextEncoder().encode(JSON.stringify({ tag, metadata: { feature_spec_hash: SPEC } }));
const readMetadata = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)).metadata;

function card(bytes: Uint8Array, improvement: number[], label = LABELS): ModelCard {
  return {
    id: sha256Hex(bytes),
    kind: "ensemble",
    description: "",
    createdAt: "2026-11-25T12:00:00Z",
    featureSpec: { hash: SPEC, name: "default", names: ["f1"] },
    classes: ["down", "flat", "up"],
    label: { type: "triple_barrier", ...resolveLabelOptions(label), sampleEvery: 5 },
    ranges: { train: { from: "2016-09-01T00:00:00Z", to: isoFromUs(T0) } },
    data: [{ file: "x.csv.gz", sha256: "b".repeat(64), rows: 10 }],
    hyperparameters: {},
    metrics: {
      folds: improvement.map((imp, fold) => ({
        fold,
        test: { from: "2016-12-01T00:00:00Z", to: "2016-12-31T00:00:00Z" },
        rows: 100,
        logLoss: 1 - imp,
        baselineLogLoss: 1,
      })),
      stitched: { model: { logLoss: VALIDATION } },
    },
    parent: null,
  };
}

/** A stand-in for a loaded model: it is never run here, only swapped and released. */
function servingModel(id: string, released: string[]): ServingModel {
  return {
    id,
    specHash: SPEC,
    session: {
      nFeatures: 1,
      nMembers: 0,
      run: () => Promise.reject(new Error("stand-in models are not run")),
      release: () => {
        released.push(id);
        return Promise.resolve();
      },
    },
  };
}

const probabilities = (flat: number): [number, number, number] => [
  (1 - flat) / 2,
  flat,
  (1 - flat) / 2,
];

interface Harness {
  readonly registry: Registry;
  readonly slot: ModelSlot;
  readonly scheduler: RetrainScheduler;
  readonly logs: RetrainLogEntry[];
  readonly released: string[];
  readonly requests: RetrainRequest[];
  readonly productionId: string;
  /** Feeds `n` quiet M1 bars, one per batch, each with the predictions of the slot's models. */
  feed(n: number, flat: { production?: number; shadow?: number }): void;
  /** Registers a candidate as the worker would and answers the oldest waiting retrain. */
  finish(tag: string, improvement: number[]): Promise<string>;
  /** Fails the oldest waiting retrain. */
  fail(message: string): Promise<void>;
  steps(step: RetrainLogEntry["step"]): string[];
}

async function withScheduler(
  overrides: Record<string, unknown>,
  fn: (h: Harness) => void | Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  let clock = Date.UTC(2026, 10, 25);
  const registry = Registry.open(dir, { readMetadata, now: () => new Date(clock += 1000) });
  try {
    const bytes = fakeOnnx("production");
    const productionId = registry.register(bytes, card(bytes, GOOD)).id;
    registry.promote(productionId);
    registry.promote(productionId);
    const logs: RetrainLogEntry[] = [];
    const released: string[] = [];
    const requests: RetrainRequest[] = [];
    const waiting: Array<{ resolve(r: RetrainResult): void; reject(e: Error): void }> = [];
    const trainer: Trainer = (request) => {
      requests.push(request);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    };
    const slot: ModelSlot = { production: servingModel(productionId, released), shadow: null };
    const scheduler = new RetrainScheduler({
      config: config(overrides),
      train: TRAIN,
      data: { kind: "files", files: ["replayed.csv"] },
      symbol: "XAUUSD",
      registry,
      slot,
      loadModel: (id) => Promise.resolve(servingModel(id, released)),
      log: (entry) => logs.push(entry),
      trainer,
      wallMs: () => 0,
    });
    let minute = 0;
    await fn({
      registry,
      slot,
      scheduler,
      logs,
      released,
      requests,
      productionId,
      feed(n, flat) {
        for (let k = 0; k < n; k++, minute++) {
          const openUs = T0 + minute * US_PER_MINUTE;
          const bar: BarEvent = {
            v: EVENT_VERSION,
            kind: "bar",
            symbol: "XAUUSD",
            timeframe: "M1",
            openUs,
            closeUs: openUs + US_PER_MINUTE,
            bid: { open: 100, high: 100.5, low: 99.5, close: 100 },
            ask: null,
            spread: null,
            volume: 0,
          };
          const batch: MarketEvent[] = [bar];
          // As the scorer does: the slot is read once per batch.
          for (const role of ["production", "shadow"] as const) {
            const model = slot[role];
            const p = flat[role];
            if (model === null || p === undefined) continue;
            batch.push({
              v: EVENT_VERSION,
              kind: "prediction",
              symbol: "XAUUSD",
              openUs,
              closeUs: bar.closeUs,
              modelId: model.id,
              role,
              probabilities: probabilities(p),
              agreement: 1,
              members: [],
            });
          }
          scheduler.update(batch);
        }
      },
      async finish(tag, improvement) {
        const bytes = fakeOnnx(tag);
        const { id } = registry.register(bytes, card(bytes, improvement));
        waiting.shift()!.resolve({
          id,
          gate: checkGates(registry.get(id).card, DEFAULT_GATES),
          rows: 100,
        });
        await scheduler.settled();
        return id;
      },
      async fail(message) {
        waiting.shift()!.reject(new Error(message));
        await scheduler.settled();
      },
      steps: (step) => logs.filter((e) => e.step === step).map((e) => e.message),
    });
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Lets promise callbacks (session releases) run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("parseRetrainConfig() fills the documented defaults and refuses a window smaller than minResolved", () => {
  deepStrictEqual(parseRetrainConfig({}, "(defaults)"), {
    periodDays: 7,
    windowDays: 120,
    warmupDays: 30,
    driftThreshold: 0.02,
    minResolved: 500,
    rollingWindow: 1440,
    shadowMinResolved: 500,
    promoteMargin: 0,
    cooldownMinutes: 60,
  });
  throws(
    () => parseRetrainConfig({ rollingWindow: 100 }, '"x.json"'),
    /"x.json" is invalid: rollingWindow: must be at least minResolved/,
  );
  throws(() => parseRetrainConfig({ periodDays: 0 }, "(test)"), /periodDays/);
});

Deno.test("validationLogLoss() reads the stitched out-of-sample log loss of a card", () => {
  const bytes = fakeOnnx("m");
  strictEqual(validationLogLoss(card(bytes, GOOD)), VALIDATION);
  strictEqual(
    validationLogLoss({ ...card(bytes, GOOD), metrics: { folds: [], stitched: {} } }),
    null,
  );
});

Deno.test("RetrainScheduler triggers on the period, counted from the end of production's training data", async () => {
  await withScheduler({ periodDays: 1 / 24 }, (h) => {
    h.feed(59, { production: 0.9 });
    strictEqual(h.requests.length, 0);
    h.feed(1, { production: 0.9 });
    strictEqual(h.requests.length, 1);
    strictEqual(h.scheduler.state, "training");
    const triggerUs = T0 + 60 * US_PER_MINUTE;
    const [request] = h.requests;
    strictEqual(request.to, isoFromUs(triggerUs));
    strictEqual(request.from, isoFromUs(triggerUs - 10 * US_PER_DAY));
    strictEqual(request.readFrom, isoFromUs(triggerUs - 11 * US_PER_DAY));
    strictEqual(request.registryDir, h.registry.dir);
    deepStrictEqual(request.config, TRAIN);
    match(
      h.steps("trigger")[0],
      /triggered by period: 0\.04 days since the last retrain at 2017-01-03T00:00:00Z/,
    );
    strictEqual(h.logs.find((e) => e.step === "trigger")!.atUs, triggerUs);
    match(h.steps("worker-start")[0], /2016-12-24T01:00:00Z \.\. 2017-01-03T01:00:00Z/);
  });
});

Deno.test("RetrainScheduler triggers on drift once minResolved predictions are worse than validation by the threshold", async (t) => {
  await t.step("not while the rolling log loss is within the threshold", async () => {
    // −ln 0.62 = 0.478 < 0.5; −ln 0.608 = 0.4976 (within 2%) — neither drifts.
    await withScheduler({}, (h) => {
      h.feed(200, { production: 0.62 });
      h.feed(200, { production: 0.608 });
      strictEqual(h.requests.length, 0);
    });
  });
  await t.step("at the first batch with minResolved bad predictions resolved", async () => {
    // −ln 0.3 = 1.20, far past 0.5 x 1.02, but only judged over 20 resolved predictions.
    await withScheduler({}, (h) => {
      while (h.scheduler.outcomes.stats(h.productionId).resolved < 20) {
        strictEqual(h.requests.length, 0);
        h.feed(1, { production: 0.3 });
      }
      strictEqual(h.requests.length, 1);
      match(
        h.steps("trigger")[0],
        /triggered by drift: production [0-9a-f]{12}… has a rolling log loss of 1\.2040 over its last 20 resolved predictions, 140\.79% above its validation log loss 0\.5000 \(threshold 2\.00%\)/,
      );
    });
  });
});

Deno.test("RetrainScheduler never runs two retrains at once and cools down after a failure", async () => {
  await withScheduler({}, async (h) => {
    h.feed(40, { production: 0.3 });
    h.feed(100, { production: 0.3 });
    strictEqual(h.requests.length, 1, "one retrain while the first runs");
    await h.fail("out of memory");
    match(h.steps("worker-error")[0], /worker failed after 0\.0 s: out of memory/);
    match(h.steps("failure")[0], /no candidate; no retrain before 2017-01-03T02:50:00Z/);
    strictEqual(h.scheduler.state, "idle");
    h.feed(29, { production: 0.3 });
    strictEqual(h.requests.length, 1, "none during the 30-minute cooldown");
    h.feed(1, { production: 0.3 });
    strictEqual(h.requests.length, 2, "drift triggers again once the cooldown is over");
  });
});

Deno.test("RetrainScheduler leaves a candidate that fails the gates a candidate and production untouched", async () => {
  await withScheduler({}, async (h) => {
    h.feed(40, { production: 0.3 });
    const production = h.slot.production;
    const id = await h.finish("weak", BAD);
    h.feed(10, { production: 0.3 });
    strictEqual(h.registry.get(id).stage, "candidate");
    deepStrictEqual(h.registry.events(id).map((e) => e.action), ["register"]);
    strictEqual(h.registry.production()!.id, h.productionId);
    strictEqual(h.slot.production, production);
    strictEqual(h.slot.shadow, null);
    deepStrictEqual(h.released, []);
    match(h.steps("gate")[0], /fails the gates: 1 of 3 folds/);
    match(h.steps("failure")[0], /stays a candidate: Cannot promote .* gate failed/);
  });
});

Deno.test("RetrainScheduler swaps a shadow into production only when it beats production on the same bars", async (t) => {
  await t.step(
    "a better shadow is promoted through the gates and the old session released",
    async () => {
      await withScheduler({}, async (h) => {
        h.feed(40, { production: 0.3 });
        const id = await h.finish("better", GOOD);
        strictEqual(h.registry.get(id).stage, "shadow");
        strictEqual(h.slot.shadow === null, true, "installed only on the next batch");
        h.feed(1, { production: 0.3 });
        strictEqual(h.slot.shadow?.id, id);
        while (h.slot.shadow !== null) {
          h.feed(1, { production: 0.3, shadow: 0.8 });
          strictEqual(h.requests.length, 1, "no retrain while the shadow is judged");
        }
        strictEqual(h.scheduler.outcomes.stats(id).resolved, 20);
        strictEqual(h.slot.production?.id, id);
        strictEqual(h.registry.production()?.id, id);
        strictEqual(h.registry.get(h.productionId).stage, "retired");
        deepStrictEqual(
          h.registry.events(id).map((e) => [e.action, e.to]),
          [["register", "candidate"], ["promote", "shadow"], ["promote", "production"]],
        );
        match(h.registry.events(id)[2].reason, /beat production in shadow: .* better/);
        match(
          h.steps("compare")[0],
          /0\.2231 over 20 bars against production .* 1\.2040 over the same 20 bars/,
        );
        match(h.steps("swap")[0], /production is now .* in place of/);
        await tick();
        deepStrictEqual(h.released, [h.productionId]);
        strictEqual(h.steps("release").length, 1);
      });
    },
  );
  await t.step("a worse shadow is retired and production stays", async () => {
    await withScheduler({ periodDays: 1 / 24 }, async (h) => {
      h.feed(60, { production: 0.8 });
      const production = h.slot.production;
      const id = await h.finish("worse", GOOD);
      h.feed(30, { production: 0.8, shadow: 0.6 });
      strictEqual(h.slot.production, production);
      strictEqual(h.slot.shadow, null);
      strictEqual(h.registry.production()?.id, h.productionId);
      strictEqual(h.registry.get(id).stage, "retired");
      match(h.registry.events(id).at(-1)!.reason, /did not beat production/);
      match(h.steps("compare")[0], /not better/);
      match(h.steps("failure")[0], /was not promoted; no retrain before/);
      await tick();
      deepStrictEqual(h.released, [id]);
    });
  });
});

Deno.test("RetrainScheduler refuses serving models labelled otherwise than its training config", async () => {
  const dir = await Deno.makeTempDir();
  const registry = Registry.open(dir, { readMetadata });
  try {
    const bytes = fakeOnnx("thirty");
    const { id } = registry.register(bytes, card(bytes, GOOD, { ...LABELS, horizonBars: 30 }));
    throws(
      () =>
        new RetrainScheduler({
          config: config(),
          train: TRAIN,
          data: { kind: "files", files: [] },
          symbol: "XAUUSD",
          registry,
          slot: { production: servingModel(id, []), shadow: null },
          loadModel: () => Promise.reject(new Error("unused")),
          log: () => {},
          trainer: () => Promise.reject(new Error("unused")),
        }),
      /labelled with horizonBars 30 but the retraining config labels with horizonBars 3/,
    );
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptModels() passes batches through unchanged and feeds the scheduler", async () => {
  await withScheduler({}, async (h) => {
    const bar = (minute: number): EventBatch => [{
      v: EVENT_VERSION,
      kind: "bar",
      symbol: "XAUUSD",
      timeframe: "M1",
      openUs: T0 + minute * US_PER_MINUTE,
      closeUs: T0 + (minute + 1) * US_PER_MINUTE,
      bid: { open: 100, high: 100.5, low: 99.5, close: 100 },
      ask: null,
      spread: null,
      volume: 0,
    }];
    const batches = [bar(0), bar(1), bar(2)];
    const out = await lastValueFrom(from(batches).pipe(adaptModels(h.scheduler), toArray()));
    deepStrictEqual(out.map((b, i) => b === batches[i]), [true, true, true]);
    strictEqual(h.scheduler.outcomes.pending, 0);
  });
});

/** Every bar a training source yields, as [openUs, closeUs, bid close] rows. */
async function barsOf(request: RetrainRequest): Promise<number[][]> {
  const { source, close } = await openTrainingSource(request);
  try {
    const rows: number[][] = [];
    for await (const batch of source.batches()) {
      const bars = batch as BarBatch;
      for (let i = 0; i < bars.length; i++) {
        rows.push([bars.openUs[i], bars.closeUs[i], bars.bidClose[i]]);
      }
    }
    return rows;
  } finally {
    close();
  }
}

dataTest(
  "openTrainingSource() reads no bar closing after the trigger time, from the replayed files or the journal",
  FILE,
  async () => {
    const trigger = "2017-02-15T14:00:00Z";
    const request: RetrainRequest = {
      data: { kind: "files", files: [dataPath(FILE)] },
      symbol: "XAUUSD",
      readFrom: "2017-02-01T00:00:00Z",
      from: "2017-02-05T00:00:00Z",
      to: trigger,
      config: TRAIN,
      registryDir: "(unused)",
      gates: DEFAULT_GATES,
    };
    const fromFiles = await barsOf(request);
    ok(fromFiles.length > 10_000, `${fromFiles.length} bars`);
    strictEqual(fromFiles[0][0] >= usFromIso(request.readFrom), true);
    strictEqual(fromFiles.at(-1)![1], usFromIso(trigger), "the last bar closes at the trigger");
    ok(fromFiles.every(([, closeUs]) => closeUs <= usFromIso(trigger)));

    // Live mode: the journal holds the whole of February, the source stops at the trigger.
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/journal.sqlite`;
      const journal = openJournal(path, { now: () => 0 });
      const { source, close } = await openTrainingSource({
        ...request,
        to: "2017-03-01T00:00:00Z",
      });
      for await (const batch of source.batches()) journal.appendBatch(eventsOf(batch, "XAUUSD"));
      close();
      journal.close();
      const fromJournal = await barsOf({
        ...request,
        data: { kind: "journal", path, format: "histdata" },
      });
      deepStrictEqual(fromJournal, fromFiles);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dataTest(
  "RetrainScheduler trains a candidate in a Worker on 6 weeks of 2017 while the main thread keeps working",
  FILE,
  async () => {
    const dir = await Deno.makeTempDir();
    // Lenient gates, so the tiny model reaches shadow and the whole path runs.
    const gates = { margin: -1, minShareOfFolds: 0 };
    const registry = Registry.open(dir, { readMetadata: readOnnxMetadata, gates });
    const slot: ModelSlot = { production: null, shadow: null };
    const logs: RetrainLogEntry[] = [];
    const triggerUs = usFromIso("2017-03-15T14:00:00Z");
    const scheduler = new RetrainScheduler({
      config: parseRetrainConfig({ windowDays: 42, warmupDays: 21 }, "(test)"),
      train: parseTrainConfig({
        members: [{ type: "gbdt", params: { nRounds: 20 } }],
        method: "soft_voting",
        walkForward: { folds: 2, minTrainRows: 200 },
        sampleEvery: 10,
      }, "(test)"),
      data: { kind: "files", files: [dataPath(FILE)] },
      symbol: "XAUUSD",
      registry,
      slot,
      loadModel: (id) => loadServingModel(registry, id, specHash(DEFAULT_FEATURE_SPEC), 1),
      log: (entry) => logs.push(entry),
      gates,
      lastRetrainUs: triggerUs - 7 * US_PER_DAY,
    });
    const bar = (minute: number): EventBatch => [{
      v: EVENT_VERSION,
      kind: "bar",
      symbol: "XAUUSD",
      timeframe: "M1",
      openUs: triggerUs + (minute - 1) * US_PER_MINUTE,
      closeUs: triggerUs + minute * US_PER_MINUTE,
      bid: { open: 1200, high: 1200.5, low: 1199.5, close: 1200 },
      ask: null,
      spread: null,
      volume: 0,
    }];
    try {
      const started = performance.now();
      scheduler.update(bar(0));
      strictEqual(scheduler.state, "training");
      // The pipeline goes on: a timer keeps firing and batches keep being taken.
      let ticks = 0;
      let minute = 1;
      const timer = setInterval(() => {
        ticks++;
        scheduler.update(bar(minute++));
      }, 10);
      await scheduler.settled();
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      console.log(`worker retrain took ${seconds.toFixed(1)} s; the timer fired ${ticks} times`);
      ok(
        ticks >= seconds * 20,
        `only ${ticks} ticks in ${seconds.toFixed(1)} s: the main thread was blocked`,
      );
      strictEqual(scheduler.outcomes.pending, 0);

      scheduler.update(bar(minute++));
      const shadow = slot.shadow;
      ok(shadow !== null, logs.map((e) => `${e.step}: ${e.message}`).join("\n"));
      const model = registry.get(shadow.id);
      strictEqual(model.stage, "shadow");
      ok(usFromIso(model.card.ranges.train.to) <= triggerUs, model.card.ranges.train.to);
      ok(usFromIso(model.card.ranges.train.from) >= triggerUs - 42 * US_PER_DAY);
      deepStrictEqual(model.card.data.map((d) => d.file), ["DAT_ASCII_XAUUSD_M1_2017.csv.gz"]);
      const steps = logs.map((e) => e.step);
      for (
        const step of [
          "trigger",
          "worker-start",
          "worker-progress",
          "worker-finish",
          "register",
          "gate",
          "promote",
          "shadow",
        ] as const
      ) {
        ok(steps.includes(step), `no ${step} step in ${steps.join(", ")}`);
      }
      match(
        logs.find((e) => e.step === "worker-finish")!.message,
        /worker finished in \d+\.\d s/,
      );
      console.log(logs.map((e) => `${isoFromUs(e.atUs)} ${e.step}: ${e.message}`).join("\n"));
      await shadow.session.release();
    } finally {
      await scheduler.close();
      registry.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
