/**
 * `train` refuses what it cannot use before any work: a window that ends before it starts
 * (before the data is read) and a trading config `meta.trading` names that is missing or
 * wrong, each named with its file and key. The end-to-end training on real data is in
 * tests/models/train_cli_test.ts.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";

Deno.test("train refuses --from at or after --to before reading any data", async (t) => {
  const dir = await Deno.makeTempDir();
  // Not market data: reading it would fail with "unknown format" instead.
  const data = join(dir, "bars.csv");
  await Deno.writeTextFile(data, "not read\n");
  for (const [from, to] of [["2018-03-10", "2018-03-01"], ["2018-03-01", "2018-03-01"]]) {
    await t.step(`--from ${from} --to ${to}`, async () => {
      const result = await runCli(["train", "--data", data, "--from", from, "--to", to]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`^train: --from "${from}" must be before --to "${to}"\n`),
      );
    });
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train names the trading config meta.trading names when it is missing or has a bad key", async (t) => {
  const dir = await Deno.makeTempDir();
  // The first three rows of xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz: the config
  // is refused before any bar is used.
  const data = join(dir, "bars.csv");
  await Deno.writeTextFile(
    data,
    "20170102 180100;1150.670000;1150.670000;1150.670000;1150.670000;0\n" +
      "20170102 180200;1152.130000;1152.130000;1151.520000;1151.520000;0\n" +
      "20170102 180300;1151.450000;1151.800000;1151.200000;1151.560000;0\n",
  );
  const train = async (trading: string) => {
    const config = join(dir, "train.json");
    await Deno.writeTextFile(config, JSON.stringify({ meta: { trading } }));
    return await runCli([
      "train",
      "--data",
      data,
      "--config",
      config,
      "--registry",
      join(dir, "models"),
    ]);
  };

  await t.step("a missing file", async () => {
    const missing = join(dir, "missing.json");
    const result = await train(missing);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^train: the trading config "${missing}" \\(meta.trading in "${
          join(dir, "train.json")
        }"\\) does not exist\n`,
      ),
    );
  });

  await t.step("a misspelt key, named by its path with the key meant", async () => {
    const trading = join(dir, "trading.jsonc");
    await Deno.writeTextFile(trading, '{ "executon": {} } // typo');
    const result = await train(trading);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^train: trading config "${trading}": unknown key "executon": did you mean "execution"\\?\n`,
      ),
    );
  });
  await Deno.remove(dir, { recursive: true });
});
