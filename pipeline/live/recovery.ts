/**
 * Recovery after a restart: the journal is the event log, so the live pipeline's state
 * (indicators, regimes, the risk engine's positions and stops, day-start equity, peak and
 * losing streak) is rebuilt by replaying what the journal holds through the same stages,
 * each bar with the execution reports (fills, trades, the broker's refusals, account
 * states) that followed it, before the first EA is answered.
 *
 * It must never let the replay trade: new orders are held with `RECOVERY`, orders the
 * engine issues while replaying are discarded (they were journalled when first made),
 * and nothing it produces is journalled again.
 */

import type {
  AccountEvent,
  BarEvent,
  FillEvent,
  MarketEvent,
  RejectionEvent,
  Timeframe,
  TradeEvent,
} from "../events.ts";
import { US_PER_DAY } from "../events.ts";
import { eventTimeUs } from "../replay.ts";

/** What recovery reads from the journal. */
export interface RecoveryJournal {
  bars(symbol: string, timeframe: Timeframe, fromUs?: number, toUs?: number): BarEvent[];
  fills(): readonly FillEvent[];
  trades(): readonly TradeEvent[];
  rejections(): readonly RejectionEvent[];
  equity(fromUs?: number, toUs?: number): AccountEvent[];
}

/** One step of the replay: a bar and the reports to deliver right after it. */
export interface RecoveryStep {
  readonly bar: BarEvent;
  readonly reports: readonly MarketEvent[];
}

export interface RecoveryPlan {
  readonly steps: readonly RecoveryStep[];
  /** Reports after the last bar. */
  readonly tail: readonly MarketEvent[];
}

/**
 * The last `days` of M1 bars with the reports in their span, plus every fill of a
 * position still open that is older than the window (so the engine knows the position).
 * A report belongs to the first bar whose close is at or after it.
 */
export function recoveryPlan(journal: RecoveryJournal, symbol: string, days: number): RecoveryPlan {
  const all = journal.bars(symbol, "M1");
  const bars = all.length === 0 ? [] : journal.bars(
    symbol,
    "M1",
    all[all.length - 1].closeUs - days * US_PER_DAY,
  );
  const fromUs = bars.length === 0 ? Number.MAX_SAFE_INTEGER : bars[0].openUs;
  const fills = journal.fills().filter((fill) => fill.symbol === symbol);
  const trades = journal.trades().filter((trade) => trade.symbol === symbol);
  const closed = new Set(trades.map((trade) => trade.positionId));
  const early = fills.filter((fill) => fill.timeUs < fromUs && !closed.has(fill.positionId));
  const reports: MarketEvent[] = [
    ...fills.filter((fill) => fill.timeUs >= fromUs),
    ...trades.filter((trade) => trade.exitTimeUs >= fromUs),
    // A stop move the broker refused must be undone in the rebuilt book, as it was live.
    ...journal.rejections().filter((r) => r.symbol === symbol && r.timeUs >= fromUs),
    ...journal.equity(fromUs),
  ].sort((a, b) => eventTimeUs(a) - eventTimeUs(b));

  const steps: RecoveryStep[] = [];
  let next = 0;
  for (const [i, bar] of bars.entries()) {
    const mine: MarketEvent[] = i === 0 ? [...early] : [];
    while (next < reports.length && eventTimeUs(reports[next]) <= bar.closeUs) {
      mine.push(reports[next++]);
    }
    steps.push({ bar, reports: mine });
  }
  return { steps, tail: bars.length === 0 ? early : reports.slice(next) };
}
