/**
 * `TechnicalScorer`: warm-up, higher timeframes seen only once their bucket has closed,
 * the sign of each component on a known trend, damping near news, and on real 2017 M1
 * data the first vote where the bar times put it and every vote's side and confidence
 * as docs/fusion.md's table computes them from the bar's readings (counts are printed).
 */

import assert from "node:assert/strict";
import {
  parseFusionConfig,
  type SourceVote,
  TECHNICAL_ONLY,
  type TechnicalConfig,
  TechnicalScorer,
  type TechnicalState,
} from "@/operators/fusion/mod.ts";
import { bidBarAt } from "@/operators/indicators/mod.ts";
import { type BarEvent, US_PER_MINUTE } from "@/pipeline/events.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { START_US, walk } from "./_fixtures.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

function votesOf(scorer: TechnicalScorer, bars: readonly BarEvent[]): (SourceVote | null)[] {
  return bars.map((bar) => scorer.update(bar.openUs, bar.closeUs, bar.bid));
}

const signedScore = (vote: SourceVote) =>
  vote.side === "flat" ? 0 : (vote.side === "buy" ? 1 : -1) * vote.confidence;

Deno.test("TechnicalScorer.update() votes from the bar that completes the 96th M15 bucket", () => {
  // The binding warm-up is the M15 support/resistance look-back: 96 x 15 = 1440 minutes.
  const scorer = new TechnicalScorer();
  const votes = votesOf(scorer, walk(1500));
  assert.equal(votes.findIndex((vote) => vote !== null), 1439);
  assert.ok(votes.slice(1439).every((vote) => vote !== null));
  assert.ok(scorer.state() !== null);
  assert.equal(new TechnicalScorer().state(), null);
});

Deno.test("TechnicalScorer reads M15 and H1 only from closed buckets", () => {
  const scorer = new TechnicalScorer();
  votesOf(scorer, walk(3 * 1440));
  // A violent rally inside the next hour: the H1 RSI must not move until the hour closes.
  const from = START_US + 3 * 1440 * US_PER_MINUTE;
  const before = scorer.state()!;
  let price = before.close;
  for (let minute = 0; minute < 60; minute++) {
    const open = price;
    price += 5;
    scorer.update(from + minute * US_PER_MINUTE, from + (minute + 1) * US_PER_MINUTE, {
      open,
      high: price + 0.05,
      low: open - 0.05,
      close: price,
    });
    const state = scorer.state()!;
    assert.equal(state.rsi.H1 === before.rsi.H1, minute < 59, `H1 RSI at minute ${minute}`);
    assert.equal(state.rsi.M15 === before.rsi.M15, minute < 14, `M15 RSI at minute ${minute}`);
    assert.equal(state.rsi.M1 === before.rsi.M1, false, `M1 RSI at minute ${minute}`);
  }
});

Deno.test("TechnicalScorer components point the documented way on a steady rise", async (t) => {
  const rising = walk(4 * 1440, { drift: 0.08, seed: 3 });
  const cases: [string, "buy" | "sell"][] = [
    ["emaAlignment", "buy"],
    ["rsiM15", "buy"],
    ["rsiH1", "buy"],
    ["rsiM1", "sell"],
    ["stochastic", "sell"],
    ["supportResistance", "sell"],
  ];
  const none = Object.fromEntries(cases.map(([name]) => [name, 0]));
  for (const [component, side] of cases) {
    await t.step(`${component} says ${side}`, () => {
      const only = parseFusionConfig({
        technical: {
          weights: { ...none, macdCross: 0, macdHistogram: 0, emaCross: 0, [component]: 1 },
        },
      });
      const votes = votesOf(new TechnicalScorer(only.technical), rising).filter((v) => v !== null);
      const mean = votes.reduce((sum, vote) => sum + signedScore(vote!), 0) / votes.length;
      assert.ok(side === "buy" ? mean > 0.1 : mean < -0.1, `mean score ${mean.toFixed(3)}`);
    });
  }
});

Deno.test("TechnicalScorer damps its score by the news proximity", () => {
  const bars = walk(3000, { seed: 5 });
  const plain = votesOf(new TechnicalScorer(), bars);
  const half = votesOf(new TechnicalScorer(undefined, () => 0.5), bars);
  const atNews = votesOf(new TechnicalScorer(undefined, () => 1), bars);
  let compared = 0;
  for (let i = 0; i < bars.length; i++) {
    const vote = plain[i];
    if (vote === null) continue;
    assert.equal(atNews[i]!.side, "flat");
    assert.ok(atNews[i]!.reasons.includes("news proximity 1.00: score x 0.00"));
    if (vote.side !== "flat" && vote.confidence >= 0.2) {
      assert.equal(half[i]!.side, vote.side);
      assert.ok(Math.abs(half[i]!.confidence - vote.confidence / 2) < 1e-12);
      compared++;
    }
  }
  assert.ok(compared > 100, `only ${compared} votes compared`);
});

Deno.test("TechnicalScorer gives each component's score and weight as reasons", () => {
  const vote = votesOf(new TechnicalScorer(), walk(1440)).at(-1)!;
  const prefixes = [
    "score ",
    "rsi M1 ",
    "rsi M15 ",
    "rsi H1 ",
    "macd M5 cross ",
    "macd M5 histogram ",
    "ema M1 cross ",
    "ema alignment ",
    "stochastic M1 ",
    "support/resistance M15 ",
  ];
  assert.equal(vote.reasons.length, prefixes.length);
  prefixes.forEach((prefix, i) => assert.ok(vote.reasons[i].startsWith(prefix), vote.reasons[i]));
  assert.match(vote.reasons[1], /^rsi M1 \d+\.\d: [-+]\d\.\d\d x 0\.1$/);
});

/**
 * The technical score recomputed from a bar's readings (`state()`) by the table of
 * docs/fusion.md, written from the document, not from technical.ts. The two crossing
 * components need the bar at which the M1 EMA gap and the M5 MACD histogram last changed
 * sign, which `crosses` tracks from consecutive states.
 */
function documentedScore(
  s: TechnicalState,
  crosses: { ema: number; emaAge: number; macd: number; macdAge: number },
  c: TechnicalConfig,
): number {
  const clip = (x: number) => Math.min(1, Math.max(-1, x));
  const fading = (age: number) => Math.max(0, 1 - age / c.crossFadeBars);
  const near = (d: number) => Math.max(0, 1 - d / c.levelsNearAtr);
  const zone = clip((50 - s.stochasticD) / 30);
  const turned = zone > 0 ? s.stochasticK > s.stochasticD : s.stochasticK < s.stochasticD;
  const w = c.weights;
  const parts: [number, number][] = [
    [w.rsiM1, clip((50 - s.rsi.M1) / c.rsiBand)],
    [w.rsiM15, clip((s.rsi.M15 - 50) / c.rsiBand)],
    [w.rsiH1, clip((s.rsi.H1 - 50) / c.rsiBand)],
    [w.macdCross, crosses.macd * fading(crosses.macdAge)],
    [w.macdHistogram, Math.tanh(s.macdHistogramM5 / s.atr.M5 / c.histogramAtr)],
    [w.emaCross, crosses.ema * fading(crosses.emaAge)],
    [
      w.emaAlignment,
      (Math.tanh(s.emaGapAtr.M5 / c.alignmentAtr) + Math.tanh(s.emaGapAtr.M15 / c.alignmentAtr) +
        Math.tanh(s.emaGapAtr.H1 / c.alignmentAtr)) / 3,
    ],
    [w.stochastic, zone * (zone !== 0 && turned ? 1 : 0.5)],
    [
      w.supportResistance,
      near(Math.max(0, s.close - s.support) / s.atr.M1) -
      near(Math.max(0, s.resistance - s.close) / s.atr.M1),
    ],
  ];
  return parts.reduce((sum, [weight, x]) => sum + weight * x, 0) /
    parts.reduce((sum, [weight]) => sum + weight, 0);
}

/**
 * The index of the first bar by which `buckets` M15 buckets have closed, from the bar
 * times alone: a bucket closes on the bar ending at its end, or on the first bar of a
 * later bucket (after a hole).
 */
function firstBarClosingM15(
  openUs: readonly number[],
  closeUs: readonly number[],
  buckets: number,
) {
  const M15 = 15 * US_PER_MINUTE;
  let closed = 0;
  let open = -1;
  for (let i = 0; i < openUs.length; i++) {
    const bucket = Math.floor(openUs[i] / M15);
    if (open >= 0 && bucket > open) closed++;
    open = bucket;
    if (closeUs[i] === (bucket + 1) * M15) {
      closed++;
      open = -1;
    }
    if (closed >= buckets) return i;
  }
  return -1;
}

dataTest(
  "TechnicalScorer votes on 2017 M1 from the 96th closed M15 bucket, each as docs/fusion.md scores it",
  HISTDATA_2017,
  async () => {
    const config = TECHNICAL_ONLY.technical;
    const gate = TECHNICAL_ONLY.gate;
    const scorer = new TechnicalScorer(config);
    const openUs: number[] = [];
    const closeUs: number[] = [];
    const crosses = { ema: 0, emaAge: Infinity, macd: 0, macdAge: Infinity };
    let previous: TechnicalState | null = null;
    let firstVote = -1;
    let compared = 0;
    const counts = { buyAboveGate: 0, sellAboveGate: 0, flat: 0 };
    const bar = { open: NaN, high: NaN, low: NaN, close: NaN };
    for await (const batch of (await openSource(dataPath(HISTDATA_2017))).batches()) {
      if (batch.kind !== "bars") continue;
      for (let i = 0; i < batch.length; i++) {
        openUs.push(batch.openUs[i]);
        closeUs.push(batch.closeUs[i]);
        const vote = scorer.update(batch.openUs[i], batch.closeUs[i], bidBarAt(batch, i, bar));
        const state = scorer.state();
        assert.equal(vote === null, state === null);
        if (vote === null || state === null) continue;
        if (firstVote < 0) firstVote = openUs.length - 1;
        crosses.emaAge++;
        crosses.macdAge++;
        const turn = (before: number, after: number) =>
          before <= 0 && after > 0 ? 1 : before >= 0 && after < 0 ? -1 : 0;
        if (previous !== null) {
          const ema = turn(previous.emaGapAtr.M1, state.emaGapAtr.M1);
          if (ema !== 0) [crosses.ema, crosses.emaAge] = [ema, 0];
          const macd = turn(previous.macdHistogramM5, state.macdHistogramM5);
          if (macd !== 0) [crosses.macd, crosses.macdAge] = [macd, 0];
        }
        previous = state;
        if (vote.side === "flat") counts.flat++;
        else if (vote.confidence >= gate) {
          counts[vote.side === "buy" ? "buyAboveGate" : "sellAboveGate"]++;
        }
        // Crossings during the warm-up are unseen here; they fade out after crossFadeBars.
        if (openUs.length - 1 - firstVote < config.crossFadeBars) continue;
        const score = documentedScore(state, crosses, config);
        const side = Math.abs(score) < config.flatBelow ? "flat" : score > 0 ? "buy" : "sell";
        const confidence = side === "flat" ? 1 - Math.abs(score) : Math.abs(score);
        assert.equal(vote.side, side, `bar ${openUs.length - 1}: score ${score}`);
        assert.ok(Math.abs(vote.confidence - confidence) < 1e-9, `bar ${openUs.length - 1}`);
        compared++;
      }
    }
    console.log(`technical votes on 2017 M1, gate ${gate}: ${JSON.stringify(counts)}`);
    assert.equal(firstVote, firstBarClosingM15(openUs, closeUs, config.levelsLookback));
    assert.equal(compared, openUs.length - firstVote - config.crossFadeBars);
  },
);
