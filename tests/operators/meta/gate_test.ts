/**
 * The meta-labeling gate on hand-made batches (unit-test inputs, not market data) and a
 * stand-in session that answers a chosen p(win) per row and counts its calls: refusals
 * below the threshold, passes at and above it, sizes scaled down, and a model scored
 * only on the primary's candidate bars, one call per batch.
 */

import assert from "node:assert/strict";
import { lastValueFrom, of, toArray } from "rxjs";
import type { MetaCard } from "@/models/card.ts";
import type { OrtSession } from "@/models/onnx/session.ts";
import { gateSignal, gateSignals, type MetaServingModel } from "@/operators/meta/mod.ts";
import { bar as priceBar } from "../execution/_fixtures.ts";
import {
  EVENT_VERSION,
  type EventBatch,
  type FeatureEvent,
  type MarketEvent,
  type SignalEvent,
  US_PER_MINUTE,
  usFromIso,
} from "@/pipeline/events.ts";

const T0 = usFromIso("2017-03-01T14:00:00Z");
const SPEC = "d".repeat(64);
const ID = "e".repeat(64);

const META: MetaCard = {
  threshold: 0.4,
  thresholdChoice: "auto",
  timeLimitMinutes: 240,
  sizing: { mode: "fixed", floor: 0.5 },
  primary: { configHash: "f".repeat(64), fusion: {} },
  execution: {},
};

/** A session answering p(win) = feature 0 of each row, and counting calls and rows. */
function countingSession() {
  const calls: number[] = [];
  const session: OrtSession = {
    nFeatures: 2,
    nMembers: 0,
    run(x, rows) {
      calls.push(rows);
      const probabilities = new Float32Array(rows * 3);
      for (let i = 0; i < rows; i++) {
        const win = x[i * 2];
        probabilities.set([1 - win, 0, win], i * 3);
      }
      return Promise.resolve({ probabilities, members: [] });
    },
    release: () => Promise.resolve(),
  };
  return { session, calls };
}

function model(session: OrtSession, meta: MetaCard = META): MetaServingModel {
  return { id: ID, specHash: SPEC, session, meta };
}

const minute = (m: number) => T0 + m * US_PER_MINUTE;

const bar = (m: number) => priceBar(minute(m), [1250, 1250.5, 1249.5, 1250], { spread: null });

function features(m: number, pWin: number, specHash = SPEC): FeatureEvent {
  return {
    v: EVENT_VERSION,
    kind: "features",
    symbol: "XAUUSD",
    openUs: minute(m),
    closeUs: minute(m + 1),
    specHash,
    values: [pWin, 0],
  };
}

/** Fusion's signal at bar `m`'s close: a buy at the ask 1250.30 with its levels, or a hold. */
function signal(m: number, side: SignalEvent["side"]): SignalEvent {
  const trade = side !== "hold";
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: "XAUUSD",
    timeUs: minute(m + 1),
    side,
    confidence: trade ? 0.6 : 0.2,
    entryPrice: trade ? 1250.3 : 1250,
    stopLoss: trade ? 1245.3 : null,
    takeProfit: trade ? 1257.3 : null,
    stopDistance: trade ? 5 : null,
    takeDistance: trade ? 7 : null,
    stopPoints: trade ? 500 : null,
    takePoints: trade ? 700 : null,
    votes: [{ source: "technical", side: "buy", confidence: 0.6, weight: 1, reasons: [] }],
    regime: null,
    specHash: SPEC,
    modelId: null,
  };
}

/** The events of bar `m`: the bar, its feature row (unless null) and its signal. */
function decision(m: number, side: SignalEvent["side"], pWin: number | null): MarketEvent[] {
  return [bar(m), ...(pWin === null ? [] : [features(m, pWin)]), signal(m, side)];
}

async function run(gate: ReturnType<typeof gateSignals>, batches: EventBatch[]) {
  return (await lastValueFrom(of(...batches).pipe(gate, toArray()))).flat();
}

const signalsOf = (events: readonly MarketEvent[]) =>
  events.filter((e): e is SignalEvent => e.kind === "signal");

Deno.test("gateSignal() refuses a candidate below the threshold: a hold at the bid with a flat ml vote", () => {
  const gated = gateSignal(
    signal(0, "buy"),
    [0.62, 0.01, 0.37],
    model(countingSession().session),
    1250,
  );
  assert.equal(gated.side, "hold");
  assert.deepEqual(
    [gated.entryPrice, gated.stopLoss, gated.takeProfit, gated.stopPoints],
    [1250, null, null, null],
  );
  assert.equal(gated.confidence, 0.6, "the primary's confidence is kept");
  assert.equal(gated.modelId, ID);
  const vote = gated.votes[gated.votes.length - 1];
  assert.deepEqual([vote.source, vote.side, vote.weight], ["ml", "flat", 0]);
  assert.ok(Math.abs(vote.confidence - 0.37) < 1e-12);
  assert.match(vote.reasons[0], /p\(win\) 0\.370 against threshold 0\.400: refuses the buy/);
});

Deno.test("gateSignal() passes a candidate at and above the threshold, unchanged but for the vote", () => {
  for (const win of [0.4, 0.55]) {
    const candidate = signal(0, "buy");
    const gated = gateSignal(candidate, [1 - win, 0, win], model(countingSession().session), 1250);
    assert.deepEqual({ ...gated, votes: [] }, { ...candidate, votes: [], modelId: ID });
    assert.equal(gated.sizeFactor, undefined);
    const vote = gated.votes[gated.votes.length - 1];
    assert.deepEqual([vote.source, vote.side, vote.confidence], ["ml", "buy", win]);
  }
});

Deno.test("gateSignal() scales a passed trade's size linearly from the floor at the threshold", () => {
  const linear = { ...META, sizing: { mode: "linear" as const, floor: 0.5 } };
  const session = countingSession().session;
  // floor + (1 - floor) x (p - threshold) / (1 - threshold): 0.5 + 0.5 x 0.3 / 0.6 = 0.75.
  const gated = gateSignal(signal(0, "buy"), [0.3, 0, 0.7], model(session, linear), 1250);
  assert.ok(Math.abs(gated.sizeFactor! - 0.75) < 1e-12);
  // At the threshold itself: the floor.
  const atThreshold = gateSignal(signal(0, "buy"), [0.6, 0, 0.4], model(session, linear), 1250);
  assert.equal(atThreshold.sizeFactor, 0.5);
});

Deno.test("gateSignals() scores only the candidate bars, all of a batch in one session call", async () => {
  const { session, calls } = countingSession();
  const batches: EventBatch[] = [
    // Ten bars with feature rows, three of them candidates (minutes 2, 5 and 8).
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((m) =>
      decision(m, m === 2 || m === 5 ? "buy" : m === 8 ? "sell" : "hold", 0.3 + m * 0.02)
    ),
    // Five holds: no call at all.
    [10, 11, 12, 13, 14].flatMap((m) => decision(m, "hold", 0.5)),
    // One candidate.
    decision(15, "buy", 0.9),
  ];
  const events = await run(gateSignals({ symbol: "XAUUSD", model: model(session) }), batches);
  assert.deepEqual(calls, [3, 1], "one call per batch with candidates, one row per candidate");
  const gated = signalsOf(events).filter((s) => s.votes.some((v) => v.source === "ml"));
  // p(win) 0.34 at minute 2 refused, 0.40 at 5 and 0.46 at 8 passed, 0.90 at 15 passed.
  assert.deepEqual(
    gated.map((s) => [(s.timeUs - T0) / US_PER_MINUTE - 1, s.side]),
    [[2, "hold"], [5, "buy"], [8, "sell"], [15, "buy"]],
  );
  assert.equal(events.length, batches.flat().length, "every event passes, in order");
});

Deno.test("gateSignals() holds a candidate without a feature row, with no vote and no call", async () => {
  const { session, calls } = countingSession();
  const events = await run(gateSignals({ symbol: "XAUUSD", model: model(session) }), [
    decision(0, "buy", null),
  ]);
  const [held] = signalsOf(events);
  assert.equal(held.side, "hold");
  assert.equal(held.entryPrice, 1250);
  assert.equal(held.modelId, ID, "still marked as a candidate the model gated");
  assert.ok(!held.votes.some((v) => v.source === "ml"));
  assert.deepEqual(calls, []);
});

Deno.test("gateSignals() refuses a feature row of another spec than the model's, naming both", async () => {
  const { session } = countingSession();
  await assert.rejects(
    run(gateSignals({ symbol: "XAUUSD", model: model(session) }), [
      [bar(0), features(0, 0.5, "9".repeat(64)), signal(0, "buy")],
    ]),
    /feature row at 2017-03-01T14:01:00Z has spec 999999999999…, the model was trained on spec dddddddddddd…/,
  );
});
