/**
 * Per-source coverage and attribution, tallied as a run streams: for each signal source
 * (technical, model, regime, LLM), the decision bars it voted on, how often its side
 * agreed with the fused side, and the trades it supported, opposed or sat out, with their
 * P&L. It answers "did the model take part, and did it help?" from the signals
 * themselves, so a run that never heard from a source cannot claim it.
 *
 * Fed only the traded period's events (after warm-up), in order. It must never hold the
 * signals themselves: a year has hundreds of thousands of them.
 */

import { isoFromUs, type SignalEvent, type TradeEvent, type Vote } from "../../pipeline/events.ts";
import { SOURCE_NAMES, type SourceName } from "../warmup/mod.ts";
import type { SourceReport } from "./schema.ts";

/**
 * Coverage under which a configured source is flagged: it sat out decisions. For the
 * model, the run is then not a fair test of it (a note, a console warning, a banner).
 */
export const MIN_COVERAGE = 0.99;

/** Did this configured source vote on fewer than `MIN_COVERAGE` of its decision bars? */
export function coverageTooLow(source: SourceReport): boolean {
  return source.configured && source.coverage < MIN_COVERAGE;
}

/** The warning on a model that sat out decisions (`sources.ml`); null when none is due. */
export function modelCoverageWarning(ml: SourceReport): string | null {
  if (!coverageTooLow(ml)) return null;
  return `The model voted on ${(ml.coverage * 100).toFixed(1)}% of the decision bars (under ${
    MIN_COVERAGE * 100
  }%)${
    ml.first_vote_utc === null ? ", never at all" : `, first at ${ml.first_vote_utc}`
  }: this run is not a fair test of the model.`;
}

/** A source's vote on a signal; null when it did not vote. */
type VotedSide = Vote["side"] | null;

/** Per source, its side at the entry of a trade: the vote on the signal that opened it. */
export type EntrySides = Readonly<Record<SourceName, VotedSide>>;

/** Each source's vote on `signal`: the `EntrySides` of the trade it opens. */
export function entrySides(signal: SignalEvent): EntrySides {
  const sides = Object.fromEntries(SOURCE_NAMES.map((s) => [s, null])) as Record<
    SourceName,
    VotedSide
  >;
  for (const vote of signal.votes) sides[vote.source] = vote.side;
  return sides;
}

/** Per source, when it first voted (UTC µs, a bar's close); null when it did not. */
export type FirstVotes = Readonly<Record<SourceName, number | null>>;

interface Tally {
  voted: number;
  /** The first signal it voted on in the traded period. */
  firstVoteUs: number | null;
  agreed: number;
  opposed: number;
  supported: { trades: number; net: number };
  against: { trades: number; net: number };
  neutral: { trades: number; net: number };
}

/** How each source was set up for the run: is it part of it, and with what weight. */
export type SourceSetup = Record<
  SourceName,
  { readonly configured: boolean; readonly weight: number }
>;

export class SourceAttribution {
  #decisionBars = 0;
  /** Decision bars a model was asked about (the signal names it): a meta model's candidates. */
  #candidateBars = 0;
  readonly #tallies = Object.fromEntries(
    SOURCE_NAMES.map((s): [SourceName, Tally] => [s, {
      voted: 0,
      firstVoteUs: null,
      agreed: 0,
      opposed: 0,
      supported: { trades: 0, net: 0 },
      against: { trades: 0, net: 0 },
      neutral: { trades: 0, net: 0 },
    }]),
  ) as Record<SourceName, Tally>;

  /** Decision bars seen: one signal each. */
  get decisionBars(): number {
    return this.#decisionBars;
  }

  /** One decision bar's signal. */
  onSignal(signal: SignalEvent): void {
    this.#decisionBars++;
    if (signal.modelId !== null) this.#candidateBars++;
    const side = signal.side;
    for (const vote of signal.votes) {
      const tally = this.#tallies[vote.source];
      tally.voted++;
      tally.firstVoteUs ??= signal.timeUs;
      if (side === "hold" || vote.side === "flat") continue;
      if (vote.side === side) tally.agreed++;
      else tally.opposed++;
    }
  }

  /**
   * A closed trade counts for each source as supported, opposed or neutral by `sides`, the
   * votes on the signal that opened it: the caller keeps them per order (a bracket's legs
   * share their decision's), as this tally holds no signal.
   */
  onTrade(trade: TradeEvent, sides: EntrySides): void {
    for (const source of SOURCE_NAMES) {
      const side = sides[source];
      const tally = this.#tallies[source];
      const bucket = side === trade.side
        ? tally.supported
        : side === null || side === "flat"
        ? tally.neutral
        : tally.against;
      bucket.trades++;
      bucket.net += trade.pnl;
    }
  }

  /**
   * When each source first voted, warm-up included: its time in `beforeTrading` (the
   * trading window's record, which a tally of the traded period cannot know), else the
   * first vote this tally saw.
   */
  firstVotes(beforeTrading: FirstVotes): FirstVotes {
    return Object.fromEntries(
      SOURCE_NAMES.map((s) => [s, beforeTrading[s] ?? this.#tallies[s].firstVoteUs]),
    ) as FirstVotes;
  }

  /**
   * The report of every source; `firstVoteUs` is when each first voted, warm-up included
   * (`firstVotes()`). A meta model (`metaModel`) is asked only where the primary wants to
   * trade, so its coverage is over those bars (the signals naming it), not over every
   * decision bar.
   */
  report(
    setup: SourceSetup,
    firstVoteUs: FirstVotes,
    metaModel = false,
  ): Record<SourceName, SourceReport> {
    const money = (x: number) => Math.round(x * 100) / 100;
    const out = {} as Record<SourceName, SourceReport>;
    for (const source of SOURCE_NAMES) {
      const t = this.#tallies[source];
      const sided = t.agreed + t.opposed;
      const bars = source === "ml" && metaModel ? this.#candidateBars : this.#decisionBars;
      out[source] = {
        configured: setup[source].configured,
        weight: setup[source].weight,
        decision_bars: bars,
        voted_bars: t.voted,
        coverage: bars === 0 ? 0 : t.voted / bars,
        first_vote_utc: firstVoteUs[source] === null ? null : isoFromUs(firstVoteUs[source]!),
        agreed: t.agreed,
        opposed: t.opposed,
        agreement_rate: sided === 0 ? null : t.agreed / sided,
        trades_supported: { trades: t.supported.trades, net_profit: money(t.supported.net) },
        trades_opposed: { trades: t.against.trades, net_profit: money(t.against.net) },
        trades_neutral: { trades: t.neutral.trades, net_profit: money(t.neutral.net) },
      };
    }
    return out;
  }
}
