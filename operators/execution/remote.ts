/**
 * The remote broker: the live stand-in for the simulated broker, where execution happens
 * in an MT5 terminal and its reports arrive over the protocol (pipeline/live/).
 *
 * `tradeRemotely` is the live trading kernel: the same event loop as the backtest's
 * `tradeAndExecute`, with the terminal's reports in place of the simulator's. A bar's
 * reports (fills at its open, stops hit inside it, the account after) reach the risk
 * engine right after that bar and before its signal, exactly where the simulator puts
 * its own, so a replayed day trades the same in both. Orders the engine issues are
 * collected for the bridge to send. It never invents a fill or an account report.
 */

import { defer, type OperatorFunction } from "rxjs";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
  type OrderEvent,
  type PendingOrderEvent,
  type RiskDecisionEvent,
} from "../../pipeline/events.ts";
import { eventLoop, type EventProcessor } from "../../pipeline/event_loop.ts";
import { type ApplyRiskOptions, riskProcessor } from "../risk/operators.ts";
import type { RiskEngine } from "../risk/engine.ts";

const NONE: readonly MarketEvent[] = Object.freeze([]);

function barKey(bar: BarEvent): string {
  return `${bar.symbol}|${bar.timeframe}|${bar.openUs}`;
}

export class RemoteBroker {
  readonly #reports = new Map<string, readonly MarketEvent[]>();
  #orders: (OrderEvent | PendingOrderEvent)[] = [];

  /** The terminal's reports to deliver right after `bar` passes the risk engine. */
  attach(bar: BarEvent, reports: readonly MarketEvent[]): void {
    if (reports.length > 0) this.#reports.set(barKey(bar), reports);
  }

  /** Orders (market and pending) issued since the last call, oldest first. */
  takeOrders(): (OrderEvent | PendingOrderEvent)[] {
    const orders = this.#orders;
    this.#orders = [];
    return orders;
  }

  /** Delivers attached reports after their bar and collects orders on their way out. */
  processor(): EventProcessor {
    return (event) => {
      if (event.kind === "order" || event.kind === "pending") {
        this.#orders.push(event);
        return NONE;
      }
      if (event.kind !== "bar" || this.#reports.size === 0) return NONE;
      const key = barKey(event);
      const reports = this.#reports.get(key);
      if (reports === undefined) return NONE;
      this.#reports.delete(key);
      return reports;
    };
  }
}

/** Risk and remote execution in one event loop: the live counterpart of `tradeAndExecute`. */
export function tradeRemotely(
  engine: RiskEngine,
  broker: RemoteBroker,
  options: ApplyRiskOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    defer(() =>
      source.pipe(eventLoop([() => riskProcessor(engine, options), () => broker.processor()]))
    );
}

/**
 * The risk decision an entry order stands for, rebuilt from the order where execution runs
 * apart from the risk engine (a terminal simulator, a paper-trading worker): the simulated
 * broker opens nothing without one, and an order only exists because risk accepted it.
 */
export function orderAuthority(order: OrderEvent | PendingOrderEvent): RiskDecisionEvent {
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: order.symbol,
    timeUs: order.timeUs,
    side: order.side,
    decision: "accept",
    lots: order.lots,
    stopLoss: order.stopLoss,
    takeProfit: order.takeProfit,
    reasons: [],
    state: "active",
    clientOrderId: order.clientOrderId,
    budget: null,
  };
}
