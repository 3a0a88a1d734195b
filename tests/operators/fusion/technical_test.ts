/**
 * `TechnicalScorer`: warm-up, higher timeframes seen only once their bucket has closed,
 * the sign of each component on a known trend, damping near news, and on real 2017 M1
 * data buy and sell votes above the technical-only gate (their counts are printed).
 */

import assert from "node:assert/strict";
import {
  parseFusionConfig,
  type SourceVote,
  TECHNICAL_ONLY,
  TechnicalScorer,
} from "@/operators/fusion/mod.ts";
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

dataTest(
  "TechnicalScorer votes buy and sell above the technical-only gate on 2017 M1",
  HISTDATA_2017,
  async () => {
    const gate = TECHNICAL_ONLY.gate;
    const scorer = new TechnicalScorer(TECHNICAL_ONLY.technical);
    const counts = {
      bars: 0,
      warmUp: 0,
      buyAboveGate: 0,
      sellAboveGate: 0,
      buyBelow: 0,
      sellBelow: 0,
      flat: 0,
    };
    const bar = { open: NaN, high: NaN, low: NaN, close: NaN };
    for await (const batch of (await openSource(dataPath(HISTDATA_2017))).batches()) {
      if (batch.kind !== "bars") continue;
      for (let i = 0; i < batch.length; i++) {
        bar.open = batch.bidOpen[i];
        bar.high = batch.bidHigh[i];
        bar.low = batch.bidLow[i];
        bar.close = batch.bidClose[i];
        const vote = scorer.update(batch.openUs[i], batch.closeUs[i], bar);
        counts.bars++;
        if (vote === null) counts.warmUp++;
        else if (vote.side === "flat") counts.flat++;
        else if (vote.side === "buy") {
          vote.confidence >= gate ? counts.buyAboveGate++ : counts.buyBelow++;
        } else vote.confidence >= gate ? counts.sellAboveGate++ : counts.sellBelow++;
        assert.ok(vote === null || (vote.confidence >= 0 && vote.confidence <= 1));
      }
    }
    console.log(`technical votes on 2017 M1, gate ${gate}: ${JSON.stringify(counts)}`);
    assert.ok(counts.buyAboveGate > 0 && counts.sellAboveGate > 0);
    assert.ok(counts.flat > 0);
    assert.ok(counts.warmUp < 1500);
  },
);
