import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { Page } from "playwright-core";
import {
  type AccountEvent,
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type SignalEvent,
  type TradeEvent,
} from "@/pipeline/events.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { eventsOf } from "@/pipeline/replay.ts";
import { dashboardMounts } from "@/pipeline/control/dashboard/mod.ts";
import { SseHub } from "@/sinks/sse.ts";
import { openSource } from "@/sources/mod.ts";
import { fileURLToPath } from "node:url";
import { dataPath, dataTest } from "../../_data.ts";
import { signal } from "../../operators/risk/_fixtures.ts";
import { skippableTest } from "../../_skip.ts";

/** Debian's Chromium; playwright-core never downloads a browser of its own. */
const CHROMIUM = "/usr/bin/chromium";
/** The flags a root, offline, headless run needs (see the machine notes). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const OANDA_M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";
const TOKEN = "dashboard-test-token-0123456789";

/** Registers a test that needs Chromium and the real bars; skips loudly without Chromium. */
function browserTest(name: string, fn: () => Promise<void>): void {
  let haveChromium = false;
  try {
    haveChromium = Deno.statSync(CHROMIUM).isFile;
  } catch {
    // Absent: reported below.
  }
  if (!haveChromium) {
    skippableTest(name, `${CHROMIUM} is missing (apt-get install -y chromium)`, fn);
    return;
  }
  dataTest(name, OANDA_M1, fn);
}

/** The first `count` real M1 bars of the OANDA quote file. */
async function realBars(count: number): Promise<BarEvent[]> {
  const bars: BarEvent[] = [];
  const source = await openSource(dataPath(OANDA_M1), { symbol: "XAUUSD" });
  for await (const batch of source.batches()) {
    bars.push(...eventsOf(batch, "XAUUSD") as BarEvent[]);
    if (bars.length >= count) break;
  }
  return bars.slice(0, count);
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

function accountAt(bar: BarEvent, equity: number): AccountEvent {
  return {
    v: EVENT_VERSION,
    kind: "account",
    timeUs: bar.closeUs,
    balance: equity,
    equity,
    margin: 0,
    openPositions: 0,
  };
}

/** Bars with two trades, their signals and an account point every 20 bars. */
function history(bars: readonly BarEvent[]): EventBatch {
  let equity = 10_000;
  const trades = [
    tradeBetween(bars[40], bars[90], "buy", "p1"),
    tradeBetween(bars[150], bars[220], "sell", "p2"),
  ];
  const events: EventBatch[number][] = [];
  for (const [i, bar] of bars.entries()) {
    events.push(bar);
    if (i === 40) events.push(signalAt(bar, "buy"));
    if (i === 150) events.push(signalAt(bar, "sell"));
    const closed = trades.find((t) => t.exitTimeUs === bar.closeUs);
    if (closed) {
      events.push(closed);
      equity += closed.pnl;
    }
    if (i % 20 === 0) events.push(accountAt(bar, equity - (i % 40)));
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

function serveDashboard(hub: SseHub) {
  const { app } = mountedApp(hub);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, server };
}

/** Non-blank pixels in the canvases under `selector` (uPlot draws the series there). */
function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.$$eval(`${selector} canvas`, (canvases) =>
    canvases.reduce((sum, canvas) => {
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return sum + painted;
    }, 0));
}

Deno.test("dashboardMounts() serves the page without auth and with no data in it", async () => {
  const hub = new SseHub();
  hub.write([signal({ entryPrice: 1234.56 })]);
  const { app } = mountedApp(hub);
  const page = await app.request("/dashboard/");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.ok(!(await page.text()).includes("1234.56"));
  const bare = await app.request("/dashboard");
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get("location"), "/dashboard/");
  for (const file of ["app.js", "app.css", "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css"]) {
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

/**
 * The scenario, run in a child process: playwright-core reads the home folder, the OS
 * release and /proc at import, which `deno test`'s permissions (no --allow-sys) refuse.
 */
async function scenario(): Promise<void> {
  const { chromium } = await import("playwright-core");
  const bars = await realBars(300);
  const health = createHealthRegistry();
  health.register("feed").report("ok", "replaying");
  const hub = new SseHub({
    health: () => health.snapshot(),
    status: () => ({ production: { id: "model-prod-abc" }, shadow: { id: "model-shadow-xyz" } }),
  });
  hub.write(history(bars.slice(0, 250)));
  const { url, server } = serveDashboard(hub);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const pageLog: string[] = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    page.on("console", (message) => pageLog.push(`console.${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => pageLog.push(`page error: ${error.message}`));
    const unauthorized = await page.request.get(`${url}/v1/dashboard/snapshot`);
    assert.equal(unauthorized.status(), 401, "the data routes need the token");

    await page.goto(`${url}/dashboard/`);
    await page.fill("#token", "wrong-token-0123456789");
    await page.click("#login button");
    await page.waitForSelector("#login-error:has-text('refused the token')");

    await page.fill("#token", TOKEN);
    await page.click("#login button");
    await page.waitForSelector("#connection:has-text('live')");
    await page.waitForFunction("document.querySelectorAll('#trades tbody tr').length === 2");
    assert.equal(await page.textContent("#model-production"), "model-prod-abc");
    assert.equal(await page.textContent("#model-shadow"), "model-shadow-xyz");
    assert.match(await page.textContent("#health tbody") ?? "", /feed\s*ok\s*replaying/);
    assert.ok(await paintedPixels(page, "#price-chart") > 1000, "the price chart is blank");
    assert.ok(await paintedPixels(page, "#equity-chart") > 1000, "the equity chart is blank");

    const seq = Number(await page.getAttribute("#last-update", "data-seq"));
    const live = bars.slice(250);
    hub.write([...live, tradeBetween(live[0], live[30], "buy", "p3")]);
    await page.waitForSelector(`#last-update[data-seq="${seq + 1}"]`);
    const rows = await page.$$eval("#trades tbody tr", (trs) => trs.map((tr) => tr.textContent));
    assert.equal(rows.length, 3);
    assert.match(rows[0] ?? "", /buy/);
    const lastBarTime = new Date(live.at(-1)!.closeUs / 1000).toISOString().slice(0, 19)
      .replace("T", " ");
    assert.match(await page.textContent("#last-update") ?? "", new RegExp(lastBarTime));
  } catch (error) {
    console.error(`page log:\n${pageLog.join("\n")}`);
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
    "the dashboard in Chromium draws real bars with trades and follows the SSE stream",
    async () => {
      // -A: the child must read /proc, which only --allow-all grants; it talks to 127.0.0.1 only.
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", fileURLToPath(import.meta.url)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      assert.equal(
        child.code,
        0,
        `the browser scenario failed:\n${decoder.decode(child.stdout)}${
          decoder.decode(child.stderr)
        }`,
      );
    },
  );
}
