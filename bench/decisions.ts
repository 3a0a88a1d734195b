/**
 * Does the model help? Walks forward over 2017 then 2018, training only on the past at
 * each step, and backtests each step's out-of-sample half-year three ways on the same
 * data, risk engine and broker: the technical strategy alone, the fused direction model
 * (the default ensemble) and the meta-labeled strategy (models/configs/meta_2017.json).
 * Each backtest carries its own random-entry baseline and buy-and-hold. Halts are
 * recorded rather than enforced (`risk.onHalt: "record"`), so each strategy is judged
 * over the whole half-year. Writes docs/results/decisions.md (or `--out`) from what it
 * measured, and nothing else.
 *
 * Usage: deno run -A bench/decisions.ts [--out docs/results/decisions.md] [--work out/decisions]
 * It trains two models per step and takes tens of minutes.
 */

import { parseArgs } from "node:util";
import type { BacktestJson } from "../operators/backtest/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const DATA = new URL("../../shared/data/xauusd_m1_histdata/", import.meta.url).pathname;
const FILES = ["2017", "2018"].map((y) => `${DATA}DAT_ASCII_XAUUSD_M1_${y}.csv.gz`);
const META_CONFIG = new URL("../models/configs/meta_2017.json", import.meta.url).pathname;
const STEPS = [
  { from: "2018-01-01", to: "2018-07-01" },
  { from: "2018-07-01", to: "2019-01-01" },
] as const;
const STRATEGIES = ["technical only", "direction model", "meta-labeled"] as const;
type StrategyName = typeof STRATEGIES[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: {
      type: "string",
      default: new URL("../docs/results/decisions.md", import.meta.url).pathname,
    },
    work: { type: "string", default: "out/decisions" },
  },
  strict: true,
});
const work = values.work!;
await Deno.mkdir(work, { recursive: true });
const research = `${work}/research.json`;
await Deno.writeTextFile(research, JSON.stringify({ risk: { onHalt: "record" } }));

/** Runs `main.ts` with `args`; returns stdout, throws with stderr on failure. */
async function cli(args: string[]): Promise<string> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (out.code !== 0) throw new Error(`${args.slice(0, 2).join(" ")} failed:\n${text(out.stderr)}`);
  console.error(`  ${args[0]} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return text(out.stdout);
}

async function train(to: string, registry: string, config?: string): Promise<string> {
  const out = await cli([
    "train",
    ...FILES.flatMap((f) => ["--data", f]),
    "--to",
    to,
    "--registry",
    registry,
    ...(config === undefined ? [] : ["--config", config]),
  ]);
  return /model ([0-9a-f]{64}) registered/.exec(out)![1];
}

async function backtest(name: string, step: typeof STEPS[number], model: string[]) {
  const json = `${work}/${name}.json`;
  await cli([
    "backtest",
    ...FILES.flatMap((f) => ["--data", f]),
    "--from",
    step.from,
    "--to",
    step.to,
    "--config",
    research,
    ...model,
    "--json",
    json,
    "--report",
    `${work}/${name}.html`,
  ]);
  return JSON.parse(await Deno.readTextFile(json)) as BacktestJson;
}

const results: {
  step: typeof STEPS[number];
  runs: Record<StrategyName, BacktestJson>;
  ids: string[];
}[] = [];
for (const step of STEPS) {
  console.error(`step ${step.from} .. ${step.to}: training on everything before ${step.from}`);
  const registry = `${work}/models-${step.from}`;
  const direction = await train(step.from, registry);
  const meta = await train(step.from, registry, META_CONFIG);
  const runs = {
    "technical only": await backtest(`technical-${step.from}`, step, ["--no-ml"]),
    "direction model": await backtest(`direction-${step.from}`, step, [
      "--model",
      direction,
      "--registry",
      registry,
    ]),
    "meta-labeled": await backtest(`meta-${step.from}`, step, [
      "--model",
      meta,
      "--registry",
      registry,
    ]),
  };
  results.push({ step, runs, ids: [direction, meta] });
}

const f2 = (x: number | null | undefined) => (x == null ? "n/a" : x.toFixed(2));
const pct = (x: number | null | undefined) => (x == null ? "n/a" : `${(x * 100).toFixed(1)}%`);
const rows: string[] = [];
for (const { step, runs, ids } of results) {
  for (const name of STRATEGIES) {
    const d = runs[name];
    const m = d.metrics;
    const r = d.baseline.random;
    const ml = d.sources.ml;
    rows.push(
      `| ${step.from} .. ${step.to} | ${name} | ${m.trades} | ${f2(m.net_profit)} | ${
        f2(m.profit_factor)
      } | ${f2(m.sharpe)} | ${f2(m.max_drawdown.pct)}% | ${
        ml.configured ? `${pct(ml.coverage)} of ${ml.decision_bars.toLocaleString("en-US")}` : "-"
      } | ${
        r === null
          ? "n/a"
          : `${r.percentile.net_profit.toFixed(0)} / ${
            r.percentile.profit_factor?.toFixed(0) ?? "n/a"
          } / ${r.percentile.sharpe?.toFixed(0) ?? "n/a"}`
      } | ${
        r === null ? "n/a" : `${f2(r.net_profit.p50)} (${f2(r.trades.p50)} trades)`
      } | ${d.halts.length} |`,
    );
  }
  const bh = runs["technical only"].metrics.buy_and_hold;
  rows.push(
    `| ${step.from} .. ${step.to} | buy and hold | 1 | ${f2(bh?.pnl)} | | | | | | | |`,
    `| | models | direction \`${ids[0].slice(0, 12)}…\`, meta \`${
      ids[1].slice(0, 12)
    }…\` | | | | | | | | |`,
  );
}

const doc = `# Does the model help? Walk-forward results, as produced

Written by \`deno run -A bench/decisions.ts\` (this file is its output; rerun it to check). Each step
trains on everything before it (2017, then 2017 and the first half of 2018) and backtests the next
half-year of 2018, with the history before \`--from\` read as warm-up, on the same data, risk engine
and simulated broker. Halts are recorded, not enforced (\`risk.onHalt: "record"\`), so every
strategy trades the whole half-year; the column "halts" counts the limits it would have hit.

- **technical only**: \`--no-ml\`, the technical scorer alone (\`TECHNICAL_ONLY\`).
- **direction model**: the default ensemble (\`deno task train\` defaults) fused as a directional vote
  with the technical scorer (\`FUSION_DEFAULTS\`).
- **meta-labeled**: the technical primary gated by a meta-labeling model
  (\`models/configs/meta_2017.json\`, docs/models.md "Meta-labeling").
- **chance**: each backtest's own 30 random-entry runs, calibrated to its trade count; the
  percentiles are the strategy's rank among them on net profit / profit factor / Sharpe (50 is
  chance, docs/backtest-metrics.md).
- **coverage**: decision bars the model voted on, over the bars it is asked about (every bar for a
  direction model, the primary's candidates for a meta model).

| period | strategy | trades | net | profit factor | Sharpe | max DD | model coverage | percentile vs chance (net / PF / Sharpe) | chance median net | halts |
| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |
${rows.join("\n")}
`;
await Deno.writeTextFile(values.out!, doc);
console.log(doc);
