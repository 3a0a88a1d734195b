/**
 * Scale-out end to end against a real nats-server: `serve --role` processes for ingest,
 * strategy, execution and journal, replaying real M1 bars, must trade exactly as the
 * single-process backtest, also when the strategy worker is killed mid-run and restarted.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { dataPath, haveData } from "../../_data.ts";
import { HAVE_NATS_SERVER, type NatsServer, startNatsServer } from "../bus/_nats_server.ts";
import { serveArgs, startServe, watchChild, type WatchedChild } from "../commands/_run.ts";
import { skippableTest } from "../../_skip.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const FROM = "2017-03-06";
/** Two days for the plain split; the kill needs trades after it, so it runs the week. */
const TO = "2017-03-08";
const KILL_TO = "2017-03-11";
const missing = !HAVE_NATS_SERVER
  ? "nats-server is not installed (apt-get install nats-server)"
  : !haveData(HISTDATA_2017)
  ? `data file ${HISTDATA_2017} is missing`
  : null;

/** `serve --role name` against `nats`, its files in `dir`. */
function roleArgs(dir: string, nats: NatsServer, name: string, extra: string[] = []): string[] {
  return [
    "--role",
    name,
    "--nats",
    nats.url,
    "--db",
    `${dir}/${name}.sqlite`,
    "--secrets",
    `${dir}/secrets.json`,
    "--registry",
    `${dir}/models`,
    "--feed-sides",
    "bid",
    ...extra,
  ];
}

function role(dir: string, nats: NatsServer, name: string, extra: string[] = []) {
  return watchChild(
    name,
    new Deno.Command(Deno.execPath(), {
      args: serveArgs(roleArgs(dir, nats, name, extra)),
      stdout: "null",
      stderr: "piped",
    }).spawn(),
  );
}

/** Its exit, which must be a success; a role still running after two minutes fails the test. */
async function exited(role: WatchedChild, name: string) {
  assert.equal((await role.exited()).code, 0, `${name} failed: ${role.errors()}`);
}

/** The journal's trades, once it holds `count` of them, in the backtest's terms. */
async function journalTrades(db: string, count: number) {
  for (let i = 0; i < 900; i++) {
    const journal = new DatabaseSync(db, { readOnly: true });
    try {
      const rows = journal.prepare(
        "SELECT side, lots, entry_time_us, entry_price, exit_time_us, exit_price, exit_reason, pnl FROM trades ORDER BY exit_time_us, entry_time_us",
      ).all() as Record<string, unknown>[];
      if (rows.length >= count) return rows;
    } catch {
      // The journal role has not created its tables yet.
    } finally {
      journal.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the journal never held ${count} trades`);
}

async function backtestTrades(to: string) {
  const run = await runBacktest({
    files: [dataPath(HISTDATA_2017)],
    from: FROM,
    to,
    noMl: true,
    progress: false,
    // The roles replay these days alone: no warm-up read before them here either.
    warmUp: false,
    baselineRuns: 0,
  });
  return run.document.trades.map((t) => ({
    side: t.side,
    lots: t.lots,
    entry_time_us: Date.parse(t.entry_time_utc) * 1000,
    entry_price: t.entry_price,
    exit_time_us: Date.parse(t.exit_time_utc) * 1000,
    exit_price: t.exit_price,
    exit_reason: t.exit_reason,
    pnl: t.pnl,
  }));
}

/** A dashboard started afterwards reads the stream and sees every role by its watermarks. */
async function dashboardSeesEveryRole(dir: string, nats: NatsServer) {
  const dashboard = await startServe(roleArgs(dir, nats, "dashboard"));
  try {
    const roles = ["role:ingest", "role:strategy", "role:execution"];
    let components: Record<string, { status: string }> = {};
    for (let i = 0; i < 200 && !roles.every((r) => components[r]?.status === "stopped"); i++) {
      components = (await (await fetch(`${dashboard.url}health`)).json()).components;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const seen of roles) {
      assert.equal(components[seen]?.status, "stopped", `${seen}: ${JSON.stringify(components)}`);
    }
  } finally {
    await dashboard.stop();
  }
}

/**
 * The replay split across four processes, compared with the single-process backtest; with
 * `kill`, the strategy worker is killed (SIGKILL) once two trades are journalled and
 * started again, and the run must still lose and duplicate nothing.
 */
async function splitRun(kill: boolean) {
  const to = kill ? KILL_TO : TO;
  const dir = await Deno.makeTempDir();
  const nats = await startNatsServer();
  const journal = role(dir, nats, "journal");
  try {
    let strategy = role(dir, nats, "strategy");
    const execution = role(dir, nats, "execution");
    const ingest = role(dir, nats, "ingest", [
      "--replay",
      dataPath(HISTDATA_2017),
      "--from",
      FROM,
      "--to",
      to,
    ]);
    await exited(ingest, "ingest");
    if (kill) {
      await journalTrades(`${dir}/journal.sqlite`, 2);
      await strategy.stop("SIGKILL");
      strategy = role(dir, nats, "strategy");
    }
    await exited(strategy, "strategy");
    await exited(execution, "execution");
    const expected = await backtestTrades(to);
    // Two days keep the NATS run short; with H1-ATR levels they hold two trades (the
    // week, five), each compared field by field below with its fills and orders.
    assert.ok(expected.length >= (kill ? 5 : 2), `${expected.length} trades`);
    const trades = await journalTrades(`${dir}/journal.sqlite`, expected.length);
    assert.deepEqual(trades.map((t) => ({ ...t })), expected);
    if (!kill) await dashboardSeesEveryRole(dir, nats);
    const db = new DatabaseSync(`${dir}/journal.sqlite`, { readOnly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const entries = count("SELECT COUNT(*) AS n FROM orders WHERE action = 'open'");
    const accepted = count("SELECT COUNT(*) AS n FROM risk_decisions WHERE decision = 'accept'");
    const fills = count("SELECT COUNT(*) AS n FROM fills");
    db.close();
    assert.equal(entries, accepted, "one entry order per accepted risk decision");
    assert.equal(fills, 2 * expected.length, "an entry and an exit fill per trade, once each");
  } finally {
    await journal.stop();
    await nats.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

skippableTest(
  "ingest, strategy, execution and journal roles over NATS trade exactly as the single-process backtest; a dashboard role sees them all",
  missing,
  () => splitRun(false),
);

skippableTest(
  "a strategy worker killed mid-run and restarted loses and duplicates nothing",
  missing,
  () => splitRun(true),
);

skippableTest(
  "a role stops on SIGTERM within 20 s while its NATS server is frozen",
  missing,
  async () => {
    const dir = await Deno.makeTempDir();
    const nats = await startNatsServer();
    try {
      // Listening means connected: a role connects to the bus before it serves.
      const journal = await startServe(roleArgs(dir, nats, "journal"));
      Deno.kill(nats.pid, "SIGSTOP");
      try {
        // Its subscription's stop waits at most 5 s and the drain 10 s; before those bounds
        // the stop waited for the frozen server for good (30 s, then exit 1, with serve's
        // own bound alone). Past 20 s, `stop` kills it and throws.
        const status = await journal.stop("SIGTERM", 20_000);
        assert.equal(status.code, 0, journal.errors());
      } finally {
        Deno.kill(nats.pid, "SIGCONT");
      }
    } finally {
      await nats.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
