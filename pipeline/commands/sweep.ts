/**
 * `sweep`: research jobs (walk-forward folds, parameter sweep points, Monte Carlo runs)
 * spread over a work queue: local Deno Workers by default, a NATS JetStream work queue
 * across machines with --nats. Every job is a self-contained JSON payload whose id is
 * the hash of that payload (data files by content), so a result is stored once in the
 * SQLite output, a rerun skips what is already there, and a redelivered job changes
 * nothing. Walk-forward reuses `walkForward` itself: it is replayed over the results
 * known so far, each pass submitting the runs it still needs (every in-sample run
 * first, then the chosen candidates out of sample), until it completes.
 * It must never choose on out-of-sample results or write a row from a failed job.
 */

import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { z } from "zod";
import {
  applyCandidate,
  type BacktestMetrics,
  type Candidate,
  canonicalJson,
  gridCandidates,
  mergeConfig,
  monteCarlo,
  type MonteCarloResult,
  OBJECTIVES,
  objectiveScore,
  parseSearchSpace,
  randomCandidates,
  walkForward,
  type WalkForwardResult,
} from "../../operators/backtest/mod.ts";
import { sharedSha256OfFile } from "../../sources/file_hash.ts";
import { readCacheWritten } from "../../sources/read_cache.ts";
import type { OpenSourceOptions } from "../../sources/mod.ts";
import { isoFromUs, usFromIso } from "../events.ts";
import {
  type Job,
  type JobResult,
  LocalWorkQueue,
  type NatsQueueOptions,
  NatsWorkQueue,
  startNatsWorkers,
  type WorkQueue,
} from "../bus/work_queue.ts";
import { type Progress, startProgress } from "../progress.ts";
import {
  inputFile,
  isDirectory,
  parseFlags,
  readCacheDir,
  readCacheFlags,
  readJsonFlag,
  readOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { SWEEP } from "./usage.ts";
import { runBacktest } from "./backtest.ts";
import { parseTradingConfig } from "./strategy.ts";

const sourceSettings = sourceSchema.omit({ data: true, from: true, to: true });
const isoTime = z.string().refine((text) => {
  try {
    usFromIso(text);
    return true;
  } catch {
    return false;
  }
}, "expected an ISO-8601 UTC time such as 2017-01-02 or 2017-01-02T18:00:00Z");
const window = { name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), from: isoTime, to: isoTime };
const search = {
  space: z.unknown(),
  search: z.enum(["grid", "random"]).default("grid"),
  samples: z.number().int().min(1).max(10_000).optional(),
  seed: z.number().int().default(42),
};

/** The --config file. */
const sweepSchema = z.strictObject({
  data: z.array(z.string().min(1)).min(1),
  /** How to read the files: the backtest's source flags by their flag names. */
  source: z.record(z.string(), z.unknown()).default({}),
  noMl: z.boolean().default(false),
  model: z.string().min(8).optional(),
  registry: z.string().min(1).optional(),
  news: z.string().min(1).optional(),
  /** The base backtest config (fusion, risk, execution) every job starts from. */
  config: z.record(z.string(), z.unknown()).default({}),
  jobs: z.array(z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("walk-forward"),
      ...window,
      ...search,
      folds: z.number().int().min(1).max(20).default(3),
      objective: z.enum(OBJECTIVES).default("sharpe"),
    }),
    z.strictObject({
      kind: z.literal("grid"),
      ...window,
      ...search,
      objective: z.enum(OBJECTIVES).default("sharpe"),
    }),
    z.strictObject({
      kind: z.literal("monte-carlo"),
      ...window,
      /** Deep-merged over the base config for this backtest. */
      config: z.record(z.string(), z.unknown()).default({}),
      methods: z.array(z.enum(["reshuffle", "bootstrap"])).min(1).default([
        "reshuffle",
        "bootstrap",
      ]),
      runs: z.number().int().min(10).max(1_000_000).default(1000),
      seeds: z.array(z.number().int().min(0).max(2 ** 32 - 1)).min(1).default([42]),
    }),
  ])).min(1),
}).superRefine((sweep, ctx) => {
  const names = sweep.jobs.map((j) => j.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) {
    ctx.addIssue({ code: "custom", path: ["jobs"], message: `job name "${repeated}" is repeated` });
  }
  for (const [i, job] of sweep.jobs.entries()) {
    if (usFromIso(job.from) >= usFromIso(job.to)) {
      ctx.addIssue({ code: "custom", path: ["jobs", i, "to"], message: "must be after from" });
    }
    if ("search" in job && job.search === "random" && job.samples === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["jobs", i, "samples"],
        message: "random needs samples",
      });
    }
  }
  if (sweep.model !== undefined && sweep.noMl) {
    ctx.addIssue({ code: "custom", path: ["model"], message: "give model or noMl, not both" });
  }
});
export type SweepConfig = z.infer<typeof sweepSchema>;

/** Validates a sweep config from outside; throws a UsageError naming each bad part. */
export function parseSweepConfig(value: unknown, origin = "sweep config"): SweepConfig {
  const result = sweepSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) =>
      `${i.path.join(".") || "config"}: ${i.message}`
    );
    throw new UsageError(`${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** One backtest on the queue: everything a worker on another machine needs. */
const backtestPayload = z.strictObject({
  kind: z.literal("backtest"),
  files: z.array(z.string()).min(1),
  /** The files' SHA-256, so a worker whose copy differs refuses the job. */
  sha256: z.array(z.string()),
  read: z.record(z.string(), z.unknown()),
  from: isoTime,
  to: isoTime,
  config: z.record(z.string(), z.unknown()),
  noMl: z.boolean(),
  model: z.string().optional(),
  registry: z.string().optional(),
  news: z.string().optional(),
  /** Return the trades' P&L too (for Monte Carlo). */
  pnls: z.boolean(),
});
const monteCarloPayload = z.strictObject({
  kind: z.literal("monte-carlo"),
  pnls: z.array(z.number()).min(2),
  method: z.enum(["reshuffle", "bootstrap"]),
  initialBalance: z.number().positive(),
  seed: z.number().int(),
  runs: z.number().int().positive(),
});
const payloadSchema = z.discriminatedUnion("kind", [backtestPayload, monteCarloPayload]);
type BacktestPayload = z.infer<typeof backtestPayload>;
type Payload = z.infer<typeof payloadSchema>;

export interface BacktestOutcome {
  readonly metrics: BacktestMetrics;
  readonly pnls: number[] | null;
}

/** A payload as a job: its id is the SHA-256 of its canonical JSON. */
export function jobOf(payload: Payload): Job {
  return { id: createHash("sha256").update(canonicalJson(payload)).digest("hex"), payload };
}

/** The query parameter of the runner's URL that names its jobs' read cache (`jobRunner`). */
const READ_CACHE_PARAM = "read-cache";

/**
 * This module's URL as the job Workers load it, naming the read cache their jobs read
 * through (none: no cache): the folder is the machine's, never part of a job, whose id
 * hashes what it computes and must be the same wherever it runs.
 */
export function jobRunner(cache: string | undefined): string {
  const url = new URL(import.meta.url);
  if (cache !== undefined) url.searchParams.set(READ_CACHE_PARAM, cache);
  return url.href;
}

/** The read cache this module's jobs read through: the one its URL names. */
const jobReadCache = new URL(import.meta.url).searchParams.get(READ_CACHE_PARAM) ?? undefined;

/** Runs one job: what every worker, local or remote, calls (work_queue.ts `JobRunner`). */
export async function runJob(input: unknown): Promise<BacktestOutcome | MonteCarloResult> {
  const payload = payloadSchema.parse(input);
  if (payload.kind === "monte-carlo") {
    return monteCarlo(payload.pnls, {
      method: payload.method,
      initialBalance: payload.initialBalance,
      seed: payload.seed,
      runs: payload.runs,
    });
  }
  for (const [i, file] of payload.files.entries()) {
    const have = await sharedSha256OfFile(file);
    if (have !== payload.sha256[i]) {
      throw new Error(`${file} here is not the coordinator's (sha256 ${have.slice(0, 12)}…)`);
    }
  }
  const run = await runBacktest({
    files: payload.files,
    from: payload.from,
    to: payload.to,
    config: payload.config,
    configOrigin: "sweep job",
    model: payload.model,
    noMl: payload.noMl,
    registry: payload.registry,
    news: payload.news,
    read: { ...payload.read as OpenSourceOptions, cache: jobReadCache },
    progress: false,
    // A job returns metrics for the coordinator's table; chance is a full report's part.
    baselineRuns: 0,
    // Its Monte Carlo runs are jobs of their own, on the trades it returns.
    monteCarlo: false,
    // Jobs already run side by side, one per core: each scores on its own thread.
    scoreWorkers: 0,
  });
  // A window read for the first time is kept whole before the job is done: the Worker
  // may be stopped once the last job is.
  await readCacheWritten();
  return {
    metrics: run.document.metrics,
    pnls: payload.pnls ? run.document.trades.map((t) => t.pnl) : null,
  };
}

/** One line of the results table. */
interface Row {
  readonly entry: string;
  readonly kind: string;
  /** Unique within the entry, e.g. "fold1/in/#3". */
  readonly label: string;
  readonly jobId: string;
  readonly fold: number | null;
  readonly sample: "in" | "out" | null;
  readonly candidate: number | null;
  readonly params: Record<string, unknown> | null;
  readonly metrics: BacktestMetrics | null;
  readonly score: number | null;
  /** Monte Carlo bands, a choice, or other figures of the row. */
  readonly detail: unknown;
}

/** The SQLite output: every job's result (the cache a rerun reads) and the rows of each sweep. */
class SweepStore {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
       CREATE TABLE IF NOT EXISTS jobs (
         id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, value TEXT NOT NULL,
         worker TEXT NOT NULL, seconds REAL NOT NULL, attempts INTEGER NOT NULL,
         finished_at TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS sweep_rows (
         sweep TEXT NOT NULL, entry TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
         job_id TEXT NOT NULL, fold INTEGER, sample TEXT, candidate INTEGER, params TEXT,
         trades INTEGER, net_profit REAL, sharpe REAL, calmar REAL, max_drawdown_pct REAL,
         score REAL, detail TEXT, PRIMARY KEY (sweep, entry, label));`,
    );
  }

  value(id: string): unknown | undefined {
    const row = this.#db.prepare("SELECT value FROM jobs WHERE id = ?").get(id) as
      | { value: string }
      | undefined;
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  saveJob(job: Job, result: JobResult): void {
    this.#db.prepare(
      `INSERT OR IGNORE INTO jobs (id, kind, payload, value, worker, seconds, attempts, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      job.id,
      (job.payload as Payload).kind,
      JSON.stringify(job.payload),
      JSON.stringify(result.value),
      result.worker,
      result.seconds,
      result.attempts,
      new Date().toISOString(),
    );
  }

  saveRows(sweep: string, rows: readonly Row[]): void {
    const insert = this.#db.prepare(
      `INSERT OR REPLACE INTO sweep_rows (sweep, entry, kind, label, job_id, fold, sample,
         candidate, params, trades, net_profit, sharpe, calmar, max_drawdown_pct, score, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.exec("BEGIN");
    for (const r of rows) {
      const m = r.metrics;
      insert.run(
        sweep,
        r.entry,
        r.kind,
        r.label,
        r.jobId,
        r.fold,
        r.sample,
        r.candidate,
        r.params === null ? null : JSON.stringify(r.params),
        m?.trades ?? null,
        m?.net_profit ?? null,
        m?.sharpe ?? null,
        m?.calmar ?? null,
        m?.max_drawdown.pct ?? null,
        r.score,
        r.detail === null ? null : JSON.stringify(r.detail),
      );
    }
    this.#db.exec("COMMIT");
  }

  close(): void {
    this.#db.close();
  }
}

/** What a sweep needs to turn its entries into jobs and jobs into results. */
interface SweepContext {
  readonly sweep: SweepConfig;
  readonly files: readonly string[];
  readonly sha256: readonly string[];
  readonly read: Record<string, unknown>;
  /** Runs jobs not yet in the store; resolves with every job's value; throws on a failed job. */
  execute(jobs: readonly Job[], what: string): Promise<Map<string, unknown>>;
}

function backtestJob(
  ctx: SweepContext,
  fromUs: number,
  toUs: number,
  config: Record<string, unknown>,
  pnls = false,
): Job {
  const { sweep } = ctx;
  const payload: BacktestPayload = {
    kind: "backtest",
    files: [...ctx.files],
    sha256: [...ctx.sha256],
    read: ctx.read,
    from: isoFromUs(fromUs),
    to: isoFromUs(toUs),
    config,
    noMl: sweep.noMl,
    ...(sweep.model === undefined ? {} : { model: sweep.model }),
    ...(sweep.registry === undefined ? {} : { registry: sweep.registry }),
    ...(sweep.news === undefined ? {} : { news: sweep.news }),
    pnls,
  };
  return jobOf(JSON.parse(JSON.stringify(payload)));
}

type SearchEntry = Extract<SweepConfig["jobs"][number], { kind: "walk-forward" | "grid" }>;

function candidatesOf(ctx: SweepContext, entry: SearchEntry): Candidate[] {
  const base = ctx.sweep.config;
  const origin = `sweep job "${entry.name}" space`;
  if (
    ctx.sweep.noMl && base.fusion === undefined &&
    Object.keys(entry.space ?? {}).some((p) => p.startsWith("fusion."))
  ) {
    throw new UsageError(
      `${origin}: a fusion parameter without a model needs a fusion section in "config" to change (the backtest's technical-only preset is otherwise replaced)`,
    );
  }
  let space;
  try {
    space = parseSearchSpace(entry.space, (c) => parseTradingConfig(c, "config"), base, origin);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return entry.search === "grid"
    ? gridCandidates(space)
    : randomCandidates(space, entry.samples!, entry.seed);
}

function backtestRow(
  entry: SearchEntry,
  label: string,
  job: Job,
  metrics: BacktestMetrics,
  candidate: Candidate,
  fold: number | null,
  sample: "in" | "out" | null,
): Row {
  const score = objectiveScore(metrics, entry.objective);
  return {
    entry: entry.name,
    kind: entry.kind,
    label,
    jobId: job.id,
    fold,
    sample,
    candidate: candidate.index,
    params: { ...candidate.values },
    metrics,
    score: Number.isFinite(score) ? score : null,
    detail: null,
  };
}

async function gridEntry(ctx: SweepContext, entry: SearchEntry): Promise<Row[]> {
  const candidates = candidatesOf(ctx, entry);
  const jobs = candidates.map((c) =>
    backtestJob(
      ctx,
      usFromIso(entry.from),
      usFromIso(entry.to),
      applyCandidate(ctx.sweep.config, c),
    )
  );
  const values = await ctx.execute(jobs, `${entry.name}: ${jobs.length} sweep points`);
  return candidates.map((c, i) =>
    backtestRow(
      entry,
      `#${c.index}`,
      jobs[i],
      (values.get(jobs[i].id) as BacktestOutcome).metrics,
      c,
      null,
      null,
    )
  );
}

async function walkForwardEntry(ctx: SweepContext, entry: SearchEntry & { folds: number }) {
  const candidates = candidatesOf(ctx, entry);
  const known = new Map<string, BacktestMetrics>();
  const rows: Row[] = [];
  for (let pass = 1;; pass++) {
    const missing: Job[] = [];
    const seenRequests: { job: Job; fold: number; sample: "in" | "out"; candidate: Candidate }[] =
      [];
    let incomplete = false;
    let foldWaiting = -1;
    const result = await walkForward({
      startUs: usFromIso(entry.from),
      endUs: usFromIso(entry.to),
      folds: entry.folds,
      candidates,
      base: ctx.sweep.config,
      objective: entry.objective,
      run: (request) => {
        const job = backtestJob(ctx, request.fromUs, request.toUs, request.config);
        seenRequests.push({ ...request, job });
        const metrics = known.get(job.id);
        if (metrics !== undefined) return Promise.resolve(metrics);
        incomplete = true;
        // An out-of-sample run is only the right one once its fold's choice is known.
        if (request.sample === "in") {
          foldWaiting = request.fold;
          missing.push(job);
        } else if (foldWaiting !== request.fold) missing.push(job);
        return Promise.resolve(unknownMetrics());
      },
    });
    if (!incomplete) {
      for (const r of seenRequests) {
        const label = `fold${r.fold}/${r.sample}/#${r.candidate.index}`;
        rows.push(
          backtestRow(entry, label, r.job, known.get(r.job.id)!, r.candidate, r.fold, r.sample),
        );
      }
      rows.push({
        entry: entry.name,
        kind: entry.kind,
        label: "stitched",
        jobId: "",
        fold: null,
        sample: "out",
        candidate: result.final.index,
        params: { ...result.final.values },
        metrics: null,
        score: result.stitched.mean_score,
        detail: {
          stitched: result.stitched,
          chosen: result.folds.map((f) => ({ fold: f.fold, candidate: f.chosen.index })),
        },
      });
      return rows;
    }
    const values = await ctx.execute(
      missing,
      `${entry.name}: pass ${pass}, ${missing.length} runs`,
    );
    for (const job of missing) known.set(job.id, (values.get(job.id) as BacktestOutcome).metrics);
  }
}

/**
 * What a pass reports for a run not yet done. Only the figures walkForward reads are set;
 * a pass that saw one is thrown away, so they never reach a choice or a row.
 */
function unknownMetrics(): BacktestMetrics {
  const figures = {
    trades: 0,
    net_profit: 0,
    sharpe: null,
    calmar: null,
    max_drawdown: { pct: 0 },
  };
  return figures as unknown as BacktestMetrics;
}

async function monteCarloEntry(
  ctx: SweepContext,
  entry: Extract<SweepConfig["jobs"][number], { kind: "monte-carlo" }>,
): Promise<Row[]> {
  const config = mergeConfig(ctx.sweep.config, entry.config) as Record<string, unknown>;
  parseTradingConfig(config, `sweep job "${entry.name}" config`);
  const backtest = backtestJob(ctx, usFromIso(entry.from), usFromIso(entry.to), config, true);
  const outcome = (await ctx.execute([backtest], `${entry.name}: the backtest`)).get(
    backtest.id,
  ) as BacktestOutcome;
  const base: Row = {
    entry: entry.name,
    kind: entry.kind,
    label: "backtest",
    jobId: backtest.id,
    fold: null,
    sample: null,
    candidate: null,
    params: null,
    metrics: outcome.metrics,
    score: null,
    detail: null,
  };
  const pnls = outcome.pnls ?? [];
  if (pnls.length < 2) return [{ ...base, detail: { skipped: "fewer than 2 trades" } }];
  const runs = entry.methods.flatMap((method) =>
    entry.seeds.map((seed) => ({
      method,
      seed,
      job: jobOf({
        kind: "monte-carlo",
        pnls,
        method,
        initialBalance: outcome.metrics.initial_balance,
        seed,
        runs: entry.runs,
      }),
    }))
  );
  const values = await ctx.execute(runs.map((r) => r.job), `${entry.name}: ${runs.length} runs`);
  return [
    base,
    ...runs.map(({ method, seed, job }) => {
      const mc = values.get(job.id) as MonteCarloResult;
      return {
        ...base,
        label: `${method}/${seed}`,
        jobId: job.id,
        metrics: null,
        detail: {
          final_equity: mc.final_equity,
          max_drawdown_pct: mc.max_drawdown_pct,
          loss_probability_pct: mc.loss_probability_pct,
        },
      };
    }),
  ];
}

export interface SweepOutcome {
  /** The sweep's id: SHA-256 of its canonical config. */
  readonly sweep: string;
  readonly rows: readonly Row[];
  readonly jobs: number;
  readonly cached: number;
}

/** Runs every entry of `sweep` on `queue` (entries side by side) and stores the results in `out`. */
export async function runSweep(
  sweep: SweepConfig,
  queue: WorkQueue,
  out: string,
  log: (line: string) => void = (line) => console.error(line),
  progress?: Progress,
): Promise<SweepOutcome> {
  const store = new SweepStore(out);
  let finished = false;
  try {
    const sha256 = await Promise.all(sweep.data.map(sharedSha256OfFile));
    const source = sourceSettings.safeParse(sweep.source);
    if (!source.success) {
      const problems = source.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new UsageError(`sweep config source is invalid: ${problems.join("; ")}`);
    }
    const read = JSON.parse(JSON.stringify(readOptions(source.data)));
    let done = 0;
    let cached = 0;
    let submitted = 0;
    const ctx: SweepContext = {
      sweep,
      files: sweep.data,
      sha256,
      read,
      async execute(jobs, what) {
        const values = new Map<string, unknown>();
        const toRun: Job[] = [];
        for (const job of jobs) {
          const value = store.value(job.id);
          if (value === undefined) toRun.push(job);
          else values.set(job.id, value);
        }
        cached += jobs.length - toRun.length;
        log(`sweep: ${what} (${toRun.length} to run, ${jobs.length - toRun.length} stored)`);
        const byId = new Map(toRun.map((job) => [job.id, job]));
        submitted += toRun.length;
        progress?.setTotal(submitted);
        progress?.update(done, what);
        const results = await queue.run(toRun, (result) => {
          // Another entry failed and the store is closed: this result is not wanted now.
          if (finished) return;
          done++;
          progress?.update(done, what);
          if (result.ok) store.saveJob(byId.get(result.id)!, result);
          log(
            `sweep: ${done} done; job ${result.id.slice(0, 12)} ${
              result.ok ? "ok" : "FAILED"
            } on ${result.worker} in ${result.seconds.toFixed(1)} s${
              result.attempts > 1 ? ` (attempt ${result.attempts})` : ""
            }`,
          );
        });
        for (const result of results.values()) {
          if (!result.ok) {
            const payload = byId.get(result.id)!.payload;
            throw new Error(
              `sweep job ${result.id.slice(0, 12)} (${
                JSON.stringify(payload).slice(0, 160)
              }) failed: ${result.error}`,
            );
          }
          values.set(result.id, result.value);
        }
        return values;
      },
    };
    const id = createHash("sha256").update(canonicalJson(sweep)).digest("hex");
    const rows = (await Promise.all(sweep.jobs.map((entry) =>
      entry.kind === "walk-forward"
        ? walkForwardEntry(ctx, entry)
        : entry.kind === "grid"
        ? gridEntry(ctx, entry)
        : monteCarloEntry(ctx, entry)
    ))).flat();
    store.saveRows(id, rows);
    return { sweep: id, rows, jobs: done, cached };
  } finally {
    finished = true;
    store.close();
  }
}

const flagSchema = z.object({
  config: inputFile.optional(),
  nats: z.string().min(1).optional(),
  workers: z.coerce.number().int().min(0).max(64).default(2),
  // The store creates its folder; only a directory in the file's place is refused.
  out: z.string().min(1).default("out/sweep.sqlite").refine(
    (path) => !isDirectory(path),
    "is a directory; give a file name inside it",
  ),
  queue: z.string().regex(/^[A-Za-z0-9_-]+$/).default("sweep"),
  "ack-wait": z.coerce.number().min(1).max(3600).default(30),
  worker: z.boolean().default(false),
  ...readCacheFlags,
  quiet: z.boolean().default(false),
});

type WalkForwardStitched = WalkForwardResult["stitched"];

/** One line per row a person reads: every point, each fold out of sample, the stitched result, each Monte Carlo run. */
function summary(outcome: SweepOutcome): string[] {
  const fmt = (v: number | null | undefined) => (v == null ? "n/a" : v.toFixed(2));
  return outcome.rows.filter((r) => r.sample !== "in").map((r) => {
    const m = r.metrics;
    if (m !== null) {
      return `${r.entry} ${r.label}: trades ${m.trades}, net ${fmt(m.net_profit)}, Sharpe ${
        fmt(m.sharpe)
      }, max DD ${fmt(m.max_drawdown.pct)}%`;
    }
    if (r.label === "stitched") {
      const { stitched } = r.detail as { stitched: WalkForwardStitched };
      return `${r.entry} stitched out of sample: trades ${stitched.trades}, net ${
        fmt(stitched.net_profit)
      }, worst max DD ${fmt(stitched.worst_max_drawdown_pct)}%; latest choice #${r.candidate}`;
    }
    const mc = r.detail as Pick<MonteCarloResult, "final_equity" | "max_drawdown_pct"> & {
      loss_probability_pct: number;
    };
    return `${r.entry} ${r.label}: final equity p5/p50/p95 ${fmt(mc.final_equity.p5)}/${
      fmt(mc.final_equity.p50)
    }/${fmt(mc.final_equity.p95)}, max DD p50/p95 ${fmt(mc.max_drawdown_pct.p50)}/${
      fmt(mc.max_drawdown_pct.p95)
    }%, loss probability ${fmt(mc.loss_probability_pct)}%`;
  });
}

export async function sweep(argv: string[]): Promise<void> {
  const flags = validate(
    flagSchema,
    parseFlags(argv, SWEEP.flags),
  );
  // The jobs this process runs read their windows through this machine's read cache.
  const runner = jobRunner(readCacheDir(flags));
  const queueOptions: NatsQueueOptions | null = flags.nats === undefined ? null : {
    servers: flags.nats.split(","),
    queue: flags.queue,
    ackWaitMs: flags["ack-wait"] * 1000,
  };
  if (flags.worker) {
    if (queueOptions === null) throw new UsageError("--worker needs --nats URL");
    const workers = startNatsWorkers(Math.max(1, flags.workers), {
      runner,
      queue: queueOptions,
      prefix: `${Deno.hostname()}-${Deno.pid}`,
      onStart: (worker, id) => console.error(`sweep worker ${worker}: job ${id.slice(0, 12)}`),
    });
    console.error(`sweep: ${workers.workers.length} workers serving ${flags.nats}; Ctrl-C stops`);
    await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
    await workers.stop();
    return;
  }
  if (flags.config === undefined) throw new UsageError("--config FILE is required");
  const config = parseSweepConfig(await readJsonFlag("config", flags.config), `"${flags.config}"`);
  let queue: WorkQueue;
  let localWorkers: { stop(): Promise<void> } | null = null;
  if (queueOptions === null) {
    if (flags.workers < 1) throw new UsageError("--workers must be at least 1 without --nats");
    queue = new LocalWorkQueue({ runner, workers: flags.workers });
  } else {
    queue = await NatsWorkQueue.connect(queueOptions);
    if (flags.workers > 0) {
      localWorkers = startNatsWorkers(flags.workers, {
        runner,
        queue: queueOptions,
        prefix: `${Deno.hostname()}-${Deno.pid}`,
      });
    }
  }
  const started = performance.now();
  try {
    const progress = startProgress({
      label: "sweep",
      total: null,
      unit: "jobs",
      quiet: flags.quiet,
    });
    const outcome = await runSweep(config, queue, flags.out, (line) => progress.log(line), progress)
      .finally(() => progress.end());
    for (const line of summary(outcome)) console.log(line);
    console.log(
      `sweep ${
        outcome.sweep.slice(0, 12)
      }…: ${outcome.jobs} results from the workers, ${outcome.cached} already in ${flags.out}; ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s; wrote ${flags.out}`,
    );
  } finally {
    await localWorkers?.stop();
    await queue.close();
  }
}
