/**
 * `fuseSignals` on the Rx spine: every input event passes through in order, one signal
 * follows each M1 bar of the symbol after that bar's features, predictions and regime,
 * the LLM answer of an earlier decision is used without the stream ever waiting for the
 * server, and on real 2017 data the technical-only preset buys and sells.
 */

import assert from "node:assert/strict";
import { from, lastValueFrom, reduce, Subject, toArray } from "rxjs";
import {
  fuseSignals,
  FUSION_DEFAULTS,
  LevelAtrRecord,
  levelAtrSeries,
  LlmAnalyst,
  llmConfigSchema,
  TECHNICAL_ONLY,
} from "@/operators/fusion/mod.ts";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type SignalEvent,
} from "@/pipeline/events.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import { DEFAULT_COSTS } from "@/operators/execution/costs.ts";
import { openSource } from "@/sources/mod.ts";
import { bidColumnsOf } from "../../_bars.ts";
import { dataPath, dataTest } from "../../_data.ts";
import {
  completion,
  m1,
  prediction,
  regimeEvent,
  seeded,
  sleepUnlessAborted,
  startServer,
  SYMBOL,
  walk,
} from "./_fixtures.ts";

const SPEC_HASH = "5".repeat(64);
const PRODUCTION = "a".repeat(64);
const SHADOW = "c".repeat(64);
const BARS = 1600;

/**
 * Each bar's group: the bar and its own events (from bar 1450 its feature row and
 * predictions, production and shadow; a regime change at bar 1500), then now and then
 * another symbol's bar and a tick, which must not change the decisions and come after
 * the signal.
 */
interface Group {
  readonly own: MarketEvent[];
  readonly foreign: MarketEvent[];
}

function groups(bars: readonly BarEvent[]): Group[] {
  return bars.map((bar, i) => {
    const own: MarketEvent[] = [bar];
    const foreign: MarketEvent[] = [];
    if (i >= 1450) {
      own.push({
        v: EVENT_VERSION,
        kind: "features",
        symbol: SYMBOL,
        openUs: bar.openUs,
        closeUs: bar.closeUs,
        specHash: SPEC_HASH,
        values: [1, 2, 3],
      });
      own.push(prediction(bar, i % 2 ? [0.1, 0.2, 0.7] : [0.7, 0.2, 0.1], "production"));
      own.push(prediction(bar, [0.05, 0.05, 0.9], "shadow", SHADOW));
    }
    if (i === 1500) own.push(regimeEvent(bar.closeUs, "bull", "high"));
    if (i % 97 === 0) {
      foreign.push(m1(bar.openUs, 1.1, 1.2, "EURUSD"));
      foreign.push({
        v: EVENT_VERSION,
        kind: "tick",
        symbol: SYMBOL,
        timeUs: bar.closeUs + 1,
        bid: 1,
        ask: 2,
      });
    }
    return { own, foreign };
  });
}

const flat = (all: readonly Group[]) => all.flatMap((g) => [...g.own, ...g.foreign]);

/** Groups cut into batches of 1 to 40 groups, never splitting a group. */
function batchesOf(all: readonly Group[], seed: number): EventBatch[] {
  const random = seeded(seed);
  const batches: EventBatch[] = [];
  for (let i = 0; i < all.length;) {
    const size = 1 + Math.floor(random() * 40);
    batches.push(flat(all.slice(i, i + size)));
    i += size;
  }
  return batches;
}

const run = (batches: readonly EventBatch[], config = FUSION_DEFAULTS) =>
  lastValueFrom(
    from(batches).pipe(
      fuseSignals({ symbol: SYMBOL, spec: XAUUSD, specHash: SPEC_HASH, config }),
      toArray(),
    ),
  ).then((out) => out.flat());

Deno.test("fuseSignals() emits one signal per M1 bar, after the bar's own events, in order", async () => {
  const bars = walk(BARS, { seed: 9 });
  const input = groups(bars);
  const out = await run(batchesOf(input, 4));
  assert.deepEqual(out.filter((e) => e.kind !== "signal"), flat(input), "inputs pass unchanged");
  const signals = out.filter((e): e is SignalEvent => e.kind === "signal");
  assert.equal(signals.length, BARS);
  assert.deepEqual(signals.map((s) => s.timeUs), bars.map((b) => b.closeUs));
  // Each signal comes right after its bar's own events, before anything else.
  let at = 0;
  for (const { own, foreign } of input) {
    assert.deepEqual(out.slice(at, at + own.length), own);
    const signal = out[at + own.length] as SignalEvent;
    assert.equal(signal.kind, "signal");
    assert.equal(signal.timeUs, (own[0] as BarEvent).closeUs);
    at += own.length + 1;
    assert.deepEqual(out.slice(at, at + foreign.length), foreign);
    at += foreign.length;
  }
  assert.equal(at, out.length);
});

Deno.test("fuseSignals() votes with the production model of the same bar and ignores the shadow", async () => {
  // Levels in M1 ATRs: the default H4 ATR would not be warm within these bars, and the
  // test wants some bars to trade.
  const m1Levels = {
    ...FUSION_DEFAULTS,
    levels: { ...FUSION_DEFAULTS.levels, atrTimeframe: "M1" as const },
  };
  const out = await run(batchesOf(groups(walk(BARS, { seed: 9 })), 4), m1Levels);
  const signals = out.filter((e): e is SignalEvent => e.kind === "signal");
  for (const [i, signal] of signals.entries()) {
    const ml = signal.votes.find((v) => v.source === "ml");
    assert.equal(signal.modelId, i >= 1450 ? PRODUCTION : null);
    assert.equal(ml?.side, i >= 1450 ? (i % 2 ? "buy" : "sell") : undefined);
    assert.ok(!JSON.stringify(signal).includes(SHADOW.slice(0, 12)));
    assert.equal(signal.specHash, SPEC_HASH);
    assert.deepEqual(signal.regime, i >= 1500 ? { volatility: "high", trend: "bull" } : null);
  }
  assert.ok(signals.slice(1450).some((s) => s.side !== "hold"), "some bars trade");
});

Deno.test("fuseSignals() gives the same signals however the batches are cut", async () => {
  const input = groups(walk(BARS, { seed: 9 }));
  assert.deepEqual(await run(batchesOf(input, 4)), await run([flat(input)]));
});

Deno.test("fuseSignals() records the levels' ATR after each bar of its symbol as levelAtrSeries computes it", async (t) => {
  const bars = walk(BARS, { seed: 9 });
  // The other symbol's bars in the stream are not recorded: one value per own bar.
  const own = bidColumnsOf(bars);
  // M15 and H1 come from the technical scorer's own resampling, M30 from the levels'
  // (about 26 H1 bars here: enough for the 14 the ATR needs).
  for (const atrTimeframe of ["M15", "M30", "H1"] as const) {
    await t.step(atrTimeframe, async () => {
      const levels = { ...FUSION_DEFAULTS.levels, atrTimeframe };
      const record = new LevelAtrRecord();
      await lastValueFrom(
        from(batchesOf(groups(bars), 4)).pipe(
          fuseSignals({
            symbol: SYMBOL,
            spec: XAUUSD,
            specHash: SPEC_HASH,
            config: { ...FUSION_DEFAULTS, levels },
            levelAtr: record,
          }),
          toArray(),
        ),
      );
      const expected = levelAtrSeries(levels, own);
      assert.deepEqual(record.values(), expected);
      assert.ok(expected.some((atr) => atr > 0), "the ATR warms up within the bars");
      assert.ok(Number.isNaN(expected[0]), "and is NaN before");
    });
  }
});

Deno.test("fuseSignals() fails on a feature row of another spec", async () => {
  const bar = m1(0, 1, 1);
  const batch: EventBatch = [bar, {
    v: EVENT_VERSION,
    kind: "features",
    symbol: SYMBOL,
    openUs: bar.openUs,
    closeUs: bar.closeUs,
    specHash: "9".repeat(64),
    values: [],
  }];
  await assert.rejects(run([batch]), /feature row at .* has spec 999999999999…/);
});

/** Runs `batches` one by one, letting the analyst's calls settle in between (as live bars do). */
async function paced(batches: readonly EventBatch[], llm: LlmAnalyst): Promise<SignalEvent[]> {
  const input = new Subject<EventBatch>();
  const signals: SignalEvent[] = [];
  const done = new Promise<void>((resolve, reject) =>
    input.pipe(fuseSignals({ symbol: SYMBOL, spec: XAUUSD, specHash: SPEC_HASH, llm })).subscribe({
      next: (batch) => signals.push(...batch.filter((e) => e.kind === "signal")),
      complete: resolve,
      error: reject,
    })
  );
  for (const batch of batches) {
    input.next(batch);
    await llm.idle();
  }
  input.complete();
  await done;
  return signals;
}

Deno.test("fuseSignals() uses the LLM answer from the next decision on", async () => {
  const server = startServer(() =>
    completion(JSON.stringify({ side: "sell", confidence: 0.6, reasons: ["test"] }))
  );
  const llm = new LlmAnalyst({
    config: llmConfigSchema.parse({
      enabled: true,
      baseUrl: server.baseUrl,
      cachePath: ":memory:",
      requestEveryMinutes: 60,
    }),
    env: () => undefined,
  });
  try {
    const bars = walk(1500, { seed: 2 });
    const signals = await paced(bars.map((bar) => [bar]), llm);
    const first = signals.findIndex((s) => s.votes.some((v) => v.source === "llm"));
    // The scorer is warm from bar 1439, which asks; bar 1440 is the first to hear.
    assert.equal(first, 1440);
    const votes = signals[first].votes;
    assert.deepEqual(votes.map((v) => v.source), ["technical", "llm"]);
    assert.ok(Math.abs(votes[0].weight - 0.75) < 1e-12 && Math.abs(votes[1].weight - 0.25) < 1e-12);
    assert.equal(votes[1].side, "sell");
    assert.equal(server.received.length, 2, "bars 1439 and 1499: one question per 60 minutes");
  } finally {
    await llm.close();
    await server.stop();
  }
});

Deno.test("fuseSignals() decides every bar at once while the LLM server is slow", async () => {
  const server = startServer(async (_request, stopping) => {
    await sleepUnlessAborted(20_000, stopping);
    return completion("{}");
  });
  const llm = new LlmAnalyst({
    config: llmConfigSchema.parse({
      enabled: true,
      baseUrl: server.baseUrl,
      cachePath: ":memory:",
      requestEveryMinutes: 1,
      timeoutMs: 10_000,
    }),
    env: () => undefined,
    log: () => {},
  });
  try {
    const bars = walk(BARS, { seed: 2 });
    const start = performance.now();
    const out = await lastValueFrom(
      from(bars.map((bar) => [bar])).pipe(
        fuseSignals({ symbol: SYMBOL, spec: XAUUSD, specHash: SPEC_HASH, llm }),
        toArray(),
      ),
    );
    const elapsed = performance.now() - start;
    assert.equal(out.flat().filter((e) => e.kind === "signal").length, BARS);
    // Waiting on the LLM even once would take its 10 s timeout; deciding takes well under 1 s.
    assert.ok(elapsed < 5000, `${BARS} decisions took ${elapsed.toFixed(0)} ms`);
    assert.equal(server.received.length <= 1, true);
    assert.equal(llm.stats.skippedBusy, BARS - 1440);
  } finally {
    await llm.close();
    await server.stop();
  }
});

dataTest(
  "fuseSignals() with the technical-only preset buys and sells on 2017 M1",
  "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz",
  async () => {
    const source = await openSource(
      dataPath("xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz"),
    );
    const counts = await lastValueFrom(
      replay$(source).pipe(
        fuseSignals({
          symbol: source.symbol,
          spec: XAUUSD,
          specHash: SPEC_HASH,
          config: TECHNICAL_ONLY,
        }),
        reduce((acc, batch) => {
          let bid = NaN;
          let spread = NaN;
          for (const event of batch) {
            if (event.kind === "bar") {
              acc.bars++;
              bid = event.bid.close;
              spread = DEFAULT_COSTS.spreadModel.spreadAt(event.openUs);
            }
            if (event.kind !== "signal") continue;
            acc[event.side]++;
            if (event.side === "hold") continue;
            const sign = event.side === "buy" ? 1 : -1;
            assert.ok(sign * (event.entryPrice - event.stopLoss!) > 0);
            assert.ok(sign * (event.takeProfit! - event.entryPrice) > 0);
            // HistData has bid prices only: a buy enters at bid + the default broker profile's
            // spread for the bar's New York hour, as the simulated broker prices its fill.
            const ask = bid + spread;
            assert.ok(Math.abs(event.entryPrice - (event.side === "buy" ? ask : bid)) < 1e-9);
          }
          return acc;
        }, { bars: 0, buy: 0, sell: 0, hold: 0 }),
      ),
    );
    console.log(`technical-only signals on 2017 M1: ${JSON.stringify(counts)}`);
    assert.equal(counts.buy + counts.sell + counts.hold, counts.bars);
    assert.ok(counts.buy > 0 && counts.sell > 0);
  },
);
