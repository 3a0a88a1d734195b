/**
 * `simulateExecution`: the simulated broker as an RxJS stage over event batches, the
 * backtest's stand-in for the MT5 execution client.
 *
 * 1. Every input event passes through unchanged and in order.
 * 2. Accepted risk decisions and orders (market and pending) go to the broker as they
 *    pass; an order refused on arrival is followed by its `RejectionEvent`.
 * 3. Each bar or tick goes to the broker. What it books at a bar's open (swaps, gap
 *    exits, order fills) is inserted just before the bar, which is only emitted at its
 *    close; what it books at the close goes just after. A tick's results follow the tick.
 * 4. When the input completes, every position is closed at the last execution price with
 *    reason "end_of_data", stamped with the last event's time, and queued and pending
 *    orders are cancelled; the result follows as one batch.
 *
 * It maps batch to batch and must never schedule per event.
 */

import { concatWith, defer, EMPTY, map, of, type OperatorFunction } from "rxjs";
import {
  type AccountEvent,
  EVENT_VERSION,
  type EventBatch,
  type MarketEvent,
} from "../../pipeline/events.ts";
import { eventTimeUs } from "../../pipeline/replay.ts";
import type { SimulatedBroker } from "./broker.ts";
import { eventLoop, type EventProcessor } from "../../pipeline/event_loop.ts";
import { type ApplyRiskOptions, riskProcessor } from "../risk/operators.ts";
import type { RiskEngine } from "../risk/engine.ts";

/**
 * Runs `broker` over the stream and inserts its fills, trades and account events. One
 * broker serves one run: read its `stats` and `rejections` once the stream completes.
 *
 * @example
 * ```ts
 * const broker = new SimulatedBroker({ initialBalance: 10_000 });
 * const stage = { name: "execution", operator: simulateExecution(broker) };
 * ```
 */
export function simulateExecution(
  broker: SimulatedBroker,
): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    defer(() => {
      const take = brokerProcessor(broker);
      /** The latest event time seen: the end-of-data close is stamped with it. */
      let lastUs = -Infinity;
      const step = (batch: EventBatch): EventBatch => {
        if (batch.length > 0) lastUs = Math.max(lastUs, eventTimeUs(batch[batch.length - 1]));
        let out: MarketEvent[] | null = null;
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i];
          const made = take(event);
          if (made.length === 0) {
            out?.push(event);
            continue;
          }
          out ??= batch.slice(0, i);
          let k = 0;
          if (event.kind === "bar") {
            while (k < made.length && eventTimeUs(made[k]) < event.closeUs) out.push(made[k++]);
          }
          out.push(event);
          while (k < made.length) out.push(made[k++]);
        }
        return out ?? batch;
      };
      return source.pipe(map(step), concatWith(endOfData(broker, () => lastUs)));
    });
}

/** At the end of the stream: every open position closed, at the latest event time seen. */
function endOfData(broker: SimulatedBroker, lastUs: () => number) {
  return defer(() => {
    const last = broker.closeAll("end_of_data", lastUs());
    return last.length > 0 ? of(last as EventBatch) : EMPTY;
  });
}

/** The broker's account as a report at `timeUs`: what a run opens with, before any fill. */
export function accountReport(broker: SimulatedBroker, timeUs: number): AccountEvent {
  const account = broker.account();
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs,
    balance: account.balance,
    equity: account.equity,
    margin: account.margin,
    openPositions: account.openPositions,
  };
}

/** What the events the broker only notes (or ignores) produce. Shared: no allocation. */
const NONE: readonly MarketEvent[] = Object.freeze([]);

/**
 * The broker as a per-event processor: the fills, trades, refusals and account reports
 * each event causes.
 */
export function brokerProcessor(broker: SimulatedBroker): EventProcessor {
  // The broker books into one array. A quiet bar books nothing and costs nothing; most
  // others book one event (the account report), handed out in an array of its own while
  // the booking array keeps its storage (popping keeps it, emptying by length drops it);
  // more than one, and the booking array itself is handed out and replaced.
  let booked: MarketEvent[] = [];
  const taken = (): readonly MarketEvent[] => {
    if (booked.length === 0) return NONE;
    if (booked.length === 1) return [booked.pop()!];
    const made = booked;
    booked = [];
    return made;
  };
  /**
   * Decisions and orders, which few bars bring: apart from the bars' path, so the first of
   * them, hours into a replay, does not throw that path's optimised code away.
   */
  const takeOrderFlow = (event: MarketEvent): readonly MarketEvent[] => {
    if (event.kind === "risk") broker.noteRiskDecision(event);
    else if (event.kind === "order" || event.kind === "pending") {
      const result = broker.submit(event);
      // A refusal on arrival is an event of its own, right after the order.
      if (result.status === "rejected") return [result.event];
    }
    return NONE;
  };
  return (event) => {
    if (event.kind === "bar") {
      broker.onBar(event, booked);
      return taken();
    }
    if (event.kind === "tick") {
      broker.onTick(event, booked);
      return taken();
    }
    return takeOrderFlow(event);
  };
}

/**
 * Risk and execution in one event loop (pipeline/event_loop.ts): each signal is decided with
 * the fills and account of every earlier event, each order reaches the broker at once, and
 * the broker's reports reach the risk engine before the next event. The backtest kernel.
 */
export function tradeAndExecute(
  engine: RiskEngine,
  broker: SimulatedBroker,
  options: ApplyRiskOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    defer(() => {
      let lastUs = -Infinity;
      return source.pipe(
        map((batch: EventBatch): EventBatch => {
          if (batch.length === 0) return batch;
          const opening = lastUs === -Infinity;
          lastUs = Math.max(lastUs, eventTimeUs(batch[batch.length - 1]));
          // The account as it starts, so the first signal is decided on a known balance.
          return opening ? [accountReport(broker, eventTimeUs(batch[0])), ...batch] : batch;
        }),
        eventLoop([() => riskProcessor(engine, options), () => brokerProcessor(broker)]),
        concatWith(endOfData(broker, () => lastUs)),
      );
    });
}
