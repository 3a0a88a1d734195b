import assert from "node:assert/strict";
import { exportOnnx } from "@/models/onnx/export.ts";
import { encodeModel } from "@/models/onnx/proto.ts";
import { createOrtSession } from "@/models/onnx/session.ts";
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
