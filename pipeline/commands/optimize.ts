/**
 * `optimize`: walk-forward search of backtest parameters. The data's time range is cut
 * into N + 1 blocks; fold k searches on blocks 0..k with in-process backtests, keeps the
 * best by the objective, and runs only that one on block k + 1. The set chosen on the
 * latest in-sample window is written as `params/<sha256>.json`, which `backtest --params`
 * loads. docs/optimisation.md has the method and the rules.
 */

import { z } from "zod";
import { basename, join } from "node:path";
import {
  type FoldResult,
  gridCandidates,
  OBJECTIVES,
  optimizeHtml,
  type ParamsFile,
  paramsId,
  parseSearchSpace,
  randomCandidates,
  type Range,
  type RunSummary,
  setPath,
  walkForward,
} from "../../operators/backtest/mod.ts";
import { sharedSha256OfFile } from "../../sources/file_hash.ts";
import { readCacheWritten } from "../../sources/read_cache.ts";
import { openSources } from "../../sources/mod.ts";
import { isoFromUs } from "../events.ts";
import { roundedJson } from "../json_text.ts";
import { startProgress } from "../progress.ts";
import {
  inputFile,
  isNonDirectory,
  multiSourceSchema,
  parseFlags,
  readCacheDir,
  readCacheFlags,
  readJsonFlag,
  readOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { OPTIMIZE } from "./usage.ts";
import { runBacktest } from "./backtest.ts";
import { parseTradingConfig } from "./strategy.ts";

const schema = sourceSchema.omit({ data: true }).extend({
  data: multiSourceSchema.shape.data,
  space: z.string({ error: "is required: the search space (JSON)" }).pipe(inputFile),
  folds: z.coerce.number().int().min(1).max(20).default(3),
  objective: z.enum(OBJECTIVES).default("sharpe"),
  search: z.enum(["grid", "random"]).default("grid"),
  samples: z.coerce.number().int().min(1).max(10_000).optional(),
  seed: z.coerce.number().int().default(42),
  // Created when the set is written; only a file in the folder's place is refused.
  out: z.string().min(1).default("params").refine(
    (dir) => !isNonDirectory(dir),
    "is a file; give the folder to write the parameter set into",
  ),
  config: inputFile.optional(),
  model: z.string().min(8).optional(),
  "no-ml": z.boolean().default(false),
  registry: z.string().min(1).default("data/models"),
  news: inputFile.optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  ...readCacheFlags,
  quiet: z.boolean().default(false),
});

type Flags = z.infer<typeof schema>;

/**
 * First bar open and last bar close (or first and last tick) of the data, inside --from/--to;
 * with `cache`, read from (or kept in) the read cache as a backtest of that window reads it.
 */
async function dataRange(flags: Flags, cache: string | undefined): Promise<Range> {
  const source = await openSources(flags.data, {
    ...readOptions(flags),
    fromUs: flags.from,
    toUs: flags.to,
    cache,
  });
  let fromUs = Infinity;
  let toUs = -Infinity;
  for await (const batch of source.batches()) {
    if (batch.length === 0) continue;
    const first = batch.kind === "bars" ? batch.openUs[0] : batch.timeUs[0];
    const last = batch.kind === "bars"
      ? batch.closeUs[batch.length - 1]
      : batch.timeUs[batch.length - 1];
    fromUs = Math.min(fromUs, first);
    toUs = Math.max(toUs, last);
  }
  if (!Number.isFinite(fromUs)) throw new UsageError(`no data in ${source.path} for that range`);
  return { fromUs, toUs };
}

const fmt = (v: number | null, digits = 2) => (v === null ? "n/a" : v.toFixed(digits));
const day = (us: number) => isoFromUs(us).slice(0, 16).replace("T", " ");

function row(label: string, range: Range, r: RunSummary): string {
  return `${label.padEnd(4)} ${day(range.fromUs)} .. ${day(range.toUs)}  ${
    String(r.trades).padStart(6)
  } ${fmt(r.net_profit).padStart(11)} ${fmt(r.sharpe).padStart(7)} ${fmt(r.calmar).padStart(7)} ${
    fmt(r.max_drawdown_pct).padStart(7)
  }%`;
}

function printFold(fold: FoldResult): void {
  const values = Object.entries(fold.chosen.values).map(([p, v]) => `${p}=${v}`).join(" ");
  console.log(`fold ${fold.fold}: chose #${fold.chosen.index} ${values}`);
  console.log(row("in", fold.inSample, fold.inSampleResult));
  console.log(row("out", fold.outOfSample, fold.outOfSampleResult));
}

export async function optimize(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, OPTIMIZE.flags),
  );
  if (flags.model !== undefined && flags["no-ml"]) {
    throw new UsageError("give --model ID or --no-ml, not both");
  }
  if (flags.search === "random" && flags.samples === undefined) {
    throw new UsageError("--search random needs --samples K");
  }
  // Every candidate reads its fold's windows again: from the read cache after the first.
  const cache = readCacheDir(flags);
  const base =
    (flags.config === undefined ? {} : await readJsonFlag("config", flags.config)) as Record<
      string,
      unknown
    >;
  parseTradingConfig(base, flags.config === undefined ? "config" : `"${flags.config}"`);
  const spaceValue = await readJsonFlag("space", flags.space);
  let space;
  try {
    space = parseSearchSpace(
      spaceValue,
      (c) => parseTradingConfig(c, "config"),
      base,
      `Search space "${flags.space}"`,
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const candidates = flags.search === "grid"
    ? gridCandidates(space)
    : randomCandidates(space, flags.samples!, flags.seed);
  const range = await dataRange(flags, cache);
  console.log(
    `optimize: ${candidates.length} candidates (${flags.search}), ${flags.folds} folds, ` +
      `objective ${flags.objective}, ${day(range.fromUs)} .. ${day(range.toUs)}`,
  );
  console.log(`                                        trades  net profit  Sharpe  Calmar  max DD`);
  // Every fold runs each candidate in sample, then its choice once out of sample.
  const runs = flags.folds * (candidates.length + 1);
  const progress = startProgress({
    label: "optimize",
    total: runs,
    unit: "runs",
    quiet: flags.quiet,
  });
  let done = 0;
  const result = await walkForward({
    startUs: range.fromUs,
    endUs: range.toUs,
    folds: flags.folds,
    candidates,
    base,
    objective: flags.objective,
    onFold: (fold) => {
      progress.clear();
      printFold(fold);
    },
    run: async (request) => {
      progress.update(
        done,
        `fold ${request.fold} ${request.sample} of sample, candidate #${request.candidate.index}`,
      );
      const metrics = (await runBacktest({
        files: flags.data,
        from: isoFromUs(request.fromUs),
        to: isoFromUs(request.toUs),
        config: request.config,
        configOrigin: `candidate #${request.candidate.index}`,
        model: flags.model,
        noMl: flags["no-ml"],
        registry: flags.registry,
        news: flags.news,
        threads: flags.threads,
        read: { ...readOptions(flags), cache },
        // Candidates are judged on their own metrics; chance is for the final report.
        baselineRuns: 0,
        // Nor are their trades reshuffled: only the metrics are read.
        monteCarlo: false,
      })).document.metrics;
      progress.update(++done);
      return metrics;
    },
  }).finally(() => progress.end());
  const s = result.stitched;
  console.log(
    `stitched out of sample: trades ${s.trades}, net profit ${fmt(s.net_profit)}, worst max DD ${
      fmt(s.worst_max_drawdown_pct)
    }%, mean ${flags.objective} ${fmt(s.mean_score)}`,
  );

  const iso = (r: Range) => ({ from: isoFromUs(r.fromUs), to: isoFromUs(r.toUs) });
  const document: ParamsFile = {
    version: 1,
    createdAt: new Date().toISOString(),
    data: await Promise.all(
      flags.data.map(async (f) => ({ name: basename(f), sha256: await sharedSha256OfFile(f) })),
    ),
    range: iso(range),
    space: Object.fromEntries(space.map((p) => [p.path, [...p.values]])),
    search: {
      method: flags.search,
      candidates: candidates.length,
      samples: flags.search === "random" ? flags.samples! : null,
      seed: flags.search === "random" ? flags.seed : null,
    },
    objective: flags.objective,
    folds: result.folds.map((f) => ({
      fold: f.fold,
      inSample: { ...iso(f.inSample), result: f.inSampleResult },
      outOfSample: { ...iso(f.outOfSample), result: f.outOfSampleResult },
      chosen: { ...f.chosen.values },
    })),
    stitched: result.stitched,
    chosen: { ...result.final.values },
    config: JSON.parse(JSON.stringify(
      Object.entries(result.final.values).reduce((c, [p, v]) => setPath(c, p, v), base),
    )),
  };
  // The id hashes the document as written: without binary noise in its numbers.
  const written = JSON.parse(roundedJson(document)) as ParamsFile;
  const id = paramsId(written);
  await Deno.mkdir(flags.out, { recursive: true });
  const path = join(flags.out, `${id}.json`);
  const heatmap = join(flags.out, `${id}.html`);
  await Deno.writeTextFile(path, roundedJson(written));
  await Deno.writeTextFile(
    heatmap,
    optimizeHtml({ document: written, id, candidates, folds: result.folds }),
  );
  console.log(
    `chosen on the latest in-sample window: #${result.final.index}; wrote ${path} and ` +
      `${heatmap} (every candidate's in-sample score, each fold's out-of-sample result)`,
  );
  // The range's read, kept in the read cache beside the runs, is written whole before exit.
  await readCacheWritten();
}
