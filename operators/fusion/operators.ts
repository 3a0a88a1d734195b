/**
 * `fuseSignals`: the fusion stage. One `SignalEvent` per closed M1 bar of the symbol,
 * hold included, so every decision is visible in the journal.
 *
 * 1. Every input event passes through unchanged and in order.
 * 2. An M1 bar of the symbol feeds the technical scorer and the level model (levels.ts),
 *    and opens a decision at its close.
 * 3. The decision waits for the events of the same bar in the same batch: its feature
 *    row, its predictions (the production one is the ML vote; shadows are ignored) and
 *    a regime change at its close. The signal goes right after them, before the first
 *    event that is not one of them (or at the end of the batch), so events stay in
 *    time order.
 * 4. The LLM vote is whatever answer has arrived for an earlier decision; then the
 *    analyst is asked about this one, fire-and-forget: nothing in the stream awaits it.
 *
 * It maps batch to batch and never schedules per event. Feature rows of another spec
 * than `specHash` fail the stage: the hash written into every signal must be true.
 */

import { defer, map, type OperatorFunction } from "rxjs";
import {
  type BarEvent,
  type EventBatch,
  isoFromUs,
  type MarketEvent,
  type PredictionEvent,
  type RegimeEvent,
} from "../../pipeline/events.ts";
import type { SymbolSpec } from "../../pipeline/symbols.ts";
import { type CostModel, DEFAULT_COSTS } from "../execution/costs.ts";
import { barSpread } from "../execution/quotes.ts";
import { FUSION_DEFAULTS, type FusionConfig } from "./config.ts";
import { type DecisionQuote, fuseVotes, type FuseVotesOptions, type SourceVote } from "./fuse.ts";
import { type LevelAtrRecord, LevelModel } from "./levels.ts";
import type { LlmAnalyst } from "./llm.ts";
import { mlVote } from "./ml.ts";
import { isScorerTimeframe, type NewsProximity, TechnicalScorer } from "./technical.ts";

export interface FuseSignalsOptions {
  /** The symbol whose M1 bars are decided on; other events pass through. */
  readonly symbol: string;
  /** Its contract: the point and digits of the stop and target. */
  readonly spec: SymbolSpec;
  /**
   * The broker's terms: its spread model prices a buy's entry on bid-only data, and its
   * `roundTripCost` is what the levels' cost floor measures. Default: the default broker
   * profile's.
   */
  readonly costs?: CostModel;
  /** Hash of the feature spec the pipeline runs, written into every signal. */
  readonly specHash: string;
  /** Default `FUSION_DEFAULTS`; `TECHNICAL_ONLY` trades without model or LLM. */
  readonly config?: FusionConfig;
  /** Closeness to scheduled news, 0-1, which damps the technical score; default none. */
  readonly newsProximity?: NewsProximity;
  /** The LLM analyst, owned (and closed) by the caller; default none. */
  readonly llm?: LlmAnalyst;
  /** Where to record the levels' ATR after each M1 bar of the symbol; default nowhere. */
  readonly levelAtr?: LevelAtrRecord;
}

/** A readonly shape the operator fills in place, so a decision allocates no options. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Inserts one `SignalEvent` after each closed M1 bar of `options.symbol`.
 *
 * @example
 * ```ts
 * const stage = {
 *   name: "fusion",
 *   operator: fuseSignals({ symbol: "XAUUSD", spec: XAUUSD, specHash, config: TECHNICAL_ONLY }),
 * };
 * ```
 */
export function fuseSignals(options: FuseSignalsOptions): OperatorFunction<EventBatch, EventBatch> {
  const { symbol, spec, specHash, llm, newsProximity, levelAtr } = options;
  const config = options.config ?? FUSION_DEFAULTS;
  const costs = options.costs ?? DEFAULT_COSTS;
  const { spreadModel } = costs;
  return (source) =>
    defer(() => {
      // The levels' ATR timeframe, when the scorer resamples to it too, comes from the
      // scorer's closed bars: M1 is resampled once for both.
      const { atrTimeframe } = config.levels;
      const shared = isScorerTimeframe(atrTimeframe);
      const levels = new LevelModel(config.levels, costs, { closedBarsFed: shared });
      const scorer = new TechnicalScorer(
        config.technical,
        newsProximity,
        shared ? { timeframe: atrTimeframe, take: (bar) => levels.closed(bar) } : undefined,
      );
      let regime: RegimeEvent | null = null;
      // The open decision: its bar (null when none is open), technical vote and production
      // prediction. Plain variables, not an object: one per bar adds up.
      let pendingBar: BarEvent | null = null;
      let pendingTechnical: SourceVote | null = null;
      let pendingPrediction: PredictionEvent | null = null;
      // Reused for every decision: fuseVotes reads them and keeps neither.
      const votes: SourceVote[] = [];
      const quote: Writable<DecisionQuote> = {
        symbol,
        timeUs: NaN,
        bid: NaN,
        ask: null,
        spread: null,
      };
      const fuseOptions: Writable<FuseVotesOptions> = {
        config,
        spec,
        quote,
        levels,
        regime,
        specHash,
        modelId: null,
      };

      const belongs = (event: MarketEvent, closeUs: number) =>
        ((event.kind === "features" || event.kind === "prediction") &&
          event.symbol === symbol && event.closeUs === closeUs) ||
        (event.kind === "regime" && event.symbol === symbol && event.timeUs === closeUs);

      /** The signal of the open decision, which it closes. */
      const decide = () => {
        const bar = pendingBar!;
        const prediction = pendingPrediction;
        const timeUs = bar.closeUs;
        // Filled by index, its length set last: emptying it (length = 0) would drop its
        // storage, and every bar would grow it again.
        let count = 0;
        if (pendingTechnical) votes[count++] = pendingTechnical;
        const ml = prediction && mlVote(prediction, config.ml);
        if (ml) votes[count++] = ml;
        const answer = llm?.voteFor(timeUs) ?? null;
        if (answer) votes[count++] = answer;
        votes.length = count;
        quote.timeUs = timeUs;
        quote.bid = bar.bid.close;
        quote.ask = bar.ask?.close ?? null;
        quote.spread = barSpread(bar, spreadModel);
        fuseOptions.regime = regime;
        fuseOptions.modelId = prediction?.modelId ?? null;
        const signal = fuseVotes(votes, fuseOptions);
        pendingBar = null;
        pendingTechnical = null;
        pendingPrediction = null;
        const state = llm && scorer.state();
        if (llm && state) {
          llm.request({
            symbol,
            timeUs,
            bid: bar.bid.close,
            technical: state,
            regime: regime && { trend: regime.trend, volatility: regime.volatility },
            newsProximity: newsProximity ? Math.min(1, Math.max(0, newsProximity(timeUs))) : 0,
          }, timeUs);
        }
        return signal;
      };

      return source.pipe(map((batch: EventBatch): EventBatch => {
        const out: MarketEvent[] = [];
        for (const event of batch) {
          if (pendingBar && !belongs(event, pendingBar.closeUs)) out.push(decide());
          out.push(event);
          if (!("symbol" in event) || event.symbol !== symbol) continue;
          if (event.kind === "bar" && event.timeframe === "M1") {
            pendingBar = event;
            pendingTechnical = scorer.update(event.openUs, event.closeUs, event.bid);
            if (!shared) levels.update(event.openUs, event.closeUs, event.bid);
            levelAtr?.push(levels.atr);
            pendingPrediction = null;
          } else if (event.kind === "regime") {
            regime = event;
          } else if (event.kind === "prediction" && event.role === "production" && pendingBar) {
            pendingPrediction = event;
          } else if (event.kind === "features" && event.specHash !== specHash) {
            throw new TypeError(
              `Cannot fuse signals: the feature row at ${isoFromUs(event.closeUs)} has spec ` +
                `${event.specHash.slice(0, 12)}…, but the stage was built for ${
                  specHash.slice(0, 12)
                }…`,
            );
          }
        }
        if (pendingBar) out.push(decide());
        return out;
      }));
    });
}
