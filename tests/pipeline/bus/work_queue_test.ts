import assert from "node:assert/strict";
import {
  type Job,
  LocalWorkQueue,
  NatsWorkQueue,
  startNatsWorkers,
} from "../../../pipeline/bus/work_queue.ts";
import { natsTest } from "./_nats_server.ts";

const RUNNER = new URL("./_runner.ts", import.meta.url);

const echoJobs = (n: number, ms = 0): Job[] =>
  Array.from({ length: n }, (_, i) => ({ id: `job-${i}`, payload: { echo: i * 10, ms } }));

Deno.test("local workers run every job once and return its value", async () => {
  const queue = new LocalWorkQueue({ runner: RUNNER, workers: 2 });
  try {
    const jobs = [...echoJobs(6), ...echoJobs(2)];
    const results = await queue.run(jobs);
    assert.equal(results.size, 6);
    for (let i = 0; i < 6; i++) assert.equal(results.get(`job-${i}`)!.value, i * 10);
    assert.deepEqual(
      new Set([...results.values()].map((r) => r.worker)),
      new Set(["local-1", "local-2"]),
    );
  } finally {
    await queue.close();
  }
});

Deno.test("a job whose local worker died runs again on a new worker", async () => {
  const dir = await Deno.makeTempDir();
  const queue = new LocalWorkQueue({ runner: RUNNER, workers: 1 });
  try {
    const results = await queue.run([{ id: "c", payload: { crashOnce: `${dir}/marker` } }]);
    const result = results.get("c")!;
    assert.equal(result.value, "survived");
    assert.equal(result.attempts, 2);
  } finally {
    await queue.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a job that throws comes back failed with its error, not retried", async () => {
  const queue = new LocalWorkQueue({ runner: RUNNER, workers: 1 });
  try {
    const result = (await queue.run([{ id: "f", payload: { fail: "bad input" } }])).get("f")!;
    assert.equal(result.ok, false);
    assert.equal(result.error, "bad input");
    assert.equal(result.attempts, 1);
  } finally {
    await queue.close();
  }
});

natsTest(
  "jobs on the JetStream work queue come back once each, from both workers",
  async ({ url }) => {
    const options = { servers: url, ackWaitMs: 2000 };
    const queue = await NatsWorkQueue.connect(options);
    const workers = startNatsWorkers(2, { runner: RUNNER, queue: options });
    try {
      const jobs = echoJobs(8, 50);
      const seen: string[] = [];
      const results = await queue.run([...jobs, ...jobs], (r) => seen.push(r.id));
      assert.equal(results.size, 8);
      assert.deepEqual(seen.toSorted(), jobs.map((j) => j.id).toSorted());
      for (let i = 0; i < 8; i++) assert.equal(results.get(`job-${i}`)!.value, i * 10);
      assert.equal(new Set([...results.values()].map((r) => r.worker)).size, 2);
    } finally {
      await workers.stop();
      await queue.close();
    }
  },
);

natsTest(
  "a job whose worker is killed mid-job is redelivered to another after the ack wait",
  async ({ url }) => {
    const options = { servers: url, ackWaitMs: 1000 };
    const queue = await NatsWorkQueue.connect(options);
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
    try {
      const results = await queue.run(echoJobs(4, 300));
      assert.equal(results.size, 4);
      for (let i = 0; i < 4; i++) assert.equal(results.get(`job-${i}`)!.value, i * 10);
      const survivors = new Set([...results.values()].map((r) => r.worker));
      assert.ok(killed !== null && !survivors.has(killed), `no result from the killed ${killed}`);
      assert.ok(
        [...results.values()].some((r) => r.attempts === 2),
        "one job took a second delivery",
      );
    } finally {
      await workers.stop();
      await queue.close();
    }
  },
);

natsTest(
  "a coordinator that restarts collects results already stored instead of rerunning",
  async ({ url }) => {
    const options = { servers: url, ackWaitMs: 2000 };
    const workers = startNatsWorkers(1, { runner: RUNNER, queue: options });
    try {
      const first = await NatsWorkQueue.connect(options);
      const before = await first.run(echoJobs(3));
      await first.close();
      await workers.stop();
      // No worker is left: the results can only come from the results stream.
      const second = await NatsWorkQueue.connect(options);
      try {
        const after = await second.run(echoJobs(3));
        assert.deepEqual([...after.entries()].toSorted(), [...before.entries()].toSorted());
      } finally {
        await second.close();
      }
    } finally {
      await workers.stop();
    }
  },
);
