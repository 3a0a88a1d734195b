/**
 * What a researcher waits for: whole `deno task optimize` and `deno task sweep` processes on
 * HistData 2018 with `bench/trade_all_year.json`, technical only, each the median of N runs,
 * alternating, after one unmeasured warm-up of each, with the 1-minute load average before
 * and after:
 * - optimize: the four candidates of `bench/research_space.json` in 3 folds (15 backtests);
 * - sweep: a grid of six points over the first half of 2018 on 2 local Workers (6 jobs),
 *   each run into a new SQLite file (a rerun would skip the stored results).
 * Each is timed with the read cache (docs/data.md) in a folder of the bench's own that the
 * warm-up fills (a researcher's next run), and with an empty folder each run (the first time
 * the windows are read), each checkout as its own `deno task` runs it (`_task.ts`).
 *
 * `--baseline DIR` also times another checkout in the same alternation (without the cache
 * when it has none). Every run of every variant must choose the same parameter set and
 * store the same sweep rows, or the bench stops, naming the variant: speed never at the
 * cost of another answer. It writes only in a temporary folder. Heavy: never part of the
 * test suite.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run --allow-sys=loadavg
 *     bench/research_bench.ts [--repeats 5] [--baseline DIR]
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import { HISTDATA_2018, TRADE_ALL_YEAR } from "./_model.ts";
import { median } from "./_stats.ts";
import { commandTakesFlag, denoJsonOf, taskFlags } from "./_task.ts";
import { repeatsOf, requireDataFile } from "./_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    baseline: { type: "string" },
  },
  strict: true,
});
const repeats = repeatsOf(values.repeats, "research bench");
await requireDataFile(HISTDATA_2018, "research bench");

const SPACE = fileURLToPath(new URL("./research_space.json", import.meta.url));
const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const checkoutMains = values.baseline === undefined ? [main] : [main, `${values.baseline}/main.ts`];
for (const m of checkoutMains) {
  if (!(await Deno.stat(m).then(() => true, () => false))) {
    console.error(`research bench: ${m} is missing. Nothing was measured.`);
    Deno.exit(2);
  }
}
const out = await Deno.makeTempDir({ prefix: "research-bench-" });
const SWEEP_CONFIG = `${out}/sweep.json`;
await Deno.writeTextFile(
  SWEEP_CONFIG,
  JSON.stringify({
    data: [HISTDATA_2018],
    noMl: true,
    config: JSON.parse(await Deno.readTextFile(TRADE_ALL_YEAR)),
    jobs: [{
      kind: "grid",
      name: "grid",
      from: "2018-01-02",
      to: "2018-07-01",
      space: { "risk.riskPercent": [0.25, 0.5, 1], "risk.positions.maxOpen": [1, 2] },
    }],
  }),
);

type Command = "optimize" | "sweep";

/** One command line of one checkout, with its read cache. */
interface Variant {
  readonly name: string;
  readonly command: Command;
  readonly main: string;
  /** Its checkout's `deno task <command>` flags. */
  readonly flags: readonly string[];
  /**
   * The read cache: "kept", a folder of the variant's own that the warm-up fills; "empty",
   * a new folder each run; none for a checkout whose command has no read cache.
   */
  readonly readCache?: "kept" | "empty";
  readonly keptDir: string;
}

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** What the run answered: the parameter set (without its time) or the sweep's rows. */
  readonly answer: string;
}

async function runOnce(variant: Variant, i: number): Promise<Run> {
  const cacheDir = variant.readCache === "kept"
    ? variant.keptDir
    : variant.readCache === "empty"
    ? `${out}/read-cache-${i}`
    : null;
  const result = `${out}/run-${i}`;
  const args = variant.command === "optimize"
    ? [
      "--data",
      HISTDATA_2018,
      "--space",
      SPACE,
      "--no-ml",
      "--config",
      TRADE_ALL_YEAR,
      "--out",
      result,
    ]
    : ["--config", SWEEP_CONFIG, "--workers", "2", "--out", `${result}.sqlite`];
  const timeFile = `${out}/time-${i}.txt`;
  const started = performance.now();
  const output = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "%U %S",
      "-o",
      timeFile,
      Deno.execPath(),
      "run",
      ...variant.flags,
      "--config",
      denoJsonOf(variant.main),
      variant.main,
      variant.command,
      ...args,
      "--quiet",
      ...(cacheDir === null ? [] : ["--cache-dir", cacheDir]),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (variant.readCache === "empty") await Deno.remove(cacheDir!, { recursive: true });
  if (!output.success) {
    console.error(new TextDecoder().decode(output.stderr));
    throw new Error(`research bench: "${variant.name}" failed (exit code ${output.code})`);
  }
  const [user, system] = (await Deno.readTextFile(timeFile)).trim().split(/\s+/).map(Number);
  return { seconds, cpuSeconds: user + system, answer: await answerOf(variant.command, result) };
}

/** The chosen set without the time it was written, or every row of the sweep's table. */
async function answerOf(command: Command, result: string): Promise<string> {
  if (command === "optimize") {
    const [name] = [...Deno.readDirSync(result)].map((e) => e.name).filter((n) =>
      n.endsWith(".json")
    );
    const { createdAt: _, ...set } = JSON.parse(await Deno.readTextFile(`${result}/${name}`));
    return JSON.stringify(set);
  }
  const db = new DatabaseSync(`${result}.sqlite`, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT entry, label, trades, net_profit, sharpe, score, params, detail FROM sweep_rows " +
        "ORDER BY entry, label",
    ).all();
    return JSON.stringify(rows);
  } finally {
    db.close();
  }
}

const variants: Variant[] = [];
for (const [c, m] of checkoutMains.entries()) {
  const label = checkoutMains.length === 1
    ? ""
    : c === 0
    ? " (this checkout)"
    : ` (baseline ${values.baseline})`;
  const denoJson = denoJsonOf(m);
  const text = await Deno.readTextFile(denoJson);
  for (const command of ["optimize", "sweep"] as const) {
    const flags = taskFlags(text, denoJson, command);
    // A checkout whose command has no read cache runs as it is.
    const cached = await commandTakesFlag(m, flags, command, "--cache-dir");
    const caches = cached ? ["kept", "empty"] as const : [undefined];
    for (const readCache of caches) {
      const how = readCache === "kept"
        ? ", windows read before (read cache)"
        : readCache === "empty"
        ? ", first time (empty read cache)"
        : "";
      variants.push({
        name: `${command}${how}${label}`,
        command,
        main: m,
        flags,
        readCache,
        keptDir: `${out}/kept-${variants.length}`,
      });
    }
  }
}

const loadAverage = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
const loadBefore = loadAverage();
let n = 0;
const answers = new Map<Command, string>();
/** Stops the bench when a run answered otherwise than the first run of its command. */
function check(variant: Variant, run: Run): void {
  const first = answers.get(variant.command);
  if (first === undefined) answers.set(variant.command, run.answer);
  else if (first !== run.answer) {
    throw new Error(
      `research bench: "${variant.name}" answered otherwise than the first ${variant.command}`,
    );
  }
}
for (const variant of variants) check(variant, await runOnce(variant, n++)); // warm-up
const runs: Run[][] = variants.map(() => []);
for (let r = 1; r <= repeats; r++) {
  for (const [v, variant] of variants.entries()) {
    const run = await runOnce(variant, n++);
    check(variant, run);
    runs[v].push(run);
    console.error(
      `  ${variant.name}, run ${r}/${repeats}: ${run.seconds.toFixed(2)} s wall, ` +
        `${run.cpuSeconds.toFixed(2)} s CPU; load ${loadAverage()}`,
    );
  }
}
await Deno.remove(out, { recursive: true });

console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; whole \`deno task\` ` +
    `processes on HistData M1 2018 with bench/trade_all_year.json, --no-ml: optimize 4 ` +
    `candidates x 3 folds, sweep 6 grid points over 2018-01-02..2018-07-01 on 2 Workers; ` +
    `median of ${repeats} runs each, alternating, after one warm-up each; every run chose the ` +
    `same set and stored the same rows; load average (1, 5, 15 min) ${loadBefore} before, ` +
    `${loadAverage()} after`,
);
console.log("| process | median s | min s | max s | median CPU s |");
console.log("|---|---:|---:|---:|---:|");
for (const [v, variant] of variants.entries()) {
  const seconds = runs[v].map((r) => r.seconds);
  console.log(
    `| ${variant.name} | ${median(seconds).toFixed(2)} | ${Math.min(...seconds).toFixed(2)} | ${
      Math.max(...seconds).toFixed(2)
    } | ${median(runs[v].map((r) => r.cpuSeconds)).toFixed(2)} |`,
  );
}
