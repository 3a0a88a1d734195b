/**
 * The bus and the work queue, measured: events/s and publish-to-handler latency through
 * the in-process bus and through NATS JetStream (a real `nats-server` on loopback, file
 * storage, started and stopped by this bench), and sweep throughput (jobs/s) with 1 and
 * 2 workers, locally and over NATS (workers warmed up first). Prints a table. Needs `nats-server` on the PATH and
 * the HistData 2017 file beside the repository; never part of the test suite.
 *   deno run --allow-read --allow-write --allow-net=127.0.0.1 --allow-env --allow-run --allow-sys=loadavg bench/bus_bench.ts
 *     [--events 100000] [--batch 1000] [--pings 300]
 */

import { bar } from "../tests/pipeline/bus/_events.ts";
import { parseArgs } from "node:util";
import { type Bus, InProcessBus } from "../pipeline/bus/bus.ts";
import { NatsBus } from "../pipeline/bus/nats.ts";
import {
  LocalWorkQueue,
  NatsWorkQueue,
  startNatsWorkers,
  type WorkQueue,
} from "../pipeline/bus/work_queue.ts";
import { parseSweepConfig, runSweep } from "../pipeline/commands/sweep.ts";
import type { EventBatch } from "../pipeline/events.ts";
import { HAVE_NATS_SERVER, startNatsServer } from "../tests/pipeline/bus/_nats_server.ts";
import { quantile } from "./_stats.ts";

const HISTDATA_2017 =
  new URL("../../shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz", import.meta.url)
    .pathname;
const RUNNER = new URL("../pipeline/commands/sweep.ts", import.meta.url);

const args = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "100000" },
    batch: { type: "string", default: "1000" },
    pings: { type: "string", default: "300" },
  },
}).values;
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const PINGS = Number(args.pings);

interface BusFigures {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Throughput: EVENTS bars published in batches of BATCH (each batch awaited, as the
 * pipeline's sink does) until the subscriber has them all. Latency: PINGS one-event
 * batches, each published only once the one before was handled.
 */
async function measureBus(makeBus: () => Promise<Bus>, durable: string): Promise<BusFigures> {
  const bus = await makeBus();
  try {
    const events = Array.from({ length: EVENTS }, (_, i) => bar(i));
    let received = 0;
    let allIn!: () => void;
    const all = new Promise<void>((resolve) => (allIn = resolve));
    let pong: (() => void) | null = null;
    const subscription = await bus.subscribe(
      { subject: "md.XAUUSD.bar.M1", durable, batchSize: BATCH },
      (batch: EventBatch) => {
        received += batch.length;
        if (received === EVENTS) allIn();
        pong?.();
      },
    );
    const started = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) await bus.publish(events.slice(i, i + BATCH));
    await all;
    const seconds = (performance.now() - started) / 1000;
    const latencies: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const handled = new Promise<void>((resolve) => (pong = resolve));
      const sent = performance.now();
      await bus.publish([bar(EVENTS + i)]);
      await handled;
      latencies.push(performance.now() - sent);
    }
    await subscription.stop();
    latencies.sort((a, b) => a - b);
    return {
      eventsPerSecond: EVENTS / seconds,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
    };
  } finally {
    await bus.close();
  }
}

/** A grid sweep of one backtest per point over [from, to). */
function gridSweep(from: string, to: string, space: Record<string, unknown[]>) {
  return parseSweepConfig({
    data: [HISTDATA_2017],
    noMl: true,
    jobs: [{ kind: "grid", name: "bench", from, to, space }],
  });
}

/**
 * Jobs/s of twelve one-month backtests (a 4 x 3 grid), timed after a warm-up job has
 * loaded every worker, so Worker start-up is not counted.
 */
async function measureSweep(queue: WorkQueue, workers: number): Promise<number> {
  const dir = await Deno.makeTempDir();
  try {
    const warmUp = gridSweep("2017-01-03", "2017-01-04", {
      "risk.riskPercent": Array.from({ length: workers }, (_, i) => 0.1 + i / 10),
    });
    await runSweep(warmUp, queue, `${dir}/warm-up.sqlite`, () => {});
    const sweep = gridSweep("2017-01-03", "2017-02-01", {
      "risk.riskPercent": [0.25, 0.5, 0.75, 1],
      "risk.positions.maxOpen": [1, 2, 3],
    });
    const started = performance.now();
    const outcome = await runSweep(sweep, queue, `${dir}/bench.sqlite`, () => {});
    return outcome.jobs / ((performance.now() - started) / 1000);
  } finally {
    await queue.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (!HAVE_NATS_SERVER) {
  console.error("bus bench skipped: nats-server is not installed (apt-get install nats-server)");
  Deno.exit(0);
}
const server = await startNatsServer();
try {
  console.error(`bus: ${EVENTS} events in batches of ${BATCH}, ${PINGS} pings`);
  const inProcess = await measureBus(() => Promise.resolve(new InProcessBus()), "bench");
  console.error("bus: in-process done");
  const nats = await measureBus(() => NatsBus.connect({ servers: server.url }), "bench");
  console.error("bus: NATS done");

  const sweeps: { name: string; jobsPerSecond: number }[] = [];
  for (const workers of [1, 2]) {
    sweeps.push({
      name: `sweep, local, ${workers} worker${workers > 1 ? "s" : ""}`,
      jobsPerSecond: await measureSweep(new LocalWorkQueue({ runner: RUNNER, workers }), workers),
    });
    console.error(`sweep: local ${workers} done`);
    const options = { servers: server.url, queue: `bench${workers}` };
    const pool = startNatsWorkers(workers, { runner: RUNNER, queue: options });
    try {
      sweeps.push({
        name: `sweep, NATS, ${workers} worker${workers > 1 ? "s" : ""}`,
        jobsPerSecond: await measureSweep(await NatsWorkQueue.connect(options), workers),
      });
    } finally {
      await pool.stop();
    }
    console.error(`sweep: NATS ${workers} done`);
  }

  const n = (v: number, d = 0) => v.toLocaleString("en-US", { maximumFractionDigits: d });
  console.log(`| transport | events/s | latency p50 ms | latency p99 ms |`);
  console.log(`| --- | ---: | ---: | ---: |`);
  for (const [name, f] of [["in-process", inProcess], ["NATS JetStream", nats]] as const) {
    console.log(`| ${name} | ${n(f.eventsPerSecond)} | ${n(f.p50Ms, 3)} | ${n(f.p99Ms, 3)} |`);
  }
  console.log();
  console.log(`| sweep (12 one-month backtests) | jobs/s |`);
  console.log(`| --- | ---: |`);
  for (const s of sweeps) console.log(`| ${s.name} | ${n(s.jobsPerSecond, 2)} |`);
  // On a shared machine, a load above the core count means the workers waited for a core.
  const load = Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
  console.log(`\n${navigator.hardwareConcurrency} cores, load average ${load}`);
} finally {
  await server.stop();
}
