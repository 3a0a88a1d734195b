/**
 * The vendored TradingView Lightweight Charts™ build (README.md says where it comes from),
 * as text for the pages that show charts: the backtest report inlines it, the dashboard
 * serves it. Importing the files as text puts them in the module graph, so `deno compile`
 * carries them. Every page that draws with it must show `ATTRIBUTION` (the licence asks for
 * the NOTICE text and a link to TradingView); nothing here may fetch it from a network.
 */

import script from "./lightweight-charts.standalone.production.js" with { type: "text" };
import notice from "./NOTICE" with { type: "text" };

/** The standalone production build; running it defines the global `LightweightCharts`. */
export const LIGHTWEIGHT_CHARTS_JS: string = script;

export const LIGHTWEIGHT_CHARTS_VERSION = "5.3.0";

const TRADINGVIEW = "https://www.tradingview.com/";

/** The licence's attribution: the NOTICE lines (its link taken out) and the link it asks for. */
export const ATTRIBUTION: { readonly text: string; readonly href: string } = {
  text: notice.replace(TRADINGVIEW, "").trim().split(/\s*\n\s*/).join(" · "),
  href: TRADINGVIEW,
};
