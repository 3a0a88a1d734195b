/**
 * `POST /ai_signal` through the control app as `serve` mounts it (Bearer auth, body limit,
 * no rate limit, not audited), two ways:
 *
 * 1. CPU per request in this process (`app.fetch`, no sockets): the whole app, and the
 *    route alone, so the share of the middleware in front of it shows.
 * 2. Under load over loopback: this process serves (`Deno.serve`, one JS thread) and a
 *    generator in a process of its own drives 16 keep-alive connections for 10 s after
 *    2 s of warm-up: wrk (`apt-get install wrk`; left out, saying so, without it) with one
 *    thread, then bench/_load_client.ts. wrk has printed latencies its own throughput
 *    rules out here, so its mean is put beside the one Little's law allows (connections /
 *    req/s) and marked inconsistent when more than twice that, and the second generator
 *    measures the same server independently.
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
  /**
   * wrk's mean latency over the mean Little's law allows at its throughput (connections /
   * req/s): about 1 when its figures agree with each other, far above 1 when they do not.
   */
  readonly meanOverLittle: number | null;
}

/** What drives the load, in a process of its own: wrk, or this bench's Deno client. */
type Generator = "wrk" | "deno client";

/** Milliseconds in one of wrk's figures ("950.00us", "1.35ms", "1.02s"). */
function wrkMs(value: string, unit: string): number {
  return Number(value) * (unit === "us" ? 1e-3 : unit === "s" ? 1e3 : 1);
}

/**
 * `generator` against this process's server for `seconds` (after 2 s of warm-up): its
 * percentiles, and our CPU share.
 */
async function underLoad(
  app: { fetch: (r: Request) => Response | Promise<Response> },
  generator: Generator,
): Promise<Load> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/ai_signal`;
  const file = await Deno.makeTempFile({ suffix: generator === "wrk" ? ".lua" : ".json" });
  await Deno.writeTextFile(
    file,
    generator === "wrk"
      ? `wrk.method = "POST"\nwrk.body = ${JSON.stringify(AI_SIGNAL_REQUEST)}\n` +
        `wrk.headers["content-type"] = "application/json"\n` +
        `wrk.headers["authorization"] = "Bearer ${token}"\n`
      : AI_SIGNAL_REQUEST,
  );
  const run = (duration: number) =>
    (generator === "wrk"
      ? new Deno.Command("wrk", {
        args: ["-t1", `-c${connections}`, `-d${duration}s`, "--latency", "-s", file, url],
        stdout: "piped",
        stderr: "piped",
      })
      : new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net=127.0.0.1",
          "--allow-read",
          new URL("./_load_client.ts", import.meta.url).pathname,
          url,
          token,
          file,
          String(connections),
          String(duration),
        ],
        stdout: "piped",
        stderr: "piped",
      })).output();
  try {
    await run(2); // warm-up: the JIT, both sides
    const before = process.cpuUsage();
    const started = performance.now();
    const output = await run(seconds);
    const wall = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(before);
    const serverCpuShare = (cpu.user + cpu.system) / 1e6 / wall;
    const text = new TextDecoder().decode(output.stdout);
    if (generator === "deno client") {
      const figures = JSON.parse(text);
      return { ...figures, serverCpuShare, meanOverLittle: null };
    }
    const ms = (label: string) => {
      const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
      if (m === null) throw new Error(`wrk printed no ${label}th percentile:\n${text}`);
      return wrkMs(m[1], m[2]);
    };
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
    const mean = /Latency\s+([\d.]+)(us|ms|s)/.exec(text);
    return {
      requests: Number(/(\d+) requests in/.exec(text)?.[1]),
      rps,
      p50Ms: ms("50"),
      p99Ms: ms("99"),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
      serverCpuShare,
      // Little's law: connections busy all the time answer at rps, so the mean is connections / rps.
      meanOverLittle: mean === null ? null : wrkMs(mean[1], mean[2]) / (connections / rps * 1000),
    };
  } finally {
    await server.shutdown();
    await Deno.remove(file);
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
  const generators: Generator[] = haveWrk ? ["wrk", "deno client"] : ["deno client"];
  if (!haveWrk) {
    console.error("  wrk is not installed (`apt-get install wrk`): the Deno client only");
  }
  for (const generator of generators) {
    const load = await underLoad(app, generator);
    const met = load.rps >= TARGET_RPS && load.p99Ms <= TARGET_P99_MS && load.non2xx === 0;
    const consistent = load.meanOverLittle === null
      ? "-"
      : `${load.meanOverLittle.toFixed(1)}x${load.meanOverLittle > 2 ? " (inconsistent)" : ""}`;
    rows.push(
      `| ${path} | ${generator} | ${whole.toFixed(1)} | ${route.toFixed(1)} | ${
        Math.round(load.rps).toLocaleString("en-US")
      } | ${load.p50Ms.toFixed(2)} | ${load.p99Ms.toFixed(2)} | ${consistent} | ${load.non2xx} | ${
        (load.serverCpuShare * 100).toFixed(0)
      }% | ${met ? "met" : "NOT met"} |`,
    );
    console.error(`  ${path}, ${generator}: ${Math.round(load.rps)} req/s, p99 ${load.p99Ms} ms`);
  }
}
console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores shared by both processes ` +
    `(server: one JS thread; the generator a process of its own: wrk -t1 -c${connections}, ` +
    `or bench/_load_client.ts with ${connections} keep-alive loops; ${seconds} s after 2 s of ` +
    `warm-up); load average ${loadBefore} before, ${loadAverage()} after`,
);
console.log(
  `| answer from | generator | CPU µs/request, whole app (in process) | route alone | req/s | p50 ms | p99 ms | wrk's mean / Little's law | non-2xx | server CPU | target >= ${TARGET_RPS} req/s, p99 <= ${TARGET_P99_MS} ms |`,
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
for (const row of rows) console.log(row);
