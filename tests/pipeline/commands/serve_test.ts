import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { isoFromUs } from "@/pipeline/events.ts";
import { openJournal } from "@/sinks/journal.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { freePort } from "../../_net.ts";
import { parseFeatureSpec, specHash } from "@/operators/features/mod.ts";
import { BOT_TOKEN, fakeBotApi } from "../control/_bot_api.ts";
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
  // Refused before anything is created: no token written, no journal opened.
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve binds 127.0.0.1 by default, says where the dashboard and the token are, and waits for an EA", async () => {
  const dir = await Deno.makeTempDir();
  const { stop, url, output, printed } = await startServe([
    ...stateIn(dir),
    "--config",
    await noNewsConfig(dir),
  ]);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const health = await (await fetch(`${url}health`)).json();
  const text = await waitForOutput(printed, /journal: /);
  assert.ok(text.includes(`dashboard: ${url}dashboard/ (it asks for the API token)`), text);
  assert.ok(
    text.includes(
      `generated a new API token into ${dir}/secrets.json (mode 0600): its "apiToken" signs in to the dashboard`,
    ),
    text,
  );
  assert.equal(health.components["ea-bridge"].status, "idle");
  assert.equal((await stop()).code, 0);
  assert.match(await output(), /flushing the journal/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve stops cleanly on a SIGTERM sent the moment it says it listens", async () => {
  // It printed "listening" before it listened for signals: a stop sent at once ended such
  // a process with exit 143, killed by the signal, its journal not closed (5 of 10 replays
  // in a loop; this test failed 2 times in 3 with 5 starts). Eight starts.
  const dir = await Deno.makeTempDir();
  const config = await noNewsConfig(dir);
  for (let i = 0; i < 8; i++) {
    const server = await startServe([...stateIn(dir), "--config", config]);
    assert.equal(
      (await server.stop("SIGTERM", 15_000)).code,
      0,
      `start ${i + 1}: ${server.errors()}`,
    );
    assert.match(await server.output(), /SIGTERM: stopping the pipeline and flushing the journal/);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve stops on SIGTERM while a client holds a request body half sent", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startServe([...stateIn(dir), "--config", await noNewsConfig(dir)]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(server.url).port),
  });
  // 1,000 bytes announced, one sent: before the drain bound, serve waited for the rest forever.
  await conn.write(
    new TextEncoder().encode(
      "POST /ai_signal HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{",
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = Date.now();
  // Within the 3 s drain and a margin for a loaded machine; it hung for good before.
  assert.equal((await server.stop("SIGTERM", 15_000)).code, 0, server.errors());
  assert.ok(Date.now() - started >= 2_900, "the pipeline stopped, then the drain waited its 3 s");
  assert.match(await server.output(), /an HTTP client was still mid-request after 3 s/);
  conn.close();
  await Deno.remove(dir, { recursive: true });
});

dataTest(
  "serve --replay paper-trades the file through the pipeline into the journal and /health",
  MT5,
  async () => {
    const dir = await Deno.makeTempDir();
    const db = `${dir}/j.sqlite`;
    const { stop, url, output } = await startServe([
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
    assert.equal((await stop()).code, 0);
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
    const { stop, url } = await startServe([
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
      await stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("serve counts a failed login on the EA's TCP port in /metrics and audits it with the address", async () => {
  const dir = await Deno.makeTempDir();
  const { stop, url, printed } = await startServe([
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
    await stop();
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

/**
 * Waits until `printed()` (what serve printed so far) matches `pattern`; returns it. A
 * whole replay under a loaded machine takes a while: 90 s at most.
 */
async function waitForOutput(printed: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 1800; i++) {
    if (pattern.test(printed())) return printed();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve never printed ${pattern}: ${printed()}`);
}

/** The journal's trades as the backtest's JSON names them, for a field-by-field comparison. */
function journalTrades(db: string) {
  const journal = new DatabaseSync(db, { readOnly: true });
  try {
    const rows = journal.prepare(
      "SELECT entry_time_us, exit_time_us, exit_reason, pnl FROM trades ORDER BY exit_time_us",
    ).all() as { entry_time_us: number; exit_time_us: number; exit_reason: string; pnl: number }[];
    const count = (table: string) =>
      (journal.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      bars: count("bars"),
      fills: count("fills"),
      trades: rows.map((r) => ({
        entry: isoFromUs(r.entry_time_us),
        exit: isoFromUs(r.exit_time_us),
        reason: r.exit_reason,
        pnl: r.pnl,
      })),
    };
  } finally {
    journal.close();
  }
}

/** A replay of the file to its end (`--to`) at full speed; what serve printed. */
async function replayToEnd(args: string[]): Promise<string> {
  const server = await startServe([...args, "--replay", dataPath(MT5), "--speed", "max"]);
  const text = await waitForOutput(server.printed, /paper trading: .*\n/);
  await server.stop();
  return text;
}

dataTest(
  "serve --replay killed with -9 resumes from the journal's last bar and ends as an uninterrupted run",
  MT5,
  async () => {
    const dir = await Deno.makeTempDir();
    // A 100,000 account, so the default risk sizes every signal above the minimum lot; the
    // file's first four weeks (7 trades), to keep the test short.
    await Deno.writeTextFile(`${dir}/config.json`, '{ "execution": { "initialBalance": 100000 } }');
    const args = (db: string) => [
      "--to",
      "2026-04-20",
      "--db",
      db,
      "--secrets",
      `${dir}/secrets.json`,
      "--registry",
      `${dir}/models`,
      "--config",
      `${dir}/config.json`,
    ];
    const whole = await replayToEnd(args(`${dir}/whole.sqlite`));
    const expected = journalTrades(`${dir}/whole.sqlite`);
    assert.ok(expected.trades.length >= 5, `the replay trades: ${whole}`);
    const rows = /replay finished: (\d+) rows/.exec(whole)![1];

    const db = `${dir}/j.sqlite`;
    // 27 days of bars at 300,000x: about 8 s in all, killed after its third trade.
    const first = await startServe([...args(db), "--replay", dataPath(MT5), "--speed", "300000"]);
    for (let i = 0; i < 600; i++) {
      if (journalTrades(db).trades.length >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.stop("SIGKILL");
    const before = journalTrades(db);
    assert.ok(
      before.trades.length >= 3 && before.bars < expected.bars,
      `killed mid-run: ${before.trades.length} trades, ${before.bars} bars`,
    );

    const text = await replayToEnd(args(db));
    assert.match(text, /resuming the replay after \S+, the last bar in /);
    assert.match(text, new RegExp(`replay finished: ${rows} rows from .* \\(resumed\\)`));
    const after = journalTrades(db);
    assert.equal(after.bars, expected.bars, "every bar stored once");
    assert.equal(
      after.fills,
      2 * after.trades.length,
      "an entry and an exit fill per trade, none twice",
    );
    assert.deepEqual(after.trades, expected.trades, "the same trades as the uninterrupted replay");
    // The P&L summary covers the whole file, the part before the crash included.
    assert.equal(/paper trading: .*/.exec(text)![0], /paper trading: .*/.exec(whole)![0]);
    await Deno.remove(dir, { recursive: true });
  },
);

dataTest(
  "serve --replay refuses to resume into a journal of other data, before it serves",
  MT5,
  async () => {
    const dir = await Deno.makeTempDir();
    const db = join(dir, "j.sqlite");
    const stored = openJournal(db);
    stored.appendBatch([{
      v: 1,
      kind: "bar",
      symbol: "XAUUSD",
      timeframe: "M1",
      openUs: Date.UTC(2017, 2, 6, 12) * 1000,
      closeUs: Date.UTC(2017, 2, 6, 12, 1) * 1000,
      bid: { open: 1230, high: 1231, low: 1229, close: 1230.5 },
      ask: null,
      spread: null,
      volume: 0,
    }]);
    stored.close();
    const result = await runCli([
      "serve",
      "--port",
      String(freePort()),
      "--db",
      db,
      "--secrets",
      join(dir, "secrets.json"),
      "--registry",
      join(dir, "models"),
      "--replay",
      dataPath(MT5),
    ]);
    const stderr = result.stderr;
    assert.equal(result.code, 2, stderr);
    assert.match(
      stderr,
      /cannot resume: the journal .* ends with a XAUUSD bar at 2017-03-06T12:00:00Z that .* does not hold: it is another run's journal/,
    );
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("serve --telegram obeys /stop from an allowed chat through the risk engine, audited in the journal", async () => {
  const dir = await Deno.makeTempDir();
  const api = fakeBotApi();
  await Deno.writeTextFile(
    join(dir, "secrets.json"),
    JSON.stringify({ telegramBotToken: BOT_TOKEN }),
    {
      mode: 0o600,
    },
  );
  await Deno.writeTextFile(
    join(dir, "telegram.jsonc"),
    `{ "allowChatIds": [1001], "apiBase": "${api.url}", "pollTimeoutSeconds": 1 } // the fake`,
  );
  const { stop, url } = await startServe([
    "--db",
    join(dir, "j.sqlite"),
    "--secrets",
    join(dir, "secrets.json"),
    "--registry",
    join(dir, "models"),
    "--telegram",
    join(dir, "telegram.jsonc"),
    "--config",
    await noNewsConfig(dir),
  ]);
  try {
    api.say(1001, "/stop news");
    api.say(42, "/start");
    const sent = await api.replies(2);
    assert.match(sent[0].text, /kill switch ON: news/);
    assert.match(sent[1].text, /Not allowed: chat 42/);
    const token = JSON.parse(await Deno.readTextFile(join(dir, "secrets.json"))).apiToken;
    const status = await (await fetch(`${url}v1/status`, {
      headers: { Authorization: `Bearer ${token}` },
    })).json();
    assert.equal(status.risk.state, "halted");
    assert.match(JSON.stringify(status.risk.reasons), /manual kill switch: news/);
  } finally {
    await stop();
    await api.stop();
  }
  const journal = new DatabaseSync(join(dir, "j.sqlite"), { readOnly: true });
  const audit = journal.prepare("SELECT actor, method, path, status FROM audit_log ORDER BY rowid")
    .all();
  journal.close();
  assert.deepEqual(audit.map((row) => ({ ...row })), [
    { actor: "telegram:chat:1001", method: "TELEGRAM", path: "/stop", status: 200 },
    { actor: "telegram:chat:42", method: "TELEGRAM", path: "/start", status: 403 },
  ]);
  await Deno.remove(dir, { recursive: true });
});
