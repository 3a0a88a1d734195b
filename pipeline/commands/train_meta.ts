/**
 * `train` with a `meta` section: a meta-labeling model on the primary's own candidate
 * trades. The primary is the trading config's fusion made technical-only, built by
 * `buildPrimary` (the backtest's own stages); its trades are settled by the simulated
 * broker of the trading config's `execution`. Prints the model id, where the rows came
 * from, and the walk-forward: every candidate of each test fold against those the model
 * passes; progress goes to stderr.
 */

import { buildMetaDataset } from "../../models/meta/dataset.ts";
import { countClasses, formatReport } from "../../models/metrics.ts";
import type { Admitted } from "../../models/meta/threshold.ts";
import {
  META_CLASS_NAMES,
  type MetaTrainingResult,
  stitchedTrading,
  trainMetaModel,
} from "../../models/meta/training.ts";
import type { Registry } from "../../models/registry.ts";
import type { TrainConfig } from "../../models/train/config.ts";
import { DEFAULT_FEATURE_SPEC, type FeatureSpec, specHash } from "../../operators/features/mod.ts";
import type { Source } from "../../sources/source.ts";
import { readJsonFile, UsageError } from "./args.ts";
import { buildPrimary, parseTradingConfig, type TradingConfig } from "./strategy.ts";

export interface TrainMetaOptions {
  readonly from?: string;
  readonly to?: string;
  /** How the training config is named in messages, e.g. its file name. */
  readonly origin: string;
  /** The feature spec `config.spec` names, loaded by the caller for the warm-up. */
  readonly spec: FeatureSpec;
  readonly progress?: (line: string) => void;
}

/** The trading config `meta.trading` names (a file or the object), checked all the way down. */
async function tradingConfigOf(
  value: string | Record<string, unknown> | undefined,
  origin: string,
): Promise<{ config: TradingConfig; origin: string }> {
  if (value === undefined) {
    return { config: parseTradingConfig({}, "(defaults)"), origin: "(defaults)" };
  }
  const named = typeof value === "string" ? `"${value}"` : `${origin} meta.trading`;
  const raw = typeof value === "string"
    ? await readJsonFile(value, `the trading config "${value}" (meta.trading in ${origin})`)
    : value;
  return { config: parseTradingConfig(raw, `trading config ${named}`), origin: named };
}

const pct = (part: number, whole: number) =>
  whole === 0 ? "n/a" : `${(100 * part / whole).toFixed(1)}%`;
const perTrade = (a: Admitted) => a.trades === 0 ? "n/a" : (a.net / a.trades).toFixed(3);

/** One line of the trading table: the threshold, all candidates, and those passed. */
function tradingLine(name: string, threshold: string, all: Admitted, passed: Admitted): string {
  return [
    name.padEnd(9),
    threshold.padStart(9),
    String(all.trades).padStart(8),
    pct(all.wins, all.trades).padStart(7),
    perTrade(all).padStart(10),
    String(passed.trades).padStart(8),
    pct(passed.wins, passed.trades).padStart(7),
    perTrade(passed).padStart(10),
  ].join(" ");
}

/** The walk-forward's trades: each test fold's candidates against those the model passes. */
export function formatMetaTrading(result: MetaTrainingResult): string {
  const stitched = stitchedTrading(result.folds);
  return [
    "Out of sample: every candidate trade of the test fold, and those whose p(win) reaches the",
    "threshold chosen inside the fold's training window; net per trade in price units, one",
    "lot's costs included (trades overlap: this is no backtest)",
    `${"".padEnd(9)} ${"threshold".padStart(9)} ${"trades".padStart(8)} ${"win".padStart(7)} ${
      "net/trade".padStart(10)
    } ${"passed".padStart(8)} ${"win".padStart(7)} ${"net/trade".padStart(10)}`,
    ...result.folds.map((f) =>
      tradingLine(`fold ${f.fold.fold}`, String(f.threshold.threshold), f.test.all, f.test.passed)
    ),
    tradingLine("stitched", "", stitched.all, stitched.passed),
  ].join("\n");
}

/** Trains, registers and reports a meta model; returns what the JSON output holds. */
export async function trainMeta(
  source: Source,
  config: TrainConfig,
  registry: Registry,
  options: TrainMetaOptions,
): Promise<MetaTrainingResult> {
  const meta = config.meta!;
  const progress = options.progress ?? (() => {});
  const { spec } = options;
  if (specHash(spec) !== specHash(DEFAULT_FEATURE_SPEC)) {
    throw new UsageError(
      `${options.origin}: spec "${config.spec}" is not the default feature spec; a meta model ` +
        `gates the strategy, whose fusion stage runs the default spec: remove "spec"`,
    );
  }
  const trading = await tradingConfigOf(meta.trading, options.origin);
  const primary = buildPrimary({
    symbol: source.symbol,
    sides: source.sides,
    config: trading.config,
    origin: trading.origin,
  });
  const describe = `technical-only fusion of ${trading.origin}, gate ${primary.fusion.gate}, ` +
    `primary ${primary.configHash.slice(0, 12)}…`;
  const started = performance.now();
  progress(`settling the primary's candidate trades in ${source.path} ...`);
  const dataset = await buildMetaDataset(source, {
    primary: { stages: primary.stages, configHash: primary.configHash, describe },
    spec,
    execution: trading.config.execution ?? {},
    timeLimitMinutes: meta.timeLimitMinutes,
    from: options.from,
    to: options.to,
    sampleEvery: config.sampleEvery,
  });
  const datasetSeconds = (performance.now() - started) / 1000;
  const c = dataset.counts;
  progress(
    `candidates: ${c.candidates} (${c.withoutFeatures} without features, ${c.refused} refused ` +
      `by the broker, ${c.unsettled} unsettled), ${c.kept} rows in ${datasetSeconds.toFixed(1)} s`,
  );
  const result = trainMetaModel(dataset, config, registry, {
    primary: { configHash: primary.configHash, fusion: primary.fusion },
    execution: primary.execution,
    specName: spec.name,
    progress,
  });
  const counts = countClasses(dataset.y, META_CLASS_NAMES.length);
  const t = result.threshold;
  console.log(`meta model ${result.model.id} registered as a candidate in ${registry.dir}`);
  console.log(
    `data: ${dataset.provenance.files.map((f) => f.file).join(", ")}; primary: ${describe}\n` +
      `candidates: ${c.candidates} (${c.withoutFeatures} before the features were ready, ` +
      `${c.refused} refused by the broker, ${c.unsettled} still open at the end); ` +
      `${dataset.rows} rows (every ${dataset.sampleEvery}), ${dataset.nFeatures} features`,
  );
  console.log(
    `labels: time limit ${meta.timeLimitMinutes} min; ${
      META_CLASS_NAMES.map((name, k) => `${name} ${pct(counts[k], dataset.rows)}`).join(", ")
    }`,
  );
  console.log(
    `threshold ${t.threshold} (${t.choice}, from every row out of fold: ${t.trades} of ` +
      `${t.all.trades} trades, win ${pct(t.wins, t.trades)}, net/trade ${perTrade(t)}); ` +
      `sizing ${meta.sizing.mode}`,
  );
  console.log(
    `time: dataset ${datasetSeconds.toFixed(1)} s, walk-forward ${
      result.seconds.walkForward.toFixed(1)
    } s, final fit ${result.seconds.final.toFixed(1)} s`,
  );
  console.log(`\n${formatMetaTrading(result)}\n`);
  console.log(formatReport(result.report, META_CLASS_NAMES));
  return result;
}
