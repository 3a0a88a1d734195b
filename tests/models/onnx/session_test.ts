import assert from "node:assert/strict";
import { exportOnnx } from "@/models/onnx/export.ts";
import { encodeModel } from "@/models/onnx/proto.ts";
import { createOrtSession, pendingSession } from "@/models/onnx/session.ts";
import { gridRows, randomEnsemble, randomLinear } from "./_models.ts";

const ROWS = gridRows(9, 600, 57);
const LINEAR = exportOnnx(randomLinear(1, ROWS), { model_kind: "linear" });

Deno.test("createOrtSession() refuses a thread count that is not a positive integer", async (t) => {
  for (const numThreads of [0, -1, 1.5, NaN]) {
    await t.step(`${numThreads}`, async () => {
      await assert.rejects(() => createOrtSession(LINEAR, { numThreads }), RangeError);
    });
  }
});

Deno.test("createOrtSession() refuses a second thread count in the same process", async () => {
  const first = await createOrtSession(LINEAR, { numThreads: 1 });
  await first.release();
  await assert.rejects(
    () => createOrtSession(LINEAR, { numThreads: 2 }),
    /numThreads 2: onnxruntime already started with 1/,
  );
});

Deno.test("createOrtSession() rejects bytes that are not an ONNX model", async () => {
  await assert.rejects(() => createOrtSession(Uint8Array.of(1, 2, 3), { numThreads: 1 }));
});

Deno.test('createOrtSession() refuses a model without a "probabilities" output', async () => {
  const bytes = encodeModel({
    irVersion: 8,
    opsets: [{ domain: "", version: 17 }],
    producerName: "test",
    graph: {
      name: "other",
      nodes: [{ opType: "Identity", name: "id", inputs: ["features"], outputs: ["scores"] }],
      initializers: [],
      inputs: [{ name: "features", shape: ["N", 3] }],
      outputs: [{ name: "scores", shape: ["N", 3] }],
    },
    metadata: {},
  });
  await assert.rejects(
    () => createOrtSession(bytes, { numThreads: 1 }),
    /Cannot use ONNX model: it has no tensor "probabilities"/,
  );
});

Deno.test("OrtSession.run() refuses rows that do not match the model's width", async () => {
  const session = await createOrtSession(LINEAR, { numThreads: 1 });
  try {
    await assert.rejects(() => session.run(new Float32Array(57 * 2 - 1), 2), /reads 57 features/);
    await assert.rejects(() => session.run(new Float32Array(0), 0), RangeError);
  } finally {
    await session.release();
  }
});

Deno.test("OrtSession.run() scores a batch as it scores each row alone", async () => {
  const model = randomEnsemble(2, ROWS, { combiner: "average", platt: true, nTrees: 120 });
  const session = await createOrtSession(exportOnnx(model, {}), { numThreads: 1 });
  try {
    const f = ROWS.nFeatures;
    const batch = await session.run(ROWS.x, ROWS.rows);
    assert.equal(batch.probabilities.length, ROWS.rows * 3);
    assert.equal(batch.members.length, 4);
    for (let i = 0; i < ROWS.rows; i += 7) {
      const one = await session.run(ROWS.x.subarray(i * f, (i + 1) * f), 1);
      for (let k = 0; k < 3; k++) {
        assert.ok(
          Math.abs(one.probabilities[k] - batch.probabilities[i * 3 + k]) < 1e-6,
          `row ${i} class ${k}`,
        );
      }
    }
  } finally {
    await session.release();
  }
});

Deno.test("createOrtSession() on a worker scores bit for bit as on the calling thread", async () => {
  const model = exportOnnx(
    randomEnsemble(3, ROWS, { combiner: "stacking", platt: true, nTrees: 60 }),
    {},
  );
  const here = await createOrtSession(model, { numThreads: 1 });
  const worker = await createOrtSession(model, { numThreads: 1, workers: 1 });
  try {
    assert.equal(worker.nFeatures, 57);
    assert.equal(worker.nMembers, 4);
    assert.deepEqual(await worker.run(ROWS.x, ROWS.rows), await here.run(ROWS.x, ROWS.rows));
  } finally {
    await here.release();
    await worker.release();
  }
});

Deno.test("OrtSession.run() on a worker answers runs asked for at once, each with its own rows", async () => {
  const model = exportOnnx(randomLinear(2, ROWS), {});
  const here = await createOrtSession(model, { numThreads: 1 });
  const worker = await createOrtSession(model, { numThreads: 1, workers: 1 });
  try {
    const f = ROWS.nFeatures;
    // Ten runs of 1..10 rows from different places, asked for before any is answered; the
    // caller's array is overwritten right after each call, which must not matter.
    const x = new Float32Array(10 * f);
    const runs = Array.from({ length: 10 }, (_, i) => {
      x.set(ROWS.x.subarray(i * 50 * f, (i * 50 + i + 1) * f));
      const run = worker.run(x.subarray(0, (i + 1) * f), i + 1);
      x.fill(NaN);
      return run;
    });
    for (const [i, run] of runs.entries()) {
      const rows = ROWS.x.slice(i * 50 * f, (i * 50 + i + 1) * f);
      assert.deepEqual(await run, await here.run(rows, i + 1), `run ${i}`);
    }
  } finally {
    await here.release();
    await worker.release();
  }
});

Deno.test("OrtSession.run() on a worker refuses rows that do not match the model's width", async () => {
  const session = await createOrtSession(LINEAR, { numThreads: 1, workers: 1 });
  try {
    await assert.rejects(() => session.run(new Float32Array(57 * 2 - 1), 2), /reads 57 features/);
  } finally {
    await session.release();
  }
  await assert.rejects(() => session.run(new Float32Array(57), 1), /was released/);
});

Deno.test("createOrtSession() on a worker rejects bytes that are not an ONNX model", async () => {
  await assert.rejects(
    () => createOrtSession(Uint8Array.of(1, 2, 3), { numThreads: 1, workers: 1 }),
  );
});

Deno.test("createOrtSession() with two workers deals the runs to both and answers each with its own rows", async () => {
  const model = exportOnnx(randomLinear(4, ROWS), {});
  const here = await createOrtSession(model, { numThreads: 1 });
  const two = await createOrtSession(model, { numThreads: 1, workers: 2 });
  try {
    const f = ROWS.nFeatures;
    const runs = Array.from({ length: 6 }, (_, i) => {
      const rows = ROWS.x.subarray(i * 90 * f, (i * 90 + 7) * f);
      return { rows, scored: two.run(rows, 7) };
    });
    for (const [i, { rows, scored }] of runs.entries()) {
      assert.deepEqual(await scored, await here.run(rows, 7), `run ${i}`);
    }
  } finally {
    await here.release();
    await two.release();
  }
});

Deno.test("createOrtSession() refuses a worker count that is not a whole number >= 0", async () => {
  await assert.rejects(() => createOrtSession(LINEAR, { numThreads: 1, workers: -1 }), RangeError);
  await assert.rejects(() => createOrtSession(LINEAR, { numThreads: 1, workers: 1.5 }), RangeError);
});

Deno.test("pendingSession().run() waits for the start and answers as the started session does", async () => {
  const started = await createOrtSession(LINEAR, { numThreads: 1 });
  let resolve!: (session: typeof started) => void;
  const pending = pendingSession(new Promise((r) => resolve = r), 57);
  try {
    assert.throws(() => pending.nMembers, /only once it has started/);
    const x = ROWS.x.slice(0, 2 * 57);
    const answer = pending.run(x, 2);
    resolve(started);
    assert.deepEqual(await answer, await started.run(x, 2));
    assert.equal(pending.nMembers, started.nMembers);
  } finally {
    await pending.release();
  }
});

Deno.test("pendingSession() fails every run with the error its start failed with", async () => {
  const pending = pendingSession(Promise.reject(new TypeError("no such model")), 57);
  await assert.rejects(() => pending.run(new Float32Array(57), 1), /no such model/);
  await assert.rejects(() => pending.run(new Float32Array(57), 1), /no such model/);
  await pending.release(); // nothing started, nothing to free: it must not throw
});
