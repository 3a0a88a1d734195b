/**
 * The live system, measured on this machine (issue 7, "Benchmarks"): tick-to-order latency
 * of the live kernel in process, with the default ensemble and without a model; the
 * envelope round trip over the two protocol transports (HTTP and TCP, loopback, one EA);
 * `POST /ai_signal` throughput and p99 under concurrent keep-alive load; the lag of 50
 * dashboard SSE clients at 1 k events/s; and memory before and after a fast replay of
 * months of M1 through the live kernel.
 *
 * Everything is the production code composed as `serve` composes it: `buildStrategy`,
 * `startLive` with a SQLite journal, the control app with Bearer auth, the EA simulator
 * (the backtest's simulated broker) playing the terminal. Load clients run in a child
 * process of this same script (`--child`), so server and load share the machine's cores.
 * The model is the backtest bench's cached ensemble in `out/bench-registry`, trained
 * there once with `train` when absent; the trading config is the default but for two
 * settings that keep the kernel issuing orders (`KEEP_TRADING`). A diagnostic row runs the
 * same kernel with the tests' in-memory journal, to show the SQLite commit's share. It
 * never writes outside that registry and a temporary directory. Heavy by design: never
 * part of the test suite.
 *
 * Tail latencies on a shared machine are mostly the other processes': each run prints the
 * load average and a control (fixed arithmetic timed the same way) to read them against.
 *
 *   deno run --v8-flags=--expose-gc --allow-read --allow-write --allow-env
 *     --allow-net=127.0.0.1 --allow-run --allow-sys=loadavg bench/live_bench.ts
 *     [--registry out/bench-registry] [--only latency|ai-signal|sse|memory ...]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { loadServingModel, type ServingModel } from "../operators/ensemble/mod.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "../operators/features/mod.ts";
import { openRegistry } from "../pipeline/commands/models.ts";
import { buildStrategy, checkedTradingConfigSchema } from "../pipeline/commands/strategy.ts";
import { benchModel, MODEL_DESCRIPTION } from "./_model.ts";
import { AI_SIGNAL_REQUEST } from "./_ai_signal.ts";
import { summarise, type Summary } from "./_stats.ts";
import { aiSignalRoutes, SignalBoard } from "../pipeline/control/ai_signal.ts";
import { type ControlMount, createControlApp } from "../pipeline/control/app.ts";
import { type AuditSink, tokensEqual } from "../pipeline/control/auth.ts";
import { dashboardMounts } from "../pipeline/control/dashboard/mod.ts";
import { type BarEvent, EVENT_VERSION, usFromIso } from "../pipeline/events.ts";
import { createHealthRegistry } from "../pipeline/health.ts";
import {
  type EaTransport,
  httpTransport,
  runEaSimulator,
  tcpTransport,
} from "../pipeline/live/ea_simulator.ts";
import type { EaBridge } from "../pipeline/live/bridge.ts";
import { startLive } from "../pipeline/live/live.ts";
import { ProtocolError } from "../pipeline/live/protocol.ts";
import { eaRoutes, serveEaTcp } from "../pipeline/live/transport.ts";
import { eventsOf } from "../pipeline/replay.ts";
import { XAUUSD } from "../pipeline/symbols.ts";
import { VERSION } from "../pipeline/version.ts";
import type { Sink } from "../sinks/sink.ts";
import { SseHub } from "../sinks/sse.ts";
import { journalSink, openJournal } from "../sinks/journal.ts";
import { openSources } from "../sources/mod.ts";
import { dataPath } from "../tests/_data.ts";
import { requireDataFile } from "./_cli.ts";
import { memoryJournal } from "../tests/pipeline/live/_memory_journal.ts";

const HISTDATA_2017_REL = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
/**
 * The latency runs, in process and over each transport: each kernel replays `from` to
 * `measureFrom` unmeasured (the slowest features, D1 ATR(14), need three weeks of bars
 * before the model scores, and the JIT warms), then `measureFrom` to `to` timed.
 */
const LATENCY = { from: "2017-02-01", measureFrom: "2017-03-01", to: "2017-04-01" };
/** The memory run: a quarter of M1 replayed as fast as the kernel answers. */
const MEMORY = { from: "2017-04-01", to: "2017-07-01" };
/** Growth is judged from here on: by then every buffer and cache of the kernel is full. */
const MEMORY_SETTLED_BARS = 10_000;
/**
 * The defaults but for two settings that keep the kernel issuing orders through the measured
 * month, so the order path is timed too: the 10% drawdown kill switch halts this (losing)
 * strategy in February 2017, so it is at 50%; and once the bench model scores, its votes keep
 * the fused confidence under the default 0.35 gate (one trade in March), so the gate is 0.2.
 */
const KEEP_TRADING = { risk: { maxDrawdownPercent: 50 } };
const KEEP_TRADING_ENSEMBLE = { ...KEEP_TRADING, fusion: { gate: 0.2 } };
const ENSEMBLE_CONFIG = checkedTradingConfigSchema.parse(KEEP_TRADING_ENSEMBLE);
const TECHNICAL_CONFIG = checkedTradingConfigSchema.parse(KEEP_TRADING);
const TICK_TO_ORDER_P99_MS = 2;
const AI_SIGNAL_RPS = 5000;
const AI_SIGNAL_P99_MS = 10;
const AI_SIGNAL_SECONDS = 10;
const AI_SIGNAL_CONCURRENCY = [16, 64];
const SSE_CLIENTS = 50;
const SSE_EVENTS_PER_SECOND = 1000;
/** Events per pushed batch: 100 batches a second, as a busy pipeline would write them. */
const SSE_BATCH = 10;
const SSE_SECONDS = 10;
/** Pushed before the measured seconds and not counted: both processes' JIT warm-up. */
const SSE_WARM_UP_SECONDS = 2;
const SSE_P99_MS = 50;
/** The control measure: this many timings of the same fixed arithmetic (about 0.1 ms each). */
const NOISE_SAMPLES = 20_000;
const NOISE_WORK = 50_000;

interface Latencies {
  readonly all: number[];
  /** Envelopes whose reply carried a command not seen in an earlier reply. */
  readonly withOrder: number[];
}

/** Milliseconds, 3 decimals; "-" for a statistic of no samples. */
const ms = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(3));
const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
const progress = (line: string) => console.error(`  ${line}`);
const met = (ok: boolean) => (ok ? "met" : "NOT met");
const loadAverage = () => Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
const percent = (share: number) => `${Math.round(share * 100)}%`;
/** Absolute time in ms with sub-ms resolution, comparable across this machine's processes. */
const clock = () => performance.timeOrigin + performance.now();

/** Runs `task`; also the CPU time this process used meanwhile, as a share of one core. */
async function withCpu<T>(
  task: () => Promise<T>,
): Promise<{ value: T; cpuMs: number; cpuShare: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await task();
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return { value, cpuMs, cpuShare: cpuMs / (performance.now() - started) };
}

// --- the live kernel -------------------------------------------------------------------

interface Kernel {
  readonly bridge: EaBridge;
  /** The journal's audit log, as `serve` hands it to the control plane. */
  readonly audit: AuditSink;
  close(): Promise<void>;
}

/**
 * Where the kernel journals: SQLite as in `serve`, or the tests' in-memory stand-in, which
 * shows how much of a reply is the journal's commit.
 */
type JournalKind = "sqlite" | "memory";

/** `serve`'s live half: the strategy (with `model` or technical only) and its journal. */
function startKernel(
  dir: string,
  name: string,
  model: ServingModel | null,
  sinks: readonly Sink[] = [],
  journalKind: JournalKind = "sqlite",
): Kernel {
  // As serve opens it: the WAL folded in on a timer, not inside a commit.
  const journal = journalKind === "sqlite"
    ? openJournal(`${dir}/${name}.sqlite`, { autoCheckpoint: false })
    : { ...memoryJournal(), appendAudit() {}, checkpoint() {}, close() {} };
  const checkpoints = setInterval(() => journal.checkpoint(), 5_000);
  const strategy = buildStrategy({
    symbol: XAUUSD.symbol,
    sides: "bid",
    config: model === null ? TECHNICAL_CONFIG : ENSEMBLE_CONFIG,
    model,
    calendar: null,
  });
  const live = startLive({
    stages: strategy.stages,
    engine: strategy.engine,
    journalSink: "sink" in journal ? journal.sink : journalSink(journal),
    journal,
    sinks,
    health: createHealthRegistry(),
    log: () => {},
  });
  return {
    bridge: live.bridge,
    audit: (entry) => journal.appendAudit(entry),
    async close() {
      await live.stop();
      clearInterval(checkpoints);
      journal.close();
    },
  };
}

/** The bridge called directly, as a transport: no sockets, no JSON. */
function inProcessTransport(bridge: EaBridge): EaTransport {
  return {
    async send(envelope) {
      try {
        return { ok: true, reply: await bridge.handle(envelope) };
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        return { ok: false, status: error.status, error: error.message };
      }
    },
    close() {},
  };
}

/**
 * Times each envelope `transport` carries that was sent at or after `fromUs`, from handing
 * it over to holding the reply.
 */
function timed(transport: EaTransport, fromUs: number, into: Latencies): EaTransport {
  const commandsSeen = new Set<string>();
  return {
    async send(envelope) {
      const started = performance.now();
      const answer = await transport.send(envelope);
      const elapsed = performance.now() - started;
      const measured = envelope.sentUs >= fromUs;
      if (measured) into.all.push(elapsed);
      if (answer.ok) {
        const fresh = answer.reply.commands.filter((c) => !commandsSeen.has(c.clientOrderId));
        for (const command of fresh) commandsSeen.add(command.clientOrderId);
        if (measured && fresh.length > 0) into.withOrder.push(elapsed);
      }
      return answer;
    },
    close: () => transport.close(),
  };
}

interface ReplayResult {
  readonly bars: number;
  readonly trades: number;
  readonly seconds: number;
}

/** The EA simulator replays `range` of 2017 M1 through `transport`, saying how far it got. */
async function replay(
  label: string,
  range: { from: string; to: string },
  transport: EaTransport,
  onBar?: (index: number) => void,
): Promise<ReplayResult> {
  const source = await openSources([dataPath(HISTDATA_2017_REL)], {
    fromUs: usFromIso(range.from),
    toUs: usFromIso(range.to),
  });
  const started = performance.now();
  const result = await runEaSimulator({
    source,
    transport,
    patienceMs: 5000,
    onBar: (_bar, index) => {
      if (index > 0 && index % 10_000 === 0) {
        progress(
          `${label}: ${index.toLocaleString("en-US")} bars, ${
            ((performance.now() - started) / 1000).toFixed(0)
          } s`,
        );
      }
      onBar?.(index);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const bars = result.envelopes - 1;
  progress(`${label}: done, ${bars.toLocaleString("en-US")} bars in ${seconds.toFixed(1)} s`);
  return { bars, trades: result.trades.length, seconds };
}

// --- the model -------------------------------------------------------------------------

/** The backtest bench's cached ensemble (bench/_model.ts), loaded for serving. */
async function servingBenchModel(dir: string): Promise<ServingModel> {
  const id = await benchModel(dir);
  const registry = openRegistry(dir);
  try {
    return await loadServingModel(registry, id, specHash(DEFAULT_FEATURE_SPEC), 1);
  } finally {
    registry.close();
  }
}

// --- 1 and 2: tick to order, in process and over the transports -------------------------

interface LatencyRow {
  readonly name: string;
  readonly all: Summary;
  readonly withOrder: Summary;
  /** Measured bars the model scored: proof the ensemble ran, not just loaded. */
  readonly scored: number;
  readonly trades: number;
  readonly seconds: number;
  /** This process's CPU time over the replay's wall time (EA simulator included). */
  readonly cpuShare: number;
}

async function latencyRun(
  name: string,
  dir: string,
  model: ServingModel | null,
  connect: (kernel: Kernel) => Link,
  journalKind: JournalKind = "sqlite",
): Promise<LatencyRow> {
  const fromUs = usFromIso(LATENCY.measureFrom);
  let scored = 0;
  const predictions: Sink = {
    name: "bench-prediction-count",
    write: (batch) => {
      for (const event of batch) {
        if (event.kind === "prediction" && event.closeUs >= fromUs) scored++;
      }
    },
    close() {},
  };
  const kernel = startKernel(dir, name.replace(/\W+/g, "-"), model, [predictions], journalKind);
  const { transport, close } = connect(kernel);
  const latencies: Latencies = { all: [], withOrder: [] };
  try {
    const { value: run, cpuShare } = await withCpu(() =>
      replay(name, LATENCY, timed(transport, fromUs, latencies))
    );
    return {
      cpuShare,
      name,
      all: summarise(latencies.all),
      withOrder: summarise(latencies.withOrder),
      scored,
      trades: run.trades,
      seconds: run.seconds,
    };
  } finally {
    await close();
    await kernel.close();
  }
}

/** How the EA reaches a kernel, and how that way is shut. */
interface Link {
  readonly transport: EaTransport;
  close(): Promise<void>;
}

const inProcess = (kernel: Kernel): Link => ({
  transport: inProcessTransport(kernel.bridge),
  close: () => Promise.resolve(),
});

/** A fresh API token as `serve` makes one: 32 random bytes, base64url. */
const newToken = () =>
  crypto.getRandomValues(new Uint8Array(32)).toBase64({ alphabet: "base64url", omitPadding: true });

/** The control app as `serve` builds it (auth on, audited, rate limit off) on a loopback port. */
function serveControl(
  token: string,
  mounts: ControlMount[],
  audit: AuditSink = () => {},
) {
  const app = createControlApp({
    health: createHealthRegistry(),
    version: VERSION,
    token,
    audit,
    limits: { rate: null },
    mounts,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return { server, url: `http://127.0.0.1:${server.addr.port}` };
}

function overHttp(kernel: Kernel): Link {
  const token = newToken();
  const { server, url } = serveControl(
    token,
    [{ path: "/", app: eaRoutes(kernel.bridge), auth: true }],
    kernel.audit,
  );
  return { transport: httpTransport(url, token), close: () => server.shutdown() };
}

function overTcp(kernel: Kernel): Link {
  const token = newToken();
  let closing = false;
  const tcp = serveEaTcp({
    bridge: kernel.bridge,
    hostname: "127.0.0.1",
    port: 0,
    authorize: (presented) => tokensEqual(token, presented),
    // Closing the listener interrupts the connection's pending read: expected, not news.
    logError: (error) => closing || console.error(error),
  });
  return {
    transport: tcpTransport("127.0.0.1", tcp.port, token),
    close: () => {
      closing = true;
      return tcp.close();
    },
  };
}

// --- 3 and 4: load from a child process --------------------------------------------------

/** Runs this script as a load client; its stdout is one JSON result and its CPU share. */
async function child<T>(
  token: string,
  args: string[],
): Promise<{ value: T; cpuShare: number }> {
  const client = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", import.meta.filename!, "--child", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = client.stdin.getWriter();
  await writer.write(new TextEncoder().encode(token));
  await writer.close();
  const { code, stdout } = await client.output();
  if (code !== 0) throw new Error(`load client ${args[0]} exited with ${code}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

interface AiSignalLoad {
  /** Started after the warm-up second: the measured ones. */
  readonly requests: number;
  readonly warmUpRequests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latency: Summary;
}

/** Child: `concurrency` keep-alive fetch loops on `url` for `seconds`, after 1 s of warm-up. */
async function aiSignalClient(url: string, token: string, concurrency: number, seconds: number) {
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const latencies: number[] = [];
  let errors = 0;
  let warmUpRequests = 0;
  const warmEnd = performance.now() + 1000;
  const end = warmEnd + seconds * 1000;
  let lastDone = warmEnd;
  const loop = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const response = await fetch(url, { method: "POST", headers, body: AI_SIGNAL_REQUEST });
      await response.arrayBuffer();
      lastDone = performance.now();
      if (started < warmEnd) {
        warmUpRequests++;
        continue;
      }
      latencies.push(lastDone - started);
      if (response.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const result: AiSignalLoad = {
    requests: latencies.length,
    warmUpRequests,
    errors,
    seconds: (lastDone - warmEnd) / 1000,
    latency: summarise(latencies),
  };
  return result;
}

/** Child: `clients` SSE readers; each `batch` frame's id with the time it was read. */
async function sseClient(url: string, token: string, clients: number) {
  const read = async (): Promise<[number, number][]> => {
    const decoder = new TextDecoder();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`SSE stream answered ${response.status}`);
    const received: [number, number][] = [];
    let pending = "";
    for await (const chunk of response.body!) {
      const at = clock();
      pending += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const frame = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const id = /^id: (\d+)\nevent: batch\n/.exec(frame);
        if (id !== null) received.push([Number(id[1]), at]);
      }
    }
    return received;
  };
  return await Promise.all(Array.from({ length: clients }, read));
}

interface AiSignalRow extends AiSignalLoad {
  readonly concurrency: number;
  /** Each process's CPU time over the run's wall time, warm-up included. */
  readonly serverCpuShare: number;
  readonly clientCpuShare: number;
  /** The server's CPU time per request answered (warm-up included): its cost on a free core. */
  readonly serverCpuUsPerRequest: number;
}

async function aiSignalLoad(concurrency: number): Promise<AiSignalRow> {
  const token = newToken();
  const board = new SignalBoard();
  board.write([{
    v: EVENT_VERSION,
    kind: "account",
    timeUs: Date.now() * 1000,
    balance: 10_000,
    equity: 10_000,
    margin: 0,
    openPositions: 0,
  }]);
  const routes = aiSignalRoutes({
    latestSignal: (symbol) => board.latestSignal(symbol),
    account: () => board.account(),
    spec: (symbol) => (symbol === XAUUSD.symbol ? XAUUSD : null),
    defaultSymbol: XAUUSD.symbol,
  });
  const { server, url } = serveControl(token, [
    { path: "/", app: routes, auth: true, audit: false },
  ]);
  try {
    progress(
      `/ai_signal: ${concurrency} keep-alive clients for ${AI_SIGNAL_SECONDS} s (+1 s warm-up)`,
    );
    const { value: load, cpuMs, cpuShare } = await withCpu(() =>
      child<AiSignalLoad>(token, [
        "ai-signal",
        `${url}/ai_signal`,
        `${concurrency}`,
        `${AI_SIGNAL_SECONDS}`,
      ])
    );
    return {
      ...load.value,
      concurrency,
      serverCpuShare: cpuShare,
      clientCpuShare: load.cpuShare,
      serverCpuUsPerRequest: (cpuMs * 1000) / (load.value.requests + load.value.warmUpRequests),
    };
  } finally {
    await server.shutdown();
  }
}

interface SseResult {
  readonly pushed: number;
  readonly eventsPerSecond: number;
  readonly frames: number;
  readonly lag: Summary;
  readonly pushLateness: Summary;
  /** The lag's p99 within each measured second, in push order: spikes or a backlog. */
  readonly p99BySecond: readonly number[];
  readonly dropped: number;
  /** Each process's CPU time over its wall time (the server's while pushing). */
  readonly serverCpuShare: number;
  readonly clientCpuShare: number;
}

async function sseLoad(): Promise<SseResult> {
  const token = newToken();
  const drops: string[] = [];
  const health = createHealthRegistry();
  const hub = new SseHub({ health: () => health.snapshot(), onDrop: (why) => drops.push(why) });
  const { server, url } = serveControl(token, dashboardMounts(hub));
  const source = await openSources([dataPath(HISTDATA_2017_REL)], {
    fromUs: usFromIso(LATENCY.from),
    toUs: usFromIso(LATENCY.to),
  });
  const bars: BarEvent[] = [];
  for await (const batch of source.batches()) {
    for (const event of eventsOf(batch, source.symbol)) if (event.kind === "bar") bars.push(event);
  }
  const reading = child<[number, number][][]>(token, [
    "sse",
    `${url}/v1/dashboard/stream`,
    `${SSE_CLIENTS}`,
  ]);
  while (hub.clientCount < SSE_CLIENTS) await new Promise((r) => setTimeout(r, 20));
  progress(
    `SSE: ${SSE_CLIENTS} clients connected; pushing ${SSE_EVENTS_PER_SECOND} events/s ` +
      `in batches of ${SSE_BATCH} for ${SSE_WARM_UP_SECONDS} s of warm-up + ${SSE_SECONDS} s`,
  );
  const pushedAt = new Map<number, number>();
  /** How late each measured push was against its schedule: the server's event-loop delay. */
  const pushLateness: number[] = [];
  const intervalMs = (1000 * SSE_BATCH) / SSE_EVENTS_PER_SECOND;
  const warmUpBatches = (SSE_WARM_UP_SECONDS * 1000) / intervalMs;
  const batches = warmUpBatches + (SSE_SECONDS * 1000) / intervalMs;
  const started = performance.now();
  const { cpuShare } = await withCpu(async () => {
    for (let k = 0; k < batches; k++) {
      const wait = started + k * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (k >= warmUpBatches) pushLateness.push(performance.now() - (started + k * intervalMs));
      const batch = Array.from(
        { length: SSE_BATCH },
        (_, i) => bars[(k * SSE_BATCH + i) % bars.length],
      );
      // A fresh hub numbers its batch frames 1, 2, 3...; every batch here holds bars.
      pushedAt.set(k + 1, clock());
      hub.write(batch);
    }
  });
  // The measured batches' span: from the first one's push to one interval after the last's.
  const elapsed = (pushedAt.get(batches)! - pushedAt.get(warmUpBatches + 1)! + intervalMs) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  hub.close();
  const received = await reading;
  await server.shutdown();
  const lags: number[] = [];
  const bySecond: number[][] = Array.from({ length: SSE_SECONDS }, () => []);
  const batchesPerSecond = 1000 / intervalMs;
  for (const client of received.value) {
    for (const [seq, at] of client) {
      if (seq <= warmUpBatches) continue;
      const lag = at - pushedAt.get(seq)!;
      lags.push(lag);
      bySecond[Math.floor((seq - 1 - warmUpBatches) / batchesPerSecond)].push(lag);
    }
  }
  return {
    pushed: (batches - warmUpBatches) * SSE_BATCH,
    eventsPerSecond: ((batches - warmUpBatches) * SSE_BATCH) / elapsed,
    frames: lags.length,
    lag: summarise(lags),
    pushLateness: summarise(pushLateness),
    p99BySecond: bySecond.map((second) => summarise(second).p99),
    dropped: drops.length,
    serverCpuShare: cpuShare,
    clientCpuShare: received.cpuShare,
  };
}

// --- 5: memory ---------------------------------------------------------------------------

interface MemoryResult {
  readonly bars: number;
  readonly seconds: number;
  readonly gcForced: boolean;
  /** At the kernel's start, after its first `MEMORY_SETTLED_BARS` bars, and at the end. */
  readonly before: Deno.MemoryUsage;
  readonly settled: Deno.MemoryUsage;
  readonly after: Deno.MemoryUsage;
  /** Heap used / RSS every `MEMORY_SETTLED_BARS` bars, MiB. */
  readonly trail: string[];
}

async function memoryRun(dir: string, model: ServingModel): Promise<MemoryResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = () => {
    gc?.();
    return Deno.memoryUsage();
  };
  const kernel = startKernel(dir, "memory", model);
  const trail: string[] = [];
  try {
    const before = measure();
    let settled = before;
    const run = await replay(
      "memory replay",
      MEMORY,
      inProcessTransport(kernel.bridge),
      (index) => {
        if (index === 0 || index % MEMORY_SETTLED_BARS !== 0) return;
        const now = measure();
        if (index === MEMORY_SETTLED_BARS) settled = now;
        trail.push(`${mib(now.heapUsed)} / ${mib(now.rss)}`);
      },
    );
    const after = measure();
    return {
      bars: run.bars,
      seconds: run.seconds,
      gcForced: gc !== undefined,
      before,
      settled,
      after,
      trail,
    };
  } finally {
    await kernel.close();
  }
}

// --- report ------------------------------------------------------------------------------

/**
 * The machine's own noise: a fixed stretch of arithmetic (no allocation, no I/O) timed
 * again and again. Its p99 over its p50 is what the scheduler and the other processes on
 * the shared cores add to any measure here.
 */
function noiseFloor(): Summary {
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < NOISE_SAMPLES; i++) {
    const started = performance.now();
    for (let j = 1; j <= NOISE_WORK; j++) sink += Math.sqrt(j + i);
    times.push(performance.now() - started);
  }
  if (sink < 0) console.error(sink);
  return summarise(times);
}

function printLatency(rows: readonly LatencyRow[], noise: Summary): void {
  console.log(
    `\n1-2. Tick to order: each M1 bar of ${LATENCY.from} to ${LATENCY.to} is one ` +
      `envelope from the EA simulator (fills and acks included), those from ` +
      `${LATENCY.measureFrom} timed from handing it over to holding the reply. Target: ` +
      `ensemble in process p99 < ${TICK_TO_ORDER_P99_MS} ms.`,
  );
  console.log(
    `trading config: the defaults but ${JSON.stringify(KEEP_TRADING_ENSEMBLE)} with the ensemble, ${
      JSON.stringify(KEEP_TRADING)
    } technical only (they keep it trading)`,
  );
  console.log(
    "| kernel, transport | envelopes | p50 ms | p99 ms | max ms | envelopes with a new order | p50 ms | p99 ms | bars the model scored | trades (whole replay) | replay s | CPU share |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.all.n.toLocaleString("en-US")} | ${ms(r.all.p50)} | ${ms(r.all.p99)} | ${
        ms(r.all.max)
      } | ${r.withOrder.n} | ${ms(r.withOrder.p50)} | ${ms(r.withOrder.p99)} | ${
        r.scored.toLocaleString("en-US")
      } | ${r.trades} | ${r.seconds.toFixed(1)} | ${percent(r.cpuShare)} |`,
    );
  }
  console.log(
    `| control: fixed arithmetic, no I/O | ${noise.n.toLocaleString("en-US")} | ${
      ms(noise.p50)
    } | ${ms(noise.p99)} | ${ms(noise.max)} | | | | | | | | |`,
  );
  const ensemble = rows.find((r) => r.name === "ensemble, in process");
  if (ensemble !== undefined) {
    console.log(
      `target: ensemble in process p99 ${ms(ensemble.all.p99)} ms over all envelopes, ${
        ms(ensemble.withOrder.p99)
      } ms over those with an order: ${
        met(
          Math.max(ensemble.all.p99, ensemble.withOrder.n > 0 ? ensemble.withOrder.p99 : 0) <
            TICK_TO_ORDER_P99_MS,
        )
      }`,
    );
  }
}

function printAiSignal(loads: readonly AiSignalRow[]): void {
  console.log(
    `\n3. POST /ai_signal (request path, Bearer auth, rate limit off), ${AI_SIGNAL_SECONDS} s ` +
      `per row after 1 s of warm-up; the load generator is a second Deno process on the same ` +
      `${navigator.hardwareConcurrency} cores. Target >= ${AI_SIGNAL_RPS} req/s with p99 < ` +
      `${AI_SIGNAL_P99_MS} ms.`,
  );
  console.log(
    "| keep-alive clients | requests | non-200 | req/s | p50 ms | p99 ms | max ms | CPU server / load | server CPU per request | target |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const load of loads) {
    const rps = load.requests / load.seconds;
    console.log(
      `| ${load.concurrency} | ${load.requests.toLocaleString("en-US")} | ${load.errors} | ${
        Math.round(rps).toLocaleString("en-US")
      } | ${ms(load.latency.p50)} | ${ms(load.latency.p99)} | ${ms(load.latency.max)} | ${
        percent(load.serverCpuShare)
      } / ${percent(load.clientCpuShare)} | ${Math.round(load.serverCpuUsPerRequest)} µs | ${
        met(rps >= AI_SIGNAL_RPS && load.latency.p99 < AI_SIGNAL_P99_MS)
      } |`,
    );
  }
}

function printSse(sse: SseResult): void {
  console.log(
    `\n4. Dashboard SSE: ${SSE_CLIENTS} clients (a second process) reading ` +
      `/v1/dashboard/stream; ${sse.pushed.toLocaleString("en-US")} M1 bars pushed in batches of ` +
      `${SSE_BATCH} (${Math.round(sse.eventsPerSecond)} events/s achieved); lag from ` +
      `\`hub.write\` to a client reading the frame. Target p99 < ${SSE_P99_MS} ms.`,
  );
  console.log(
    "| frames read | p50 ms | p99 ms | max ms | clients dropped | CPU server / clients | target |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---|");
  console.log(
    `| ${sse.frames.toLocaleString("en-US")} | ${ms(sse.lag.p50)} | ${ms(sse.lag.p99)} | ${
      ms(sse.lag.max)
    } | ${sse.dropped} | ${percent(sse.serverCpuShare)} / ${percent(sse.clientCpuShare)} | ${
      met(sse.lag.p99 < SSE_P99_MS && sse.dropped === 0)
    } |`,
  );
  console.log(
    `server event-loop delay (each push against its schedule): p50 ${
      ms(sse.pushLateness.p50)
    } ms, p99 ${ms(sse.pushLateness.p99)} ms, max ${ms(sse.pushLateness.max)} ms`,
  );
  console.log(
    `p99 lag in each measured second, ms: ${sse.p99BySecond.map((x) => x.toFixed(0)).join(", ")}`,
  );
}

function printMemory(memory: MemoryResult, afterOtherParts: boolean): void {
  const { before, settled, after } = memory;
  console.log(
    `\n5. Memory: ${memory.bars.toLocaleString("en-US")} M1 bars (${MEMORY.from} to ` +
      `${MEMORY.to}, ${
        Math.round(memory.bars / 60).toLocaleString("en-US")
      } hours of market time) replayed through the live kernel with the ensemble in ${
        memory.seconds.toFixed(0)
      } s, ${afterOtherParts ? "in the process that ran the parts above" : "in a fresh process"}; ${
        memory.gcForced ? "each figure after a forced GC" : "no forced GC (--v8-flags=--expose-gc)"
      }.`,
  );
  const growth = (from: Deno.MemoryUsage): Deno.MemoryUsage => ({
    rss: after.rss - from.rss,
    heapUsed: after.heapUsed - from.heapUsed,
    heapTotal: after.heapTotal - from.heapTotal,
    external: after.external - from.external,
  });
  const rows: [string, Deno.MemoryUsage][] = [
    ["kernel started", before],
    [`after ${MEMORY_SETTLED_BARS.toLocaleString("en-US")} bars`, settled],
    ["at the end", after],
    ["growth from the start", growth(before)],
    [`growth after the first ${MEMORY_SETTLED_BARS.toLocaleString("en-US")} bars`, growth(settled)],
  ];
  console.log("| | RSS MiB | heap used MiB | heap total MiB | external MiB |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, m] of rows) {
    console.log(
      `| ${name} | ${mib(m.rss)} | ${mib(m.heapUsed)} | ${mib(m.heapTotal)} | ${mib(m.external)} |`,
    );
  }
  console.log(
    `heap used / RSS every ${MEMORY_SETTLED_BARS.toLocaleString("en-US")} bars, MiB: ${
      memory.trail.join(", ")
    }`,
  );
}

const PARTS = ["latency", "ai-signal", "sse", "memory"] as const;
type Part = typeof PARTS[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      registry: { type: "string", default: "out/bench-registry" },
      only: { type: "string", multiple: true },
    },
    strict: true,
  });
  const unknown = (values.only ?? []).filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    console.error(`live bench: --only takes ${PARTS.join(", ")}; got ${unknown.join(", ")}`);
    Deno.exit(2);
  }
  const runs = (part: Part) => values.only === undefined || values.only.includes(part);
  await requireDataFile(dataPath(HISTDATA_2017_REL), "live bench");
  const dir = await Deno.makeTempDir({ prefix: "live-bench-" });
  const model = runs("latency") || runs("memory") ? await servingBenchModel(values.registry) : null;
  console.log(
    `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, load average ${loadAverage()} at start; HistData M1 2017; SQLite journal` +
      (model === null
        ? ""
        : `; model ${model.id.slice(0, 12)}… (${MODEL_DESCRIPTION}), 1 onnx thread`),
  );
  try {
    if (runs("latency")) {
      console.error(`control: ${NOISE_SAMPLES} timings of fixed arithmetic`);
      const noise = noiseFloor();
      console.error(
        `tick to order: ${LATENCY.from} to ${LATENCY.to}, one envelope per M1 bar, timed from ` +
          `${LATENCY.measureFrom}`,
      );
      const rows: LatencyRow[] = [];
      rows.push(await latencyRun("ensemble, in process", dir, model, inProcess));
      rows.push(
        await latencyRun(
          "ensemble, in process, journal in memory (not SQLite)",
          dir,
          model,
          inProcess,
          "memory",
        ),
      );
      rows.push(await latencyRun("technical only, in process", dir, null, inProcess));
      rows.push(await latencyRun("ensemble, HTTP (POST /v1/ea/sync)", dir, model, overHttp));
      rows.push(await latencyRun("ensemble, TCP (--ea-tcp-port)", dir, model, overTcp));
      printLatency(rows, noise);
    }
    if (runs("ai-signal")) {
      console.error(`POST /ai_signal under load`);
      const loads: AiSignalRow[] = [];
      for (const concurrency of AI_SIGNAL_CONCURRENCY) loads.push(await aiSignalLoad(concurrency));
      printAiSignal(loads);
    }
    if (runs("sse")) {
      console.error(`dashboard SSE`);
      printSse(await sseLoad());
    }
    if (runs("memory")) {
      console.error(`memory: ${MEMORY.from} to ${MEMORY.to} through the live kernel, in process`);
      printMemory(
        await memoryRun(dir, model!),
        PARTS.some((part) => part !== "memory" && runs(part)),
      );
    }
    console.log(`\nload average at the end: ${loadAverage()}`);
  } finally {
    await model?.session.release();
    await Deno.remove(dir, { recursive: true });
  }
}

if (Deno.args[0] === "--child") {
  const [, kind, url, count, seconds] = Deno.args;
  const token = (await new Response(Deno.stdin.readable).text()).trim();
  const { value, cpuShare } = await withCpu<unknown>(() =>
    kind === "ai-signal"
      ? aiSignalClient(url, token, Number(count), Number(seconds))
      : sseClient(url, token, Number(count))
  );
  console.log(JSON.stringify({ value, cpuShare }));
} else {
  await main();
}
