/**
 * `POST /ai_signal` through the control app as `serve` mounts it (Bearer auth, body limit,
 * no rate limit, not audited), two ways:
 *
 * 1. CPU per request in this process (`app.fetch`, no sockets): the whole app, and the
 *    route alone, so the share of the middleware in front of it shows.
 * 2. Under load over loopback: this process serves (`Deno.serve`, one JS thread) and wrk
 *    (`apt-get install wrk`), a process of its own with one thread, drives 16 keep-alive
 *    connections for 10 s after 2 s of warm-up; skipped, saying so, without wrk.
 *
 * Each for the request path (no live signal: the docs/ai-signal.md example's indicators
 * are scored) and the live path (a fresh live signal with its risk verdict). The load
 * average and the cores are printed beside the figures. Heavy by design: never a test.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-run
 *     --allow-sys=loadavg bench/ai_signal_bench.ts [--seconds 10] [--connections 16]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { aiSignalRoutes, parseAiSignalConfig, SignalBoard } from "../pipeline/control/ai_signal.ts";
import { createControlApp } from "../pipeline/control/app.ts";
import { EVENT_VERSION, type MarketEvent } from "../pipeline/events.ts";
import { createHealthRegistry } from "../pipeline/health.ts";
import { XAUUSD } from "../pipeline/symbols.ts";
import { AI_SIGNAL_REQUEST } from "./_ai_signal.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
  },
  strict: true,
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
if (
  !(Number.isInteger(seconds) && seconds >= 1 && Number.isInteger(connections) && connections >= 1)
) {
  console.error("ai_signal bench: --seconds and --connections must be whole numbers >= 1");
  Deno.exit(2);
}
const IN_PROCESS_REQUESTS = 20_000;
const TARGET_RPS = 10_000;
const TARGET_P99_MS = 5;

const token = crypto.randomUUID() + crypto.randomUUID();

/** The events behind the live path: an account, and a buy signal the risk engine accepted. */
function liveEvents(timeUs: number): MarketEvent[] {
  const votes = [
    {
      source: "technical" as const,
      side: "buy" as const,
      confidence: 0.7,
      weight: 0.5,
      reasons: ["score +0.70"],
    },
    {
      source: "ml" as const,
      side: "buy" as const,
      confidence: 0.9,
      weight: 0.5,
      reasons: ["p_up 0.61"],
    },
  ];
  return [{
    v: EVENT_VERSION,
    kind: "signal",
    symbol: XAUUSD.symbol,
    timeUs,
    side: "buy",
    confidence: 0.8,
    entryPrice: 2000.3,
    stopLoss: 1997.3,
    takeProfit: 2004.3,
    stopDistance: 3,
    takeDistance: 4,
    stopPoints: 300,
    takePoints: 400,
    votes,
    regime: null,
    specHash: "bench",
    modelId: "bench",
  }, {
    v: EVENT_VERSION,
    kind: "risk",
    symbol: XAUUSD.symbol,
    timeUs,
    side: "buy",
    decision: "accept",
    lots: 0.16,
    stopLoss: 1997.3,
    takeProfit: 2004.3,
    reasons: [],
    state: "active",
    clientOrderId: "bench-1",
    budget: 49.12,
  }];
}

function apps(live: boolean) {
  const board = new SignalBoard();
  const nowUs = Date.now() * 1000;
  board.write([{
    v: EVENT_VERSION,
    kind: "account",
    timeUs: nowUs,
    balance: 10_000,
    equity: 10_000,
    margin: 0,
    openPositions: 0,
  }, ...(live ? liveEvents(nowUs) : [])]);
  const routes = aiSignalRoutes({
    latestSignal: (symbol) => board.latestSignal(symbol),
    account: () => board.account(),
    spec: (symbol) => (symbol === XAUUSD.symbol ? XAUUSD : null),
    defaultSymbol: XAUUSD.symbol,
    // A live signal stays fresh for the whole run.
    config: parseAiSignalConfig({ maxSignalAgeSeconds: 3600 }, "bench"),
  });
  const app = createControlApp({
    health: createHealthRegistry(),
    version: "bench",
    token,
    audit: () => {},
    limits: { rate: null },
    mounts: [{ path: "/", app: routes, auth: true, audit: false }],
  });
  return { app, routes };
}

/** Least CPU per request over three rounds of `IN_PROCESS_REQUESTS`, in µs. */
async function cpuPerRequest(fetch: (request: Request) => Response | Promise<Response>) {
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < IN_PROCESS_REQUESTS; i++) {
      const response = await fetch(
        new Request("http://127.0.0.1/ai_signal", {
          method: "POST",
          headers,
          body: AI_SIGNAL_REQUEST,
        }),
      );
      if (response.status !== 200) throw new Error(`ai_signal answered ${response.status}`);
      await response.arrayBuffer();
    }
    const cpu = process.cpuUsage(before);
    best = Math.min(best, (cpu.user + cpu.system) / IN_PROCESS_REQUESTS);
  }
  return best;
}

const haveWrk = await new Deno.Command("wrk", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then(() => true, () => false);

interface Load {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly serverCpuShare: number;
}

/** wrk against this process's server; its --latency percentiles, and our CPU share. */
async function underLoad(app: { fetch: (r: Request) => Response | Promise<Response> }) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/ai_signal`;
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(AI_SIGNAL_REQUEST)}\n` +
      `wrk.headers["content-type"] = "application/json"\n` +
      `wrk.headers["authorization"] = "Bearer ${token}"\n`,
  );
  const wrk = (duration: number) =>
    new Deno.Command("wrk", {
      args: ["-t1", `-c${connections}`, `-d${duration}s`, "--latency", "-s", script, url],
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    await wrk(2); // warm-up: the JIT, both sides
    const before = process.cpuUsage();
    const started = performance.now();
    const run = await wrk(seconds);
    const wall = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(before);
    const text = new TextDecoder().decode(run.stdout);
    const ms = (label: string) => {
      const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
      if (m === null) throw new Error(`wrk printed no ${label}th percentile:\n${text}`);
      return Number(m[1]) * (m[2] === "us" ? 1e-3 : m[2] === "s" ? 1e3 : 1);
    };
    const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
    const load: Load = {
      requests,
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]),
      p50Ms: ms("50"),
      p99Ms: ms("99"),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
      serverCpuShare: (cpu.user + cpu.system) / 1e6 / wall,
    };
    return load;
  } finally {
    await server.shutdown();
    await Deno.remove(script);
  }
}

const loadAverage = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
const loadBefore = loadAverage();
const rows: string[] = [];
for (const live of [false, true]) {
  const path = live ? "live signal" : "request's indicators";
  const { app, routes } = apps(live);
  const whole = await cpuPerRequest(app.fetch);
  const route = await cpuPerRequest(routes.fetch);
  console.error(
    `  ${path}: ${whole.toFixed(1)} µs CPU per request, route alone ${route.toFixed(1)}`,
  );
  let cells = "| - | - | - | - | - | wrk not installed: `apt-get install wrk` |";
  if (haveWrk) {
    const load = await underLoad(app);
    const met = load.rps >= TARGET_RPS && load.p99Ms <= TARGET_P99_MS && load.non2xx === 0;
    cells = `| ${Math.round(load.rps).toLocaleString("en-US")} | ${load.p50Ms.toFixed(2)} | ${
      load.p99Ms.toFixed(2)
    } | ${load.non2xx} | ${(load.serverCpuShare * 100).toFixed(0)}% | ${met ? "met" : "NOT met"} |`;
    console.error(`  ${path}: ${Math.round(load.rps)} req/s, p99 ${load.p99Ms} ms`);
  }
  rows.push(`| ${path} | ${whole.toFixed(1)} | ${route.toFixed(1)} ${cells}`);
}
console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores shared by both processes ` +
    `(server: one JS thread; wrk -t1 -c${connections}, ${seconds} s after 2 s of warm-up); ` +
    `load average ${loadBefore} before, ${loadAverage()} after`,
);
console.log(
  `| answer from | CPU µs/request, whole app (in process) | route alone | req/s | p50 ms | p99 ms | non-2xx | server CPU | target >= ${TARGET_RPS} req/s, p99 <= ${TARGET_P99_MS} ms |`,
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const row of rows) console.log(row);
