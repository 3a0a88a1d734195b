/**
 * `backtest`: the live pipeline fed from files, against the simulated broker. Bars go
 * through features and the model (unless --no-ml), regimes, fusion, then risk and
 * execution in one event loop, and the run's trades, equity, decisions and regimes are
 * collected into the JSON document and the HTML report. It never invents a default that
 * changes results silently: every resolved setting is written into the JSON.
 */

import { z } from "zod";
import {
  backtestHtmlAround,
  type BacktestJson,
  backtestJson,
  backtestSummary,
  brokerSummary,
  type CandleSeries,
  computeMetrics,
  type CostedTrade,
  costsReport,
  type EntrySides,
  entrySides,
  equityCurve,
  type EquityPoint,
  type FirstVotes,
  haltsReport,
  mergeConfig,
  modelCoverageWarning,
  monteCarlo,
  type ParamsFile,
  parseParamsFile,
  ReportCandles,
  SourceAttribution,
  startRandomBaseline,
  type WarmUpReport,
  withBaseline,
} from "../../operators/backtest/mod.ts";
import { type ServingModel, startServingModel } from "../../operators/ensemble/mod.ts";
import { SimulatedBroker, tradeAndExecute } from "../../operators/execution/mod.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "../../operators/features/mod.ts";
import { readNewsCalendar } from "../../operators/risk/mod.ts";
import { historyStartUs, type WarmUpNeed } from "../../operators/warmup/mod.ts";
import type { Sink } from "../../sinks/sink.ts";
import { sha256OfFile, sharedSha256OfFile } from "../../sources/file_hash.ts";
import { readCacheWritten } from "../../sources/read_cache.ts";
import { type OpenSourceOptions, openSources, type Source } from "../../sources/mod.ts";
import { runPipeline } from "../build.ts";
import {
  type BarEvent,
  type EventBatch,
  isoFromUs,
  type MarketEvent,
  type RegimeEvent,
  type RejectionEvent,
  type RiskDecisionEvent,
  type SignalEvent,
  usFromIso,
} from "../events.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { Backlog } from "../backlog.ts";
import {
  checkOutputFile,
  checkWindow,
  inputFile,
  multiSourceSchema,
  outputFile,
  parseFlags,
  readCacheDir,
  readCacheFlags,
  readJsonFlag,
  readOptions,
  UsageError,
  validate,
} from "./args.ts";
import { BACKTEST } from "./usage.ts";
import { roundedJsonAround } from "../json_text.ts";
import { linesRead, progressSink, type ReplayProgress, replayProgress } from "../progress.ts";
import { type BarTape, barTape, m1Stages } from "./stages.ts";
import {
  buildStrategy,
  parseTradingConfig,
  type Strategy,
  type StrategyWarmUp,
  tradingConfigSchema,
  withBrokerProfile,
} from "./strategy.ts";
import { openRegistry } from "./models.ts";
import { basename, join } from "node:path";
import { defaultWorkers } from "../workers.ts";

/** Random-entry runs beside every backtest unless `--baseline-runs` says otherwise. */
export const DEFAULT_BASELINE_RUNS = 30;

const schema = multiSourceSchema.extend({
  config: inputFile.optional(),
  params: inputFile.optional(),
  model: z.string().min(8).optional(),
  "no-ml": z.boolean().default(false),
  registry: z.string().min(1).default("data/models"),
  news: inputFile.optional(),
  broker: inputFile.optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  "baseline-runs": z.coerce.number().int().min(0).max(1000).default(DEFAULT_BASELINE_RUNS),
  "no-warm-up": z.boolean().default(false),
  ...readCacheFlags,
  "score-workers": z.coerce.number().int().min(0).max(8).optional(),
  json: outputFile.optional(),
  report: outputFile.optional(),
  quiet: z.boolean().default(false),
});

/**
 * The model scores the replay's slices in groups of at least this many feature rows, one
 * call (one message to a Worker) per group: a group of 256-event slices took 0.2 s off a
 * year with the model against a call per slice, and with one Worker, groups of 4,096
 * to 8,192 rows about 0.1 s more against groups of 1,024 (docs/results/bench.md, "Tenth
 * sitting"), the same reports to the byte.
 */
const SCORING_GROUP_ROWS = 8192;

/**
 * The model scores on Workers of its own while this thread computes features further
 * on; the replay waits while more rows than this are being scored (four groups: one being
 * scored and three queued on a 2-core machine's one Worker), so the Workers always have
 * rows queued while the bars and events in flight stay bounded (about 33 k rows).
 */
const SCORING_BACKLOG_ROWS = 4 * SCORING_GROUP_ROWS;

/**
 * Scoring workers when `--score-workers` is not given: the cores less the one this
 * thread's features, fusion and risk keep busy, at least 1, at most 3. On this 2-core
 * machine one Worker ran a year with the model in a median 4.00 s against 4.22 s for two
 * (groups of 1,024 rows) and 3.58 s against 3.64 s (groups of 4,096), with 0.6 s less
 * CPU each time: the second session's start-up, about 0.4 s, and two threads fighting for
 * one core (docs/results/bench.md, "Tenth sitting"). Unmeasured on more cores.
 */
export const DEFAULT_SCORE_WORKERS = Math.max(1, defaultWorkers() - 1);

/** What a trade needs from the order that opened it, kept from its decision until it closes. */
interface OrderRecord {
  /** The decision's risk budget: the unit of the trade's R. */
  readonly budget: number | null;
  /** The signal's stop and target distances. */
  readonly stopDistance: number | null;
  readonly takeDistance: number | null;
  /** Each source's vote on the signal; null when no signal came with the decision. */
  readonly sides: EntrySides | null;
  /** The position's fills' slippage so far. */
  slippage: number;
}

/** An order whose decision was not seen. */
const UNDECIDED: OrderRecord = {
  budget: null,
  stopDistance: null,
  takeDistance: null,
  sides: null,
  slippage: 0,
};

/** Everything the report needs, gathered from the traded period's events. */
function collector(maxOpen: number) {
  const trades: CostedTrade[] = [];
  const equity: EquityPoint[] = [];
  const decisions: RiskDecisionEvent[] = [];
  const rejections: RejectionEvent[] = [];
  const regimes: RegimeEvent[] = [];
  const candles = new ReportCandles();
  const attribution = new SourceAttribution();
  /** Per order (a bracket's legs each), until its trade closes. */
  const orders = new Map<string, OrderRecord>();
  let lastSignal: SignalEvent | null = null;
  let firstBar: BarEvent | null = null;
  let lastBar: BarEvent | null = null;
  let bars = 0;
  /** Decision bars with room for one more position: the random baseline's asking bars. */
  let roomBars = 0;
  let openPositions = 0;
  /**
   * The kinds most bars do not carry: kept out of `write`'s loop, so their first arrival,
   * hours of replay into a run, deoptimises only this function and not the loop every
   * bar goes through (V8 recompiled that loop six times a year when they were in it).
   */
  const takeOrderFlow = (event: MarketEvent): void => {
    switch (event.kind) {
      case "risk": {
        decisions.push(event);
        if (event.clientOrderId === null) break;
        const signal = lastSignal?.timeUs === event.timeUs ? lastSignal : null;
        orders.set(event.clientOrderId, {
          budget: event.budget,
          stopDistance: signal?.stopDistance ?? null,
          takeDistance: signal?.takeDistance ?? null,
          sides: signal === null ? null : entrySides(signal),
          slippage: 0,
        });
        break;
      }
      case "pending": {
        // A bracket's legs trade on their group's decision.
        const group = orders.get(event.ocoGroup ?? event.clientOrderId) ?? UNDECIDED;
        orders.set(event.clientOrderId, { ...group, slippage: 0 });
        break;
      }
      case "rejection":
        rejections.push(event);
        break;
      case "fill": {
        const order = orders.get(event.positionId);
        if (order !== undefined) order.slippage += event.slippage;
        break;
      }
      case "trade": {
        const order = orders.get(event.positionId) ?? UNDECIDED;
        orders.delete(event.positionId);
        if (order.sides !== null) attribution.onTrade(event, order.sides);
        trades.push({
          ...event,
          initialRisk: order.budget,
          slippage: order.slippage,
          stopDistance: order.stopDistance,
          takeDistance: order.takeDistance,
        });
        break;
      }
      case "regime":
        regimes.push(event);
        break;
    }
  };
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
            candles.update(event);
            break;
          case "signal":
            attribution.onSignal(event);
            if (openPositions < maxOpen) roomBars++;
            lastSignal = event;
            break;
          case "account":
            equity.push({ timeUs: event.timeUs, equity: event.equity, balance: event.balance });
            openPositions = event.openPositions;
            break;
          default:
            takeOrderFlow(event);
        }
      }
    },
    close() {},
  };
  return {
    sink,
    attribution,
    result: () => ({
      trades,
      equity,
      decisions,
      rejections,
      regimes,
      candles,
      firstBar,
      lastBar,
      bars,
      roomBars,
    }),
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
  /** A broker profile file (`--broker`), the config's `execution.broker` otherwise. */
  readonly broker?: string;
  readonly threads?: number;
  /** Workers scoring the model, 0 for this thread (default `DEFAULT_SCORE_WORKERS`). */
  readonly scoreWorkers?: number;
  /** How to read the files (`readOptions` of the source flags); the window is `from`/`to`. */
  readonly read?: OpenSourceOptions;
  /** A `--params` file that supplied part of the config, recorded in the document's config. */
  readonly params?: { readonly file: string; readonly id: string };
  /** Where to report progress (lines read of `files`, and the data time reached); default none. */
  readonly progress?: ReplayProgress | false;
  /** Seeded random-entry runs to rank the strategy among; 0 for none (default 30). */
  readonly baselineRuns?: number;
  /**
   * False: no Monte Carlo bands (`monte_carlo` empty), for a caller that reads only the
   * metrics or the trades (an optimisation's candidates, a sweep's jobs). Default true.
   */
  readonly monteCarlo?: boolean;
  /**
   * False: read nothing before `from` and trade from its first bar (or the data's), the
   * sources joining as they warm up, as a live server started fresh does. Default true.
   */
  readonly warmUp?: boolean;
}

export interface BacktestRun {
  readonly document: BacktestJson;
  /**
   * Wall time of the pipeline alone: the files read and every stage, risk and execution
   * run, from setting it up to its end. The chance baseline, Monte Carlo, the files'
   * hashes and the document come after and are not in it.
   */
  readonly seconds: number;
  readonly bars: number;
  /** The price chart's candles, at the timeframe that fits the period. */
  readonly candles: CandleSeries;
  readonly sourcePath: string;
  readonly modelId: string | null;
}

/**
 * A backtest whose pipeline has run and whose chance baseline is not done (its pilot has
 * run; its Workers, when it has any, are running): its document without the baseline can
 * be rendered meanwhile. Disposing of it (a `using` declaration) stops the baseline's
 * Workers; safe after `complete`.
 */
export interface StartedBacktest extends Omit<BacktestRun, "document">, Disposable {
  /** The document with `baseline.random` null: final unless a baseline is under way. */
  readonly partial: BacktestJson;
  /**
   * Runs this thread's share of the baseline's runs (none when `--baseline-runs 0`), then
   * gives the whole document.
   */
  complete(): Promise<BacktestJson>;
}

/** One in-process backtest, baseline included: what `optimize` and `sweep` run. */
export async function runBacktest(options: RunBacktestOptions): Promise<BacktestRun> {
  using started = await startBacktest(options);
  const { seconds, bars, candles, sourcePath, modelId } = started;
  return { document: await started.complete(), seconds, bars, candles, sourcePath, modelId };
}

/**
 * Runs the pipeline and builds the document, then starts the chance baseline and returns
 * without waiting for its runs: `complete()` joins them.
 */
export async function startBacktest(options: RunBacktestOptions): Promise<StartedBacktest> {
  const flags = {
    config: options.configOrigin,
    "no-ml": options.noMl,
    model: options.model,
    registry: options.registry ?? "data/models",
    news: options.news,
    threads: options.threads ?? 1,
  };
  const config = await withBrokerProfile(
    tradingConfigSchema.parse(options.config ?? {}),
    options.broker,
  );
  const tradeFromUs = options.from === undefined ? null : usFromIso(options.from);
  const toUs = options.to === undefined ? undefined : usFromIso(options.to);
  // The files' heads name the symbol and the quote sides the strategy is built for; the
  // strategy then says how much history to read before --from.
  // Read on a thread of their own: this one runs the pipeline on every batch. Opened here,
  // the thread starts while the strategy is built (`_read_thread.ts`). When the window read
  // is known already (no --from, or --no-warm-up), the heads are the pass's own source, so
  // the read cache's entry for that window serves both; otherwise they are read apart,
  // without the cache, and the pass opens its window once the strategy has said it.
  const knownWindow = tradeFromUs === null || options.warmUp === false
    ? { fromUs: tradeFromUs ?? undefined, toUs }
    : null;
  const heads = await openSources([...options.files], {
    ...options.read,
    thread: true,
    ...(knownWindow ?? { cache: undefined }),
  });
  // The files' hashes, for the document, computed while the pipeline waits for batches.
  // Hashed once: the read cache's key has hashed them already when it is on.
  const hashes = Promise.all(heads.files.map(sharedSha256OfFile));
  // Awaited after the pipeline; a failure before then is the pipeline's to report.
  hashes.catch(() => {});
  const spec = DEFAULT_FEATURE_SPEC;
  const hash = specHash(spec);
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
      // Its Workers start while the files are read and the first features computed.
      model = startServingModel(registry, id, hash, flags.threads, {
        workers: options.scoreWorkers ?? DEFAULT_SCORE_WORKERS,
      });
    } finally {
      registry.close();
    }
  }
  // From here on the model's session (its scoring Workers) is released whatever happens.
  const backlog = new Backlog(SCORING_BACKLOG_ROWS);
  const baselineRuns = options.baselineRuns ?? DEFAULT_BASELINE_RUNS;
  let strategy: Strategy;
  let source: Source;
  let broker: SimulatedBroker;
  let tape: BarTape | null;
  let collected: ReturnType<typeof collector>;
  let seconds: number;
  const started = performance.now();
  try {
    strategy = buildStrategy({
      symbol: heads.symbol,
      sides: heads.sides,
      config,
      origin: flags.config,
      model,
      calendar,
      backlog,
      scoringGroupRows: SCORING_GROUP_ROWS,
      window: { fromUs: tradeFromUs, dataName: heads.path, warmUp: options.warmUp },
      // The chance baseline's levels read the ATR the fusion stage had at each bar.
      recordLevelAtr: baselineRuns > 0,
    });
    source = knownWindow !== null ? heads : await openSources([...options.files], {
      ...options.read,
      thread: true,
      fromUs: historyStartUs(tradeFromUs!, strategy.warmUp.needs, "new-york-17"),
      toUs,
    });
    broker = new SimulatedBroker(config.execution ?? {});
    tape = baselineRuns > 0 ? barTape(source) : null;
    const stages = [
      ...m1Stages(source, "backtests"),
      ...(tape?.stages ?? []),
      ...strategy.stages,
      { name: "risk-and-execution", operator: tradeAndExecute(strategy.engine, broker) },
    ];
    collected = collector(strategy.engine.config.positions.maxOpen);
    const read = source;
    await runPipeline({
      sourceName: "file",
      source$: replay$(tape?.source ?? source, { ready: () => backlog.ready() }),
      stages,
      sinks: options.progress
        ? [collected.sink, progressSink(options.progress, () => linesRead(read))]
        : [collected.sink],
      health: createHealthRegistry(),
    }).done;
    seconds = (performance.now() - started) / 1000;
  } catch (error) {
    // The window's "--from before the data" is the user's to fix, not a crash.
    if (error instanceof RangeError && error.message.startsWith("--from")) {
      throw new UsageError(error.message);
    }
    throw error;
  } finally {
    await model?.session.release();
  }
  const execution = strategy.execution;
  const run = collected.result();
  const record = strategy.warmUp.record!;
  if (run.firstBar === null || run.lastBar === null) {
    throw new UsageError(
      Number.isNaN(record.firstBarUs)
        ? `no M1 bars in ${source.path} for that range`
        : tradeFromUs !== null
        ? `no M1 bars in ${source.path} from ${isoFromUs(tradeFromUs)}${
          toUs === undefined ? "" : ` to ${isoFromUs(toUs)}`
        } (the ${record.warmBars.toLocaleString("en-US")} read before it were warm-up)`
        : `${source.path} holds ${record.warmBars.toLocaleString("en-US")} M1 bars for that ` +
          `range, and the strategy never got warm enough to trade on them (it needs ${
            describeNeeds(strategy.warmUp.needs)
          })`,
    );
  }
  const periodStartUs = run.firstBar.openUs;
  const periodEndUs = run.lastBar.closeUs;
  const mc = config.monteCarlo;
  const bars = tape?.take() ?? null;
  const levelAtr = strategy.levelAtr?.values() ?? null;
  if (bars !== null && levelAtr?.length !== bars.length) {
    throw new Error(
      `the fusion stage saw ${levelAtr?.length} M1 bars, the chance baseline's tape holds ` +
        `${bars.length}: the two must be the same bars`,
    );
  }
  // The chance baseline's pilot runs now, then its Workers take seeds while this thread
  // builds the document and the caller writes it out; this thread joins the runs in
  // `complete`. Its Workers stop when this function throws, or when the caller disposes
  // of what it returns, whatever happened before `finish`.
  const chance = bars === null ? null : startRandomBaseline({
    symbol: source.symbol,
    bars,
    // The tape holds the first traded bar, so it is found.
    tradingStart: bars.openUs.findIndex((us) => us >= periodStartUs),
    fusion: strategy.fusion,
    risk: strategy.engine.config,
    calendar,
    execution: config.execution ?? {},
    // The fusion stage saw every bar of the tape, in order (a tape of ticks is made of
    // the M1 bars it saw), so it recorded exactly what `levelAtrSeries` gives.
    levelAtr: levelAtr!,
  }, {
    trades: run.trades.length,
    entryRate: run.roomBars === 0 ? 0 : run.trades.length / run.roomBars,
  }, {
    runs: baselineRuns,
    seed: mc.seed ?? 42,
    // Each run trades about as often as the strategy, so it is in a position about as long
    // (the strategy's equity points: one a bar with a position open).
    barsPerRun: run.equity.length,
  });
  // Owns the baseline's Workers until the caller does (`move` below).
  using owner = new DisposableStack();
  if (chance !== null) owner.use(chance);
  // The progress line counts the baseline's runs once the replay is done.
  const progress = chance === null ? null : options.progress || null;
  progress?.restart("runs", baselineRuns);
  progress?.update(0, "chance baseline");
  const initialBalance = execution.initialBalance;
  const equity = equityCurve(run.equity, initialBalance, periodStartUs, periodEndUs);
  const pnls = run.trades.map((t) => t.pnl);
  const fileHashes = await hashes;
  const dataFiles = source.files.map((file, i) => ({
    name: basename(file),
    sha256: fileHashes[i],
    rows: source.fileReports[i].rowsEmitted,
  }));
  const firstVoteUs = collected.attribution.firstVotes(record.firstVoteUs);
  const sources = collected.attribution.report(
    {
      technical: {
        configured: strategy.fusion.weights.technical > 0,
        weight: strategy.fusion.weights.technical,
      },
      ml: { configured: model !== null, weight: model === null ? 0 : strategy.fusion.weights.ml },
      regime: { configured: true, weight: 0 },
      llm: { configured: strategy.fusion.llm.enabled, weight: strategy.fusion.weights.llm },
    },
    firstVoteUs,
    model?.meta !== undefined,
  );
  const warmup = warmUpReport(strategy.warmUp, tradeFromUs, firstVoteUs);
  const coverageWarning = modelCoverageWarning(sources.ml);
  const notes = coverageWarning === null ? [] : [coverageWarning];
  const runInput = {
    trades: run.trades,
    equity,
    initialBalance,
    riskDecisions: run.decisions,
    rejections: run.rejections,
    // The regime in force when trading began, then every change after.
    regimes: record.regimeAtStart === null ? run.regimes : [record.regimeAtStart, ...run.regimes],
    firstBar: run.firstBar,
    lastBar: run.lastBar,
    periodStartUs,
    periodEndUs,
  };
  const metrics = computeMetrics(runInput);
  const partial = backtestJson({
    symbol: source.symbol,
    run: runInput,
    metrics,
    notes,
    config: JSON.parse(JSON.stringify({
      ml: model === null ? null : {
        modelId: model.id,
        featureSpecHash: hash,
        kind: model.meta === undefined ? "direction" : "meta",
      },
      fusion: strategy.fusion,
      risk: strategy.engine.config,
      execution: config.execution ?? {},
      executionResolved: execution,
      newsCalendar: flags.news ?? null,
      baselineRuns,
      ...(options.params === undefined ? {} : { params: options.params }),
    })),
    dataFiles,
    news: {
      enabled: strategy.newsFilter,
      calendar: flags.news === undefined ? null : basename(flags.news),
      calendar_sha256: flags.news === undefined ? null : await sha256OfFile(flags.news),
    },
    broker: brokerSummary(
      execution.profile,
      options.broker === undefined ? null : basename(options.broker),
      broker.stats,
    ),
    monteCarlo: pnls.length < 2 || options.monteCarlo === false
      ? []
      : (["reshuffle", "bootstrap"] as const).map((method) =>
        monteCarlo(pnls, { method, initialBalance, seed: mc.seed ?? 42, runs: mc.runs ?? 1000 })
      ),
    warmup,
    sources,
    halts: haltsReport(strategy.engine.halts, periodStartUs, periodEndUs),
    costs: costsReport(run.trades, execution.spec.contractSize),
    baseline: null,
  });
  const workers = owner.move();
  return {
    partial,
    seconds,
    bars: run.bars,
    candles: run.candles.finish(),
    sourcePath: source.path,
    modelId: model?.id ?? null,
    async complete() {
      if (chance === null) return partial;
      const random = await chance.finish({
        netProfit: metrics.net_profit,
        profitFactor: metrics.profit_factor,
        sharpe: metrics.sharpe,
      }, progress === null ? undefined : (runs) => progress.update(runs, "chance baseline"));
      return withBaseline(partial, random);
    },
    [Symbol.dispose]() {
      workers.dispose();
    },
  };
}

/** "M1 200, D1 15 (ml); H1 744 (regime)": what a strategy needs, for messages. */
function describeNeeds(needs: readonly WarmUpNeed[]): string {
  return needs.map((n) => `${n.bars} ${n.timeframe} bars (${n.source})`).join(", ");
}

/**
 * The warm-up section: what was read, when trading began, and what was still cold by when
 * each source first voted (`firstVoteUs`, warm-up included).
 */
function warmUpReport(
  warmUp: StrategyWarmUp,
  tradeFromUs: number | null,
  firstVoteUs: FirstVotes,
): WarmUpReport {
  const record = warmUp.record!;
  const startUs = record.tradingStartUs;
  const notes: string[] = [];
  const cold = warmUp.required.filter((s) => {
    const first = firstVoteUs[s];
    return first === null || first > startUs;
  });
  if (tradeFromUs !== null && record.warmBars === 0) {
    notes.push(
      `the data starts at ${isoFromUs(record.firstBarUs)}: no history before --from to warm up on`,
    );
  }
  for (const source of cold) {
    const first = firstVoteUs[source];
    notes.push(
      first === null
        ? `${source} never voted`
        : `${source} was still warming up when trading began; it first voted at ${
          isoFromUs(first)
        }`,
    );
  }
  return {
    requested_from_utc: tradeFromUs === null ? null : isoFromUs(tradeFromUs),
    history_start_utc: isoFromUs(record.firstBarUs),
    trading_start_utc: isoFromUs(startUs),
    warm_bars: record.warmBars,
    required: warmUp.needs.map((n) => ({ source: n.source, timeframe: n.timeframe, bars: n.bars })),
    complete: cold.length === 0,
    notes,
  };
}

/** `out/backtest-<data file names>[_<from>_<to>]`: where the results go without --json and --report. */
export function defaultOutputStem(files: readonly string[], from?: string, to?: string): string {
  const names = files.map((f) => basename(f).replace(/(\.(csv|txt|gz))+$/i, "")).join("+");
  const window = [from, to].filter((t) => t !== undefined).map((t) => t!.replace(/[:]/g, ""));
  return join("out", `backtest-${[names, ...window].join("_")}`);
}

export async function backtest(argv: string[]): Promise<void> {
  const flags = validate(schema, parseFlags(argv, BACKTEST.flags));
  if (flags.model !== undefined && flags["no-ml"]) {
    throw new UsageError("give --model ID or --no-ml, not both");
  }
  const cache = readCacheDir(flags);
  checkWindow(flags);
  // Everything is checked before the run: a bad config or an unwritable output never
  // waits for a year of bars to be replayed.
  const fileConfig = flags.config === undefined ? {} : await readJsonFlag("config", flags.config);
  const params = flags.params === undefined ? undefined : await readParamsFile(flags.params);
  // The parameter set sits under --config: a value in --config wins.
  const config = params === undefined
    ? fileConfig
    : mergeConfig(params.document.config, fileConfig);
  const configOrigin =
    [flags.params, flags.config].filter((f) => f !== undefined).map((f) => `"${f}"`).join(" + ") ||
    undefined;
  parseTradingConfig(config, configOrigin ?? "config");
  let outputs = { json: flags.json, report: flags.report };
  if (outputs.json === undefined && outputs.report === undefined) {
    const stem = defaultOutputStem(flags.data, flags.from, flags.to);
    await Deno.mkdir("out", { recursive: true });
    checkOutputFile("json", `${stem}.json`);
    checkOutputFile("report", `${stem}.html`);
    outputs = { json: `${stem}.json`, report: `${stem}.html` };
  }
  const toUs = flags.to === undefined ? undefined : usFromIso(flags.to);
  const progress = await replayProgress("backtest", flags.data, toUs, flags.quiet);
  const started = performance.now();
  let document: BacktestJson;
  let run: StartedBacktest;
  try {
    run = await startBacktest({
      files: flags.data,
      from: flags.from,
      to: flags.to,
      config,
      configOrigin,
      model: flags.model,
      noMl: flags["no-ml"],
      registry: flags.registry,
      news: flags.news,
      broker: flags.broker,
      threads: flags.threads,
      scoreWorkers: flags["score-workers"],
      read: { ...readOptions(flags), cache },
      params: params === undefined ? undefined : { file: basename(flags.params!), id: params.id },
      baselineRuns: flags["baseline-runs"],
      warmUp: !flags["no-warm-up"],
      progress,
    });
    using _workers = run;
    // Both files are rendered before this thread's share of the chance baseline's runs (its
    // Workers, when it has any, run meanwhile); the baseline's part is written in after.
    const hole = {};
    const json = outputs.json === undefined ? null : {
      path: outputs.json,
      // The equity curve, most of the file, is whole cents: written without the replacer.
      fill: roundedJsonAround({ ...run.partial, baseline: hole }, hole, [
        run.partial.equity_curve,
      ]),
    };
    const report = outputs.report === undefined
      ? null
      : { path: outputs.report, fill: backtestHtmlAround(run.partial, { candles: run.candles }) };
    document = await run.complete();
    const { baseline } = document;
    // Both at once: one is filled in and encoded while the other is being written.
    await Promise.all(
      [json, report].map((file) => file && Deno.writeTextFile(file.path, file.fill(baseline))),
    );
    // A file read for the first time is kept in the read cache meanwhile.
    await readCacheWritten();
  } finally {
    progress.end();
  }
  const { seconds, bars, sourcePath, modelId } = run;
  const allSeconds = (performance.now() - started) / 1000;
  console.log(backtestSummary(document));
  console.log(
    `\n${sourcePath}: ${bars.toLocaleString("en-US")} M1 bars in ${seconds.toFixed(1)} s ` +
      `(${Math.round(bars / seconds).toLocaleString("en-US")} bars/s); ${
        modelId === null ? "technical only (--no-ml)" : `model ${modelId.slice(0, 12)}…`
      }`,
  );
  console.log(
    `${allSeconds.toFixed(1)} s in all: the pipeline, then ${
      document.baseline.random === null ? "" : "the chance baseline, "
    }Monte Carlo and the files written`,
  );
  if (params !== undefined) {
    console.log(`parameter set ${params.id.slice(0, 12)}… (${flags.params})`);
  }
  console.log(
    `wrote ${[outputs.json, outputs.report].filter((f) => f !== undefined).join(" and ")}`,
  );
}
