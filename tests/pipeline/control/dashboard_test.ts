/**
 * The dashboard: its mounts (page public, data behind the token) with `app.request`, and
 * the page itself in Debian's Chromium, driven by playwright-core, on real OANDA bars
 * over a weekend, behind the real control app (auth, audit, kill switch and component
 * routes): it fits 1366x768 and 390x844 with no text cut, shows the summary, draws
 * candles on real dates that zoom, lists rejections as counts with the latest few, and
 * its buttons act only after a confirmation, audited under the token.
 * Run this file directly with DASHBOARD_SCREENSHOTS=DIR to write the docs' screenshots.
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { Browser, Page } from "playwright-core";
import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type RiskDecisionEvent,
  type SignalEvent,
  type TradeEvent,
} from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { eventsOf } from "@/pipeline/replay.ts";
import type { ComponentController } from "@/pipeline/control/components.ts";
import { dashboardMounts } from "@/pipeline/control/dashboard/mod.ts";
import type { RiskStatus } from "@/operators/risk/engine.ts";
import { SseHub } from "@/sinks/sse.ts";
import { openSource } from "@/sources/mod.ts";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
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
import { signal } from "../../operators/risk/_fixtures.ts";
import { testApp, TOKEN } from "./_app.ts";

const OANDA_M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";

/** Real M1 bars `from` to `to` (indices) of the OANDA quote file. */
async function realBars(from: number, to: number): Promise<BarEvent[]> {
  const bars: BarEvent[] = [];
  const source = await openSource(dataPath(OANDA_M1), { symbol: "XAUUSD" });
  for await (const batch of source.batches()) {
    bars.push(...eventsOf(batch, "XAUUSD") as BarEvent[]);
    if (bars.length >= to) break;
  }
  return bars.slice(from, to);
}

function signalAt(bar: BarEvent, side: "buy" | "sell"): SignalEvent {
  const entryPrice = side === "buy" ? bar.ask!.close : bar.bid.close;
  const stop = side === "buy" ? -3 : 3;
  return signal({
    timeUs: bar.closeUs,
    side,
    entryPrice,
    stopLoss: entryPrice + stop,
    takeProfit: entryPrice - stop,
  });
}

function tradeBetween(entry: BarEvent, exit: BarEvent, side: "buy" | "sell", id: string) {
  const entryPrice = side === "buy" ? entry.ask!.close : entry.bid.close;
  const exitPrice = side === "buy" ? exit.bid.close : exit.ask!.close;
  const move = side === "buy" ? exitPrice - entryPrice : entryPrice - exitPrice;
  const trade: TradeEvent = {
    v: EVENT_VERSION,
    kind: "trade",
    symbol: "XAUUSD",
    positionId: id,
    side,
    lots: 0.1,
    entryTimeUs: entry.closeUs,
    entryPrice,
    exitTimeUs: exit.closeUs,
    exitPrice,
    exitReason: "signal",
    pnl: Number((move * 100 * 0.1).toFixed(2)),
    commission: 0,
    swap: 0,
    spreadCost: 0,
    mae: 0,
    mfe: 0,
  };
  return trade;
}

function accountAt(bar: BarEvent, balance: number, equity: number): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: bar.closeUs,
    balance,
    equity,
    margin: 0,
    openPositions: 0,
  };
}

/** The long reason codes that were cut on the old page ("MAX_DRAWDO"). */
const REJECTION_CODES = ["MAX_DRAWDOWN", "OUTSIDE_SESSION", "STOP_TOO_CLOSE"] as const;

function rejectionAt(bar: BarEvent, i: number): RiskDecisionEvent {
  const code = REJECTION_CODES[i % REJECTION_CODES.length];
  return {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: "XAUUSD",
    timeUs: bar.closeUs,
    side: i % 2 === 0 ? "buy" : "sell",
    decision: "reject",
    lots: 0,
    stopLoss: null,
    takeProfit: null,
    reasons: [{ code, detail: `${code} detail` }],
    state: "active",
    clientOrderId: null,
  };
}

/**
 * Bars with two trades and their signals, an account point every 20 bars (balance moving
 * by each trade's P&L, equity marked to market) and a rejection every 20 bars from bar 10:
 * 50 of them over 1,000 bars.
 */
function history(bars: readonly BarEvent[]): EventBatch {
  const trades = [
    tradeBetween(bars[40], bars[90], "buy", "p1"),
    tradeBetween(bars[150], bars[220], "sell", "p2"),
  ];
  let balance = 10_000;
  const events: EventBatch[number][] = [];
  for (const [i, bar] of bars.entries()) {
    events.push(bar);
    if (i === 40) events.push(signalAt(bar, "buy"));
    if (i === 150) events.push(signalAt(bar, "sell"));
    const closed = trades.find((t) => t.exitTimeUs === bar.closeUs);
    if (closed) {
      events.push(closed);
      balance = Number((balance + closed.pnl).toFixed(2));
    }
    if (i % 20 === 0) {
      // Marked to market: the open trade's move at this bar's close.
      const open = trades.find((t) => t.entryTimeUs <= bar.closeUs && bar.closeUs < t.exitTimeUs);
      const move = open === undefined
        ? 0
        : open.side === "buy"
        ? bar.bid.close - open.entryPrice
        : open.entryPrice - bar.ask!.close;
      events.push(accountAt(bar, balance, Number((balance + move * 100 * 0.1).toFixed(2))));
    }
    if (i % 20 === 10 && i < 1000) events.push(rejectionAt(bar, (i - 10) / 20));
  }
  return events;
}

/** The dashboard behind a minimal Bearer check, as the control plane mounts it. */
function mountedApp(hub: SseHub) {
  const app = new Hono();
  for (const mount of dashboardMounts(hub)) {
    if (mount.auth) app.use(`${mount.path}/*`, bearerAuth({ token: TOKEN }));
    app.route(mount.path, mount.app as Hono);
  }
  return { app };
}

Deno.test("dashboardMounts() serves the page without auth and with no data in it", async () => {
  const hub = new SseHub();
  hub.write([signal({ entryPrice: 1234.56 })]);
  const { app } = mountedApp(hub);
  const page = await app.request("/dashboard/");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const text = await page.text();
  assert.ok(!text.includes("1234.56"));
  // The chart library's licence asks for its notice and a link on the page.
  assert.match(text, /TradingView Lightweight Charts · Copyright \(с\) 2023 TradingView, Inc\./);
  assert.match(text, /<a href="https:\/\/www\.tradingview\.com\/" rel="noreferrer">/);
  const bare = await app.request("/dashboard");
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get("location"), "/dashboard/");
  for (const file of ["app.js", "app.css", "vendor/lightweight-charts.js"]) {
    assert.equal((await app.request(`/dashboard/${file}`)).status, 200, file);
  }
});

Deno.test("dashboardMounts() puts the snapshot and the stream behind the token", async () => {
  const hub = new SseHub();
  hub.write([signal()]);
  const { app } = mountedApp(hub);
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await app.request("/v1/dashboard/snapshot")).status, 401);
  assert.equal((await app.request("/v1/dashboard/stream")).status, 401);
  const snapshot = await app.request("/v1/dashboard/snapshot", { headers: auth });
  assert.equal(snapshot.status, 200);
  assert.equal((await snapshot.json()).signals.length, 1);
  const stream = await app.request("/v1/dashboard/stream", { headers: auth });
  assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = stream.body!.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /^id: 1\nevent: snapshot\n/);
  await reader.cancel();
  assert.equal(hub.clientCount, 0);
});

/** The page's chart handles (`globalThis.dashboardCharts`). */
type WithCharts = { dashboardCharts: { price: Chart; equity: Chart } };

/** A risk engine's status and kill switch, as the control plane and the hub see it. */
function fakeRisk() {
  let killed: string | null = null;
  return {
    status: (): RiskStatus =>
      killed === null ? { state: "active", reasons: [] } : {
        state: "halted",
        reasons: [{ code: "KILL_SWITCH", detail: `manual kill switch: ${killed}` }],
      },
    killSwitch: (on: boolean, reason: string) => void (killed = on ? reason : null),
  };
}

function fakeComponents(): ComponentController {
  const enabled = new Map([["model", true], ["regimes", true]]);
  return {
    has: (name) => enabled.has(name),
    list: () => [...enabled].map(([name, on]) => ({ name, enabled: on })),
    setEnabled: (name, on) => void enabled.set(name, on),
  };
}

/** Logs in on a fresh page of `size` and waits for the first draw. */
async function openDashboard(
  browser: Browser,
  url: string,
  size: { width: number; height: number },
  log: string[],
): Promise<Page> {
  const page = pageLog(await browser.newPage({ viewport: size }), log);
  await page.goto(`${url}/dashboard/`);
  await page.fill("#token", TOKEN);
  await page.click("#login button");
  await page.waitForSelector("#connection:has-text('live')");
  await page.waitForSelector("#trade-table tbody tr:nth-child(2)");
  return page;
}

/** The scenario, run in a child process (`browserTest`). */
async function scenario(): Promise<void> {
  const screenshots = Deno.env.get("DASHBOARD_SCREENSHOTS");
  // Friday 2 May 2014 from 01:00 UTC, over the weekend, to Monday morning.
  const bars = await realBars(1500, 2900);
  const health = createHealthRegistry();
  health.register("feed").report("ok", "replaying XAUUSD_OANDA_M1_quote_20140501-20140515.csv");
  health.register("model").report("ok", "scoring");
  const risk = fakeRisk();
  const components = fakeComponents();
  const hub = new SseHub({
    health: () => health.snapshot(),
    status: () => ({
      production: { id: "model-prod-abc" },
      shadow: { id: "model-shadow-xyz" },
      trading: risk.status(),
      components: components.list(),
    }),
    statusIntervalMs: 200,
  });
  hub.write(history(bars.slice(0, 1300)));
  const { app, audited } = testApp({ health, risk, components, mounts: dashboardMounts(hub) });
  // The actions the buttons sent; refused requests (the wrong token, the favicon) are
  // audited too, as refusals, and are not actions.
  const actions = () => audited.filter((entry) => entry.status < 400);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const browser = await launchChromium();
  const log: string[] = [];
  try {
    const login = await browser.newPage();
    const unauthorized = await login.request.get(`${url}/v1/dashboard/snapshot`);
    assert.equal(unauthorized.status(), 401, "the data routes need the token");
    await login.goto(`${url}/dashboard/`);
    await login.fill("#token", "wrong-token-0123456789");
    await login.click("#login button");
    await login.waitForSelector("#login-error:has-text('refused the token')");

    // --- a 1366x768 laptop -------------------------------------------------------------
    const page = await openDashboard(browser, url, { width: 1366, height: 768 }, log);
    assert.deepEqual(await overflowing(page), [], "text overflows its box at 1366x768");
    for (const selector of ["#summary", "#price-chart", "#controls"]) {
      assert.ok(await bottomOf(page, selector) <= 768, `${selector} is below the first screen`);
    }
    // The summary: two trades, their win rate, and the balance they left.
    const trades = history(bars.slice(0, 1300)).filter((e) => e.kind === "trade") as TradeEvent[];
    const wins = trades.filter((t) => t.pnl > 0).length;
    assert.equal(await page.textContent("#sum-trades"), "2");
    assert.equal(await page.textContent("#sum-winrate"), `${(wins / 2 * 100).toFixed(1)} %`);
    const balance = 10_000 + trades[0].pnl + trades[1].pnl;
    assert.equal(
      await page.textContent("#sum-balance"),
      balance.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    );
    // 50 rejections: three counts by reason (17 + 17 + 16) and only the latest five listed.
    assert.deepEqual(
      await page.$$eval("#rejection-counts tbody tr", (trs) => trs.map((tr) => tr.textContent)),
      ["MAX_DRAWDOWN17", "OUTSIDE_SESSION17", "STOP_TOO_CLOSE16"],
    );
    assert.equal(await page.$$eval("#rejections tbody tr", (trs) => trs.length), 5);
    assert.ok(await paintedPixels(page, "#price-chart") > 1000, "the price chart is blank");
    assert.ok(await paintedPixels(page, "#equity-chart") > 1000, "the equity chart is blank");
    assert.equal(await page.textContent("#model-production"), "model-prod-abc");
    assert.match(await page.textContent("#health-table tbody") ?? "", /feed\s*ok\s*replaying/);

    // Candles on real dates, the weekend left out: the axis spans Friday to Monday (three
    // calendar days) with one place per bar, and wheel turns zoom in.
    const first = bars[0].openUs / 1e6;
    const last = bars[1299].openUs / 1e6;
    const range = await page.evaluate(([from, to]) => {
      const scale = (globalThis as unknown as WithCharts).dashboardCharts.price.timeScale();
      return {
        time: scale.getVisibleRange(),
        logical: scale.getVisibleLogicalRange(),
        places: scale.timeToIndex(to)! - scale.timeToIndex(from)!,
      };
    }, [first, last]);
    assert.deepEqual(range.time, { from: first, to: last });
    assert.ok(last - first > 3 * 86_400 - 6 * 3_600, "the bars do not span the weekend");
    assert.equal(range.places, 1299, "the weekend's minutes took places on the axis");
    const chart = (await (await page.$("#price-chart"))!.boundingBox())!;
    await page.mouse.move(chart.x + chart.width / 2, chart.y + chart.height / 2);
    for (let turn = 0; turn < 3; turn++) await page.mouse.wheel(0, -600);
    await page.waitForFunction(
      (width: number) => {
        const scale = (globalThis as unknown as WithCharts).dashboardCharts.price.timeScale();
        const { from, to } = scale.getVisibleLogicalRange();
        return to - from < width * 0.9;
      },
      range.logical.to - range.logical.from,
    );
    if (screenshots) {
      // The zoom back to everything and the pointer off the chart, for the picture.
      await page.mouse.move(0, 0);
      await page.evaluate(() =>
        (globalThis as unknown as WithCharts).dashboardCharts.price.timeScale().fitContent()
      );
      // The equity chart follows the price chart's range.
      await page.waitForFunction(() => {
        const { price, equity } = (globalThis as unknown as WithCharts).dashboardCharts;
        const [a, b] = [price, equity].map((c) => c.timeScale().getVisibleLogicalRange());
        return a.from === b.from && a.to === b.to;
      });
      await page.screenshot({ path: join(screenshots, "dashboard-1366x768.png") });
    }

    // The kill switch: a confirmation asking for a reason, then the audited call.
    await page.click("#kill-switch");
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm-ok");
    await page.waitForSelector("#confirm-error:has-text('Give a reason')");
    assert.equal(actions().length, 0, "nothing is sent before a reason is given");
    await page.fill("#confirm-reason", "news spike");
    await page.click("#confirm-ok");
    await page.waitForSelector("#trading-state:has-text('halted')");
    assert.equal(actions().length, 1);
    assert.equal(actions()[0].path, "/v1/kill-switch");
    assert.equal(actions()[0].status, 200);
    assert.equal(actions()[0].detail, "kill switch on: news spike");
    assert.match(
      await page.textContent("#trading-reasons") ?? "",
      /KILL_SWITCH: manual kill switch: news spike/,
    );
    // Cancelling a stage switch changes nothing; confirming it disables the stage.
    await page.click("button[data-component='model']");
    await page.click("#confirm-cancel");
    assert.equal(actions().length, 1, "a cancelled action was sent");
    await page.click("button[data-component='model']");
    await page.click("#confirm-ok");
    await page.waitForSelector("button[data-component='model']:has-text('Enable')");
    assert.equal(actions()[1].path, "/v1/components/model/disable");
    assert.equal(actions()[1].detail, "model disabled");

    // The stream: new bars and a trade arrive as one batch.
    const seq = Number(await page.getAttribute("#last-update", "data-seq"));
    const live = bars.slice(1300);
    hub.write([...live, tradeBetween(live[0], live[30], "buy", "p3")]);
    await page.waitForSelector(`#last-update[data-seq="${seq + 1}"]`);
    assert.equal(await page.$$eval("#trade-table tbody tr", (trs) => trs.length), 3);
    assert.equal(await page.textContent("#sum-trades"), "3");

    // --- a 390x844 phone ---------------------------------------------------------------
    const phone = await openDashboard(browser, url, { width: 390, height: 844 }, log);
    await phone.waitForSelector("#trade-table tbody tr:nth-child(3)");
    assert.deepEqual(await overflowing(phone), [], "text overflows its box at 390x844");
    assert.ok(await bottomOf(phone, "#summary") <= 844, "the summary is below the first screen");
    if (screenshots) await phone.screenshot({ path: join(screenshots, "dashboard-390x844.png") });
  } catch (error) {
    console.error(`page log:\n${log.join("\n")}`);
    throw error;
  } finally {
    await browser.close();
    hub.close();
    await server.shutdown();
  }
}

if (import.meta.main) {
  await scenario();
} else {
  browserTest(
    "the dashboard in Chromium fits a laptop and a phone, zooms real candles, and confirms its buttons",
    OANDA_M1,
    fileURLToPath(import.meta.url),
  );
}
