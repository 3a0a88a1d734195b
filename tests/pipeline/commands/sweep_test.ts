import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  LocalWorkQueue,
  NatsWorkQueue,
  startNatsWorkers,
  type WorkQueue,
} from "../../../pipeline/bus/work_queue.ts";
import { jobRunner, parseSweepConfig, runJob, runSweep } from "../../../pipeline/commands/sweep.ts";
import { UsageError } from "../../../pipeline/commands/args.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { HAVE_NATS_SERVER, startNatsServer } from "../bus/_nats_server.ts";
import { skippableTest } from "../../_skip.ts";
import { readCacheEntries } from "../../sources/_util.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const RUNNER = new URL("../../../pipeline/commands/sweep.ts", import.meta.url);

/** A small sweep over a few days of real data: every kind of entry, a dozen jobs. */
function smallSweep() {
  return parseSweepConfig({
    data: [dataPath(HISTDATA_2017)],
    noMl: true,
    jobs: [
      {
        kind: "grid",
        name: "grid",
        from: "2017-01-03",
        to: "2017-01-07",
        space: { "risk.riskPercent": [0.25, 0.5] },
      },
      {
        kind: "walk-forward",
        name: "wf",
        from: "2017-01-03",
        to: "2017-01-13",
        folds: 2,
        objective: "net_profit",
        space: { "risk.riskPercent": [0.25, 0.5] },
      },
      {
        kind: "monte-carlo",
        name: "mc",
        from: "2017-01-03",
        to: "2017-01-13",
        runs: 100,
        seeds: [1, 2],
      },
    ],
  });
}

/** Every row of the results table, in a fixed order. */
function rowsOf(path: string): unknown[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare("SELECT * FROM sweep_rows ORDER BY entry, label").all();
  } finally {
    db.close();
  }
}

async function sweepWith(queue: WorkQueue, out: string) {
  try {
    return await runSweep(smallSweep(), queue, out, () => {});
  } finally {
    await queue.close();
  }
}

interface LocalRun {
  readonly out: string;
  readonly outcome: Awaited<ReturnType<typeof runSweep>>;
  readonly rows: unknown[];
}
let local: Promise<LocalRun> | null = null;
/** The local run the other runs are compared with, made once (its temp folder is left to the OS). */
function localRun(): Promise<LocalRun> {
  local ??= (async () => {
    const out = `${await Deno.makeTempDir()}/local.sqlite`;
    const outcome = await sweepWith(new LocalWorkQueue({ runner: RUNNER, workers: 2 }), out);
    return { out, outcome, rows: rowsOf(out) };
  })();
  return local;
}

dataTest(
  "a sweep's jobs read their windows through the read cache the runner names, to the same rows",
  HISTDATA_2017,
  async () => {
    const dir = await Deno.makeTempDir();
    const cache = `${dir}/cache`;
    const queue = () => new LocalWorkQueue({ runner: jobRunner(cache), workers: 2 });
    await sweepWith(queue(), `${dir}/kept.sqlite`);
    // Each window read with the warm-up before it: the grid's (3-7 January), Monte Carlo's
    // backtest (3-13 January), and the walk-forward's two folds' in- and out-of-sample ones.
    const kept = await readCacheEntries(cache);
    assert.equal(kept.length, 6, kept.join());
    await sweepWith(queue(), `${dir}/from_cache.sqlite`);
    assert.deepEqual(
      await readCacheEntries(cache),
      kept,
      "every window read from its entry, none added",
    );
    const { rows } = await localRun();
    assert.deepEqual(rowsOf(`${dir}/kept.sqlite`), rows);
    assert.deepEqual(rowsOf(`${dir}/from_cache.sqlite`), rows);
    await Deno.remove(dir, { recursive: true });
  },
);

function natsDataTest(name: string, fn: () => Promise<void>): void {
  if (HAVE_NATS_SERVER) dataTest(name, HISTDATA_2017, fn);
  else skippableTest(name, "nats-server is not installed (apt-get install nats-server)", fn);
}

dataTest(
  "a local sweep stores a row for every run and reuses stored results on a rerun",
  HISTDATA_2017,
  async () => {
    const { out, outcome, rows } = await localRun();
    assert.ok(outcome.jobs >= 10, `ran ${outcome.jobs} jobs`);
    const labels = outcome.rows.map((r) => `${r.entry} ${r.label}`);
    for (const label of ["grid #0", "grid #1", "wf stitched", "mc backtest", "mc bootstrap/2"]) {
      assert.ok(labels.includes(label), `has ${label}`);
    }
    const dir = await Deno.makeTempDir();
    try {
      await Deno.copyFile(out, `${dir}/again.sqlite`);
      const queue = new LocalWorkQueue({ runner: RUNNER, workers: 1 });
      const again = await sweepWith(queue, `${dir}/again.sqlite`);
      assert.equal(again.jobs, 0);
      assert.equal(again.cached, outcome.jobs);
      assert.deepEqual(rowsOf(`${dir}/again.sqlite`), rows);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

natsDataTest(
  "a sweep over NATS with two workers stores the same results as the local run",
  async () => {
    const server = await startNatsServer();
    const dir = await Deno.makeTempDir();
    try {
      const options = { servers: server.url, ackWaitMs: 5000 };
      const workers = startNatsWorkers(2, { runner: RUNNER, queue: options });
      try {
        await sweepWith(await NatsWorkQueue.connect(options), `${dir}/nats.sqlite`);
      } finally {
        await workers.stop();
      }
      assert.deepEqual(rowsOf(`${dir}/nats.sqlite`), (await localRun()).rows);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
);

natsDataTest(
  "a sweep whose worker is killed mid-job still completes with the local run's results",
  async () => {
    const server = await startNatsServer();
    const dir = await Deno.makeTempDir();
    try {
      const options = { servers: server.url, ackWaitMs: 1000 };
      let killed: string | null = null;
      const workers = startNatsWorkers(2, {
        runner: RUNNER,
        queue: options,
        onStart: (worker) => {
          if (killed !== null) return;
          killed = worker;
          workers.workers.find((w) => w.name === worker)!.kill();
        },
      });
      let outcome;
      try {
        outcome = await sweepWith(await NatsWorkQueue.connect(options), `${dir}/nats.sqlite`);
      } finally {
        await workers.stop();
      }
      assert.ok(killed !== null, "a worker was killed");
      const db = new DatabaseSync(`${dir}/nats.sqlite`);
      const retried = db.prepare("SELECT count(*) AS n FROM jobs WHERE attempts > 1").get() as {
        n: number;
      };
      db.close();
      assert.equal(retried.n, 1, "the killed worker's job was delivered again");
      assert.ok(outcome.rows.length > 0);
      assert.deepEqual(rowsOf(`${dir}/nats.sqlite`), (await localRun()).rows);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
);

Deno.test("a sweep config with a repeated job name is refused, naming it", () => {
  const job = { kind: "grid", name: "a", from: "2017-01-03", to: "2017-01-05", space: {} };
  assert.throws(
    () => parseSweepConfig({ data: ["x.csv"], jobs: [job, job] }, "s.json"),
    (error) => error instanceof UsageError && /job name "a" is repeated/.test(error.message),
  );
});

dataTest("a sweep whose job fails stops with that job's error", HISTDATA_2017, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sweep = parseSweepConfig({
      data: [dataPath(HISTDATA_2017)],
      noMl: true,
      // A Saturday: the market is closed, the backtest finds no bars.
      jobs: [{ kind: "monte-carlo", name: "closed", from: "2017-01-07", to: "2017-01-08" }],
    });
    const queue = new LocalWorkQueue({ runner: RUNNER, workers: 1 });
    try {
      await assert.rejects(
        () => runSweep(sweep, queue, `${dir}/r.sqlite`, () => {}),
        /sweep job [0-9a-f]{12} .* failed: no M1 bars/,
      );
    } finally {
      await queue.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

dataTest(
  "a worker whose data file differs from the coordinator's refuses the job",
  HISTDATA_2017,
  async () => {
    await assert.rejects(
      () =>
        runJob({
          kind: "backtest",
          files: [dataPath(HISTDATA_2017)],
          sha256: ["0".repeat(64)],
          read: {},
          from: "2017-01-03",
          to: "2017-01-04",
          config: {},
          noMl: true,
          pnls: false,
        }),
      /is not the coordinator's/,
    );
  },
);
