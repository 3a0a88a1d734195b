/**
 * The request the `/ai_signal` benches send: the original EA's, as in docs/ai-signal.md,
 * answered from its own indicators when there is no live signal.
 */
export const AI_SIGNAL_REQUEST = JSON.stringify({
  symbol: "XAUUSD",
  bid: 2000,
  ask: 2000.3,
  rsi: { h1: [60, 40, 25] },
  macd: { h1: { main: 1.5, signal: 0.3 } },
  bollinger: { upper: 2010, lower: 1990 },
  advanced_indicators: { atr_h1: 4 },
});
