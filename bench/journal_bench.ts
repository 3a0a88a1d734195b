/**
 * The journal's size and write speed (issue 16, "the journal's size": a year of `serve
 * --replay` under 100 MB).
 *
 * 1. Size, whole process: `serve --replay` of HistData 2018 at full speed, once without a
 *    model and once with the bench model (bench/_model.ts) promoted to production in a
 *    temporary copy of the bench registry (the cache registry itself is never promoted).
 *    The bench polls `/health` until the feed has stopped, sampling the journal file and
 *    its WAL, stops the server with SIGTERM (the journal is checkpointed and closed), then
 *    prints the file's size, the peak of file + WAL during the replay, the largest tables
 *    and indexes (SQLite's dbstat) and the wall time from start to the replay's end. One
 *    run each: the size is the same every run; the time is for orientation only.
 * 2. Write speed, in process: `appendBatch` of the first 100,000 real 2018 bars, each with
 *    a production prediction of a 4-member ensemble and a hold signal with three votes,
 *    in batches of 256 bars as replay sends them. The prediction and signal are the
 *    journal tests' fixtures (made-up values shaped like serve's: float32 probabilities,
 *    the technical vote's ten reasons), since speed depends on the shape, not the values.
 *    Rows per second, the median of --runs runs, each into a fresh file.
 *
 * Heavy by design (minutes): never part of the test suite. It writes only to a temporary
 * directory and, when the bench model is missing, trains it into --registry.
 *   deno run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-run
 *     --allow-sys=loadavg bench/journal_bench.ts [--only size|speed] [--runs 5]
 *     [--registry out/bench-registry]
 */

import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import type { BarEvent, MarketEvent } from "../pipeline/events.ts";
import { eventsOf, REPLAY_SLICE } from "../pipeline/replay.ts";
import { openJournal } from "../sinks/journal.ts";
import { openSource } from "../sources/mod.ts";
import { openRegistry } from "../pipeline/commands/models.ts";
import { dataPath } from "../tests/_data.ts";
import { freePort } from "../tests/_net.ts";
import { ensemblePrediction, hold } from "../tests/sinks/_journal_fixtures.ts";
import { benchModel } from "./_model.ts";
import { median } from "./_stats.ts";
import { requireDataFile } from "./_cli.ts";
import { serveArgs } from "../tests/pipeline/commands/_run.ts";

const HISTDATA_2018 = dataPath("xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz");
const SIZE_TARGET_BYTES = 100e6;
const SPEED_BARS = 100_000;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string" },
    runs: { type: "string", default: "5" },
    registry: { type: "string", default: "out/bench-registry" },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`journal bench: --runs must be a whole number >= 1, got "${values.runs}"`);
  Deno.exit(2);
}
if (values.only !== undefined && values.only !== "size" && values.only !== "speed") {
  console.error(`journal bench: --only must be "size" or "speed", got "${values.only}"`);
  Deno.exit(2);
}
await requireDataFile(HISTDATA_2018, "journal bench");

/** The 1-minute load average, so a reader sees how shared the machine was. */
function loadAverage(): string {
  try {
    return Deno.loadavg().map((load) => load.toFixed(2)).join(" ");
  } catch {
    return "unknown (run with --allow-sys=loadavg)";
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const sizeOf = (path: string) => {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
};

interface ReplayRun {
  readonly name: string;
  readonly seconds: number;
  readonly bytes: number;
  readonly peakBytes: number;
  /** The largest tables and indexes, bytes. */
  readonly objects: readonly { name: string; bytes: number }[];
  readonly rows: Readonly<Record<string, number>>;
}

/** One `serve --replay` of 2018 into a fresh journal, stopped once the feed has ended. */
async function replayJournal(name: string, registry: string, dir: string): Promise<ReplayRun> {
  const db = `${dir}/${name.replaceAll(/\W+/g, "-")}.sqlite`;
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs([
      "--replay",
      HISTDATA_2018,
      "--db",
      db,
      "--registry",
      registry,
      "--secrets",
      `${dir}/secrets.json`,
    ], port),
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let peakBytes = 0;
  const sample = setInterval(() => {
    peakBytes = Math.max(peakBytes, sizeOf(db) + sizeOf(`${db}-wal`));
  }, 200);
  let seconds = NaN;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const status = await Promise.race([child.status, Promise.resolve(null)]);
      if (status !== null) {
        throw new Error(`serve exited with code ${status.code}: ${await stderr}`);
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`)
        .then((response) => response.json())
        .catch(() => null);
      if (health?.components?.feed?.status === "stopped") break;
    }
    seconds = (performance.now() - started) / 1000;
  } finally {
    clearInterval(sample);
    peakBytes = Math.max(peakBytes, sizeOf(db) + sizeOf(`${db}-wal`));
    child.kill("SIGTERM");
  }
  const status = await child.status;
  if (status.code !== 0) throw new Error(`serve exited with code ${status.code}: ${await stderr}`);
  const reader = new DatabaseSync(db, { readOnly: true });
  try {
    const objects = reader.prepare(
      "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 6",
    ).all() as unknown as { name: string; bytes: number }[];
    const count = (table: string) =>
      (reader.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const rows = Object.fromEntries(
      ["bars", "predictions", "signals", "account_states"].map((table) => [table, count(table)]),
    );
    return { name, seconds, bytes: sizeOf(db), peakBytes, objects, rows };
  } finally {
    reader.close();
  }
}

/** A copy of the bench registry with the bench model in production. */
async function productionRegistry(dir: string): Promise<{ id: string; path: string }> {
  const id = await benchModel(values.registry);
  const path = `${dir}/registry`;
  await Deno.mkdir(path);
  for await (const entry of Deno.readDir(values.registry)) {
    if (entry.isFile) {
      await Deno.copyFile(`${values.registry}/${entry.name}`, `${path}/${entry.name}`);
    }
  }
  const registry = openRegistry(path);
  try {
    registry.promote(id, "journal bench: shadow");
    registry.promote(id, "journal bench: production");
  } finally {
    registry.close();
  }
  return { id, path };
}

async function measureSize(dir: string): Promise<void> {
  const loadBefore = loadAverage();
  console.error(`journal bench: serve --replay ${HISTDATA_2018}, no model`);
  const results = [await replayJournal("no model", `${dir}/empty-registry`, dir)];
  const model = await productionRegistry(dir);
  console.error(`journal bench: serve --replay, model ${model.id.slice(0, 12)}… in production`);
  results.push(
    await replayJournal(`default ensemble ${model.id.slice(0, 12)}…`, model.path, dir),
  );
  console.log(
    `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; serve --replay HistData ` +
      `M1 2018 at full speed, one run each; load average ${loadBefore} before, ${loadAverage()} after`,
  );
  console.log(
    "| serve --replay 2018 | journal MB | peak file + WAL MB | replay s | bars | predictions | signals | largest tables, MB | under 100 MB |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---|---|");
  for (const r of results) {
    console.log(
      `| ${r.name} | ${mb(r.bytes)} | ${mb(r.peakBytes)} | ${r.seconds.toFixed(1)} | ${
        r.rows.bars.toLocaleString("en-US")
      } | ${r.rows.predictions.toLocaleString("en-US")} | ${
        r.rows.signals.toLocaleString("en-US")
      } | ${r.objects.map((o) => `${o.name} ${mb(o.bytes)}`).join(", ")} | ${
        r.bytes < SIZE_TARGET_BYTES ? "met" : "NOT met"
      } |`,
    );
  }
}

/**
 * What serve journals for one bar: the bar, its production prediction and a hold, the last
 * two from the journal tests' fixtures, moved to the bar and varied with `i`.
 */
function barRound(bar: BarEvent, i: number): MarketEvent[] {
  const prediction = ensemblePrediction(0);
  const signal = hold(0);
  const vary = Math.abs(Math.sin(i));
  return [
    bar,
    {
      ...prediction,
      openUs: bar.openUs,
      closeUs: bar.closeUs,
      probabilities: [
        Math.fround(vary / 3),
        prediction.probabilities[1],
        prediction.probabilities[2],
      ],
    },
    {
      ...signal,
      timeUs: bar.closeUs,
      confidence: vary / 7,
      entryPrice: bar.bid.close,
      votes: [{ ...signal.votes[0], confidence: 1 - vary / 5 }, ...signal.votes.slice(1)],
    },
  ];
}

async function realBars(count: number): Promise<BarEvent[]> {
  const source = await openSource(HISTDATA_2018, {});
  const bars: BarEvent[] = [];
  for await (const batch of source.batches()) {
    bars.push(...eventsOf(batch, source.symbol) as BarEvent[]);
    if (bars.length >= count) break;
  }
  return bars.slice(0, count);
}

/** Rows per second of `batches` appended to a fresh journal: the median of `runs`. */
function appendRate(batches: readonly MarketEvent[][], dir: string, name: string): number {
  const rows = batches.reduce((n, batch) => n + batch.length, 0);
  const rates: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const path = `${dir}/speed-${name}-${run}.sqlite`;
    const journal = openJournal(path);
    const started = performance.now();
    for (const batch of batches) journal.appendBatch(batch);
    const seconds = (performance.now() - started) / 1000;
    journal.close();
    rates.push(rows / seconds);
    console.error(`  ${name}, run ${run}/${runs}: ${Math.round(rows / seconds)} rows/s`);
  }
  return median(rates);
}

async function measureSpeed(dir: string): Promise<void> {
  const bars = await realBars(SPEED_BARS);
  const slices = (make: (bar: BarEvent, i: number) => MarketEvent[]) => {
    const batches: MarketEvent[][] = [];
    for (let from = 0; from < bars.length; from += REPLAY_SLICE) {
      batches.push(bars.slice(from, from + REPLAY_SLICE).flatMap((bar, k) => make(bar, from + k)));
    }
    return batches;
  };
  const loadBefore = loadAverage();
  const barsOnly = appendRate(slices((bar) => [bar]), dir, "bars");
  const rounds = appendRate(slices(barRound), dir, "rounds");
  console.log(
    `deno ${Deno.version.deno}; appendBatch, ${SPEED_BARS.toLocaleString("en-US")} real 2018 M1 ` +
      `bars in batches of ${REPLAY_SLICE} bars, median of ${runs} runs; load average ${loadBefore} ` +
      `before, ${loadAverage()} after`,
  );
  console.log("| rows per batch | rows/s (median) | bars/s (median) |");
  console.log("|---|---:|---:|");
  console.log(
    `| bars only | ${Math.round(barsOnly).toLocaleString("en-US")} | ${
      Math.round(barsOnly).toLocaleString("en-US")
    } |`,
  );
  console.log(
    `| bar + prediction (4 members) + hold (3 votes) | ${
      Math.round(rounds).toLocaleString("en-US")
    } | ${Math.round(rounds / 3).toLocaleString("en-US")} |`,
  );
}

const dir = await Deno.makeTempDir({ prefix: "journal_bench_" });
try {
  await Deno.mkdir(`${dir}/empty-registry`);
  if (values.only !== "speed") await measureSize(dir);
  if (values.only !== "size") await measureSpeed(dir);
} finally {
  await Deno.remove(dir, { recursive: true });
}
