/**
 * The default feature spec: 57 features over M1, M5, M15, H1, H4 and D1 plus session
 * time, all scale-free (price distances in ATRs or relative to the close) so a model
 * trained on 2017 gold at $1,250 reads 2026 gold at $4,400 the same way. Bid prices
 * only, so it runs on every data source, HistData included.
 */

import { SESSION_FEATURE_NAMES } from "../indicators/mod.ts";
import { type FeatureSpec, parseFeatureSpec } from "./spec.ts";

type Def = [
  name: string,
  timeframe: string,
  kind: string,
  params?: Record<string, number>,
  output?: string,
  scale?: string,
];

const DEFS: Def[] = [
  ["m1_ret_1", "M1", "log_return", { period: 1 }],
  ["m1_ret_5", "M1", "log_return", { period: 5 }],
  ["m1_ret_15", "M1", "log_return", { period: 15 }],
  ["m1_ret_60", "M1", "log_return", { period: 60 }],
  ["m1_rsi_14", "M1", "rsi", { period: 14 }],
  ["m1_ema_gap_20", "M1", "ema_gap", { period: 20 }, "value", "atr"],
  ["m1_ema_gap_50", "M1", "ema_gap", { period: 50 }, "value", "atr"],
  ["m1_sma_gap_200", "M1", "sma_gap", { period: 200 }, "value", "atr"],
  ["m1_macd_line", "M1", "macd", {}, "line", "atr"],
  ["m1_macd_hist", "M1", "macd", {}, "histogram", "atr"],
  ["m1_bb_pctb", "M1", "bollinger", {}, "percent_b"],
  ["m1_bb_width", "M1", "bollinger", {}, "width"],
  ["m1_atr_rel", "M1", "atr", { period: 14 }, "value", "close"],
  ["m1_adx", "M1", "adx", { period: 14 }, "adx"],
  ["m1_plus_di", "M1", "adx", { period: 14 }, "plus_di"],
  ["m1_minus_di", "M1", "adx", { period: 14 }, "minus_di"],
  ["m1_stoch_k", "M1", "stochastic", {}, "k"],
  ["m1_stoch_d", "M1", "stochastic", {}, "d"],
  ["m1_williams_r", "M1", "williams_r", { period: 14 }],
  ["m1_cci", "M1", "cci", { period: 20 }],
  ["m1_roc_10", "M1", "roc", { period: 10 }],
  ["m1_vol_30", "M1", "volatility", { period: 30 }],
  ["m1_zscore_50", "M1", "zscore", { period: 50 }],
  ["m1_to_high_60", "M1", "high_low", { period: 60 }, "to_high", "atr"],
  ["m1_to_low_60", "M1", "high_low", { period: 60 }, "to_low", "atr"],
  ["m1_body", "M1", "candle", {}, "body", "atr"],
  ["m1_upper_wick", "M1", "candle", {}, "upper_wick", "atr"],
  ["m1_lower_wick", "M1", "candle", {}, "lower_wick", "atr"],
  ["m5_rsi_14", "M5", "rsi", { period: 14 }],
  ["m5_macd_hist", "M5", "macd", {}, "histogram", "atr"],
  ["m5_ema_gap_20", "M5", "ema_gap", { period: 20 }, "value", "atr"],
  ["m5_atr_rel", "M5", "atr", { period: 14 }, "value", "close"],
  ["m15_rsi_14", "M15", "rsi", { period: 14 }],
  ["m15_adx", "M15", "adx", { period: 14 }, "adx"],
  ["m15_bb_pctb", "M15", "bollinger", {}, "percent_b"],
  ["m15_ema_gap_50", "M15", "ema_gap", { period: 50 }, "value", "atr"],
  ["h1_rsi_14", "H1", "rsi", { period: 14 }],
  ["h1_macd_hist", "H1", "macd", {}, "histogram", "atr"],
  ["h1_adx", "H1", "adx", { period: 14 }, "adx"],
  ["h1_ema_gap_50", "H1", "ema_gap", { period: 50 }, "value", "atr"],
  ["h1_atr_rel", "H1", "atr", { period: 14 }, "value", "close"],
  ["h1_stoch_k", "H1", "stochastic", {}, "k"],
  ["h4_rsi_14", "H4", "rsi", { period: 14 }],
  ["h4_ema_gap_20", "H4", "ema_gap", { period: 20 }, "value", "atr"],
  ["h4_ret_6", "H4", "log_return", { period: 6 }],
  ["d1_atr_rel", "D1", "atr", { period: 14 }, "value", "close"],
  ["d1_ret_1", "D1", "log_return", { period: 1 }],
  ...SESSION_FEATURE_NAMES.map((output): Def => [`session_${output}`, "M1", "session", {}, output]),
];

export const DEFAULT_FEATURE_SPEC: FeatureSpec = parseFeatureSpec(
  {
    version: 1,
    name: "default",
    description: "Multi-timeframe technical and session features on bid prices, scale-free.",
    dayStart: "new-york-17",
    features: DEFS.map(([name, timeframe, kind, params = {}, output, scale = "none"]) => ({
      name,
      timeframe,
      kind,
      params,
      output,
      scale,
    })),
  },
  "default",
);
