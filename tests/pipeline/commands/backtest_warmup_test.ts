/**
 * Warm-up and model coverage on real data, through the command line: a small model
 * trained on 2017 to mid-March votes on every decision bar of a 2018 backtest, whether trading
 * starts at `--from` (the history before it read from the same file, or from 2017 then
 * 2018 as one history) or once the sources are warm; a `--from` the data cannot reach is
 * a clear error.
 */

import assert from "node:assert/strict";
import type { BacktestJson } from "@/operators/backtest/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { runCli } from "./_run.ts";

const Y2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const Y2018 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz";

const SMALL_MODEL = {
  description: "warm-up test model",
  sampleEvery: 10,
  walkForward: { folds: 2, minTrainRows: 500 },
  innerFolds: 2,
  members: [{ type: "gbdt", params: { nRounds: 20, maxDepth: 3 } }],
};

async function trainSmallModel(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(SMALL_MODEL));
  const trained = await runCli([
    "train",
    "--data",
    dataPath(Y2017),
    "--to",
    "2017-03-15",
    "--config",
    `${dir}/model.json`,
    "--registry",
    `${dir}/models`,
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  return /model ([0-9a-f]{64}) registered/.exec(trained.stdout)![1];
}

async function backtest(dir: string, name: string, args: string[]): Promise<BacktestJson> {
  const result = await runCli([
    "backtest",
    ...args,
    "--registry",
    `${dir}/models`,
    "--baseline-runs",
    "0",
    "--json",
    `${dir}/${name}.json`,
    "--report",
    `${dir}/${name}.html`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`));
}

dataTest(
  "backtest with a model votes on every decision bar from --from, warm from the history before it",
  [
    Y2017,
    Y2018,
  ],
  async (t) => {
    const dir = await Deno.makeTempDir();
    const model = await trainSmallModel(dir);
    const window = ["--from", "2018-03-01", "--to", "2018-03-10", "--model", model];

    const single = await backtest(dir, "single", ["--data", dataPath(Y2018), ...window]);
    await t.step("trading starts at --from with every source warm", () => {
      const w = single.warmup;
      assert.equal(w.requested_from_utc, "2018-03-01T00:00:00Z");
      // 2018-03-01 is a Thursday: its first M1 bar opens at midnight UTC.
      assert.equal(w.trading_start_utc, "2018-03-01T00:00:00Z");
      assert.equal(single.period.start_utc, "2018-03-01T00:00:00Z");
      assert.ok(w.history_start_utc < "2018-02-01", `history read from ${w.history_start_utc}`);
      assert.ok(w.warm_bars > 20_000, `${w.warm_bars} warm-up bars`);
      assert.equal(w.complete, true, w.notes.join("; "));
      assert.ok(single.trades.every((tr) => tr.entry_time_utc >= "2018-03-01"));
    });
    await t.step("the model voted on at least 99% of the decision bars", () => {
      const ml = single.sources.ml;
      assert.equal(ml.configured, true);
      assert.ok(ml.coverage >= 0.99, `coverage ${ml.coverage}`);
      assert.equal(ml.decision_bars, single.sources.technical.decision_bars);
      assert.ok(ml.first_vote_utc! < "2018-03-01", `first vote ${ml.first_vote_utc}`);
      assert.equal(single.config.ml && (single.config.ml as { modelId: string }).modelId, model);
    });

    await t.step("2017 then 2018 read as one history gives the same run", async () => {
      const both = await backtest(dir, "both", [
        "--data",
        dataPath(Y2017),
        "--data",
        dataPath(Y2018),
        ...window,
      ]);
      assert.deepEqual(both.trades, single.trades);
      assert.deepEqual(both.sources, single.sources);
      assert.equal(both.warmup.trading_start_utc, single.warmup.trading_start_utc);
    });

    await t.step(
      "without --from, trading starts once every source is warm, and says when",
      async () => {
        const cold = await backtest(dir, "cold", [
          "--data",
          dataPath(Y2018),
          "--to",
          "2018-03-10",
          "--model",
          model,
        ]);
        const w = cold.warmup;
        assert.equal(w.requested_from_utc, null);
        assert.equal(w.history_start_utc, "2018-01-01T23:01:00Z");
        assert.equal(w.complete, true);
        // The regime detector needs the most: 744 H1 bars, about six and a half weeks.
        assert.ok(
          w.trading_start_utc > "2018-02-10" && w.trading_start_utc < "2018-02-20",
          w.trading_start_utc,
        );
        assert.ok(cold.sources.ml.coverage >= 0.99, `coverage ${cold.sources.ml.coverage}`);
      },
    );

    await t.step(
      "a --from before the data starts is refused, naming the flag, the file and both times",
      async () => {
        const result = await runCli([
          "backtest",
          "--data",
          dataPath(Y2018),
          "--from",
          "2017-06-01",
          "--to",
          "2018-01-10",
          "--no-ml",
          "--json",
          `${dir}/x.json`,
          "--report",
          `${dir}/x.html`,
        ]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stderr,
          /--from 2017-06-01T00:00:00Z is before the data starts: the first bar of .*DAT_ASCII_XAUUSD_M1_2018\.csv\.gz opens 2018-01-01T23:01:00Z/,
        );
      },
    );
    await Deno.remove(dir, { recursive: true });
  },
);

dataTest(
  "a halted backtest leads its summary and its JSON with when, why and how much went untraded",
  Y2018,
  async () => {
    const dir = await Deno.makeTempDir();
    // A drawdown limit of 1% with a matching daily limit: the first bad days halt it.
    await Deno.writeTextFile(
      `${dir}/tight.json`,
      JSON.stringify({
        risk: { maxDrawdownPercent: 1, dailyLoss: { maxPercent: 1 }, riskPercent: 0.5 },
      }),
    );
    const result = await runCli([
      "backtest",
      "--data",
      dataPath(Y2018),
      "--to",
      "2018-06-01",
      "--no-ml",
      "--config",
      `${dir}/tight.json`,
      "--baseline-runs",
      "0",
      "--json",
      `${dir}/h.json`,
      "--report",
      `${dir}/h.html`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const document: BacktestJson = JSON.parse(await Deno.readTextFile(`${dir}/h.json`));
    const drawdown = document.halts.find((h) => h.code === "MAX_DRAWDOWN");
    assert.ok(drawdown, JSON.stringify(document.halts));
    assert.equal(drawdown.enforced, true);
    assert.equal(drawdown.until_utc, null, "a drawdown halt holds to the end without a reset");
    // Halted at t, the period's rest is untraded: (end - t) / (end - start).
    const share = (Date.parse(document.period.end_utc) - Date.parse(drawdown.time_utc)) /
      (Date.parse(document.period.end_utc) - Date.parse(document.period.start_utc));
    assert.ok(
      Math.abs(drawdown.untraded_share - share) < 1e-3,
      `${drawdown.untraded_share} vs ${share}`,
    );
    assert.ok(document.trades.every((t) => t.entry_time_utc < drawdown.time_utc));
    assert.ok(
      !document.trades.some((t) => t.exit_reason === "manual"),
      "no halt close is filed as manual",
    );
    assert.match(
      result.stdout.split("\n")[0],
      /^HALTED at \d{4}-\d\d-\d\dT[\d:]+Z: (DAILY_LOSS_LIMIT|MAX_DRAWDOWN)/,
      "the summary's first line is a halt",
    );
    assert.match(result.stdout, /HALTED at .*MAX_DRAWDOWN.*% of the period untraded, to the end\)/);
    await Deno.remove(dir, { recursive: true });
  },
);
