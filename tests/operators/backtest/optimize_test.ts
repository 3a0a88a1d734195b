import assert from "node:assert/strict";
import { basename } from "node:path";
import {
  type BacktestMetrics,
  type Candidate,
  gridCandidates,
  parseBacktestJson,
  parseParamsFile,
  parseSearchSpace,
  randomCandidates,
  type RunRequest,
  splitBlocks,
  walkForward,
} from "../../../operators/backtest/mod.ts";
import { parseTradingConfig } from "../../../pipeline/commands/strategy.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "../../pipeline/commands/_run.ts";
import { readCacheEntries } from "../../sources/_util.ts";

const check = (config: unknown) => parseTradingConfig(config, "config");

Deno.test("parseSearchSpace() accepts dotted paths the backtest config knows", () => {
  const space = parseSearchSpace(
    { "fusion.gate": [0.4, 0.5], "fusion.levels.stopAtr": [1.5, 3, 5], "risk.riskPercent": [0.25] },
    check,
  );
  assert.deepEqual(space.map((p) => p.path), [
    "fusion.gate",
    "fusion.levels.stopAtr",
    "risk.riskPercent",
  ]);
  assert.equal(gridCandidates(space).length, 6);
});

Deno.test("parseSearchSpace() refuses unknown paths and bad values", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ["an unknown leaf", { "fusion.gat": [0.4] }, /fusion\.gat/],
    ["an unknown nested key", { "risk.dailyLoss.maxPercnt": [1] }, /maxPercnt/],
    ["a root that does not trade", { "monteCarlo.runs": [100] }, /dotted path/],
    ["a path to an object", { "fusion.levels": [3] }, /fusion\.levels/],
    ["a value out of bounds", { "fusion.gate": [0.5, 1.5] }, /1\.5/],
    ["a value of the wrong type", { "risk.riskPercent": ["half"] }, /riskPercent/],
    ["an empty list", { "fusion.gate": [] }, /fusion\.gate/],
    ["repeated values", { "fusion.gate": [0.5, 0.5] }, /repeated/],
    ["no parameters", {}, /no parameters/],
    ["not an object", [1, 2], /invalid/],
  ];
  for (const [name, space, message] of cases) {
    await t.step(name, () => assert.throws(() => parseSearchSpace(space, check), message));
  }
});

Deno.test("randomCandidates() is deterministic by seed and draws distinct grid points", () => {
  const space = parseSearchSpace(
    { "fusion.gate": [0.3, 0.4, 0.5, 0.6], "fusion.levels.stopAtr": [1.5, 2, 3, 5] },
    check,
  );
  const a = randomCandidates(space, 5, 7);
  assert.deepEqual(randomCandidates(space, 5, 7), a);
  assert.equal(new Set(a.map((c) => c.index)).size, 5);
  const grid = gridCandidates(space);
  for (const c of a) assert.deepEqual(c, grid[c.index]);
  const others = [1, 2, 3, 4, 5].map((seed) => randomCandidates(space, 5, seed));
  assert.ok(others.some((o) => JSON.stringify(o) !== JSON.stringify(a)), "seeds differ");
  assert.equal(randomCandidates(space, 99, 7).length, 16, "more samples than points: the grid");
});

function fakeMetrics(netProfit: number): BacktestMetrics {
  return {
    trades: 10,
    net_profit: netProfit,
    sharpe: netProfit / 100,
    calmar: null,
    max_drawdown: { pct: 1 },
  } as unknown as BacktestMetrics;
}

Deno.test("walkForward() chooses on in-sample ranges only and runs the choice once out of sample", async () => {
  const day = 86_400_000_000;
  const startUs = Date.UTC(2017, 0, 2) * 1000;
  const endUs = startUs + 40 * day;
  const candidates: Candidate[] = [0, 1, 2].map((index) => ({
    index,
    values: { "fusion.gate": 0.4 + index / 10 },
  }));
  const requests: RunRequest[] = [];
  const result = await walkForward({
    startUs,
    endUs,
    folds: 3,
    candidates,
    base: {},
    objective: "net_profit",
    run: (request) => {
      requests.push(request);
      // In sample candidate 1 is best; out of sample candidate 2 would be: a selection that
      // peeked out of sample would pick 2.
      const c = request.candidate.index;
      return Promise.resolve(
        fakeMetrics(request.sample === "in" ? [10, 30, 20][c] : [-5, -5, 100][c]),
      );
    },
  });
  const blocks = splitBlocks(startUs, endUs, 4);
  assert.equal(blocks.length, 4);
  for (let k = 0; k < 3; k++) {
    const ins = requests.filter((r) => r.fold === k && r.sample === "in");
    assert.equal(ins.length, 3, "every candidate runs in sample");
    for (const r of ins) {
      assert.equal(r.fromUs, startUs);
      assert.equal(r.toUs, blocks[k].toUs);
      assert.ok(r.toUs <= blocks[k + 1].fromUs, "in sample ends before out of sample starts");
    }
    const outs = requests.filter((r) => r.fold === k && r.sample === "out");
    assert.equal(outs.length, 1, "only the chosen candidate runs out of sample");
    assert.deepEqual([outs[0].fromUs, outs[0].toUs], [blocks[k + 1].fromUs, blocks[k + 1].toUs]);
    assert.equal(outs[0].candidate.index, 1);
    assert.deepEqual(outs[0].config, { fusion: { gate: 0.5 } });
    // The out-of-sample run comes after every in-sample run of its fold.
    assert.ok(requests.indexOf(outs[0]) > Math.max(...ins.map((r) => requests.indexOf(r))));
  }
  assert.deepEqual(result.folds.map((f) => f.chosen.index), [1, 1, 1]);
  assert.equal(result.final.index, 1);
  assert.equal(result.stitched.net_profit, -15);
});

Deno.test("walkForward() breaks ties toward the earlier candidate", async () => {
  const result = await walkForward({
    startUs: 0,
    endUs: 10 * 86_400_000_000,
    folds: 1,
    candidates: [0, 1].map((index) => ({ index, values: { "risk.riskPercent": index + 1 } })),
    base: {},
    objective: "calmar",
    run: () => Promise.resolve(fakeMetrics(5)),
  });
  assert.equal(result.final.index, 0);
});

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** A temporary folder holding `space.json`: two values of the levels' stop distance. */
async function folderWithSpace(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/space.json`,
    JSON.stringify({ "fusion.levels.stopAtr": [1.5, 3] }),
  );
  return dir;
}

/** `optimize` over 2017 up to March in 2 folds on `dir`'s space, the set written to `out`. */
function optimizeEarly2017(dir: string, out: string, ...flags: string[]) {
  return runCli([
    "optimize",
    "--data",
    dataPath(HISTDATA_2017),
    "--to",
    "2017-03-01",
    "--no-ml",
    "--space",
    `${dir}/space.json`,
    "--folds",
    "2",
    "--out",
    out,
    ...flags,
  ]);
}

dataTest(
  "optimize writes a parameter set that loads back and that backtest --params applies",
  HISTDATA_2017,
  async () => {
    const dir = await folderWithSpace();
    const data = dataPath(HISTDATA_2017);
    const opt = await optimizeEarly2017(dir, `${dir}/params`, "--objective", "net_profit");
    assert.equal(opt.code, 0, opt.stderr);
    assert.match(opt.stdout, /fold 1: chose #\d/);
    assert.match(opt.stdout, /stitched out of sample/);
    const names = [...Deno.readDirSync(`${dir}/params`)].map((entry) => entry.name).sort();
    const name = names.find((n) => n.endsWith(".json"))!;
    const file = `${dir}/params/${name}`;
    const { document, id } = parseParamsFile(JSON.parse(await Deno.readTextFile(file)), name);
    assert.deepEqual(
      names,
      [`${id}.html`, `${id}.json`],
      "the set and its heatmap page, named by the hash of the set's content",
    );
    const heatmap = await Deno.readTextFile(`${dir}/params/${id}.html`);
    // Two candidates in two folds, drawn twice (the per-fold grid and the full table): eight
    // score cells, each fold's choice starred in both.
    assert.equal((heatmap.match(/<td class="s[^"]*" style="background:/g) ?? []).length, 8);
    assert.equal((heatmap.match(/ ★<\/td>/g) ?? []).length, 4);
    assert.equal(document.folds.length, 2);
    assert.match(document.data[0].sha256, /^[0-9a-f]{64}$/);
    const chosen = document.chosen["fusion.levels.stopAtr"];
    assert.deepEqual(document.chosen, document.folds[1].chosen, "the latest window's choice");

    // Rerun the last out-of-sample block with the set: the same trades, the same stop.
    const last = document.folds[1].outOfSample;
    const bt = await runCli([
      "backtest",
      "--data",
      data,
      "--from",
      last.from,
      "--to",
      last.to,
      "--no-ml",
      "--params",
      file,
      "--json",
      `${dir}/bt.json`,
      "--report",
      `${dir}/bt.html`,
    ]);
    assert.equal(bt.code, 0, bt.stderr);
    const doc = parseBacktestJson(JSON.parse(await Deno.readTextFile(`${dir}/bt.json`)), "bt.json");
    const config = doc.config as {
      fusion: { levels: { stopAtr: number } };
      params: { id: string };
    };
    assert.equal(config.fusion.levels.stopAtr, chosen);
    assert.equal(config.params.id, id);
    assert.equal(doc.metrics.trades, last.result.trades);
    assert.ok(Math.abs(doc.metrics.net_profit - last.result.net_profit) < 1e-6);

    // An edited set no longer matches its name and is refused.
    const edited = JSON.parse(await Deno.readTextFile(file));
    edited.config.fusion.levels.stopAtr = 9;
    await Deno.writeTextFile(file, JSON.stringify(edited));
    assert.throws(() => parseParamsFile(edited, basename(file)), /changed after it was written/);
    await Deno.remove(dir, { recursive: true });
  },
);

dataTest(
  "optimize keeps each fold's windows in the read cache and chooses the same set from it as from the file",
  HISTDATA_2017,
  async () => {
    const dir = await folderWithSpace();
    const cache = `${dir}/cache`;
    const optimize = async (out: string, ...cacheFlags: string[]) => {
      const run = await optimizeEarly2017(dir, `${dir}/${out}`, ...cacheFlags);
      assert.equal(run.code, 0, run.stderr);
      const [name] = [...Deno.readDirSync(`${dir}/${out}`)].map((entry) => entry.name)
        .filter((n) => n.endsWith(".json"));
      // Everything the set says but when it was made.
      const { createdAt: _, ...set } = JSON.parse(await Deno.readTextFile(`${dir}/${out}/${name}`));
      return set;
    };
    const fromFile = await optimize("from_file", "--no-cache");
    const keeping = await optimize("keeping", "--cache-dir", cache);
    // The range read whole, then each fold's two windows (warm-up included): 1 + 2 x 2.
    const kept = await readCacheEntries(cache);
    assert.equal(kept.length, 5, kept.join());
    const fromCache = await optimize("from_cache", "--cache-dir", cache);
    assert.deepEqual(
      await readCacheEntries(cache),
      kept,
      "every window read from its entry, none added",
    );
    assert.deepEqual(keeping, fromFile);
    assert.deepEqual(fromCache, fromFile);
    await Deno.remove(dir, { recursive: true });
  },
);
