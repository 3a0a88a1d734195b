import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { dataPath, dataTest } from "../../_data.ts";
import { noNewsConfig, runCli, startServe } from "./_run.ts";

const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";

/** A live server's files in `dir`: its journal, secrets and model registry. */
const files = (dir: string) => [
  "--db",
  `${dir}/j.sqlite`,
  "--secrets",
  `${dir}/secrets.json`,
  "--registry",
  `${dir}/models`,
];

Deno.test("serve refuses to trade live without a news calendar unless the config turns the filter off", async () => {
  const dir = await Deno.makeTempDir();
  const result = await runCli(["serve", "--port", "0", ...files(dir)]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /no news calendar: live trading refuses to trade through news/);
  assert.match(result.stderr, /--news FILE/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve binds 127.0.0.1 by default and waits for an EA without --replay", async () => {
  const dir = await Deno.makeTempDir();
  const { child, url, output } = await startServe([
    ...files(dir),
    "--config",
    await noNewsConfig(dir),
  ]);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const health = await (await fetch(`${url}health`)).json();
  assert.equal(health.components["ea-bridge"].status, "idle");
  child.kill("SIGTERM");
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.match(await output(), /flushing the journal/);
  await Deno.remove(dir, { recursive: true });
});

dataTest(
  "serve --replay paper-trades the file through the pipeline into the journal and /health",
  MT5,
  async () => {
    const dir = await Deno.makeTempDir();
    const db = `${dir}/j.sqlite`;
    const { child, url, output } = await startServe([
      "--db",
      db,
      "--secrets",
      `${dir}/secrets.json`,
      "--registry",
      `${dir}/models`,
      "--replay",
      dataPath(MT5),
    ]);
    let health;
    for (let i = 0; i < 100; i++) {
      health = await (await fetch(`${url}health`)).json();
      if (health.components.feed?.status === "stopped") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(health.components.feed.status, "stopped", JSON.stringify(health));
    assert.equal(health.components.feed.counters.events, 63_230);
    assert.equal(health.components.feed.lastEventTime, "2026-05-28T14:01:00Z");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await child.stderr.cancel();
    assert.match(await output(), /replay finished: 63230 rows/);
    const journal = new DatabaseSync(db, { readOnly: true });
    const count = (table: string) =>
      (journal.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const [bars, trades, fills] = [count("bars"), count("trades"), count("fills")];
    journal.close();
    assert.equal(bars, 63_230);
    assert.ok(trades > 0, "the simulated broker traded the replay");
    assert.equal(fills, 2 * trades, "an entry and an exit fill per trade");
    await Deno.remove(dir, { recursive: true });
  },
);
