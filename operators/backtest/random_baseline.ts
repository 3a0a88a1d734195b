/**
 * The chance baseline: seeded runs that enter at random, at the strategy's own entry
 * rate, with the strategy's own levels, through a fresh risk engine and simulated broker
 * built from the strategy's own settings. A strategy is worth something only where it
 * beats these; the report gives its percentile among them.
 *
 * Each run walks the traded period's M1 bars: at each decision bar with room for a trade
 * (fewer positions and entry orders than `risk.positions.maxOpen`) it asks for one with
 * probability `entryRate`, on a fair coin's side, with the stop and target a `LevelModel`
 * would set (its ATR over every bar, warm-up included, is computed once: `levelAtrSeries`,
 * read through `LevelSeries`, the same formula), through the backtest's own kernel (risk
 * then broker, `eventStep`). A bar is given to the kernel only when it can change
 * anything (a position or order is open, or it carries a signal): on the others the
 * engine and broker would only note the quote. And of the bars with positions open, a
 * span the broker and the engine find quiet together (no stop, target, stop-out, margin
 * call, rollover, stop move, scale-out, new trading day or limit anywhere in it:
 * `SimulatedBroker.quietSpan`, `RiskEngine.quietSpan`) is taken by them at once, from
 * its extremes, without the kernel's events; only its last equity is filed, as its last
 * account report would file it (a day's close is all the Sharpe ratio reads, and a span
 * never crosses a day). A span ends before the first bar where something may happen,
 * which goes through the kernel; the bars it looks at next double while spans run to
 * their end and halve when one is refused outright.
 *
 * The rate is calibrated so the runs trade about as often as the strategy: costs grow
 * with every trade, so a baseline that traded more or less would flatter or punish the
 * strategy for its count, not its choices. A pilot run at the strategy's own rate (its
 * trades per decision bar with room) shows how many of those asks the risk engine let
 * through; the runs then ask at that rate times the strategy's trades over the pilot's.
 * It must never see the strategy's signals, and never share state between runs.
 */

import { eventStep } from "../../pipeline/event_loop.ts";
import type { BarEvent, MarketEvent } from "../../pipeline/events.ts";
import { barEventAt } from "../../pipeline/replay.ts";
import type { BarBatch } from "../../sources/source.ts";
import {
  accountReport,
  barSpread,
  brokerProcessor,
  costModelOf,
  emptySpanMarks,
  type QuotedBars,
  quotedBars,
  SimulatedBroker,
} from "../execution/mod.ts";
import type { ExecutionConfigInput } from "../execution/config.ts";
import { fuseVotes, type FusionConfig, levelAtrSeries, LevelSeries } from "../fusion/mod.ts";
import {
  type NewsCalendar,
  PositionBook,
  type RiskConfig,
  RiskEngine,
  riskProcessor,
} from "../risk/mod.ts";
import { Random } from "../../models/random.ts";
import { dailySharpe } from "./metrics.ts";
import { tradeStats } from "./_trade_stats.ts";
import { percentileBands } from "./monte_carlo.ts";
import type { RandomBaseline } from "./schema.ts";

/** The bars a first quiet span looks at, and the most any does (a trading day is 1,380). */
const FIRST_SPAN_BARS = 32;
const MAX_SPAN_BARS = 2048;

/** Everything a random run shares with the strategy it is compared with. */
export interface RandomRunSetup {
  readonly symbol: string;
  /** Every M1 bar read, warm-up included, in time order. */
  readonly bars: BarBatch;
  /** Index of the first traded bar in `bars`. */
  readonly tradingStart: number;
  /** Each decision bar with room asks for a trade with this probability. */
  readonly entryRate: number;
  readonly fusion: FusionConfig;
  readonly risk: RiskConfig;
  readonly calendar: NewsCalendar | null;
  readonly execution: ExecutionConfigInput;
  /**
   * The levels' ATR after each bar of `bars` (`levelAtrSeries` of `fusion.levels`): the
   * same in every run, so a caller running many computes it once. Computed when absent.
   */
  readonly levelAtr?: Float64Array;
  /**
   * `bars` as the broker quotes them from `tradingStart` on: `quotedBars(bars,
   * resolveExecutionConfig(execution).spreadModel, tradingStart)`, and nothing else (the
   * quiet spans read their stops and targets against it). The same in every run, so a
   * caller running many computes it once. Computed when absent.
   */
  readonly quoted?: QuotedBars;
  /**
   * Give the kernel every traded bar, idle, quiet or not: slower, and the same result,
   * which is what a test of the idle- and quiet-bar shortcuts checks. Default false.
   */
  readonly feedEveryBar?: boolean;
}

/** What one random run produced, for the bands. */
export interface RandomRunResult {
  readonly trades: number;
  readonly netProfit: number;
  readonly profitFactor: number | null;
  readonly sharpe: number | null;
}

/** The strategy's own figures, to rank among the runs. */
export interface StrategyFigures {
  readonly netProfit: number;
  readonly profitFactor: number | null;
  readonly sharpe: number | null;
}

/** One seeded run. */
export function randomRun(setup: RandomRunSetup, seed: number): RandomRunResult {
  const { bars, symbol, tradingStart } = setup;
  const random = new Random(seed);
  const broker = new SimulatedBroker(setup.execution);
  // The broker's terms price the levels' cost floor and the risk engine's sizing.
  const costs = costModelOf(broker.settings);
  const levels = new LevelSeries(
    setup.fusion.levels,
    costs,
    setup.levelAtr ?? levelAtrSeries(setup.fusion.levels, bars),
  );
  const engine = new RiskEngine({ config: setup.risk, calendar: setup.calendar, costs });
  const book = new PositionBook(symbol);
  const step = eventStep([riskProcessor(engine, {}, book), brokerProcessor(broker)]);
  const config = { ...setup.fusion, weights: { technical: 1, ml: 0, llm: 0 }, gate: 0 };
  const maxOpen = setup.risk.positions.maxOpen;
  // What the figures read: the trades' P&Ls and the account's equity after each report.
  const pnls: number[] = [];
  const equityTimes: number[] = [];
  const equity: number[] = [];
  const initialBalance = broker.settings.initialBalance;
  // The kernel's output, filed as it comes: `read` is where the unfiled part starts. It is
  // emptied only now and then, because emptying an array drops its storage.
  const out: MarketEvent[] = [];
  let read = 0;
  /** Files the kernel's output; true when it sent an order, which is due on the next bar. */
  const take = (): boolean => {
    let sent = false;
    for (let k = read; k < out.length; k++) {
      const event = out[k];
      switch (event.kind) {
        case "trade":
          pnls.push(event.pnl);
          break;
        case "account":
          equityTimes.push(event.timeUs);
          equity.push(event.equity);
          break;
        case "order":
        case "pending":
          sent = true;
      }
    }
    read = out.length;
    if (read > 64) out.length = read = 0;
    return sent;
  };
  const rate = setup.entryRate;
  const lastBar = bars.length - 1;
  const skipIdle = setup.feedEveryBar !== true;
  const quoted = setup.quoted ?? quotedBars(bars, broker.settings.spreadModel, tradingStart);
  const marks = emptySpanMarks();
  /** How many bars the next span looks at: doubled after a quiet one, halved after not. */
  let spanBars = FIRST_SPAN_BARS;
  /** A bar whose draw asked for a trade at the end of the span before it. */
  let wantsAt = -1;
  /**
   * Takes the bars from `i` as one quiet span, as far as the broker and the engine find
   * them quiet together (`SimulatedBroker.quietSpan`, `RiskEngine.quietSpan`) and up to
   * the first whose draw asks for a trade (drawn, one a bar, while there is `room`); its
   * last equity filed as its last account report would be. Where the walk goes on; -1
   * when no span starts at `i`.
   */
  const takeSpan = (i: number, room: boolean): number => {
    const end = Math.min(i + spanBars, lastBar);
    let quietTo = broker.quietSpan(quoted, i, end, marks);
    if (quietTo > i) quietTo = engine.quietSpan(book.positions, quoted, i, quietTo, marks);
    if (quietTo < 0) {
      // Refused on its extremes: a shorter span may do.
      spanBars = Math.max(1, spanBars >> 1);
      return -1;
    }
    if (quietTo === i) return -1;
    if (quietTo === end) spanBars = Math.min(2 * spanBars, MAX_SPAN_BARS);
    // Every part of a quiet span from its start is quiet too: it ends before the first ask.
    const to = room ? random.firstBelow(rate, i, quietTo) : quietTo;
    if (to < quietTo) wantsAt = to;
    if (to > i) {
      broker.takeQuietSpan(quoted, i, to, marks);
      engine.takeQuietSpan(marks);
      equityTimes.push(marks.lastUs);
      equity.push(marks.lastEquity);
    }
    return to;
  };
  /** An order sent on the last bar the kernel saw: it is due on the next one. */
  let queued = false;
  let first: BarEvent | null = null;
  let last: BarEvent | null = null;
  for (let i = tradingStart; i < bars.length; i++) {
    const open = broker.openPositions().length + broker.workingOrders().length;
    // An order still on its way (a latency of a bar or more) is due on a later bar too.
    const busy = queued || open > 0 || broker.queuedOrders > 0;
    let wants: boolean;
    if (i === wantsAt) {
      // Drawn at the end of the span before it, with the same room.
      wants = true;
    } else if (skipIdle && !busy && maxOpen > 0 && i !== tradingStart) {
      // Flat with nothing due: the bars before the next ask would only note the quote, so
      // only their draws are made, one a bar as the general case below makes them.
      i = random.firstBelow(rate, i, lastBar);
      wants = i < lastBar || random.next() < rate;
    } else {
      if (skipIdle && busy && !queued && first !== null && i < lastBar) {
        const to = takeSpan(i, open < maxOpen);
        if (to >= 0) {
          i = to - 1;
          continue;
        }
      }
      wants = !queued && open < maxOpen && random.next() < rate;
      const idle = !wants && !busy && i !== tradingStart && i !== lastBar;
      if (idle && skipIdle) continue;
    }
    const bar = barEventAt(bars, symbol, i);
    if (first === null) {
      first = bar;
      step(accountReport(broker, bar.openUs), out);
    }
    last = bar;
    step(bar, out);
    if (wants) {
      levels.at(i);
      const side = random.next() < 0.5 ? "buy" : "sell";
      const signal = fuseVotes([{ source: "technical", side, confidence: 1, reasons: [] }], {
        config,
        spec: costs.spec,
        quote: {
          symbol,
          timeUs: bar.closeUs,
          bid: bar.bid.close,
          ask: bar.ask?.close ?? null,
          // Priced as fusion prices it: the data's spread, else the broker's model.
          spread: barSpread(bar, costs.spreadModel),
        },
        levels,
        regime: null,
        specHash: "",
        modelId: null,
      });
      if (signal.side !== "hold") {
        step(signal, out);
      }
    }
    queued = take();
  }
  if (first === null || last === null) {
    return { trades: 0, netProfit: 0, profitFactor: null, sharpe: null };
  }
  broker.closeAll("end_of_data", last.closeUs, out);
  take();
  // The figures computeMetrics would give, through its own functions, and only those.
  const stats = tradeStats(pnls);
  return {
    trades: stats.trades,
    netProfit: stats.net_profit,
    profitFactor: stats.profit_factor,
    sharpe: dailySharpe(equityTimes, equity, initialBalance, first.openUs, last.closeUs),
  };
}

/** The strategy's percentile among `values`, 0-100: the share below it, ties counting half. */
export function percentileOf(value: number, values: readonly number[]): number {
  let below = 0;
  let ties = 0;
  for (const v of values) {
    if (v < value) below++;
    else if (v === value) ties++;
  }
  return 100 * (below + ties / 2) / values.length;
}

/** The strategy a baseline is for: its figures, its trades and its entry rate. */
export interface BaselineTarget extends StrategyFigures {
  readonly trades: number;
  /** Trades per decision bar with room for one. */
  readonly entryRate: number;
}

/**
 * The rate the runs ask at: the strategy's own, scaled by the strategy's trades over what
 * a pilot run at that rate made (the risk engine refuses some asks), at most 1; 0 for a
 * strategy that never traded.
 */
export function calibratedEntryRate(
  target: Pick<BaselineTarget, "trades" | "entryRate">,
  pilotTrades: number,
): number {
  if (target.trades === 0) return 0;
  return Math.min(1, target.entryRate * target.trades / Math.max(1, pilotTrades));
}

/** Bands of the runs' figures and the strategy's percentile on each. */
export function baselineReport(
  runs: readonly RandomRunResult[],
  target: BaselineTarget,
  options: { readonly seed: number; readonly entryRate: number },
): RandomBaseline {
  const figures = (pick: (r: RandomRunResult) => number | null) =>
    runs.map(pick).filter((v): v is number => v !== null);
  const bandsOf = (values: number[]) =>
    values.length === 0 ? null : percentileBands(Float64Array.from(values));
  const pf = figures((r) => r.profitFactor);
  const sharpe = figures((r) => r.sharpe);
  return {
    runs: runs.length,
    seed: options.seed,
    entry_rate: options.entryRate,
    trades: percentileBands(Float64Array.from(runs.map((r) => r.trades))),
    net_profit: percentileBands(Float64Array.from(runs.map((r) => r.netProfit))),
    profit_factor: bandsOf(pf),
    sharpe: bandsOf(sharpe),
    percentile: {
      net_profit: percentileOf(target.netProfit, runs.map((r) => r.netProfit)),
      profit_factor: target.profitFactor === null || pf.length === 0
        ? null
        : percentileOf(target.profitFactor, pf),
      sharpe: target.sharpe === null || sharpe.length === 0
        ? null
        : percentileOf(target.sharpe, sharpe),
    },
  };
}
