/**
 * `fuseVotes`: the sources' votes to one decision with its stop and target.
 *
 * 1. Each vote gets its source's configured weight; sources that did not vote (absent)
 *    and sources weighted 0 drop out, and the remaining weights are renormalised to sum
 *    to 1. A flat vote stays in: "no edge" is an opinion and dilutes the others.
 * 2. Score = sum of weight x confidence, signed +1 buy, -1 sell, 0 flat: in [-1, 1].
 * 3. The side is the score's sign; the confidence is |score| times the regime factor for
 *    that side (see regime.ts), capped at 1.
 * 4. Below the gate, or with no side, or with the levels still warming up: hold, with
 *    the confidence it had and no levels. Nothing is invented when no source votes.
 * 5. Otherwise the entry reference is the ask for a buy (bid + the quote's spread when
 *    the data has no ask: its spread column, else the broker profile's spread model) and
 *    the bid for a sell; stop and target are the level model's distances (levels.ts),
 *    rounded to whole points (at least one), as distances in price units and points and as
 *    absolute prices.
 */

import {
  EVENT_VERSION,
  type RegimeEvent,
  type SignalEvent,
  type Vote,
} from "../../pipeline/events.ts";
import type { SymbolSpec } from "../../pipeline/symbols.ts";
import type { FusionConfig } from "./config.ts";
import type { LevelDistances } from "./levels.ts";
import { type RegimeEffect, regimeEffect } from "./regime.ts";

/** Where a decision's stop and target distances come from: `LevelModel`, or a fixed rule. */
export interface LevelSource {
  distances(spread: number, price: number, timeUs: number): LevelDistances | null;
}

/** A source's vote before fusion gives it a weight. */
export type SourceVote = Omit<Vote, "weight">;

/** The prices at the decision: the M1 bar's bid close and whatever the data says of the ask. */
export interface DecisionQuote {
  readonly symbol: string;
  /** Decision time: the close of the bar. */
  readonly timeUs: number;
  readonly bid: number;
  readonly ask: number | null;
  /**
   * Spread in price units when `ask` is null: the data's spread column, else the broker
   * profile's spread model at the bar (the simulated broker's rule). A buy without either
   * cannot be priced and is an error.
   */
  readonly spread: number | null;
}

export interface FuseVotesOptions {
  readonly config: Pick<FusionConfig, "weights" | "gate" | "regime" | "levels">;
  readonly spec: SymbolSpec;
  readonly quote: DecisionQuote;
  /**
   * Stop and target distances for a decision at a given spread (a `LevelModel`); null
   * while they warm up. Asked only when a side clears the gate.
   */
  readonly levels: LevelSource;
  /** The latest regime of the symbol, or null before the first. */
  readonly regime: RegimeEvent | null;
  /** Hash of the feature spec the pipeline runs. */
  readonly specHash: string;
  /** The production model behind the ML vote, if there was one. */
  readonly modelId: string | null;
}

const WEIGHTED = ["technical", "ml", "llm"] as const;

/** Removes binary noise (1249.1700000000001) without moving a price off its grid. */
const tidy = (x: number) => Math.round(x * 1e8) / 1e8;

/** Fuses the votes of one decision into a signal; every bar gets one, hold included. */
export function fuseVotes(votes: readonly SourceVote[], options: FuseVotesOptions): SignalEvent {
  const { config, quote, spec } = options;
  checkVotes(votes);
  let total = 0;
  for (const vote of votes) total += weightOf(vote, config.weights);
  let score = 0;
  const cached = cachedRegimeEffect(options.regime, config.regime);
  // Sized to hold them all: an array grown by push first reserves 16 slots.
  const weighed: Vote[] = new Array(votes.length + (cached ? 1 : 0));
  for (let i = 0; i < votes.length; i++) {
    const vote = votes[i];
    const weight = total > 0 ? weightOf(vote, config.weights) / total : 0;
    const direction = vote.side === "buy" ? 1 : vote.side === "sell" ? -1 : 0;
    score += weight * direction * vote.confidence;
    weighed[i] = new WeightedVote(vote, weight);
  }
  const effect = cached && cached.effect;
  if (cached) weighed[votes.length] = cached.vote;
  const fused = score > 0 ? "buy" : score < 0 ? "sell" : null;
  const factor = fused === null || effect === null ? 1 : effect[fused];
  const confidence = Math.min(1, Math.abs(score) * factor);

  // Hold unless a side clears the gate with warm levels; then the levels are set.
  const asks = fused !== null && !(confidence < config.gate);
  if (asks && quote.ask === null && quote.spread === null) {
    throw new TypeError(
      `Cannot fuse the decision at ${quote.timeUs}: the quote has neither an ask nor a spread`,
    );
  }
  const spread = quote.ask !== null ? quote.ask - quote.bid : quote.spread!;
  const distances = asks ? options.levels.distances(spread, quote.bid, quote.timeUs) : null;
  const trades = distances !== null;
  let entryPrice = quote.bid;
  let stopLoss: number | null = null;
  let takeProfit: number | null = null;
  let stopDistance: number | null = null;
  let takeDistance: number | null = null;
  let stopPoints: number | null = null;
  let takePoints: number | null = null;
  if (distances !== null) {
    const ask = quote.ask ?? tidy(quote.bid + spread);
    entryPrice = fused === "buy" ? ask : quote.bid;
    stopPoints = Math.max(1, Math.round(distances.stop / spec.point));
    takePoints = Math.max(1, Math.round(distances.take / spec.point));
    stopDistance = tidy(stopPoints * spec.point);
    takeDistance = tidy(takePoints * spec.point);
    const direction = fused === "buy" ? 1 : -1;
    stopLoss = tidy(entryPrice - direction * stopDistance);
    takeProfit = tidy(entryPrice + direction * takeDistance);
  }
  return {
    v: EVENT_VERSION,
    kind: "signal",
    symbol: quote.symbol,
    timeUs: quote.timeUs,
    confidence,
    votes: weighed,
    regime: cached && cached.summary,
    specHash: options.specHash,
    modelId: options.modelId,
    side: trades ? fused! : "hold",
    entryPrice,
    stopLoss,
    takeProfit,
    stopDistance,
    takeDistance,
    stopPoints,
    takePoints,
  };
}

/**
 * The vote with its weight. Its reasons are passed on unread: a source may build them
 * only when read (the technical scorer does), and most signals are holds nobody reads.
 * A class, so a signal's vote costs one small allocation; its JSON is a plain vote's.
 */
class WeightedVote implements Vote {
  readonly source: Vote["source"];
  readonly side: Vote["side"];
  readonly confidence: number;
  readonly weight: number;
  readonly #vote: SourceVote;

  constructor(vote: SourceVote, weight: number) {
    this.source = vote.source;
    this.side = vote.side;
    this.confidence = vote.confidence;
    this.weight = weight;
    this.#vote = vote;
  }

  get reasons(): readonly string[] {
    return this.#vote.reasons;
  }

  toJSON(): Vote {
    return {
      source: this.source,
      side: this.side,
      confidence: this.confidence,
      reasons: this.reasons,
      weight: this.weight,
    };
  }
}

/** What the regime means for the signals of its bars, shared by them all. */
interface CachedRegime {
  readonly effect: RegimeEffect;
  /** Its weightless vote. */
  readonly vote: Vote;
  /** The signal's `regime`. */
  readonly summary: NonNullable<SignalEvent["regime"]>;
}

/**
 * The last regime's effect, vote and summary: a regime holds for hours of bars, so they
 * are built once per change and shared by the signals of those bars.
 */
let lastEffect:
  | CachedRegime & {
    readonly regime: RegimeEvent;
    readonly config: FusionConfig["regime"];
  }
  | null = null;

function cachedRegimeEffect(
  regime: RegimeEvent | null,
  config: FusionConfig["regime"],
): CachedRegime | null {
  if (regime === null) return null;
  if (lastEffect?.regime !== regime || lastEffect.config !== config) {
    const effect = regimeEffect(regime, config)!;
    lastEffect = {
      regime,
      config,
      effect,
      vote: { ...effect.vote, weight: 0 },
      summary: { volatility: regime.volatility, trend: regime.trend },
    };
  }
  return lastEffect;
}

function weightOf(vote: SourceVote, weights: FusionConfig["weights"]): number {
  return weights[vote.source as typeof WEIGHTED[number]];
}

/** The sources' contract: one vote each, confidence in [0, 1], regime passed apart. */
function checkVotes(votes: readonly SourceVote[]): void {
  for (let i = 0; i < votes.length; i++) {
    const vote = votes[i];
    if (!(WEIGHTED as readonly string[]).includes(vote.source)) {
      throw new TypeError(
        `Cannot fuse a "${vote.source}" vote: only technical, ml and llm vote; ` +
          `pass the regime as options.regime`,
      );
    }
    for (let j = 0; j < i; j++) {
      if (votes[j].source === vote.source) {
        throw new RangeError(`Cannot fuse two votes from "${vote.source}" for one decision`);
      }
    }
    if (!(vote.confidence >= 0 && vote.confidence <= 1)) {
      throw new RangeError(
        `Cannot fuse the ${vote.source} vote: confidence ${vote.confidence} is outside 0-1`,
      );
    }
  }
}
