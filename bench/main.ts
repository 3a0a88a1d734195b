/**
 * `deno task bench`: throughput of the hot paths on the real files in ../shared/data,
 * each beside a bare byte scan of the same file (read, decompress, count newlines) run
 * in the same process, which is the ceiling on this machine. Prints a table and, with
 * `--json FILE`, writes the figures. Heavy by design: never part of the test suite.
 */

import { parseArgs } from "node:util";
import { aggregateTicks, resampleBatch, Resampler, TickToBar } from "../operators/bars/mod.ts";
import { lineBlocks } from "../sources/_lines.ts";
import { openSource } from "../sources/mod.ts";
import { DEFAULT_FEATURE_SPEC, FeatureEngine } from "../operators/features/mod.ts";
import { TechnicalScorer } from "../operators/fusion/mod.ts";
import { bidBarAt } from "../operators/indicators/mod.ts";
import { type BarBatch, BarColumnsBuilder, type Batch, type TickBatch } from "../sources/source.ts";
import { median } from "./_stats.ts";
import { requireDataFile } from "./_cli.ts";

const DATA = new URL("../../shared/data/", import.meta.url).pathname;
const HISTDATA_2017 = `${DATA}xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz`;
const TICKS = `${DATA}xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`;
const REPEATS = 5;

interface Row {
  readonly name: string;
  readonly rows: number;
  readonly rowsPerSecond: number;
  readonly ratioToByteScan: number | null;
  readonly peakRssMiB: number;
  readonly note?: string;
}

const mib = (bytes: number) => Math.round(bytes / 1048576);

/** The row of a benchmark run on data already in memory: nothing to set beside a byte scan. */
function inMemoryRow(
  name: string,
  result: { readonly seconds: number; readonly rows: number },
  note?: string,
): Row {
  return {
    name,
    rows: result.rows,
    rowsPerSecond: result.rows / result.seconds,
    ratioToByteScan: null,
    peakRssMiB: mib(Deno.memoryUsage().rss),
    note,
  };
}

/**
 * Best of `REPEATS` wall-clock runs, in seconds (the least disturbed by the other core's
 * load), and their median.
 */
async function best(
  run: () => Promise<number> | number,
): Promise<{ seconds: number; median: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    rows = await run();
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: Math.min(...times), median: median(times), rows };
}

/** The 1, 5 and 15 minute load averages (needs --allow-sys=loadavg), or "unknown". */
function loadAverage(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "unknown";
  }
}

async function byteScan(path: string): Promise<number> {
  let lines = 0;
  for await (const { buf, start, end } of lineBlocks(path)) {
    for (let i = start; i < end; i++) if (buf[i] === 10) lines++;
  }
  return lines;
}

async function readAll(path: string, onBatch?: (batch: Batch) => void): Promise<number> {
  const source = await openSource(path);
  let rows = 0;
  for await (const batch of source.batches()) {
    rows += batch.length;
    onBatch?.(batch);
  }
  return rows;
}

async function collect<T extends Batch>(path: string): Promise<T[]> {
  const batches: T[] = [];
  await readAll(path, (batch) => batches.push(batch as T));
  return batches;
}

async function parseRow(name: string, path: string): Promise<Row> {
  const scan = await best(() => byteScan(path));
  let peak = 0;
  const rssAt: number[] = [];
  const parse = await best(() =>
    readAll(path, () => {
      const rss = Deno.memoryUsage().rss;
      peak = Math.max(peak, rss);
      rssAt.push(rss);
    })
  );
  const quarter = rssAt.slice(Math.floor(rssAt.length / 4), Math.floor(rssAt.length / 2));
  const last = rssAt.slice(Math.floor((3 * rssAt.length) / 4));
  const growth = mib(Math.max(...last) - Math.max(...quarter));
  return {
    name,
    rows: parse.rows,
    rowsPerSecond: parse.rows / parse.seconds,
    ratioToByteScan: scan.seconds / parse.seconds,
    peakRssMiB: mib(peak),
    note: `median ${(parse.rows / parse.median / 1e6).toFixed(2)} M; byte scan ${
      (scan.rows / scan.seconds / 1e6).toFixed(2)
    } M lines/s; RSS growth over the last quarter ${growth} MiB`,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { json: { type: "string" } },
    strict: true,
  });
  for (const path of [HISTDATA_2017, TICKS]) await requireDataFile(path, "bench");
  const loadBefore = loadAverage();
  const rows: Row[] = [];
  rows.push(await parseRow("HistData M1 2017: parse + UTC", HISTDATA_2017));
  rows.push(await parseRow("OANDA ticks: parse", TICKS));

  const ticks = await collect<TickBatch>(TICKS);
  const aggregate = await best(() => {
    const out = new BarColumnsBuilder("M1", "bid-ask", true);
    const m1 = new TickToBar(out);
    for (const batch of ticks) aggregateTicks(batch, m1);
    m1.flush();
    return ticks.reduce((sum, b) => sum + b.length, 0);
  });
  rows.push(inMemoryRow("ticks -> M1 aggregation (in memory)", aggregate));

  const m1 = await collect<BarBatch>(HISTDATA_2017);
  const resample = await best(() => {
    const out = new BarColumnsBuilder("H1", "bid", false);
    const h1 = new Resampler("H1", out);
    for (const batch of m1) resampleBatch(batch, h1);
    h1.flush();
    return m1.reduce((sum, b) => sum + b.length, 0);
  });
  rows.push(inMemoryRow("M1 -> H1 resampling (in memory)", resample));

  const parseM1 = rows[0];
  const features = await best(() => {
    const engine = new FeatureEngine(DEFAULT_FEATURE_SPEC, { hasSpread: false });
    const row = new Float64Array(engine.names.length);
    let n = 0;
    for (const b of m1) {
      for (let i = 0; i < b.length; i++) {
        engine.update(
          b.openUs[i],
          b.closeUs[i],
          b.bidOpen[i],
          b.bidHigh[i],
          b.bidLow[i],
          b.bidClose[i],
          NaN,
          row,
        );
        n++;
      }
    }
    return n;
  });
  rows.push(inMemoryRow(
    `default feature spec, ${DEFAULT_FEATURE_SPEC.features.length} features (in memory)`,
    features,
    `${(parseM1.rowsPerSecond / (features.rows / features.seconds)).toFixed(1)}x the time of ` +
      "parsing the same year",
  ));

  // The technical scorer, which a `--no-ml` backtest runs on every M1 bar: its indicators
  // on M1, M5, M15 and H1 and a vote (with the readings behind it) per bar.
  const technical = await best(() => {
    const scorer = new TechnicalScorer();
    const bar = { open: NaN, high: NaN, low: NaN, close: NaN };
    let n = 0;
    for (const b of m1) {
      for (let i = 0; i < b.length; i++) {
        scorer.update(b.openUs[i], b.closeUs[i], bidBarAt(b, i, bar));
        n++;
      }
    }
    return n;
  });
  rows.push(inMemoryRow(
    "technical scorer, a vote per M1 bar (in memory)",
    technical,
    `median ${(technical.rows / technical.median / 1e6).toFixed(2)} M`,
  ));

  console.log(
    `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, best of ${REPEATS} runs ` +
      `(median in the notes); load average ${loadBefore} before, ${loadAverage()} after`,
  );
  console.log("| benchmark | rows | rows/s | vs byte scan | peak RSS | notes |");
  console.log("|---|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const ratio = r.ratioToByteScan === null ? "-" : `${(r.ratioToByteScan * 100).toFixed(0)}%`;
    console.log(
      `| ${r.name} | ${r.rows.toLocaleString("en-US")} | ${
        (r.rowsPerSecond / 1e6).toFixed(2)
      } M | ${ratio} | ${r.peakRssMiB} MiB | ${r.note ?? ""} |`,
    );
  }
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(rows, null, 2));
}

await main();
