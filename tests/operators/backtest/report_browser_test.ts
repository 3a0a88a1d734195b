/**
 * The report of a real year in Chromium: 2018 technical-only with the default config
 * (trading once every source is warm, to the end of the year), with hand-written decision
 * sections laid over (`reportSections()`: halts, a model's low coverage, news, broker),
 * rendered by `backtestHtml()` and opened from a file. At 1400 px
 * wide the page is at most 8,000 px tall, every section is there and visible, no text is
 * cut, the charts are drawn and zoom, and the trades table sorts and filters.
 * Run this file directly with REPORT_SCREENSHOTS=DIR to write the docs' screenshots.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backtestHtml, type BacktestJson } from "@/operators/backtest/mod.ts";
import { type BacktestRun, runBacktest } from "@/pipeline/commands/backtest.ts";
import { dataPath } from "../../_data.ts";
import {
  bottomOf,
  browserTest,
  type Chart,
  launchChromium,
  overflowing,
  pageLog,
  paintedPixels,
} from "../../_browser.ts";
import { reportSections } from "./_fixtures.ts";

const HISTDATA_2018 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz";
/** The limit for a year's report at 1400 px wide. */
const MAX_HEIGHT = 8000;
/** Every section, by id, in page order. */
const SECTIONS = [
  "summary",
  "charts",
  "monthly",
  "breakdowns",
  "decisions",
  "metrics",
  "monte-carlo",
  "trades",
  "data",
];

type WithCharts = { reportCharts: { main: Chart } };

/**
 * 2018 with the default config, as `deno task backtest --data FILE --no-ml` runs it; the
 * random baseline only for the pictures (the checks lay their own over it, and its 30
 * runs would make this test a minute long).
 */
function yearRun(pictures: boolean): Promise<BacktestRun> {
  return runBacktest({
    files: [dataPath(HISTDATA_2018)],
    noMl: true,
    progress: false,
    ...(pictures ? {} : { baselineRuns: 0 }),
  });
}

/**
 * The run's report with the decision sections added (hand-written values) and a model
 * record in its config, so the coverage banner shows: for the checks only, never for a
 * picture, since the run was technical only and those values are not its own.
 */
function withFixtureSections(run: BacktestRun): string {
  const doc = {
    ...run.document,
    ...reportSections(),
    config: { ...run.document.config, ml: { modelId: "fixture", featureSpecHash: "fixture" } },
  } as BacktestJson;
  return backtestHtml(doc, { candles: run.candles });
}

/** The scenario, run in a child process (`browserTest`). */
async function scenario(): Promise<void> {
  const screenshots = Deno.env.get("REPORT_SCREENSHOTS");
  const run = await yearRun(screenshots !== undefined);
  const trades = run.document.metrics.trades;
  const dir = await Deno.makeTempDir();
  const file = join(dir, "report.html");
  await Deno.writeTextFile(file, withFixtureSections(run));
  const browser = await launchChromium();
  const log: string[] = [];
  try {
    const page = pageLog(await browser.newPage({ viewport: { width: 1400, height: 900 } }), log);
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => "reportCharts" in globalThis);

    const height = await page.$eval("html", (root) => root.scrollHeight);
    console.log(`${trades} trades; the report with every section is ${height} px tall at 1400 px`);
    assert.ok(height <= MAX_HEIGHT, `the report is ${height} px tall`);
    const found = await page.$$eval(
      "body > section, #summary",
      (elements) => elements.filter((e) => e.getClientRects().length > 0).map((e) => e.id),
    );
    assert.deepEqual(found, SECTIONS);
    for (const banner of [".banner.halt", ".banner.coverage"]) {
      assert.ok(await page.isVisible(banner), `${banner} is not shown`);
    }
    assert.deepEqual(await overflowing(page), [], "text overflows its box at 1400 px");
    assert.ok(await paintedPixels(page, "#chart") > 10_000, "the main chart is blank");
    assert.ok(await paintedPixels(page, "#mc-reshuffle") > 1000, "a Monte Carlo chart is blank");

    // The candles fit the traded period (the year after the warm-up) at H4; the chart opens
    // on all of it, "1 month" shows about the last month.
    assert.match(await page.textContent("#charts .sub") ?? "", /^H4 candles/);
    const period = run.document.metrics.period.calendar_days;
    const visibleDays = () =>
      page.evaluate(() => {
        const { from, to } = (globalThis as unknown as WithCharts).reportCharts.main.timeScale()
          .getVisibleRange();
        return (to - from) / 86_400;
      });
    const all = await visibleDays();
    assert.ok(all > period - 2 && all <= period, `the chart opens on ${all} of ${period} days`);
    await page.click("button[data-zoom='30']");
    // The chart applies a new range on its next frame: wait for it to change (a busy machine
    // may paint late), then check it is about a month.
    await page.waitForFunction((days: number) => {
      const { from, to } = (globalThis as unknown as WithCharts).reportCharts.main.timeScale()
        .getVisibleRange();
      return (to - from) / 86_400 < days - 2;
    }, all);
    const month = await visibleDays();
    assert.ok(month > 25 && month <= 31, `"1 month" shows ${month} days`);
    // A wheel turn over the chart zooms in further.
    const box = (await (await page.$("#chart"))!.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 150);
    for (let turn = 0; turn < 3; turn++) await page.mouse.wheel(0, -600);
    await page.waitForFunction((days: number) => {
      const { from, to } = (globalThis as unknown as WithCharts).reportCharts.main.timeScale()
        .getVisibleRange();
      return (to - from) / 86_400 < days * 0.9;
    }, month);

    // Sorting by P&L puts the worst trade first; filtering by reason counts what is left.
    const pnls = await page.$$eval(
      "#trade-table tbody tr td:nth-child(9)",
      (cells) => cells.map((c) => Number((c as unknown as { dataset: { v: string } }).dataset.v)),
    );
    assert.equal(pnls.length, trades);
    await page.click("#trade-table th:nth-child(9)");
    const first = await page.$eval(
      "#trade-table tbody tr td:nth-child(9)",
      (c) => Number((c as unknown as { dataset: { v: string } }).dataset.v),
    );
    assert.equal(first, Math.min(...pnls));
    await page.selectOption("#trade-outcome", "win");
    const wins = pnls.filter((p) => p > 0).length;
    assert.equal(await page.textContent("#trade-count"), `${wins} of ${trades} trades`);

    if (screenshots) {
      // The real run's own report, nothing added.
      const real = join(dir, "real.html");
      await Deno.writeTextFile(real, backtestHtml(run.document, { candles: run.candles }));
      await page.goto(`file://${real}`);
      await page.waitForFunction(() => "reportCharts" in globalThis);
      await page.screenshot({
        path: join(screenshots, "report-top.png"),
        fullPage: true,
        clip: { x: 0, y: 0, width: 1400, height: await bottomOf(page, "#legend") + 8 },
      });
      for (const section of ["breakdowns", "decisions"]) {
        const box = (await (await page.$(`#${section}`))!.boundingBox())!;
        await page.screenshot({
          path: join(screenshots, `report-${section}.png`),
          fullPage: true,
          clip: { ...box, x: 0, width: 1400 },
        });
      }
    }
  } catch (error) {
    console.error(`page log:\n${log.join("\n")}`);
    throw error;
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await scenario();
} else {
  browserTest(
    "a year's report in Chromium is at most 8,000 px tall at 1400 px, shows every section and zooms",
    HISTDATA_2018,
    fileURLToPath(import.meta.url),
  );
}
