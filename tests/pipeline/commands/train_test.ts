/**
 * `train` refuses what it cannot use before any work: a window that ends before it starts,
 * before the data is read. The end-to-end training on real data is in
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
