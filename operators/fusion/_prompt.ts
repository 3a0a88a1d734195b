/**
 * The LLM analyst's question: a compact, deterministic market summary (fixed decimals,
 * no wall-clock time), so the same bars always give the same prompt and hence the same
 * cache key, and a backtest finds the answers recorded live.
 */

import { createHash } from "node:crypto";
import { isoFromUs, type TrendLabel, type VolatilityLabel } from "../../pipeline/events.ts";
import type { TechnicalState } from "./technical.ts";

/** What the analyst is told about one decision. */
export interface MarketSummary {
  readonly symbol: string;
  /** Decision time: the close of the M1 bar. */
  readonly timeUs: number;
  readonly bid: number;
  readonly technical: TechnicalState;
  readonly regime: { readonly trend: TrendLabel; readonly volatility: VolatilityLabel } | null;
  /** 0 far from scheduled news, 1 at a release. */
  readonly newsProximity: number;
}

export interface ChatMessage {
  readonly role: "system" | "user";
  readonly content: string;
}

const SYSTEM = "You are a cautious intraday analyst of spot gold advising a scalper who holds " +
  "trades for minutes. Read the market summary and answer with one JSON object only: " +
  '{"side": "buy" | "sell" | "flat", "confidence": number from 0 to 1, "reasons": ' +
  "[at most 3 short strings]}. Answer flat unless the evidence clearly favours one side; " +
  "confidence is how sure you are of that side.";

const n = (x: number, digits = 2) => (x >= 0 ? "+" : "") + x.toFixed(digits);

/** The chat messages for one summary. */
export function chatMessages(summary: MarketSummary): ChatMessage[] {
  const t = summary.technical;
  const atrM1 = t.atr.M1;
  const frames = ["M1", "M5", "M15", "H1"] as const;
  const lines = [
    `${summary.symbol} at ${isoFromUs(summary.timeUs)} (close of an M1 bar)`,
    `bid ${summary.bid.toFixed(2)}; ATR(14) ${
      frames.map((f) => `${f} ${t.atr[f].toFixed(2)}`).join(", ")
    }`,
    `RSI(14): ${frames.map((f) => `${f} ${t.rsi[f].toFixed(1)}`).join(", ")}`,
    `EMA fast-slow gap in ATR: ${frames.map((f) => `${f} ${n(t.emaGapAtr[f])}`).join(", ")}`,
    `MACD histogram M5: ${n(t.macdHistogramM5, 3)}`,
    `Stochastic M1: K ${t.stochasticK.toFixed(1)}, D ${t.stochasticD.toFixed(1)}`,
    `M15 support ${t.support.toFixed(2)} (${
      ((t.close - t.support) / atrM1).toFixed(1)
    } M1 ATR below), resistance ${t.resistance.toFixed(2)} (${
      ((t.resistance - t.close) / atrM1).toFixed(1)
    } M1 ATR above)`,
    summary.regime
      ? `H1 regime: trend ${summary.regime.trend}, volatility ${summary.regime.volatility}`
      : "H1 regime: not known yet",
    `news proximity (0 none, 1 release now): ${summary.newsProximity.toFixed(2)}`,
  ];
  return [{ role: "system", content: SYSTEM }, { role: "user", content: lines.join("\n") }];
}

/** SHA-256 of the messages: the cache key, with the model name beside it. */
export function promptHash(messages: readonly ChatMessage[]): string {
  return createHash("sha256").update(JSON.stringify(messages)).digest("hex");
}
