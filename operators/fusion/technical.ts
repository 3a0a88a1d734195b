/**
 * The technical scorer: one vote per closed M1 bar from nine components on four
 * timeframes, each scored in [-1, 1] (positive is bullish) and averaged with the
 * configured weights (docs/fusion.md has the table):
 *
 * - RSI on M1 read as oversold (+) / overbought (-), the timing of an entry; on M15
 *   and H1 read as momentum, above 50 (+) / below (-), the direction to trade in;
 * - the M5 MACD crossing its signal line (fading over a few bars) and its histogram
 *   in M5 ATR (momentum);
 * - the M1 fast EMA crossing the slow one (fading) and the fast-slow gap on M5, M15 and
 *   H1 in each one's ATR (alignment);
 * - the M1 stochastic %D zone, confirmed by %K turning;
 * - closeness to the M15 rolling support (+) and resistance (-) in M1 ATR;
 * - then damping near news: the score times `1 - newsProximity(time)`.
 *
 * |score| is the confidence of a buy (score > 0) or sell; below `flatBelow` the vote is
 * flat, with confidence 1 - |score| (how sure it is of no edge). Higher timeframes are
 * resampled here from the M1 bars with `Resampler`, which hands over a bucket only once
 * it has closed, so a vote never sees a forming M5, M15 or H1 bar. No vote (null) until
 * every component is warm. It never reads a clock.
 */

import { resampleBid, ResamplerCascade } from "../bars/resample.ts";
import type { BarSink } from "../bars/bar_sink.ts";
import type { Timeframe } from "../../pipeline/events.ts";
import {
  Atr,
  Ema,
  HighLowDistance,
  Macd,
  type PriceBar,
  Rsi,
  Stochastic,
} from "../indicators/mod.ts";
import type { TechnicalConfig } from "./config.ts";
import { FUSION_DEFAULTS } from "./config.ts";
import type { SourceVote } from "./fuse.ts";

/** How close `timeUs` is to scheduled news: 0 far away, 1 at the release. */
export type NewsProximity = (timeUs: number) => number;

/** The indicator readings behind a vote, for the LLM prompt and for inspection. */
export interface TechnicalState {
  readonly close: number;
  readonly atr: Readonly<Record<ScoredFrame, number>>;
  readonly rsi: Readonly<Record<ScoredFrame, number>>;
  /** Fast minus slow EMA, in the timeframe's ATR. */
  readonly emaGapAtr: Readonly<Record<ScoredFrame, number>>;
  readonly macdHistogramM5: number;
  readonly stochasticK: number;
  readonly stochasticD: number;
  readonly support: number;
  readonly resistance: number;
}

type ScoredFrame = "M1" | "M5" | "M15" | "H1";
const HIGHER: readonly ScoredFrame[] = ["M5", "M15", "H1"];

const clamp = (x: number) => (x > 1 ? 1 : x < -1 ? -1 : x);
const signed = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);

/** The indicators of one timeframe, fed its closed bars. */
class Frame implements BarSink {
  readonly atr: Atr;
  readonly rsi: Rsi;
  readonly fast: Ema;
  readonly slow: Ema;
  atrValue = NaN;
  rsiValue = NaN;
  gap = NaN;
  previousGap = NaN;
  close = NaN;
  /**
   * A higher timeframe's part of the alignment score, tanh(gap in ATR / alignmentAtr):
   * worked out when its bar closes, not at each M1 vote until the next (NaN for M1).
   */
  alignment = NaN;
  private readonly bar = { open: NaN, high: NaN, low: NaN, close: NaN } satisfies PriceBar;

  constructor(
    private readonly config: TechnicalConfig,
    private readonly aligns: boolean,
    private readonly extra?: (bar: PriceBar) => void,
    /** Where each closed bar goes too, once this frame has read it. */
    private readonly tap?: (bar: PriceBar) => void,
  ) {
    this.atr = new Atr(config.atrPeriod);
    this.rsi = new Rsi(config.rsiPeriod);
    this.fast = new Ema(config.emaFast);
    this.slow = new Ema(config.emaSlow);
  }

  get isStable(): boolean {
    return this.atr.isStable && this.rsi.isStable && this.slow.isStable;
  }

  /** The fast-slow EMA gap in this timeframe's ATR (0 on a flat market). */
  get gapAtr(): number {
    return this.atrValue > 0 ? this.gap / this.atrValue : 0;
  }

  push(
    _openUs: number,
    _closeUs: number,
    open: number,
    high: number,
    low: number,
    close: number,
  ): void {
    const bar = this.bar;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    this.close = close;
    this.atrValue = this.atr.update(bar) ?? NaN;
    this.rsiValue = this.rsi.update(bar) ?? NaN;
    const fast = this.fast.update(bar) ?? NaN;
    const slow = this.slow.update(bar) ?? NaN;
    this.previousGap = this.gap;
    this.gap = fast - slow;
    if (this.aligns) this.alignment = Math.tanh(this.gapAtr / this.config.alignmentAtr);
    this.extra?.(bar);
    this.tap?.(bar);
  }
}

/**
 * A consumer of one of the scorer's higher timeframes (the levels' ATR), handed each of
 * its closed bid bars as the scorer reads it, so that M1 is not resampled twice.
 */
export interface HigherBarTap {
  readonly timeframe: "M5" | "M15" | "H1";
  /** The bar object is reused: read it before returning. */
  take(bar: PriceBar): void;
}

/** Does the scorer resample to `timeframe`, so a `HigherBarTap` can take its bars? */
export function isScorerTimeframe(timeframe: Timeframe): timeframe is HigherBarTap["timeframe"] {
  return (HIGHER as readonly string[]).includes(timeframe);
}

/**
 * Scores closed M1 bid bars into technical votes.
 *
 * @example
 * ```ts
 * const scorer = new TechnicalScorer(TECHNICAL_ONLY.technical);
 * const vote = scorer.update(bar.openUs, bar.closeUs, bar.bid); // null while warming up
 * ```
 */
export class TechnicalScorer {
  private readonly frames: Record<ScoredFrame, Frame>;
  private readonly higher: ResamplerCascade;
  private readonly macd: Macd;
  private readonly stochastic: Stochastic;
  private readonly levels: HighLowDistance;
  private readonly weightSum: number;
  /** Each component's weight, in `COMPONENTS` order: read by index on every vote. */
  private readonly componentWeights: Float64Array;
  /** Set once every component is warm: nothing here is ever reset, so it stays so. */
  private stable = false;
  private bars = 0;
  private histogram = NaN;
  /** The M5 histogram in M5 ATR, and its score: worked out when an M5 bar closes. */
  private histogramAtr = NaN;
  private histogramScore = NaN;
  private macdCrossDir = 0;
  private macdCrossBar = -Infinity;
  private emaCrossDir = 0;
  private emaCrossBar = -Infinity;
  private stochK = NaN;
  /**
   * The readings of the higher timeframes as they stand, shared by every vote until one
   * of their bars closes (which clears it): one object per M5 bar, not per vote.
   */
  private higherReadings: HigherReadings | null = null;

  /** `tap`: where the closed bars of one higher timeframe go too, once scored; default none. */
  constructor(
    readonly config: TechnicalConfig = FUSION_DEFAULTS.technical,
    private readonly newsProximity?: NewsProximity,
    tap?: HigherBarTap,
  ) {
    const tapOf = (timeframe: ScoredFrame) =>
      tap?.timeframe === timeframe ? (bar: PriceBar) => tap.take(bar) : undefined;
    this.macd = new Macd({
      fast: config.macdFast,
      slow: config.macdSlow,
      signal: config.macdSignal,
    });
    this.stochastic = new Stochastic({ kPeriod: config.stochasticK, dPeriod: config.stochasticD });
    this.levels = new HighLowDistance(config.levelsLookback);
    this.frames = {
      M1: new Frame(config, false, (bar) => {
        this.stochK = this.stochastic.update(bar) ?? NaN;
      }),
      M5: new Frame(config, true, (bar) => {
        this.higherReadings = null;
        const before = this.histogram;
        this.histogram = this.macd.update(bar) === undefined ? NaN : this.macd.histogram;
        const atr = this.frames.M5.atrValue;
        this.histogramAtr = atr > 0 ? this.histogram / atr : 0;
        this.histogramScore = Math.tanh(this.histogramAtr / config.histogramAtr);
        const dir = crossing(before, this.histogram);
        if (dir !== 0) {
          this.macdCrossDir = dir;
          this.macdCrossBar = this.bars;
        }
      }, tapOf("M5")),
      M15: new Frame(config, true, (bar) => {
        this.higherReadings = null;
        this.levels.update(bar);
      }, tapOf("M15")),
      H1: new Frame(config, true, () => {
        this.higherReadings = null;
      }, tapOf("H1")),
    };
    this.higher = new ResamplerCascade(HIGHER.map((tf) => [tf, this.frames[tf]]));
    this.weightSum = Object.values(config.weights).reduce((a, b) => a + b, 0);
    this.componentWeights = Float64Array.from(COMPONENTS, (c) => config.weights[c.weight]);
  }

  /**
   * The closed bars of each timeframe the components need before the first vote: the
   * history a run reads before it trades (operators/warmup/).
   */
  get warmUp(): readonly { readonly timeframe: ScoredFrame; readonly bars: number }[] {
    const frame = (f: Frame) =>
      Math.max(f.atr.requiredBars, f.rsi.requiredBars, f.slow.requiredBars);
    const f = this.frames;
    return [
      { timeframe: "M1", bars: Math.max(frame(f.M1), this.stochastic.requiredBars) },
      { timeframe: "M5", bars: Math.max(frame(f.M5), this.macd.requiredBars) },
      { timeframe: "M15", bars: Math.max(frame(f.M15), this.levels.requiredBars) },
      { timeframe: "H1", bars: frame(f.H1) },
    ];
  }

  /** Is every component warm, so that `update()` votes? */
  get isStable(): boolean {
    return this.stable ||= this.frames.M1.isStable && this.frames.M5.isStable &&
      this.frames.M15.isStable && this.frames.H1.isStable && this.macd.isStable &&
      this.stochastic.isStable && this.levels.isStable;
  }

  /**
   * Feeds one closed M1 bid bar; returns the technical vote at its close, or null while
   * any component is warming up. Higher-timeframe buckets the bar completes count at once.
   */
  update(openUs: number, closeUs: number, bar: PriceBar): SourceVote | null {
    this.bars++;
    resampleBid(this.higher, openUs, closeUs, bar, 0);
    const m1 = this.frames.M1;
    m1.push(openUs, closeUs, bar.open, bar.high, bar.low, bar.close);
    const dir = crossing(m1.previousGap, m1.gap);
    if (dir !== 0) {
      this.emaCrossDir = dir;
      this.emaCrossBar = this.bars;
    }
    return this.isStable ? this.vote(closeUs) : null;
  }

  /** The readings at the last bar, or null while warming up. */
  state(): TechnicalState | null {
    if (!this.isStable) return null;
    const f = this.frames;
    const per = (read: (frame: Frame) => number) => ({
      M1: read(f.M1),
      M5: read(f.M5),
      M15: read(f.M15),
      H1: read(f.H1),
    });
    return {
      close: f.M1.close,
      atr: per((frame) => frame.atrValue),
      rsi: per((frame) => frame.rsiValue),
      emaGapAtr: per((frame) => frame.gapAtr),
      macdHistogramM5: this.histogram,
      stochasticK: this.stochK,
      stochasticD: this.stochastic.d,
      support: this.levels.low,
      resistance: this.levels.high,
    };
  }

  private vote(closeUs: number): SourceVote {
    const c = this.config;
    const f = this.frames;
    const higher = this.higherReadings ??= {
      rsiM15: f.M15.rsiValue,
      rsiH1: f.H1.rsiValue,
      macdCrossDir: this.macdCrossDir,
      histogramAtr: this.histogramAtr,
      histogramScore: this.histogramScore,
      gapM5: f.M5.gapAtr,
      gapM15: f.M15.gapAtr,
      gapH1: f.H1.gapAtr,
      alignmentM5: f.M5.alignment,
      alignmentM15: f.M15.alignment,
      alignmentH1: f.H1.alignment,
    };
    const readings: Readings = {
      higher,
      rsiM1: f.M1.rsiValue,
      macdAge: this.bars - this.macdCrossBar,
      emaCrossDir: this.emaCrossDir,
      emaAge: this.bars - this.emaCrossBar,
      stochK: this.stochK,
      stochD: this.stochastic.d,
      toSupport: f.M1.atrValue > 0
        ? Math.max(0, f.M1.close - this.levels.low) / f.M1.atrValue
        : Infinity,
      toResistance: f.M1.atrValue > 0
        ? Math.max(0, this.levels.high - f.M1.close) / f.M1.atrValue
        : Infinity,
      score: NaN,
      proximity: 0,
    };
    let sum = 0;
    const weights = this.componentWeights;
    for (let i = 0; i < weights.length; i++) {
      const weight = weights[i];
      if (weight !== 0) sum += weight * componentScore(i, readings, c);
    }

    let score = sum / this.weightSum;
    const proximity = this.newsProximity
      ? Math.min(1, Math.max(0, this.newsProximity(closeUs)))
      : 0;
    if (proximity > 0) score *= 1 - proximity;
    readings.score = score;
    readings.proximity = proximity;
    const strength = Math.abs(score);
    // A flat vote's confidence is in "no edge", so a weaker lean makes it surer.
    return strength < c.flatBelow
      ? new TechnicalVote("flat", 1 - strength, readings, c)
      : new TechnicalVote(score > 0 ? "buy" : "sell", strength, readings, c);
  }
}

/**
 * A technical vote. Formatting its reasons costs more than scoring it, and most votes end
 * in a hold nobody reads, so they are written on first read, from the readings of its
 * bar. `reasons` is therefore a getter of the class, not an own property: a spread copy
 * of the vote has none, but its JSON is that of a plain vote (reasons included).
 */
class TechnicalVote implements SourceVote {
  readonly source = "technical";
  readonly side: "buy" | "sell" | "flat";
  readonly confidence: number;
  readonly #readings: Readings;
  readonly #config: TechnicalConfig;
  #reasons: readonly string[] | null = null;

  constructor(
    side: "buy" | "sell" | "flat",
    confidence: number,
    readings: Readings,
    config: TechnicalConfig,
  ) {
    this.side = side;
    this.confidence = confidence;
    this.#readings = readings;
    this.#config = config;
  }

  get reasons(): readonly string[] {
    return this.#reasons ??= technicalReasons(this.#readings, this.#config);
  }

  toJSON(): SourceVote {
    return {
      source: this.source,
      side: this.side,
      confidence: this.confidence,
      reasons: this.reasons,
    };
  }
}

/** The readings that change only when an M5, M15 or H1 bar closes. */
interface HigherReadings {
  readonly rsiM15: number;
  readonly rsiH1: number;
  readonly macdCrossDir: number;
  readonly histogramAtr: number;
  /** tanh(histogramAtr / the config's histogramAtr). */
  readonly histogramScore: number;
  /** The fast-slow EMA gap in ATR on each of `HIGHER`. */
  readonly gapM5: number;
  readonly gapM15: number;
  readonly gapH1: number;
  /** tanh(gap / the config's alignmentAtr) on each of `HIGHER`. */
  readonly alignmentM5: number;
  readonly alignmentM15: number;
  readonly alignmentH1: number;
}

/**
 * What one vote read, kept so its reasons can be written later: numbers, and the higher
 * timeframes' readings it shares with the votes around it. The component scores are
 * worked out from it (`componentScore`), not stored.
 */
interface Readings {
  readonly higher: HigherReadings;
  readonly rsiM1: number;
  readonly macdAge: number;
  readonly emaCrossDir: number;
  readonly emaAge: number;
  readonly stochK: number;
  readonly stochD: number;
  readonly toSupport: number;
  readonly toResistance: number;
  score: number;
  proximity: number;
}

type Weights = TechnicalConfig["weights"];

/** How near a level `distance` ATRs away is: 1 at it, 0 from `nearAtr` ATRs on. */
const nearness = (distance: number, nearAtr: number) => Math.max(0, 1 - distance / nearAtr);

/** Component `index` of `COMPONENTS` scored from the readings, in [-1, 1]. */
function componentScore(index: number, r: Readings, c: TechnicalConfig): number {
  switch (index) {
    case 0:
      return clamp((50 - r.rsiM1) / c.rsiBand);
    case 1:
      return clamp((r.higher.rsiM15 - 50) / c.rsiBand);
    case 2:
      return clamp((r.higher.rsiH1 - 50) / c.rsiBand);
    case 3:
      return r.higher.macdCrossDir * fade(r.macdAge, c.crossFadeBars);
    case 4:
      return r.higher.histogramScore;
    case 5:
      return r.emaCrossDir * fade(r.emaAge, c.crossFadeBars);
    case 6: {
      let alignment = 0;
      alignment += r.higher.alignmentM5;
      alignment += r.higher.alignmentM15;
      alignment += r.higher.alignmentH1;
      return alignment / HIGHER.length;
    }
    case 7: {
      const zone = clamp((50 - r.stochD) / 30);
      return zone * (Math.sign(r.stochK - r.stochD) === Math.sign(zone) ? 1 : 0.5);
    }
    default:
      return nearness(r.toSupport, c.levelsNearAtr) - nearness(r.toResistance, c.levelsNearAtr);
  }
}

/** The components in `componentScore` order: the name in the reasons, the weight, the detail. */
const COMPONENTS: readonly {
  readonly name: string;
  readonly weight: keyof Weights;
  readonly detail: (r: Readings) => string;
}[] = [
  { name: "rsi M1", weight: "rsiM1", detail: (r) => r.rsiM1.toFixed(1) },
  { name: "rsi M15", weight: "rsiM15", detail: (r) => r.higher.rsiM15.toFixed(1) },
  { name: "rsi H1", weight: "rsiH1", detail: (r) => r.higher.rsiH1.toFixed(1) },
  {
    name: "macd M5 cross",
    weight: "macdCross",
    detail: (r) =>
      r.higher.macdCrossDir === 0
        ? "none"
        : `${r.higher.macdCrossDir > 0 ? "up" : "down"} ${r.macdAge}m ago`,
  },
  {
    name: "macd M5 histogram",
    weight: "macdHistogram",
    detail: (r) => `${signed(r.higher.histogramAtr)} atr`,
  },
  {
    name: "ema M1 cross",
    weight: "emaCross",
    detail: (r) =>
      r.emaCrossDir === 0 ? "none" : `${r.emaCrossDir > 0 ? "up" : "down"} ${r.emaAge}m ago`,
  },
  {
    name: "ema alignment",
    weight: "emaAlignment",
    detail: (r) =>
      `M5 ${signed(r.higher.gapM5)} M15 ${signed(r.higher.gapM15)} H1 ${signed(r.higher.gapH1)}`,
  },
  {
    name: "stochastic M1",
    weight: "stochastic",
    detail: (r) => `K ${r.stochK.toFixed(1)} D ${r.stochD.toFixed(1)}`,
  },
  {
    name: "support/resistance M15",
    weight: "supportResistance",
    detail: (r) =>
      `${r.toSupport.toFixed(1)} atr above support, ${r.toResistance.toFixed(1)} below resistance`,
  },
];

/** The vote's reasons: the score, each weighted component, then any news damping. */
function technicalReasons(r: Readings, config: TechnicalConfig): string[] {
  const reasons = [`score ${signed(r.score)}`];
  for (let i = 0; i < COMPONENTS.length; i++) {
    const { name, weight, detail } = COMPONENTS[i];
    const w = config.weights[weight];
    if (w !== 0) {
      reasons.push(`${name} ${detail(r)}: ${signed(componentScore(i, r, config))} x ${w}`);
    }
  }
  if (r.proximity > 0) {
    reasons.push(
      `news proximity ${r.proximity.toFixed(2)}: score x ${(1 - r.proximity).toFixed(2)}`,
    );
  }
  return reasons;
}

/** +1 when a gap turns positive, -1 when it turns negative, else 0. */
function crossing(before: number, after: number): number {
  if (!(before === before && after === after)) return 0;
  if (before <= 0 && after > 0) return 1;
  if (before >= 0 && after < 0) return -1;
  return 0;
}

/** 1 on the bar of the event, falling linearly to 0 after `bars` bars. */
function fade(age: number, bars: number): number {
  return age >= bars ? 0 : 1 - age / bars;
}
