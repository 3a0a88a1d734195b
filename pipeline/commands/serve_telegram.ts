/**
 * What the Telegram bot (pipeline/control/telegram.ts) reads and changes in a running
 * serve: the risk engine's state and kill switch (the same the HTTP API uses), health,
 * the models, and the journal's closed trades, written as short messages. The activity
 * sink follows the stream for the latest account state and the data time ("today" of a
 * replay is the replayed day, not the wall clock's). It only reads, but the kill switch.
 */

import { tradingDayOf } from "../../operators/backtest/trading_days.ts";
import type { Journal } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import type { TelegramControls } from "../control/telegram.ts";
import { type AccountEvent, isoFromUs, type TradeEvent } from "../events.ts";
import type { HealthRegistry } from "../health.ts";
import { eventTimeUs } from "../replay.ts";
import { money } from "../text_table.ts";
import type { ServeMode } from "./serve.ts";

/** The latest account state and event time the stream carried. */
export interface Activity {
  readonly sink: Sink;
  lastTimeUs(): number | null;
  lastAccount(): AccountEvent | null;
}

export function activitySink(): Activity {
  let lastTimeUs: number | null = null;
  let lastAccount: AccountEvent | null = null;
  return {
    sink: {
      name: "activity",
      write(batch) {
        for (const event of batch) {
          if (event.kind === "account") lastAccount = event;
        }
        const last = batch[batch.length - 1];
        if (last !== undefined) lastTimeUs = Math.max(lastTimeUs ?? -Infinity, eventTimeUs(last));
      },
      close() {},
    },
    lastTimeUs: () => lastTimeUs,
    lastAccount: () => lastAccount,
  };
}

const minute = (us: number) => `${isoFromUs(us).slice(0, 16).replace("T", " ")} UTC`;
const signed = (value: number) => `${value >= 0 ? "+" : ""}${money(value)}`;

function tradeLine(trade: TradeEvent): string {
  return `${
    minute(trade.exitTimeUs)
  } ${trade.side} ${trade.lots} lots ${trade.entryPrice} -> ${trade.exitPrice} ${trade.exitReason} ${
    signed(trade.pnl)
  }`;
}

/** The texts and the kill switch for the bot, from the running mode. */
export function telegramControls(
  mode: ServeMode,
  health: HealthRegistry,
  journal: Pick<Journal, "trades">,
  activity: Activity,
): TelegramControls {
  const risk = mode.control.risk ?? null;
  return {
    status() {
      const snapshot = health.snapshot();
      const unwell = Object.entries(snapshot.components)
        .filter(([, c]) => c.status !== "ok")
        .map(([name, c]) => `${name} ${c.status}${c.detail ? ` (${c.detail})` : ""}`);
      const state = risk?.status();
      const models = mode.models();
      const at = activity.lastTimeUs();
      return [
        state === undefined
          ? "trading: no risk engine in this process"
          : `trading: ${state.state}${
            state.reasons.length === 0
              ? ""
              : `: ${state.reasons.map((r) => `${r.code} ${r.detail}`).join("; ")}`
          }`,
        `health: ${snapshot.status}${unwell.length === 0 ? "" : `; ${unwell.join("; ")}`}`,
        `models: production ${models.production?.id.slice(0, 12) ?? "none"}, shadow ${
          models.shadow?.id.slice(0, 12) ?? "none"
        }`,
        `data time: ${at === null ? "no data yet" : minute(at)}`,
      ].join("\n");
    },
    profit() {
      const trades = journal.trades();
      const at = activity.lastTimeUs();
      const today = at === null ? null : tradingDayOf(at);
      const todays = trades.filter((t) => today !== null && tradingDayOf(t.exitTimeUs) === today);
      const sum = (list: readonly TradeEvent[]) => list.reduce((s, t) => s + t.pnl, 0);
      const wins = trades.filter((t) => t.pnl > 0).length;
      const account = activity.lastAccount();
      return [
        trades.length === 0
          ? "closed trades: none yet"
          : `closed trades: ${trades.length} (${wins} won, ${
            ((100 * wins) / trades.length).toFixed(1)
          }%), net ${signed(sum(trades))}`,
        `today (trading day to 17:00 New York): ${todays.length} trades, net ${
          signed(sum(todays))
        }`,
        account === null
          ? "account: no state yet"
          : `balance ${money(account.balance)}, equity ${
            money(account.equity)
          }, open positions ${account.openPositions} (${minute(account.timeUs)})`,
      ].join("\n");
    },
    trades(limit) {
      const trades = journal.trades(limit);
      if (trades.length === 0) return "no closed trades yet";
      return trades.map(tradeLine).join("\n");
    },
    killSwitch: risk === null ? null : (on, reason) => risk.killSwitch(on, reason),
  };
}
