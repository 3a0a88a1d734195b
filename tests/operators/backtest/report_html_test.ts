/**
 * `backtestHtml()` as text: one self-contained page (inline scripts only, the licence's
 * link the only address), every data string escaped, the chart data a JSON block the
 * page script reads, the model or "technical only" named, halts and a model's low
 * coverage as banners above the figures, and the decision sections only when present.
 * How it looks and zooms is checked in Chromium (report_browser_test.ts).
 * These tests must never read real data.
 */

import assert from "node:assert/strict";
import {
  backtestHtml,
  backtestHtmlAround,
  type BacktestJson,
  backtestJson,
  type BacktestJsonInput,
  monteCarlo,
  type SourceReport,
} from "@/operators/backtest/mod.ts";
import type { ChartData } from "@/operators/backtest/_report_data.ts";
import { jsonForScript } from "@/operators/backtest/_html.ts";
import {
  decisionSections,
  emptyRun,
  reportSections,
  RUN_CONTEXT,
  syntheticRun,
  trade,
  us,
} from "./_fixtures.ts";

const SHA = "0123456789abcdef".repeat(4);
const ATTACK = `<script>alert("x")</script>`;
const NO_CANDLES = { timeframe: "H1", candles: [] } as const;

function sample(seed = 11) {
  const { run, candles } = syntheticRun(seed);
  const pnls = run.trades.map((t) => t.pnl);
  const options = { initialBalance: run.initialBalance, seed: 1, runs: 300 };
  const input: BacktestJsonInput = {
    symbol: "XAUUSD",
    run,
    config: { strategy: { name: "fusion v1" }, risk: { perTradePct: 0.5 }, sessions: ["london"] },
    ...RUN_CONTEXT,
    dataFiles: [{ name: "DAT_ASCII_XAUUSD_M1_2024.csv.gz", sha256: SHA, rows: 86_400 }],
    monteCarlo: [
      monteCarlo(pnls, { ...options, method: "reshuffle" }),
      monteCarlo(pnls, { ...options, method: "bootstrap" }),
    ],
    ...decisionSections(),
  };
  return { doc: backtestJson(input), candles, input };
}

/**
 * The page without its two inline code scripts (the library and the page script) and with
 * no white space between tags: the markup and the JSON block the tests read.
 */
function markup(page: string): string {
  return page.replace(/<script>[\s\S]*?<\/script>/g, "").replace(/>\s+</g, "><");
}

/** The page's chart data, read back as its script reads it. */
function chartDataOf(page: string): ChartData {
  const body = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(page);
  assert.ok(body, "the page has no report-data block");
  return JSON.parse(body[1]);
}

Deno.test("backtestHtml() loads nothing: inline scripts only, one link, to the licence's site", () => {
  const { doc, candles } = sample();
  const page = backtestHtml(doc, { candles });
  assert.match(page, /^<!doctype html>/);
  // The library's own text (an inline SVG logo with url(#a), an unused image plugin) aside.
  for (const banned of ["<script src", "<link", "url(", "@import", "<iframe", "<img", "src="]) {
    assert.ok(!markup(page).toLowerCase().includes(banned), `the page contains "${banned}"`);
  }
  const hrefs = [...page.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(hrefs.filter((h) => !h.startsWith("#")), ["https://www.tradingview.com/"]);
  assert.match(page, /TradingView Lightweight Charts · Copyright \(с\) 2023 TradingView, Inc\./);
  // The vendored library and the page script, both inline.
  assert.equal((page.match(/<script>/g) ?? []).length, 2);
  assert.ok(page.includes("window.LightweightCharts="));
});

Deno.test("backtestHtml() escapes markup in trade ids, config values and config keys", () => {
  const { run } = syntheticRun(11);
  const input: BacktestJsonInput = {
    symbol: "XAUUSD",
    run: { ...run, trades: run.trades.map((t, i) => (i === 0 ? { ...t, positionId: ATTACK } : t)) },
    config: { comment: ATTACK, [ATTACK]: 1, nested: { list: [ATTACK] } },
    ...RUN_CONTEXT,
    dataFiles: [{ name: `${ATTACK}.csv`, sha256: SHA, rows: 1 }],
    monteCarlo: [],
    ...decisionSections(),
  };
  const page = backtestHtml(backtestJson(input), { candles: NO_CANDLES, title: ATTACK });
  assert.ok(!page.includes(ATTACK), "an unescaped <script> reached the page");
  assert.ok(page.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
});

Deno.test("jsonForScript() writes every `<` as \\u003c, and JSON.parse reads the value back", () => {
  const value = { label: "</script><!-- x", n: [1.5, null] };
  const text = jsonForScript(value).text;
  assert.ok(!text.includes("<"));
  assert.equal(text, '{"label":"\\u003c/script>\\u003c!-- x","n":[1.5,null]}');
  assert.deepEqual(JSON.parse(text), value);
});

Deno.test("backtestHtml() gives the chart every candle, the equity on their times and two markers a trade", () => {
  const { doc, candles } = sample();
  const data = chartDataOf(backtestHtml(doc, { candles }));
  assert.equal(data.timeframe, "H1");
  assert.equal(data.time.length, candles.candles.length);
  assert.deepEqual(data.time.slice(0, 2), [
    us("2024-01-08T00:00:00Z") / 1e6,
    us("2024-01-08T01:00:00Z") / 1e6,
  ]);
  assert.equal(data.close.at(-1), candles.candles.at(-1)!.close);
  assert.equal(data.equity.length, data.time.length);
  assert.equal(data.equity.at(-1), doc.metrics.final_equity);
  assert.equal(data.markers.length, 2 * doc.trades.length);
  const times = new Set(data.time);
  assert.ok(data.markers.every((m) => times.has(m.time)), "a marker is off the candles");
  assert.deepEqual(data.markers.map((m) => m.time), data.markers.map((m) => m.time).toSorted());
  assert.equal(data.monteCarlo.length, 2);
});

Deno.test("backtestHtml() shows the data file, its SHA-256, the period and the config", () => {
  const { doc, candles } = sample();
  const page = backtestHtml(doc, { candles });
  assert.ok(page.includes("DAT_ASCII_XAUUSD_M1_2024.csv.gz"));
  assert.ok(page.includes(SHA));
  assert.ok(page.includes("2024-01-08T00:00:00Z to 2024-03-08T00:00:00Z"));
  assert.ok(page.includes("risk.perTradePct"));
  assert.ok(page.includes("fusion v1"));
  assert.equal((page.match(/<tr data-side="(buy|sell)"/g) ?? []).length, doc.trades.length);
});

Deno.test("backtestHtml() says technical only, or names the model and its feature spec", () => {
  const { doc, candles } = sample();
  assert.match(backtestHtml(doc, { candles }), /Signals: <b>technical only<\/b>/);
  const withModel = {
    ...doc,
    config: {
      ...doc.config,
      ml: { modelId: "9f3c".repeat(16), featureSpecHash: "a1b2c3", kind: "meta" },
    },
  };
  const page = backtestHtml(withModel, { candles });
  assert.match(
    page,
    new RegExp(`model <span class="mono">${"9f3c".repeat(16)}</span></b> \\(meta\\)`),
  );
  assert.match(page, /feature spec <span class="mono">a1b2c3<\/span>/);
});

Deno.test("backtestHtml() leads with a halt banner and a coverage banner above the figures", () => {
  const { doc, candles } = sample();
  const withSections = {
    ...doc,
    ...reportSections(),
    config: { ...doc.config, ml: { modelId: "m".repeat(64), featureSpecHash: "f" } },
  } as BacktestJson;
  const page = backtestHtml(withSections, { candles });
  const halt = page.indexOf('class="banner halt"');
  const coverage = page.indexOf('class="banner coverage"');
  const figures = page.indexOf('id="summary"');
  assert.ok(halt > 0 && halt < figures, "the halt banner is not above the figures");
  assert.ok(coverage > 0 && coverage < figures, "the coverage banner is not above the figures");
  assert.match(page, /Trading halted 2024-02-20 14:00:00Z UTC: MAX_DRAWDOWN/);
  assert.match(page, /until the end of the run · 28.00 % of the period not traded/);
  // 420 of 1,000 decision bars.
  assert.match(page, /The model voted on 42.00 % of decision bars<\/b> \(420 of 1000/);
});

Deno.test("backtestHtml() puts no coverage banner on a model at 99 % or a technical run", () => {
  const { doc, candles } = sample();
  const sections = reportSections();
  const withMl = (ml: Partial<SourceReport>) => ({
    ...sections,
    sources: { ...sections.sources, ml: { ...sections.sources.ml, ...ml } },
  });
  const covered = withMl({ coverage: 0.99 });
  // A technical run loads no model: its ml source is not configured and never votes.
  const technical = withMl({ configured: false, voted_bars: 0, coverage: 0 });
  const model = { ml: { modelId: "m".repeat(64), featureSpecHash: "f" } };
  for (
    const [name, config] of [["a model at 99 %", model], ["technical only", { ml: null }]] as const
  ) {
    const page = backtestHtml(
      { ...doc, ...(name === "technical only" ? technical : covered), config } as BacktestJson,
      { candles },
    );
    assert.ok(!page.includes('class="banner coverage"'), name);
  }
});

Deno.test("backtestHtml() renders warm-up, sources, costs and the chance baseline", () => {
  const { doc, candles } = sample();
  const page = markup(backtestHtml({ ...doc, ...reportSections() } as BacktestJson, { candles }));
  for (
    const text of [
      'id="decisions"',
      "<h3>Warm-up</h3>",
      '<td>regime</td><td>H1</td><td class="n">744</td>',
      "<h3>Sources</h3>",
      "<td>llm (off)</td>",
      "<h3>Costs against the levels</h3>",
      // 0.42 total of an 0.84 stop.
      '<th>Cost / stop</th><td class="n">50.00 %</td>',
      "<h3>Chance baseline</h3>",
      // An entry rate of 0.012.
      "30 runs (seed 7) entering at random on 1.20 % of the decision bars with room",
      '<td class="n">62.50</td>',
      "percentile 62.50",
    ]
  ) assert.ok(page.includes(text), `missing: ${text}`);
});

Deno.test("backtestHtmlAround() reads no baseline but the one it is filled with", () => {
  // Rendered before the runs end, from a document whose baseline is still null.
  const { doc, candles } = sample();
  const { baseline } = reportSections();
  const early = backtestHtmlAround(doc, { candles })(baseline);
  assert.equal(early, backtestHtml({ ...doc, baseline } as BacktestJson, { candles }));
  assert.ok(markup(early).includes("percentile 62.50"));
  assert.ok(!markup(early).includes("No random baseline was run"));
});

Deno.test("backtestHtml() says when no baseline ran, and shows the news filter and the broker", () => {
  const { doc, candles } = sample();
  const plain = markup(backtestHtml(doc, { candles }));
  assert.ok(plain.includes("No random baseline was run (--baseline-runs 0)."));
  assert.ok(plain.includes('<th>News blackout</th><td class="mono">off'));
  assert.ok(plain.includes(`<th>Broker name</th><td class="mono">${RUN_CONTEXT.broker.name}</td>`));
  const page = markup(backtestHtml({ ...doc, ...reportSections() } as BacktestJson, { candles }));
  assert.ok(page.includes('<th>News blackout</th><td class="mono">on, calendar calendar_2024.csv'));
  assert.ok(page.includes('<th>Broker name</th><td class="mono">ecn-demo</td>'));
});

Deno.test("backtestHtml() shows a halt only recorded (research mode) apart from an enforced one", () => {
  const { doc, candles } = sample();
  const page = markup(backtestHtml({ ...doc, ...reportSections() } as BacktestJson, { candles }));
  assert.equal((page.match(/class="banner halt"/g) ?? []).length, 1);
  assert.match(
    page,
    /class="banner recorded" role="note"><b>Halt recorded, not enforced, 2024-01-15 15:00:00Z UTC: DAILY_LOSS<\/b>/,
  );
});

Deno.test("backtestHtml() lists broker refusals beside the risk rejections", () => {
  const { doc, candles } = sample();
  const withRefusals = {
    ...doc,
    metrics: { ...doc.metrics, broker_refusals_by_reason: { MARKET_CLOSED: 3 } },
  } as BacktestJson;
  const page = markup(backtestHtml(withRefusals, { candles }));
  assert.match(page, /<td>broker<\/td><td class="mono">MARKET_CLOSED<\/td><td class="n">3<\/td>/);
  assert.match(page, /<td>risk engine<\/td><td class="mono">max_spread<\/td>/);
});

Deno.test("backtestHtml() renders a run without trades, candles or Monte Carlo", () => {
  const doc = backtestJson({
    symbol: "XAUUSD",
    run: emptyRun(),
    config: {},
    ...RUN_CONTEXT,
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  const page = markup(backtestHtml(doc, { candles: NO_CANDLES }));
  assert.ok(page.includes("No Monte Carlo was run."));
  assert.ok(page.includes("<p>No trades.</p>"));
  assert.ok(!page.includes("NaN"));
  const data = chartDataOf(page);
  assert.equal(data.timeframe, null);
  // The equity's own times: the period start only.
  assert.deepEqual(data.equity, [10_000]);
});

Deno.test("backtestHtml() draws a one-trade run without NaN or Infinity", () => {
  const doc = backtestJson({
    symbol: "XAUUSD",
    run: emptyRun({
      trades: [
        trade({
          pnl: 10,
          entryTimeUs: us("2024-01-09T14:00:00Z"),
          exitTimeUs: us("2024-01-09T14:00:00Z"),
        }),
      ],
      equity: [{ timeUs: us("2024-01-09T14:00:00Z"), equity: 10_010, balance: 10_010 }],
    }),
    config: {},
    ...RUN_CONTEXT,
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  assert.ok(!/NaN|Infinity/.test(markup(backtestHtml(doc, { candles: NO_CANDLES }))));
});
