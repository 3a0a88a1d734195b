/**
 * `backtest`: the live pipeline fed from files, against the simulated broker. Bars go
 * through features and the model (unless --no-ml), regimes, fusion, then risk and
 * execution in one event loop, and the run's trades, equity, decisions and regimes are
 * collected into the JSON document and the HTML report. It never invents a default that
 * changes results silently: every resolved setting is written into the JSON.
 */

import { z } from "zod";
import {
  backtestHtml,
  type BacktestJson,
  backtestJson,
  type BacktestTrade,
  type EquityPoint,
  mergeConfig,
  monteCarlo,
  type ParamsFile,
  parseParamsFile,
  type PricePoint,
} from "../../operators/backtest/mod.ts";
import { loadServingModel, type ServingModel } from "../../operators/ensemble/mod.ts";
import {
  resolveExecutionConfig,
  SimulatedBroker,
  tradeAndExecute,
} from "../../operators/execution/mod.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "../../operators/features/mod.ts";
import { readNewsCalendar } from "../../operators/risk/mod.ts";
import type { Sink } from "../../sinks/sink.ts";
import { sha256OfFile } from "../../sources/file_hash.ts";
import { type OpenSourceOptions, openSources } from "../../sources/mod.ts";
import { runPipeline } from "../build.ts";
import {
  type BarEvent,
  type EventBatch,
  isoFromUs,
  type RegimeEvent,
  type RiskDecisionEvent,
  US_PER_HOUR,
  usFromIso,
} from "../events.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { Backlog } from "../backlog.ts";
import { XAUUSD } from "../symbols.ts";
import {
  parseFlags,
  readJsonFlag,
  readOptions,
  SOURCE_FLAGS,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { m1Stages } from "./stages.ts";
import { buildStrategy, checkedTradingConfigSchema, tradingConfigSchema } from "./strategy.ts";
import { openRegistry } from "./models.ts";
import { basename } from "node:path";

const schema = sourceSchema.omit({ data: true, from: true, to: true }).extend({
  data: z.array(z.string().min(1)).min(
    1,
    "is required: one or more market-data files, in time order",
  ),
  from: z.string().optional(),
  to: z.string().optional(),
  config: z.string().min(1).optional(),
  params: z.string().min(1).optional(),
  model: z.string().min(8).optional(),
  "no-ml": z.boolean().default(false),
  registry: z.string().min(1).default("data/models"),
  news: z.string().min(1).optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  "score-workers": z.coerce.number().int().min(0).max(8).optional(),
  json: z.string({ error: "is required: where to write the JSON results" }).min(1),
  report: z.string({ error: "is required: where to write the HTML report" }).min(1),
});

/**
 * The model scores on Workers of its own while this thread computes features further
 * on; the replay waits while more rows than this are being scored (four slices: two per
 * worker of a 2-core machine, about 10 ms of the default ensemble on one WASM thread), so
 * the workers always have a batch queued while the bars and events in flight stay few
 * and die young (a limit of 4,096 rows cost about 5% more CPU).
 */
const SCORING_BACKLOG_ROWS = 1024;

/**
 * Scoring workers when `--score-workers` is not given: one per core, at most 4. On this
 * 2-core machine, nearly idle, two workers ran a year with the model in a median 4.11 s
 * against 4.90 s with one (docs/results/bench.md); on a busy machine one costs less CPU.
 */
export const DEFAULT_SCORE_WORKERS = Math.max(1, Math.min(4, navigator.hardwareConcurrency));

/** Everything the report needs, gathered from the stream. */
function collector() {
  const trades: BacktestTrade[] = [];
  const equity: EquityPoint[] = [];
  const decisions: RiskDecisionEvent[] = [];
  const regimes: RegimeEvent[] = [];
  const prices: { timeUs: number; close: number }[] = [];
  const stops = new Map<string, number | null>();
  const entries = new Map<string, number>();
  let firstBar: BarEvent | null = null;
  let lastBar: BarEvent | null = null;
  let bars = 0;
  const sink: Sink = {
    name: "backtest",
    write(batch: EventBatch) {
      for (const event of batch) {
        switch (event.kind) {
          case "bar":
            if (event.timeframe !== "M1") break;
            firstBar ??= event;
            lastBar = event;
            bars++;
            if (
              prices.length === 0 || event.closeUs - prices[prices.length - 1].timeUs >= US_PER_HOUR
            ) {
              prices.push({ timeUs: event.closeUs, close: event.bid.close });
            }
            break;
          case "risk":
            decisions.push(event);
            if (event.clientOrderId !== null) stops.set(event.clientOrderId, event.stopLoss);
            break;
          case "fill":
            if (event.action === "open") entries.set(event.positionId, event.price);
            break;
          case "trade": {
            const stop = stops.get(event.positionId);
            const entry = entries.get(event.positionId) ?? event.entryPrice;
            trades.push({
              ...event,
              initialRisk: stop == null
                ? null
                : Math.abs(entry - stop) * XAUUSD.contractSize * event.lots,
            });
            break;
          }
          case "account":
            equity.push({ timeUs: event.timeUs, equity: event.equity, balance: event.balance });
            break;
          case "regime":
            regimes.push(event);
            break;
        }
      }
    },
    close() {},
  };
  return {
    sink,
    result: () => ({ trades, equity, decisions, regimes, prices, firstBar, lastBar, bars }),
  };
}

/** Reads and checks a `--params` file (docs/optimisation.md). */
export async function readParamsFile(path: string): Promise<{ document: ParamsFile; id: string }> {
  return parseParamsFile(await readJsonFlag("params", path), basename(path));
}

/** One in-process backtest: what the CLI runs, and what `optimize` runs for each candidate. */
export interface RunBacktestOptions {
  /** Market-data files, in time order. */
  readonly files: readonly string[];
  /** Keep bars opening in [from, to) (UTC ISO time or YYYY-MM-DD). */
  readonly from?: string;
  readonly to?: string;
  /** The --config object (unparsed: each part is validated by its module). */
  readonly config?: unknown;
  /** How the config is named in error messages, e.g. the file name. */
  readonly configOrigin?: string;
  readonly model?: string;
  readonly noMl: boolean;
  readonly registry?: string;
  readonly news?: string;
  readonly threads?: number;
  /** Workers scoring the model, 0 for this thread (default `DEFAULT_SCORE_WORKERS`). */
  readonly scoreWorkers?: number;
  /** How to read the files (`readOptions` of the source flags); the window is `from`/`to`. */
  readonly read?: OpenSourceOptions;
  /** A `--params` file that supplied part of the config, recorded in the document's config. */
  readonly params?: { readonly file: string; readonly id: string };
  /** Print a progress line every 2 s to stderr (default true). */
  readonly progress?: boolean;
}

export interface BacktestRun {
  readonly document: BacktestJson;
  readonly seconds: number;
  readonly bars: number;
  readonly prices: PricePoint[];
  readonly sourcePath: string;
  readonly modelId: string | null;
}

/** Validates a --config object with every module's parser; throws naming the bad part. */
export function checkBacktestConfig(value: unknown, origin = "config"): void {
  const parsed = checkedTradingConfigSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${origin}: ${parsed.error.issues[0].message}`);
}

export async function runBacktest(options: RunBacktestOptions): Promise<BacktestRun> {
  const flags = {
    config: options.configOrigin,
    "no-ml": options.noMl,
    model: options.model,
    registry: options.registry ?? "data/models",
    news: options.news,
    threads: options.threads ?? 1,
  };
  const config = tradingConfigSchema.parse(options.config ?? {});
  const source = await openSources([...options.files], {
    ...options.read,
    fromUs: options.from === undefined ? undefined : usFromIso(options.from),
    toUs: options.to === undefined ? undefined : usFromIso(options.to),
  });
  const spec = DEFAULT_FEATURE_SPEC;
  const hash = specHash(spec);
  const execution = resolveExecutionConfig(config.execution ?? {});
  const calendar = flags.news ? await readNewsCalendar(flags.news) : null;
  let model: ServingModel | null = null;
  if (!flags["no-ml"]) {
    const registry = openRegistry(flags.registry);
    try {
      const id = flags.model ?? registry.production()?.id;
      if (id === undefined) {
        throw new UsageError(
          `no production model in ${flags.registry}: pass --model ID, or --no-ml for technical signals only`,
        );
      }
      model = await loadServingModel(registry, id, hash, flags.threads, {
        workers: options.scoreWorkers ?? DEFAULT_SCORE_WORKERS,
      });
    } finally {
      registry.close();
    }
  }
  // From here on the model's session (a Worker) is released whatever happens.
  let strategy: ReturnType<typeof buildStrategy>;
  const collected = collector();
  const started = performance.now();
  try {
    const backlog = new Backlog(SCORING_BACKLOG_ROWS);
    strategy = buildStrategy({
      symbol: source.symbol,
      sides: source.sides,
      config,
      origin: flags.config,
      model,
      calendar,
      backlog,
    });
    const broker = new SimulatedBroker(config.execution ?? {});
    const stages = [
      ...m1Stages(source, "backtests"),
      ...strategy.stages,
      { name: "risk-and-execution", operator: tradeAndExecute(strategy.engine, broker) },
    ];
    let lastProgress = started;
    const progress: Sink = {
      name: "progress",
      write(batch) {
        const now = performance.now();
        if (options.progress === false || now - lastProgress < 2000 || batch.length === 0) return;
        lastProgress = now;
        const last = batch[batch.length - 1];
        const at = "timeUs" in last ? last.timeUs : "closeUs" in last ? last.closeUs : null;
        if (at !== null) console.error(`  ... ${isoFromUs(at)}`);
      },
      close() {},
    };
    await runPipeline({
      sourceName: "file",
      source$: replay$(source, { ready: () => backlog.ready() }),
      stages,
      sinks: [collected.sink, progress],
      health: createHealthRegistry(),
    }).done;
  } finally {
    await model?.session.release();
  }
  const seconds = (performance.now() - started) / 1000;
  const run = collected.result();
  if (run.firstBar === null || run.lastBar === null) {
    throw new UsageError(`no M1 bars in ${source.path} for that range`);
  }
  const periodStartUs = run.firstBar.openUs;
  const periodEndUs = run.lastBar.closeUs;
  const initialBalance = execution.initialBalance;
  const equity = [
    { timeUs: periodStartUs, equity: initialBalance, balance: initialBalance },
    ...run.equity,
  ];
  // The account after its last change holds to the end of the data (a halted engine stops trading).
  const lastPoint = equity[equity.length - 1];
  if (lastPoint.timeUs < periodEndUs) equity.push({ ...lastPoint, timeUs: periodEndUs });
  const pnls = run.trades.map((t) => t.pnl);
  const mc = config.monteCarlo;
  const dataFiles = await Promise.all(source.files.map(async (file, i) => ({
    name: basename(file),
    sha256: await sha256OfFile(file),
    rows: source.fileReports[i].rowsEmitted,
  })));
  const document = backtestJson({
    symbol: source.symbol,
    run: {
      trades: run.trades,
      equity,
      initialBalance,
      riskDecisions: run.decisions,
      regimes: run.regimes,
      firstBar: run.firstBar,
      lastBar: run.lastBar,
      periodStartUs,
      periodEndUs,
    },
    config: JSON.parse(JSON.stringify({
      ml: model === null ? null : { modelId: model.id, featureSpecHash: hash },
      fusion: strategy.fusion,
      risk: strategy.engine.config,
      execution: config.execution ?? {},
      executionResolved: execution,
      newsCalendar: flags.news ?? null,
      ...(options.params === undefined ? {} : { params: options.params }),
    })),
    dataFiles,
    monteCarlo: pnls.length < 2
      ? []
      : (["reshuffle", "bootstrap"] as const).map((method) =>
        monteCarlo(pnls, { method, initialBalance, seed: mc.seed ?? 42, runs: mc.runs ?? 1000 })
      ),
  });
  return {
    document,
    seconds,
    bars: run.bars,
    prices: run.prices,
    sourcePath: source.path,
    modelId: model?.id ?? null,
  };
}

export async function backtest(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, {
      ...SOURCE_FLAGS,
      data: { type: "string", multiple: true },
      config: { type: "string" },
      params: { type: "string" },
      model: { type: "string" },
      "no-ml": { type: "boolean" },
      registry: { type: "string" },
      news: { type: "string" },
      threads: { type: "string" },
      "score-workers": { type: "string" },
      json: { type: "string" },
      report: { type: "string" },
    }),
  );
  if (flags.model !== undefined && flags["no-ml"]) {
    throw new UsageError("give --model ID or --no-ml, not both");
  }
  const fileConfig = flags.config === undefined ? {} : await readJsonFlag("config", flags.config);
  const params = flags.params === undefined ? undefined : await readParamsFile(flags.params);
  const { document, seconds, bars, prices, sourcePath, modelId } = await runBacktest({
    files: flags.data,
    from: flags.from,
    to: flags.to,
    // The parameter set sits under --config: a value in --config wins.
    config: params === undefined ? fileConfig : mergeConfig(params.document.config, fileConfig),
    configOrigin: [flags.params, flags.config].filter((f) => f !== undefined).map((f) => `"${f}"`)
      .join(" + ") || undefined,
    model: flags.model,
    noMl: flags["no-ml"],
    registry: flags.registry,
    news: flags.news,
    threads: flags.threads,
    scoreWorkers: flags["score-workers"],
    read: readOptions(flags),
    params: params === undefined ? undefined : { file: basename(flags.params!), id: params.id },
  });
  await Deno.writeTextFile(flags.json, JSON.stringify(document, null, 2));
  await Deno.writeTextFile(flags.report, backtestHtml(document, { prices }));
  const m = document.metrics;
  console.log(
    `backtest ${sourcePath}: ${bars.toLocaleString("en-US")} M1 bars in ${seconds.toFixed(1)} s ` +
      `(${Math.round(bars / seconds).toLocaleString("en-US")} bars/s); ${
        modelId === null ? "technical only (--no-ml)" : `model ${modelId.slice(0, 12)}…`
      }`,
  );
  if (params !== undefined) {
    console.log(`parameter set ${params.id.slice(0, 12)}… (${flags.params})`);
  }
  console.log(
    `trades ${m.trades}, net profit ${m.net_profit.toFixed(2)}, max drawdown ${
      m.max_drawdown.amount.toFixed(2)
    } ` +
      `(${m.max_drawdown.pct.toFixed(2)}%), win rate ${
        m.win_rate_pct === null ? "n/a" : m.win_rate_pct.toFixed(1)
      }%, ` +
      `profit factor ${m.profit_factor === null ? "n/a" : m.profit_factor.toFixed(2)}, Sharpe ${
        m.sharpe === null ? "n/a" : m.sharpe.toFixed(2)
      }`,
  );
  console.log(`wrote ${flags.json} and ${flags.report}`);
}
