/**
 * Walk-forward optimisation of backtest parameters: a search space of dotted config paths,
 * grid or seeded random candidates, anchored walk-forward folds that choose in sample and
 * only then look out of sample, and the versioned parameter-set file the backtest loads
 * with `--params`. The backtest itself is injected (`WalkForwardOptions.run`), so this
 * file does no I/O and the selection rules are tested with a fake runner.
 * docs/optimisation.md explains the method and the file format.
 */

import { createHash } from "node:crypto";
import { z } from "zod";
import { Random } from "../../models/random.ts";
import { canonicalJson } from "../../pipeline/canonical_json.ts";
import type { BacktestMetrics } from "./schema.ts";

/** What a candidate is judged by. Higher is better for each; a null figure scores -Infinity. */
export const OBJECTIVES = ["sharpe", "net_profit", "calmar"] as const;
export type Objective = typeof OBJECTIVES[number];

/** Parts of the backtest config a search may change (monteCarlo only reports; it is refused). */
const ROOTS = ["fusion", "risk", "execution"] as const;
const MAX_CANDIDATES = 10_000;

type ParamValue = number | boolean | string;
/** One parameter: a dotted path into the backtest config and the values to try, simplest first. */
export interface SearchParam {
  readonly path: string;
  readonly values: readonly ParamValue[];
}
export type SearchSpace = readonly SearchParam[];
/** One point of the space: `index` is its place in grid order, the tie-breaker. */
export interface Candidate {
  readonly index: number;
  readonly values: Readonly<Record<string, ParamValue>>;
}

const pathSchema = z.string().regex(
  /^(fusion|risk|execution)(\.[A-Za-z][A-Za-z0-9]*)+$/,
  `expected a dotted path under ${ROOTS.join(", ")}, such as "fusion.gate"`,
);
export const searchSpaceSchema = z.record(
  z.string(),
  z.array(z.union([z.number().finite(), z.boolean(), z.string().max(200)])).min(1).max(100)
    .refine((values) => new Set(values).size === values.length, "has repeated values"),
).superRefine((space, ctx) => {
  if (Object.keys(space).length === 0) {
    ctx.addIssue({ code: "custom", message: "lists no parameters" });
  }
  for (const path of Object.keys(space)) {
    const result = pathSchema.safeParse(path);
    if (!result.success) {
      ctx.addIssue({ code: "custom", path: [path], message: result.error.issues[0].message });
    }
  }
});

/**
 * Validates a search space from outside. Each value is set alone on `base` and the result
 * passed to `check` (the backtest's own config parsers), so an unknown path or a value out
 * of bounds is refused before any backtest runs.
 */
export function parseSearchSpace(
  value: unknown,
  check: (config: unknown) => void,
  base: Record<string, unknown> = {},
  origin = "Search space",
): SearchSpace {
  const result = searchSpaceSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "space"}: ${i.message}`);
    throw new TypeError(`${origin} is invalid: ${problems.join("; ")}`);
  }
  const space = Object.entries(result.data).map(([path, values]) => ({ path, values }));
  for (const { path, values } of space) {
    for (const v of values) {
      try {
        check(setPath(base, path, v));
      } catch (error) {
        throw new TypeError(
          `${origin} is invalid: "${path}" = ${
            JSON.stringify(v)
          } is refused by the backtest config: ${(error as Error).message}`,
        );
      }
    }
  }
  const size = space.reduce((n, p) => n * p.values.length, 1);
  if (size > MAX_CANDIDATES) {
    throw new RangeError(`${origin} has ${size} points; at most ${MAX_CANDIDATES}`);
  }
  return space;
}

/** The candidate at grid position `index` (the first parameter varies slowest). */
function candidateAt(space: SearchSpace, index: number): Candidate {
  const values: Record<string, ParamValue> = {};
  let rest = index;
  for (let p = space.length - 1; p >= 0; p--) {
    const n = space[p].values.length;
    values[space[p].path] = space[p].values[rest % n];
    rest = Math.floor(rest / n);
  }
  const ordered: Record<string, ParamValue> = {};
  for (const { path } of space) ordered[path] = values[path];
  return { index, values: ordered };
}

/** Every point, in grid order: the first listed value of every parameter first. */
export function gridCandidates(space: SearchSpace): Candidate[] {
  const size = space.reduce((n, p) => n * p.values.length, 1);
  return Array.from({ length: size }, (_, i) => candidateAt(space, i));
}

/**
 * `samples` distinct points drawn with a seeded generator, returned in grid order so the
 * tie-break is the same as the grid's; the whole grid when it has no more points.
 */
export function randomCandidates(space: SearchSpace, samples: number, seed: number): Candidate[] {
  const size = space.reduce((n, p) => n * p.values.length, 1);
  if (samples >= size) return gridCandidates(space);
  const random = new Random(seed);
  const chosen = new Set<number>();
  while (chosen.size < samples) chosen.add(random.int(size));
  return [...chosen].sort((a, b) => a - b).map((i) => candidateAt(space, i));
}

/** A copy of `config` with `path` set to `value`, creating objects on the way. */
export function setPath(
  config: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path.split(".");
  const inner = config[head];
  return {
    ...config,
    [head]: rest.length === 0
      ? value
      : setPath(isPlainObject(inner) ? inner : {}, rest.join("."), value),
  };
}

/** The backtest config a candidate runs with: its values set on `base`. */
export function applyCandidate(
  base: Record<string, unknown>,
  candidate: Candidate,
): Record<string, unknown> {
  let config = base;
  for (const [path, value] of Object.entries(candidate.values)) {
    config = setPath(config, path, value);
  }
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `upper` deep-merged over `lower`: objects merge, anything else in `upper` replaces. */
export function mergeConfig(lower: unknown, upper: unknown): unknown {
  if (!isPlainObject(lower) || !isPlainObject(upper)) return upper === undefined ? lower : upper;
  const merged: Record<string, unknown> = { ...lower };
  for (const [key, value] of Object.entries(upper)) merged[key] = mergeConfig(lower[key], value);
  return merged;
}

/** A candidate's score under `objective`; a figure that does not exist (no trades) is -Infinity. */
export function objectiveScore(metrics: BacktestMetrics, objective: Objective): number {
  const value = objective === "net_profit" ? metrics.net_profit : metrics[objective];
  return value === null || !Number.isFinite(value) ? -Infinity : value;
}

/** A time range [fromUs, toUs). */
export interface Range {
  readonly fromUs: number;
  readonly toUs: number;
}

/** [startUs, endUs) cut into `count` consecutive blocks of equal time, on whole minutes. */
export function splitBlocks(startUs: number, endUs: number, count: number): Range[] {
  const minute = 60_000_000;
  if (!(endUs - startUs >= count * minute)) {
    throw new RangeError(
      `Cannot cut ${startUs}..${endUs} into ${count} blocks of a minute or more`,
    );
  }
  const edges = Array.from(
    { length: count + 1 },
    (_, i) =>
      i === 0
        ? startUs
        : i === count
        ? endUs
        : Math.round((startUs + ((endUs - startUs) * i) / count) / minute) * minute,
  );
  return edges.slice(0, -1).map((fromUs, i) => ({ fromUs, toUs: edges[i + 1] }));
}

/** What the runner is asked: one backtest over a range, and why. */
export interface RunRequest extends Range {
  readonly config: Record<string, unknown>;
  readonly fold: number;
  readonly sample: "in" | "out";
  readonly candidate: Candidate;
}

/** The figures kept from each run. */
export interface RunSummary {
  readonly trades: number;
  readonly net_profit: number;
  readonly sharpe: number | null;
  readonly calmar: number | null;
  readonly max_drawdown_pct: number;
  readonly score: number | null;
}

export interface FoldResult {
  readonly fold: number;
  readonly inSample: Range;
  readonly outOfSample: Range;
  readonly chosen: Candidate;
  readonly inSampleResult: RunSummary;
  readonly outOfSampleResult: RunSummary;
  /** Every candidate's in-sample score, in candidate order (null: no figure). */
  readonly scores: readonly (number | null)[];
}

export interface WalkForwardResult {
  readonly folds: readonly FoldResult[];
  /** The set chosen on the latest in-sample window (the last fold's choice). */
  readonly final: Candidate;
  /** Out-of-sample folds side by side: each starts from a fresh account. */
  readonly stitched: {
    readonly trades: number;
    readonly net_profit: number;
    readonly worst_max_drawdown_pct: number;
    readonly mean_score: number | null;
  };
}

export interface WalkForwardOptions {
  readonly startUs: number;
  readonly endUs: number;
  /** Folds N: the range is cut into N + 1 blocks. */
  readonly folds: number;
  readonly candidates: readonly Candidate[];
  readonly base: Record<string, unknown>;
  readonly objective: Objective;
  /** Runs one backtest and returns its metrics. */
  readonly run: (request: RunRequest) => Promise<BacktestMetrics>;
  /** Called as each fold finishes (to print its row). */
  readonly onFold?: (fold: FoldResult) => void;
}

function summarise(metrics: BacktestMetrics, objective: Objective): RunSummary {
  const score = objectiveScore(metrics, objective);
  return {
    trades: metrics.trades,
    net_profit: metrics.net_profit,
    sharpe: metrics.sharpe,
    calmar: metrics.calmar,
    max_drawdown_pct: metrics.max_drawdown.pct,
    score: Number.isFinite(score) ? score : null,
  };
}

/**
 * Anchored walk-forward: for fold k (0-based) every candidate runs on blocks 0..k, the best
 * by the objective is chosen (a tie keeps the earlier candidate: list values simplest
 * first), and only the chosen one then runs once on block k + 1. Out-of-sample results
 * are never compared with each other or fed back into any choice.
 */
export async function walkForward(options: WalkForwardOptions): Promise<WalkForwardResult> {
  const { folds: n, candidates, objective } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`folds must be >= 1, got ${n}`);
  if (candidates.length === 0) throw new RangeError("no candidates to search");
  const blocks = splitBlocks(options.startUs, options.endUs, n + 1);
  const folds: FoldResult[] = [];
  for (let k = 0; k < n; k++) {
    const inSample = { fromUs: blocks[0].fromUs, toUs: blocks[k].toUs };
    const outOfSample = blocks[k + 1];
    let best = -1;
    let bestScore = -Infinity;
    let bestMetrics: BacktestMetrics | null = null;
    const scores: (number | null)[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const metrics = await options.run({
        ...inSample,
        config: applyCandidate(options.base, candidates[c]),
        fold: k,
        sample: "in",
        candidate: candidates[c],
      });
      const score = objectiveScore(metrics, objective);
      scores.push(Number.isFinite(score) ? score : null);
      // Strictly better only: a tie keeps the earlier candidate; all -Infinity keeps the first.
      if (best === -1 || score > bestScore) {
        best = c;
        bestScore = score;
        bestMetrics = metrics;
      }
    }
    const chosen = candidates[best];
    const out = await options.run({
      ...outOfSample,
      config: applyCandidate(options.base, chosen),
      fold: k,
      sample: "out",
      candidate: chosen,
    });
    const fold: FoldResult = {
      fold: k,
      inSample,
      outOfSample,
      chosen,
      inSampleResult: summarise(bestMetrics!, objective),
      outOfSampleResult: summarise(out, objective),
      scores,
    };
    folds.push(fold);
    options.onFold?.(fold);
  }
  const outs = folds.map((f) => f.outOfSampleResult);
  const scored = outs.filter((o) => o.score !== null).map((o) => o.score!);
  return {
    folds,
    final: folds[folds.length - 1].chosen,
    stitched: {
      trades: outs.reduce((s, o) => s + o.trades, 0),
      net_profit: outs.reduce((s, o) => s + o.net_profit, 0),
      worst_max_drawdown_pct: Math.max(...outs.map((o) => o.max_drawdown_pct)),
      mean_score: scored.length === outs.length
        ? scored.reduce((s, v) => s + v, 0) / scored.length
        : null,
    },
  };
}

/** Parameter-set ids and sweep job ids are hashes of it. */
export { canonicalJson };

const rangeIso = z.strictObject({ from: z.string(), to: z.string() });
const summarySchema = z.strictObject({
  trades: z.number().int().nonnegative(),
  net_profit: z.number(),
  sharpe: z.number().nullable(),
  calmar: z.number().nullable(),
  max_drawdown_pct: z.number(),
  score: z.number().nullable(),
});
const valueSchema = z.union([z.number(), z.boolean(), z.string()]);

/** A versioned parameter set: the chosen config fragment and the evidence it was chosen on. */
export const paramsFileSchema = z.strictObject({
  version: z.literal(1),
  createdAt: z.iso.datetime(),
  data: z.array(z.strictObject({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1),
  range: rangeIso,
  space: searchSpaceSchema,
  search: z.strictObject({
    method: z.enum(["grid", "random"]),
    candidates: z.number().int().positive(),
    samples: z.number().int().positive().nullable(),
    seed: z.number().int().nullable(),
  }),
  objective: z.enum(OBJECTIVES),
  folds: z.array(z.strictObject({
    fold: z.number().int().nonnegative(),
    inSample: rangeIso.extend({ result: summarySchema }),
    outOfSample: rangeIso.extend({ result: summarySchema }),
    chosen: z.record(z.string(), valueSchema),
  })).min(1),
  stitched: z.strictObject({
    trades: z.number().int().nonnegative(),
    net_profit: z.number(),
    worst_max_drawdown_pct: z.number(),
    mean_score: z.number().nullable(),
  }),
  chosen: z.record(z.string(), valueSchema),
  /** The backtest config fragment: the base config with the chosen values set. */
  config: z.record(z.string(), z.unknown()),
});
export type ParamsFile = z.infer<typeof paramsFileSchema>;

/** A parameter set's version: SHA-256 of its canonical JSON (the file is named `<id>.json`). */
export function paramsId(document: ParamsFile): string {
  return createHash("sha256").update(canonicalJson(document)).digest("hex");
}

/**
 * Validates a parameter-set file's parsed JSON. When the file name is a version id
 * (`<64 hex>.json`) the content must hash to it, so an edited file is refused.
 */
export function parseParamsFile(
  value: unknown,
  fileName: string,
): { document: ParamsFile; id: string } {
  const result = paramsFileSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`);
    throw new TypeError(`Parameter set "${fileName}" is invalid: ${problems.join("; ")}`);
  }
  const id = paramsId(result.data);
  const named = /([0-9a-f]{64})\.json$/.exec(fileName)?.[1];
  if (named !== undefined && named !== id) {
    throw new TypeError(
      `Parameter set "${fileName}" was changed after it was written: its content hashes to "${id}"`,
    );
  }
  return { document: result.data, id };
}
