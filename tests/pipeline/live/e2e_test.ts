/**
 * End to end: `serve` in a subprocess, the EA simulator replaying real M1 bars over the
 * real transports, and the backtest of the same days as the yardstick.
 */

import { freePort } from "../../_net.ts";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runBacktest } from "@/pipeline/commands/backtest.ts";
import { isoFromUs, type TradeEvent, usFromIso } from "@/pipeline/events.ts";
import {
  type EaTransport,
  httpTransport,
  runEaSimulator,
  tcpTransport,
} from "@/pipeline/live/ea_simulator.ts";
import { openSources } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { noNewsConfig, startServe } from "../commands/_run.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
/** Monday is the warm-up; the strategy trades from Tuesday to Friday. */
const FROM = "2017-03-06";
const TO = "2017-03-11";

async function liveServer(dir: string, extra: string[] = [], port = 0) {
  const server = await startServe([
    "--db",
    `${dir}/journal.sqlite`,
    "--secrets",
    `${dir}/secrets.json`,
    "--registry",
    `${dir}/models`,
    "--feed-sides",
    "bid",
    "--rate-limit",
    "0",
    // The backtest it is compared with runs without a calendar, so without the blackout.
    "--config",
    await noNewsConfig(dir),
    ...extra,
  ], port);
  const token = JSON.parse(await Deno.readTextFile(`${dir}/secrets.json`)).apiToken as string;
  return { ...server, token };
}

function simulate(
  transport: EaTransport,
  from = FROM,
  to = TO,
  onBar?: (bar: unknown, index: number) => void,
) {
  return openSources([dataPath(HISTDATA_2017)], { fromUs: usFromIso(from), toUs: usFromIso(to) })
    .then((source) => runEaSimulator({ source, transport, onBar }));
}

/** A trade as the backtest's JSON names it, for a field-by-field comparison. */
function row(trade: TradeEvent) {
  return {
    side: trade.side,
    lots: trade.lots,
    entry_time_utc: isoFromUs(trade.entryTimeUs),
    entry_price: trade.entryPrice,
    exit_time_utc: isoFromUs(trade.exitTimeUs),
    exit_price: trade.exitPrice,
    exit_reason: trade.exitReason,
    pnl: trade.pnl,
  };
}

async function backtestRows(from = FROM, to = TO) {
  const run = await runBacktest({
    files: [dataPath(HISTDATA_2017)],
    from,
    to,
    noMl: true,
    progress: false,
    // The server gets only these days: the backtest reads no warm-up before them either.
    warmUp: false,
    baselineRuns: 0,
  });
  return run.document.trades.map((t) => ({
    side: t.side,
    lots: t.lots,
    entry_time_utc: t.entry_time_utc,
    entry_price: t.entry_price,
    exit_time_utc: t.exit_time_utc,
    exit_price: t.exit_price,
    exit_reason: t.exit_reason,
    pnl: t.pnl,
  }));
}

function journalRows(db: string) {
  const journal = new DatabaseSync(db, { readOnly: true });
  try {
    const count = (sql: string) => (journal.prepare(sql).get() as { n: number }).n;
    return {
      orders: count("SELECT COUNT(*) AS n FROM orders"),
      fills: count("SELECT COUNT(*) AS n FROM fills"),
      trades: count("SELECT COUNT(*) AS n FROM trades"),
      orderIds: (journal.prepare("SELECT client_order_id AS id FROM orders").all() as {
        id: string;
      }[]).map((r) => r.id),
    };
  } finally {
    journal.close();
  }
}

dataTest(
  "the EA simulator over HTTP trades a replayed day exactly as the backtest does",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const server = await liveServer(dir);
    let expected: Awaited<ReturnType<typeof backtestRows>> = [];
    try {
      const sim = await simulate(httpTransport(server.url, server.token));
      expected = await backtestRows();
      assert.ok(expected.length >= 5, `the days trade (${expected.length} trades)`);
      assert.deepEqual(sim.trades.map(row), expected);
      assert.equal(sim.repeatsIgnored, 0);
    } finally {
      await server.stop();
    }
    const journal = journalRows(`${dir}/journal.sqlite`);
    assert.equal(journal.trades, expected.length, "every trade is journalled");
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("the EA endpoint refuses a missing token, an oversized body and a bad payload", async () => {
  const dir = await Deno.makeTempDir();
  const server = await liveServer(dir);
  const sync = (body: string, token: string | null = server.token) =>
    fetch(new URL("/v1/ea/sync", server.url), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body,
    });
  try {
    const envelope = JSON.stringify({ v: 1, session: "s", seq: 1, sentUs: 0, messages: [] });
    const anonymous = await sync(envelope, null);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const wrong = await sync(envelope, "x".repeat(43));
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const huge = await sync(JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
    const bad = await sync(JSON.stringify({ v: 1, session: "s", seq: 0, sentUs: 0, messages: [] }));
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /bad envelope at seq/);
    const noHello = await sync(envelope);
    assert.equal(noHello.status, 409);
    assert.match((await noHello.json()).error, /^hello required/);
  } finally {
    await server.stop();
  }
  await Deno.remove(dir, { recursive: true });
});

dataTest(
  "the EA simulator over TCP trades the same as over HTTP",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const server = await liveServer(dir, ["--ea-tcp-port", "0"]);
    try {
      const printed = await waitFor(server.printed, /EA TCP transport on [\d.]+:(\d+)/);
      const port = Number(printed[1]);
      const sim = await simulate(tcpTransport("127.0.0.1", port, server.token));
      assert.deepEqual(sim.trades.map(row), await backtestRows());
    } finally {
      await server.stop();
    }
    await Deno.remove(dir, { recursive: true });
  },
);

dataTest(
  "kill -9 mid-replay and a restart lose and duplicate no order and no fill, and trade on unchanged",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    let server = await liveServer(dir, [], port);
    const transport = httpTransport(server.url, server.token);
    let killed = false;
    let restarted: Promise<void> | null = null;
    const sim = await simulate(transport, FROM, TO, (_bar, index) => {
      if (index !== 1700 || killed) return;
      killed = true;
      // Lands inside one of the next requests: after the journal committed, or before.
      setTimeout(() => server.child.kill("SIGKILL"), 3);
      restarted = server.exited().then(async () => {
        server = await liveServer(dir, [], port);
      });
    });
    await restarted;
    await server.stop();
    assert.ok(killed && sim.sessions >= 2, `the EA said hello again (${sim.sessions} sessions)`);
    const journal = journalRows(`${dir}/journal.sqlite`);
    assert.equal(new Set(sim.executed).size, sim.executed.length, "no command executed twice");
    for (const id of sim.executed) {
      assert.ok(journal.orderIds.includes(id), `order ${id} the EA executed is journalled`);
    }
    assert.equal(journal.fills, sim.fills.length, "every fill journalled once");
    assert.equal(journal.trades, sim.trades.length, "every trade journalled once");
    assert.ok(
      sim.trades.some((t) => t.entryTimeUs > usFromIso("2017-03-07T08:00")),
      "it trades on after the restart",
    );
    assert.deepEqual(
      sim.trades.map(row),
      await backtestRows(),
      "recovered from the journal, it trades as if it had never died",
    );
    await Deno.remove(dir, { recursive: true });
  },
);

async function waitFor(output: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 100; i++) {
    const match = pattern.exec(output());
    if (match) return match;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never printed ${pattern}: ${output()}`);
}
