/**
 * The `execution` role, paper trading: the backtest's simulated broker as a component on
 * the bus. It reads the symbol's M1 bars and the account's orders, executes a bar only
 * once the strategy's watermark says every order decided before it has arrived, and
 * publishes the fills, trades and account reports the bar caused, then its own
 * watermark. Started again, it replays the stream from the start and republishes the same
 * events under the same ids, which the bus drops. It never trades real money: an MT5
 * terminal is reached through `serve`'s EA bridge.
 */

import type { BarEvent, MarketEvent } from "../events.ts";
import {
  accountReport,
  type ExecutionConfigInput,
  SimulatedBroker,
} from "../../operators/execution/mod.ts";
import { orderAuthority } from "../../operators/execution/remote.ts";
import type { Bus, BusSubscription } from "../bus/bus.ts";
import { DEFAULT_ACCOUNT, subjectToken } from "../bus/subjects.ts";
import { Serial, watermark } from "./lockstep.ts";

export interface ExecutionRoleOptions {
  readonly bus: Bus;
  readonly symbol: string;
  readonly account?: string;
  readonly execution?: ExecutionConfigInput;
}

export interface RoleRun {
  /** Resolves when the role has published its final watermark; rejects on its first error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function startExecutionRole(options: ExecutionRoleOptions): Promise<RoleRun> {
  const { bus, symbol } = options;
  const account = subjectToken(options.account ?? DEFAULT_ACCOUNT);
  const broker = new SimulatedBroker(options.execution ?? {});
  const serial = new Serial();
  const finished = Promise.withResolvers<void>();
  const bars: BarEvent[] = [];
  let strategyUs = -Infinity;
  let lastUs: number | null = null;
  let ingestFinal = false;
  let closed = false;

  /** Refusals on arrival, published with the next bar's reports. */
  const refused: MarketEvent[] = [];
  const pump = async () => {
    while (bars.length > 0 && (lastUs === null || strategyUs >= lastUs)) {
      const bar = bars.shift()!;
      const out: MarketEvent[] = lastUs === null ? [accountReport(broker, bar.closeUs)] : [];
      out.push(...refused.splice(0));
      broker.onBar(bar, out);
      out.push(watermark("execution", symbol, bar.closeUs));
      await bus.publish(out);
      lastUs = bar.closeUs;
    }
    if (!closed && ingestFinal && bars.length === 0 && lastUs !== null && strategyUs >= lastUs) {
      closed = true;
      const out = broker.closeAll("end_of_data", lastUs, []);
      out.push(watermark("execution", symbol, lastUs, true));
      await bus.publish(out);
      finished.resolve();
    }
  };

  const subscriptions: BusSubscription[] = [
    // Handlers queue and return at once: publishing from inside a step must never wait for
    // a step of this role's own queue (a deadlock on the in-process bus).
    await bus.subscribe(
      { subject: `md.${subjectToken(symbol)}.bar.M1` },
      (batch) =>
        void serial.run(() => {
          for (const event of batch) {
            if (event.kind === "bar" && event.symbol === symbol) bars.push(event);
            if (event.kind === "watermark" && event.component === "ingest" && event.final) {
              ingestFinal = true;
            }
          }
          return pump();
        }).catch(finished.reject),
    ),
    await bus.subscribe({ subject: `ord.${account}` }, (batch) =>
      void serial.run(() => {
        for (const event of batch) {
          if ((event.kind === "order" || event.kind === "pending") && event.symbol === symbol) {
            if (event.kind === "pending" || event.action === "open") {
              broker.noteRiskDecision(orderAuthority(event));
            }
            const result = broker.submit(event);
            if (result.status === "rejected") refused.push(result.event);
          }
          if (event.kind === "watermark" && event.component === "strategy") {
            strategyUs = Math.max(strategyUs, event.timeUs);
          }
        }
        return pump();
      }).catch(finished.reject)),
  ];
  return {
    done: finished.promise,
    async stop() {
      for (const subscription of subscriptions) await subscription.stop();
    },
  };
}
