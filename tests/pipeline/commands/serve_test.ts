import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { dataPath, dataTest } from "../../_data.ts";
import { parseFeatureSpec, specHash } from "@/operators/features/mod.ts";
import { cardFor, onnxModel, uploadForm } from "../control/_models.ts";
import { noNewsConfig, runCli, startServe } from "./_run.ts";

const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";

/** Where a test's serve keeps its journal (`j.sqlite`), secrets and registry: all in `dir`. */
const stateIn = (dir: string) => [
  "--db",
  `${dir}/j.sqlite`,
  "--secrets",
  `${dir}/secrets.json`,
  "--registry",
  `${dir}/models`,
];

Deno.test("serve refuses to trade live without a news calendar unless the config turns the filter off", async () => {
  const dir = await Deno.makeTempDir();
  const result = await runCli(["serve", "--port", "0", ...stateIn(dir)]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /no news calendar: live trading refuses to trade through news/);
  assert.match(result.stderr, /--news FILE/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve binds 127.0.0.1 by default and waits for an EA without --replay", async () => {
  const dir = await Deno.makeTempDir();
  const { child, url, output } = await startServe([
    ...stateIn(dir),
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
      ...stateIn(dir),
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

dataTest(
  "serve measures an uploaded model on its journal's bars and refuses to promote it on its card's claims",
  MT5,
  async () => {
    const dir = await Deno.makeTempDir();
    // A 4-feature spec, so a small linear model can be served against it.
    const spec = {
      version: 1,
      name: "four",
      features: ["M1", "M5", "M15", "H1"].map((timeframe, i) => ({
        name: `rsi_${i}`,
        timeframe,
        kind: "rsi",
      })),
    };
    await Deno.writeTextFile(`${dir}/spec.json`, JSON.stringify(spec));
    const hash = specHash(parseFeatureSpec(spec, "spec"));
    const { child, url } = await startServe([
      ...stateIn(dir),
      "--spec",
      `${dir}/spec.json`,
      "--replay",
      dataPath(MT5),
    ]);
    try {
      for (let i = 0; i < 200; i++) {
        const health = await (await fetch(`${url}health`)).json();
        if (health.components.feed?.status === "stopped") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { apiToken } = JSON.parse(await Deno.readTextFile(`${dir}/secrets.json`));
      const headers = { Authorization: `Bearer ${apiToken}` };
      // A random model whose card claims every fold 50% better than the class prior.
      const bytes = onnxModel(1, hash);
      const card = cardFor(bytes, 0.5, hash);
      const upload = await fetch(`${url}v1/models`, {
        method: "POST",
        headers,
        body: uploadForm(bytes, { ...card, featureSpec: { ...card.featureSpec, name: "four" } }),
      });
      assert.equal(upload.status, 201);
      const { verification } = await upload.json();
      assert.equal(verification.measured, true, verification.reason);
      assert.match(verification.reason, /the journal's XAUUSD M1 bars of the last 30 days/);
      const promote = await fetch(`${url}v1/models/${card.id}/promote`, {
        method: "POST",
        headers,
      });
      const answer = await promote.json();
      // The measurement, not the card, decides: a random model does not beat the prior.
      assert.equal(promote.status, 409, JSON.stringify(answer));
      assert.match(answer.error, /gate failed: [0-3] of 4 folds beat the class-prior/);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await child.stderr.cancel();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("serve counts a failed login on the EA's TCP port in /metrics and audits it with the address", async () => {
  const dir = await Deno.makeTempDir();
  const { child, url, printed } = await startServe([
    ...stateIn(dir),
    "--config",
    await noNewsConfig(dir),
    "--ea-tcp-port",
    "0",
    "--ea-tcp-login-timeout",
    "2",
  ]);
  try {
    const port = Number(/EA TCP transport on \S+:(\d+)/.exec(printed())![1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode('{"v":1,"token":"a-wrong-token-of-some-length"}\n'));
    assert.equal(
      (await new Response(conn.readable).text()).trim(),
      '{"v":1,"error":"unauthorized"}',
    );
    const { apiToken } = JSON.parse(await Deno.readTextFile(`${dir}/secrets.json`));
    const metrics = await (await fetch(`${url}metrics`, {
      headers: { Authorization: `Bearer ${apiToken}` },
    })).text();
    assert.match(metrics, /^aigs_http_refusals_total\{status="401"\} 1$/m);
    assert.match(metrics, /component="ea-tcp",counter="unauthorized"\} 1$/m);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel();
  }
  const journal = new DatabaseSync(`${dir}/j.sqlite`, { readOnly: true });
  const rows = journal.prepare("SELECT actor, method, path, status, detail FROM audit_log").all();
  journal.close();
  assert.deepEqual(rows.map((row) => ({ ...row })), [{
    actor: "anonymous",
    method: "TCP",
    path: "login",
    status: 401,
    detail: "refused 127.0.0.1: invalid token on the EA's TCP port",
  }]);
  if (Deno.build.os !== "windows") {
    assert.equal((Deno.statSync(`${dir}/j.sqlite`).mode! & 0o777).toString(8), "600");
  }
  await Deno.remove(dir, { recursive: true });
});
