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

/** A trained model: its id and the out-of-sample tables its training printed. */
interface Trained {
  readonly id: string;
  readonly walkForward: string;
}

/** The training's out-of-sample tables: from the first "Out of sample" to the calibration. */
function walkForwardTables(stdout: string): string {
  const start = stdout.indexOf("Out of sample");
  const end = stdout.indexOf("Calibration", start);
  if (start < 0 || end < 0) throw new Error(`train printed no walk-forward tables:\n${stdout}`);
  return stdout.slice(start, end).trimEnd();
}

async function train(to: string, registry: string, config?: string): Promise<Trained> {
  const out = await cli([
    "train",
    ...FILES.flatMap((f) => ["--data", f]),
    "--to",
    to,
    "--registry",
    registry,
    ...(config === undefined ? [] : ["--config", config]),
  ]);
  return {
    id: /model ([0-9a-f]{64}) registered/.exec(out)![1],
    walkForward: walkForwardTables(out),
  };
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
  models: Trained[];
}[] = [];
const loadBefore = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
const started = new Date();
for (const step of STEPS) {
  console.error(`step ${step.from} .. ${step.to}: training on everything before ${step.from}`);
  const registry = `${work}/models-${step.from}`;
  const direction = await train(step.from, registry);
  const meta = await train(step.from, registry, META_CONFIG);
  const runs = {
    "technical only": await backtest(`technical-${step.from}`, step, ["--no-ml"]),
    "direction model": await backtest(`direction-${step.from}`, step, [
      "--model",
      direction.id,
      "--registry",
      registry,
    ]),
    "meta-labeled": await backtest(`meta-${step.from}`, step, [
      "--model",
      meta.id,
      "--registry",
      registry,
    ]),
  };
  results.push({ step, runs, models: [direction, meta] });
}

const f2 = (x: number | null | undefined) => (x == null ? "n/a" : x.toFixed(2));
const pct = (x: number | null | undefined) => (x == null ? "n/a" : `${(x * 100).toFixed(1)}%`);
const rows: string[] = [];
for (const { step, runs, models } of results) {
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
        r === null ? "n/a" : `${f2(r.net_profit.p50)} (${r.trades.p50.toFixed(0)} trades)`
      } | ${d.halts.length} |`,
    );
  }
  const bh = runs["technical only"].metrics.buy_and_hold;
  rows.push(
    `| ${step.from} .. ${step.to} | buy and hold | 1 | ${f2(bh?.pnl)} | | | | | | | |`,
    `| | models | direction \`${models[0].id.slice(0, 12)}…\`, meta \`${
      models[1].id.slice(0, 12)
    }…\` | | | | | | | | |`,
  );
}

/** Over both half-years: trades, net, and how often each strategy ranked above chance. */
const totals = STRATEGIES.map((name) => {
  const docs = results.map((r) => r.runs[name]);
  const above = docs.filter((d) => (d.baseline.random?.percentile.net_profit ?? 0) > 50).length;
  const p95 = docs.filter((d) => (d.baseline.random?.percentile.net_profit ?? 0) >= 95).length;
  const trades = docs.reduce((sum, d) => sum + d.metrics.trades, 0);
  const net = docs.reduce((sum, d) => sum + d.metrics.net_profit, 0);
  return `| ${name} | ${trades} | ${
    f2(net)
  } | ${above} of ${docs.length} | ${p95} of ${docs.length} |`;
});
const buyAndHold = results.reduce(
  (sum, r) => sum + (r.runs["technical only"].metrics.buy_and_hold?.pnl ?? 0),
  0,
);
const tables = results.map(({ step, models }) =>
  `### Trained on everything before ${step.from}

Direction model \`${models[0].id.slice(0, 12)}…\` (the default training config):

\`\`\`text
${models[0].walkForward}
\`\`\`

Meta-labeling model \`${models[1].id.slice(0, 12)}…\` (\`models/configs/meta_2017.json\`):

\`\`\`text
${models[1].walkForward}
\`\`\``
).join("\n\n");

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

Both half-years together (buy and hold: ${f2(buyAndHold)}):

| strategy | trades | net | half-years above chance's median on net | half-years at or above its 95th percentile |
| --- | ---: | ---: | --- | --- |
${totals.join("\n")}

How to read this: a strategy has shown an edge only where it beats chance's 95th percentile again
and again, out of sample; a percentile between 5 and 95 is what random entries with the same
levels, risk and broker do by luck. With a few dozen trades or fewer a half-year, these figures
cannot tell a small edge from none, in either direction.

## The models' walk-forward, as \`deno task train\` printed it

Every figure below is out of sample: each fold is scored by a model trained on the folds before it
(purged and embargoed, docs/models.md). For the meta-labeling model the first table is the gate's:
the candidates of the primary in the test fold, and those whose p(win) reached the threshold
chosen inside the fold's training window.

${tables}

Run on ${started.toISOString().slice(0, 16)}Z, load average ${loadBefore} at the start (the results
do not depend on the load; only the time taken does).
`;
await Deno.writeTextFile(values.out!, doc);
console.log(doc);
