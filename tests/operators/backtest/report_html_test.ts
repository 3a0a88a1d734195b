/**
 * `backtestHtml()`: one self-contained page (no script, no external resource), every
 * data string escaped, one inline SVG per chart with its drawing inside the viewBox, and
 * a sample report written to a fixed temporary file, screenshotted with headless Chromium only
 * when `/usr/bin/chromium` exists and the test may run it (skipped loudly otherwise).
 * These tests must never read real data.
 */

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  backtestHtml,
  backtestJson,
  type BacktestJsonInput,
  monteCarlo,
} from "@/operators/backtest/mod.ts";
import { decisionSections, emptyRun, syntheticRun, trade, us } from "./_fixtures.ts";
import { reportSkip } from "../../_skip.ts";

const SHA = "0123456789abcdef".repeat(4);
const ATTACK = `<script>alert("x")</script>`;

function sample(seed = 11) {
  const { run, prices } = syntheticRun(seed);
  const pnls = run.trades.map((t) => t.pnl);
  const options = { initialBalance: run.initialBalance, seed: 1, runs: 300 };
  const input: BacktestJsonInput = {
    symbol: "XAUUSD",
    run,
    config: { strategy: { name: "fusion v1" }, risk: { perTradePct: 0.5 }, sessions: ["london"] },
    dataFiles: [{ name: "DAT_ASCII_XAUUSD_M1_2024.csv.gz", sha256: SHA, rows: 86_400 }],
    monteCarlo: [
      monteCarlo(pnls, { ...options, method: "reshuffle" }),
      monteCarlo(pnls, { ...options, method: "bootstrap" }),
    ],
    ...decisionSections(),
  };
  return { doc: backtestJson(input), prices, input };
}

Deno.test("backtestHtml() is self-contained: no script, no link, no remote resource", () => {
  const { doc, prices } = sample();
  const page = backtestHtml(doc, { prices });
  assert.match(page, /^<!doctype html>/);
  for (
    const banned of [
      "http://",
      "https://",
      "<script",
      "<link",
      "src=",
      "url(",
      "@import",
      "<iframe",
    ]
  ) {
    assert.ok(!page.toLowerCase().includes(banned), `the page contains "${banned}"`);
  }
});

Deno.test("backtestHtml() escapes markup in trade ids, config values and config keys", () => {
  const { run } = syntheticRun(11);
  const input: BacktestJsonInput = {
    symbol: "XAUUSD",
    run: { ...run, trades: run.trades.map((t, i) => (i === 0 ? { ...t, positionId: ATTACK } : t)) },
    config: { comment: ATTACK, [ATTACK]: 1, nested: { list: [ATTACK] } },
    dataFiles: [{ name: `${ATTACK}.csv`, sha256: SHA, rows: 1 }],
    monteCarlo: [],
    ...decisionSections(),
  };
  const page = backtestHtml(backtestJson(input), { prices: [], title: ATTACK });
  assert.ok(!page.includes("<script"), "an unescaped <script> reached the page");
  assert.ok(page.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
});

Deno.test("backtestHtml() draws each chart as an inline SVG inside its viewBox", () => {
  const { doc, prices } = sample();
  const page = backtestHtml(doc, { prices });
  const svgs = page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  const titles = svgs.map((svg) => /<title>([^<]*)<\/title>/.exec(svg)?.[1]);
  assert.deepEqual(titles, [
    "Equity and balance",
    "Drawdown from the running equity peak, %",
    "Price (close) with entries (▲ buy, ▼ sell) and exits (●)",
    "reshuffle Monte Carlo: closed-trade equity by trade number",
    "bootstrap Monte Carlo: closed-trade equity by trade number",
  ]);
  for (const svg of svgs) {
    const [, , width, height] = /viewBox="([^"]+)"/.exec(svg)![1].split(" ").map(Number);
    const coordinates = [...svg.matchAll(/points="([^"]*)"/g)].flatMap((m) =>
      m[1].trim().split(/\s+/)
    );
    assert.ok(coordinates.length > 0);
    for (const pair of coordinates) {
      const [x, y] = pair.split(",").map(Number);
      assert.ok(
        x >= 0 && x <= width && y >= 0 && y <= height,
        `${pair} is outside ${width}x${height}`,
      );
    }
  }
  // Every trade has an entry and an exit marker on the price chart.
  assert.equal((svgs[2].match(/<title>#p\d+ /g) ?? []).length, 2 * doc.trades.length);
});

Deno.test("backtestHtml() shows the data file, its SHA-256, the period and the config", () => {
  const { doc, prices } = sample();
  const page = backtestHtml(doc, { prices });
  assert.ok(page.includes("DAT_ASCII_XAUUSD_M1_2024.csv.gz"));
  assert.ok(page.includes(SHA));
  assert.ok(page.includes("2024-01-08T00:00:00Z to 2024-03-08T00:00:00Z"));
  assert.ok(page.includes("risk.perTradePct"));
  assert.ok(page.includes("fusion v1"));
  assert.equal(
    (page.match(/<td class="n">\d+<\/td>\s*<td class="mono">p\d+</g) ?? []).length,
    doc.trades.length,
  );
});

Deno.test("backtestHtml() renders a run without trades, prices or Monte Carlo", () => {
  const doc = backtestJson({
    symbol: "XAUUSD",
    run: emptyRun(),
    config: {},
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  const page = backtestHtml(doc, { prices: [] });
  assert.ok(page.includes("No price series and no trades"));
  assert.ok(page.includes("No Monte Carlo was run."));
  assert.ok(page.includes("No trades"));
  assert.ok(!page.includes("NaN"));
});

Deno.test("backtestHtml() draws a one-trade run without a degenerate scale", () => {
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
    dataFiles: [],
    monteCarlo: [],
    ...decisionSections(),
  });
  const page = backtestHtml(doc, { prices: [] });
  assert.ok(!/NaN|Infinity/.test(page));
});

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile &&
      Deno.permissions.querySync({ name: "run", command: CHROMIUM }).state === "granted";
  } catch {
    return false;
  }
})();

Deno.test("backtestHtml() writes a sample report to a temporary file", async (t) => {
  const { doc, prices } = sample();
  // One fixed name, overwritten on every run: inspectable afterwards, never piling up.
  const path = join(tmpdir(), "ai-gold-scalper-sample-backtest-report.html");
  await Deno.writeTextFile(path, backtestHtml(doc, { prices }));
  assert.ok((await Deno.stat(path)).size > 10_000);
  if (!haveChromium) {
    reportSkip(
      "a headless Chromium screenshot of it is a PNG",
      `${CHROMIUM} is absent or the test may not run it (needs --allow-run)`,
    );
  }
  await t.step({
    name: "a headless Chromium screenshot of it is a PNG",
    ignore: !haveChromium,
    fn: async () => {
      const png = path.replace(/\.html$/, ".png");
      const { success } = await new Deno.Command(CHROMIUM, {
        args: [
          "--headless",
          "--no-sandbox",
          "--window-size=1280,2400",
          `--screenshot=${png}`,
          `file://${path}`,
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(success);
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      console.log(`Screenshot: ${png}`);
    },
  });
});
