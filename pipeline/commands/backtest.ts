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
  backtestSummary,
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
  type RegimeEvent,
  type RiskDecisionEvent,
  US_PER_HOUR,
  usFromIso,
} from "../events.ts";
import { createHealthRegistry } from "../health.ts";
import { replay$ } from "../replay.ts";
import { XAUUSD } from "../symbols.ts";
import {
  checkOutputFile,
  inputFile,
  multiSourceSchema,
  outputFile,
  parseFlags,
  readJsonFlag,
  readOptions,
  UsageError,
  validate,
} from "./args.ts";
import { BACKTEST } from "./usage.ts";
import { roundedJson } from "../json_text.ts";
import { linesRead, type Progress, progressSink, startProgress } from "../progress.ts";
import { countAllLines } from "../../sources/line_count.ts";
import { m1Stages } from "./stages.ts";
import { buildStrategy, parseTradingConfig, tradingConfigSchema } from "./strategy.ts";
import { openRegistry } from "./models.ts";
import { basename, join } from "node:path";

const schema = multiSourceSchema.extend({
  config: inputFile.optional(),
  params: inputFile.optional(),
  model: z.string().min(8).optional(),
  "no-ml": z.boolean().default(false),
  registry: z.string().min(1).default("data/models"),
  news: inputFile.optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  json: outputFile.optional(),
  report: outputFile.optional(),
  quiet: z.boolean().default(false),
});

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
  /** How to read the files (`readOptions` of the source flags); the window is `from`/`to`. */
  readonly read?: OpenSourceOptions;
  /** A `--params` file that supplied part of the config, recorded in the document's config. */
  readonly params?: { readonly file: string; readonly id: string };
  /** Where to report progress (lines read of `files`, and the data time reached); default none. */
  readonly progress?: Progress | false;
}

export interface BacktestRun {
  readonly document: BacktestJson;
  readonly seconds: number;
  readonly bars: number;
  readonly prices: PricePoint[];
  readonly sourcePath: string;
  readonly modelId: string | null;
}

/** Validates a --config object with every module's schema; throws naming each bad value. */
export function checkBacktestConfig(value: unknown, origin = "config"): void {
  parseTradingConfig(value, origin);
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
      model = await loadServingModel(registry, id, hash, flags.threads);
    } finally {
      registry.close();
    }
  }
  const calendar = flags.news ? await readNewsCalendar(flags.news) : null;
  const strategy = buildStrategy({
    symbol: source.symbol,
    sides: source.sides,
    config,
    origin: flags.config,
    model,
    calendar,
  });
  const execution = resolveExecutionConfig(config.execution ?? {});
  const broker = new SimulatedBroker(config.execution ?? {});
  const stages = [
    ...m1Stages(source, "backtests"),
    ...strategy.stages,
    { name: "risk-and-execution", operator: tradeAndExecute(strategy.engine, broker) },
  ];
  const collected = collector();
  const started = performance.now();
  try {
    await runPipeline({
      sourceName: "file",
      source$: replay$(source),
      stages,
      sinks: options.progress
        ? [collected.sink, progressSink(options.progress, () => linesRead(source))]
        : [collected.sink],
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
  if (
    flags.from !== undefined && flags.to !== undefined &&
    usFromIso(flags.from) >= usFromIso(flags.to)
  ) {
    throw new UsageError(`--from "${flags.from}" must be before --to "${flags.to}"`);
  }
  // Everything is checked before the run: a bad config or an unwritable output never
  // waits for a year of bars to be replayed.
  const fileConfig = flags.config === undefined ? {} : await readJsonFlag("config", flags.config);
  const params = flags.params === undefined ? undefined : await readParamsFile(flags.params);
  const config = params === undefined
    ? fileConfig
    : mergeConfig(params.document.config, fileConfig);
  const configOrigin =
    [flags.params, flags.config].filter((f) => f !== undefined).map((f) => `"${f}"`).join(" + ") ||
    undefined;
  checkBacktestConfig(config, configOrigin ?? "config");
  let outputs = { json: flags.json, report: flags.report };
  if (outputs.json === undefined && outputs.report === undefined) {
    const stem = defaultOutputStem(flags.data, flags.from, flags.to);
    await Deno.mkdir("out", { recursive: true });
    checkOutputFile("json", `${stem}.json`);
    checkOutputFile("report", `${stem}.html`);
    outputs = { json: `${stem}.json`, report: `${stem}.html` };
  }
  const lines = flags.quiet || !Deno.stderr.isTerminal() ? null : await countAllLines(flags.data);
  const progress = startProgress({
    label: "backtest",
    total: lines,
    unit: "lines",
    quiet: flags.quiet,
  });
  let run: BacktestRun;
  try {
    run = await runBacktest({
      files: flags.data,
      from: flags.from,
      to: flags.to,
      // The parameter set sits under --config: a value in --config wins.
      config,
      configOrigin,
      model: flags.model,
      noMl: flags["no-ml"],
      registry: flags.registry,
      news: flags.news,
      threads: flags.threads,
      read: readOptions(flags),
      params: params === undefined ? undefined : { file: basename(flags.params!), id: params.id },
      progress,
    });
  } finally {
    progress.end();
  }
  const { document, seconds, bars, prices, sourcePath, modelId } = run;
  if (outputs.json !== undefined) await Deno.writeTextFile(outputs.json, roundedJson(document));
  if (outputs.report !== undefined) {
    await Deno.writeTextFile(outputs.report, backtestHtml(document, { prices }));
  }
  console.log(backtestSummary(document));
  console.log(
    `\n${sourcePath}: ${bars.toLocaleString("en-US")} M1 bars in ${seconds.toFixed(1)} s ` +
      `(${Math.round(bars / seconds).toLocaleString("en-US")} bars/s); ${
        modelId === null ? "technical only (--no-ml)" : `model ${modelId.slice(0, 12)}…`
      }`,
  );
  if (params !== undefined) {
    console.log(`parameter set ${params.id.slice(0, 12)}… (${flags.params})`);
  }
  console.log(
    `wrote ${[outputs.json, outputs.report].filter((f) => f !== undefined).join(" and ")}`,
  );
}
