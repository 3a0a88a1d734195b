/**
 * ONNX inference speed in onnxruntime-web: single-row latency (p50, p99) and batched
 * throughput (batch 1024) for a 300-tree depth-6 GBDT, a 100-tree forest, a linear
 * model, a 57-32-16-3 MLP and a 4-member ensemble (stacked, Platt-calibrated).
 * Without `--threads` it runs itself once per thread count (1 and 2) in a fresh process,
 * since onnxruntime fixes its thread count when its backend starts; each child prints a
 * table. Rows are real feature rows from ../shared/data when present, else seeded grid
 * rows (said so in the output). Heavy by design: never part of the test suite.
 *
 *   deno run --allow-read --allow-env --allow-run bench/onnx_bench.ts
 */

import { parseArgs } from "node:util";
import type { Model } from "../models/model.ts";
import { exportOnnx } from "../models/onnx/export.ts";
import { createOrtSession } from "../models/onnx/session.ts";
import {
  gridRows,
  randomEnsemble,
  randomForest,
  randomGbdt,
  randomLinear,
  randomMlp,
  type Rows,
} from "../tests/models/onnx/_models.ts";
import { HISTDATA_2017, realRows } from "../tests/models/onnx/_rows.ts";
import { haveData } from "../tests/_data.ts";
import { quantile } from "./_stats.ts";

const BATCH = 1024;
const WARM_UP = 300;
/** Rounds per measure; the least disturbed round counts (the other core runs other work). */
const ROUNDS = 5;
const SINGLE_RUNS = 1000;
const BATCH_SECONDS = 0.5;

interface Result {
  readonly model: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rowsPerSecond: number;
}

async function measure(name: string, model: Model, rows: Rows, threads: number): Promise<Result> {
  const session = await createOrtSession(exportOnnx(model, { model_kind: model.kind }), {
    numThreads: threads,
  });
  const f = rows.nFeatures;
  const one = (i: number) => rows.x.subarray((i % rows.rows) * f, (i % rows.rows + 1) * f);
  for (let i = 0; i < WARM_UP; i++) await session.run(one(i), 1);
  let p50Ms = Infinity;
  let p99Ms = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const latencies: number[] = [];
    for (let i = 0; i < SINGLE_RUNS; i++) {
      const x = one(round * SINGLE_RUNS + i);
      const t0 = performance.now();
      await session.run(x, 1);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    if (quantile(latencies, 0.99) < p99Ms) {
      p50Ms = quantile(latencies, 0.5);
      p99Ms = quantile(latencies, 0.99);
    }
  }

  const batches = Math.floor(rows.rows / BATCH);
  const batch = (i: number) =>
    rows.x.subarray((i % batches) * BATCH * f, (i % batches + 1) * BATCH * f);
  await session.run(batch(0), BATCH);
  let rowsPerSecond = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let scored = 0;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < BATCH_SECONDS * 1000; i++) {
      await session.run(batch(i), BATCH);
      scored += BATCH;
    }
    rowsPerSecond = Math.max(rowsPerSecond, scored / ((performance.now() - t0) / 1000));
  }
  await session.release();
  return { model: name, p50Ms, p99Ms, rowsPerSecond };
}

async function child(threads: number): Promise<void> {
  const real = haveData(HISTDATA_2017);
  const rows = real ? await realRows() : gridRows(1, 10_000, 57);
  const models: ReadonlyArray<readonly [string, Model]> = [
    ["gbdt 300x6", randomGbdt(1, rows)],
    ["forest 100x6", randomForest(2, rows)],
    ["linear", randomLinear(3, rows)],
    ["mlp 57-32-16-3", randomMlp(4, rows)],
    ["ensemble 4 (stack+platt)", randomEnsemble(5, rows, { combiner: "stacking", platt: true })],
  ];
  console.log(
    `numThreads ${threads}, ${rows.rows} ${real ? "real HistData 2017" : "synthetic grid"} rows`,
  );
  const table = [];
  for (const [name, model] of models) {
    const r = await measure(name, model, rows, threads);
    table.push({
      model: r.model,
      "p50 ms": r.p50Ms.toFixed(3),
      "p99 ms": r.p99Ms.toFixed(3),
      "rows/s (batch 1024)": Math.round(r.rowsPerSecond),
    });
  }
  console.table(table);
}

const args = parseArgs({ args: Deno.args, options: { threads: { type: "string" } } });
if (args.values.threads !== undefined) {
  await child(Number(args.values.threads));
} else {
  for (const threads of [1, 2]) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        import.meta.filename!,
        "--threads",
        `${threads}`,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) Deno.exit(code);
  }
}
