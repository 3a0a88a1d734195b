/**
 * The version-2 journal's predictions and signals, read back as events for migration 4,
 * which stores them again in the compact tables (sinks/journal.ts) and drops the old ones.
 *
 * Role: the only reader of the tables migration 4 renamed to `predictions_v2` and
 * `signals_v2` (one JSON text of members and votes, and the hashes, on every row).
 * It must never change what it reads: every field goes on exactly as version 2 stored it,
 * a hold's reasons included, and the event version is carried over, not checked.
 */

import type { DatabaseSync } from "node:sqlite";
import {
  type EVENT_VERSION,
  isoFromUs,
  type PredictionEvent,
  type SignalEvent,
  type TrendLabel,
  type VolatilityLabel,
  type Vote,
} from "@/pipeline/events.ts";

interface PredictionRow {
  readonly symbol: string;
  readonly open_us: number;
  readonly model_id: string;
  readonly role: PredictionEvent["role"];
  readonly close_us: number;
  readonly v: typeof EVENT_VERSION;
  readonly p_down: number;
  readonly p_flat: number;
  readonly p_up: number;
  readonly agreement: number;
  readonly members: string;
}

interface SignalRow {
  readonly symbol: string;
  readonly time_us: number;
  readonly v: typeof EVENT_VERSION;
  readonly side: SignalEvent["side"];
  readonly confidence: number;
  readonly entry_price: number;
  readonly stop_loss: number | null;
  readonly take_profit: number | null;
  readonly stop_distance: number | null;
  readonly take_distance: number | null;
  readonly stop_points: number | null;
  readonly take_points: number | null;
  readonly votes: string;
  readonly regime_volatility: VolatilityLabel | null;
  readonly regime_trend: TrendLabel | null;
  readonly spec_hash: string;
  readonly model_id: string | null;
}

/**
 * Hands every row of `predictions_v2` and `signals_v2` to `store` as an event, one at a
 * time, then drops the two tables (their indexes go with them). Says how many first.
 */
export function moveVersion2Rows(
  db: DatabaseSync,
  notice: (line: string) => void,
  store: (event: PredictionEvent | SignalEvent) => void,
): void {
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const predictions = count("predictions_v2");
  const signals = count("signals_v2");
  if (predictions + signals > 0) {
    notice(
      `moving ${predictions} predictions and ${signals} signals to the compact tables, once ` +
        `(about a minute for a year of replay with a model)`,
    );
  }
  const move = (
    row: Record<string, unknown>,
    what: string,
    event: () => PredictionEvent | SignalEvent,
  ) => {
    try {
      store(event());
    } catch (error) {
      throw new Error(
        `Cannot move the version-2 ${what} of ${row.symbol} at ${
          isoFromUs(Number(row.open_us ?? row.time_us))
        } to the compact table: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
  for (const row of db.prepare("SELECT * FROM predictions_v2").iterate()) {
    move(row, "prediction", () => predictionFromRow(row as unknown as PredictionRow));
  }
  for (const row of db.prepare("SELECT * FROM signals_v2").iterate()) {
    move(row, "signal", () => signalFromRow(row as unknown as SignalRow));
  }
  db.exec("DROP TABLE predictions_v2; DROP TABLE signals_v2;");
}

function predictionFromRow(row: PredictionRow): PredictionEvent {
  return {
    v: row.v,
    kind: "prediction",
    symbol: row.symbol,
    openUs: row.open_us,
    closeUs: row.close_us,
    modelId: row.model_id,
    role: row.role,
    probabilities: [row.p_down, row.p_flat, row.p_up],
    agreement: row.agreement,
    members: JSON.parse(row.members),
  };
}

function signalFromRow(row: SignalRow): SignalEvent {
  return {
    v: row.v,
    kind: "signal",
    symbol: row.symbol,
    timeUs: row.time_us,
    side: row.side,
    confidence: row.confidence,
    entryPrice: row.entry_price,
    stopLoss: row.stop_loss,
    takeProfit: row.take_profit,
    stopDistance: row.stop_distance,
    takeDistance: row.take_distance,
    stopPoints: row.stop_points,
    takePoints: row.take_points,
    votes: JSON.parse(row.votes) as Vote[],
    // Version 2 wrote both regime columns from one `regime`: both null or both set.
    regime: row.regime_volatility === null
      ? null
      : { volatility: row.regime_volatility, trend: row.regime_trend as TrendLabel },
    specHash: row.spec_hash,
    modelId: row.model_id,
  };
}
