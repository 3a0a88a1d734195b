import assert from "node:assert/strict";
import fc from "fast-check";
import { readOnnxMetadata } from "@/models/onnx/metadata.ts";
import { encodeModel, type ModelSpec, ProtoWriter } from "@/models/onnx/proto.ts";
import { createOrtSession } from "@/models/onnx/session.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/** The protobuf varint of `n` computed on BigInt: an independent oracle. */
function varintOracle(n: number): string {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return hex(Uint8Array.from(out));
}

Deno.test("ProtoWriter.varint() writes the documented encodings", async (t) => {
  // Expected bytes from the protobuf encoding guide (150 -> 96 01) and two's complement.
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "80 01"],
    [150, "96 01"],
    [300, "ac 02"],
    [16383, "ff 7f"],
    [16384, "80 80 01"],
    [2 ** 31 - 1, "ff ff ff ff 07"],
    [2 ** 31, "80 80 80 80 08"],
    [2 ** 32 - 1, "ff ff ff ff 0f"],
    [2 ** 32, "80 80 80 80 10"],
    [2 ** 53 - 1, "ff ff ff ff ff ff ff 0f"],
    [-1, "ff ff ff ff ff ff ff ff ff 01"],
    [-2, "fe ff ff ff ff ff ff ff ff 01"],
    [-(2 ** 32), "80 80 80 80 f0 ff ff ff ff 01"],
  ];
  for (const [value, expected] of cases) {
    await t.step(`${value}`, () => {
      assert.equal(hex(new ProtoWriter().varint(value).finish()), expected);
    });
  }
});

Deno.test("ProtoWriter.varint() agrees with a BigInt encoder for every safe integer", () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (n) => {
      assert.equal(hex(new ProtoWriter().varint(n).finish()), varintOracle(n));
    }),
    { numRuns: 20_000 },
  );
});

Deno.test("ProtoWriter.varint() refuses values it cannot write exactly", async (t) => {
  for (const value of [1.5, 2 ** 53, -(2 ** 53), NaN, Infinity]) {
    await t.step(`${value}`, () => {
      assert.throws(() => new ProtoWriter().varint(value), RangeError);
    });
  }
});

Deno.test("ProtoWriter writes tags, fixed32 floats, strings and packed fields", async (t) => {
  const cases: ReadonlyArray<readonly [string, (w: ProtoWriter) => void, string]> = [
    ["an int field (field 20, tag 160)", (w) => w.int(20, 6), "a0 01 06"],
    ["a float field as fixed32 little-endian", (w) => w.float(2, 0.5), "15 00 00 00 3f"],
    ["a UTF-8 string", (w) => w.string(1, "é"), "0a 02 c3 a9"],
    ["packed floats", (w) => w.packedFloats(7, [1.5, -2]), "3a 08 00 00 c0 3f 00 00 00 c0"],
    [
      "packed int64s with a negative",
      (w) => w.packedInts(8, [1, -1]),
      "42 0b 01 " + "ff ".repeat(9) + "01",
    ],
    ["nothing for empty packed fields", (w) => w.packedFloats(7, []).packedInts(8, []), ""],
    [
      "an embedded message",
      (w) => w.message(8, (m) => m.string(1, "").int(2, 3)),
      "42 04 0a 00 10 03",
    ],
  ];
  for (const [name, write, expected] of cases) {
    await t.step(name, () => {
      const w = new ProtoWriter();
      write(w);
      assert.equal(hex(w.finish()), expected);
    });
  }
});

Deno.test("ProtoWriter grows past its first buffer without losing bytes", () => {
  const w = new ProtoWriter();
  for (let i = 0; i < 100_000; i++) w.varint(i % 128);
  const bytes = w.finish();
  assert.equal(bytes.length, 100_000);
  assert.equal(bytes[99_999], 99_999 % 128);
});

function minimalModel(metadata: Record<string, string>): ModelSpec {
  return {
    irVersion: 8,
    opsets: [{ domain: "", version: 17 }],
    producerName: "test",
    graph: {
      name: "identity",
      nodes: [{ opType: "Identity", name: "id", inputs: ["features"], outputs: ["probabilities"] }],
      initializers: [],
      inputs: [{ name: "features", shape: ["N", 3] }],
      outputs: [{ name: "probabilities", shape: ["N", 3] }],
    },
    metadata,
  };
}

Deno.test("encodeModel() metadata round-trips through readOnnxMetadata() for any strings", () => {
  const text = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => s.isWellFormed());
  fc.assert(
    fc.property(fc.dictionary(text, text, { maxKeys: 8 }), (metadata) => {
      const read = readOnnxMetadata(encodeModel(minimalModel(metadata)));
      assert.deepEqual(Object.entries(read), Object.entries(metadata));
    }),
    { numRuns: 1_000 },
  );
});

Deno.test("encodeModel() keeps a metadata key named __proto__ as data", () => {
  const metadata = JSON.parse('{"__proto__": "x", "a": "b"}');
  const read = readOnnxMetadata(encodeModel(minimalModel(metadata)));
  assert.deepEqual(Object.entries(read), [["__proto__", "x"], ["a", "b"]]);
  assert.equal(Object.getPrototypeOf(read), Object.prototype);
});

Deno.test("encodeModel() writes TENSOR and FLOAT attributes that onnxruntime reads", async () => {
  // features + Constant([1, 2, 3]), then LeakyRelu(alpha 0.5).
  const model: ModelSpec = {
    ...minimalModel({}),
    graph: {
      name: "attributes",
      nodes: [
        {
          opType: "Constant",
          name: "c",
          inputs: [],
          outputs: ["c"],
          attributes: [{
            name: "value",
            type: "tensor",
            value: { name: "c_value", dims: [3], type: "float", data: [1, 2, 3] },
          }],
        },
        { opType: "Add", name: "add", inputs: ["features", "c"], outputs: ["sum"] },
        {
          opType: "LeakyRelu",
          name: "leaky",
          inputs: ["sum"],
          outputs: ["probabilities"],
          attributes: [{ name: "alpha", type: "float", value: 0.5 }],
        },
      ],
      initializers: [],
      inputs: [{ name: "features", shape: ["N", 3] }],
      outputs: [{ name: "probabilities", shape: ["N", 3] }],
    },
  };
  const session = await createOrtSession(encodeModel(model), { numThreads: 1 });
  try {
    const { probabilities } = await session.run(Float32Array.of(-4, 0, 4, 0, 0, 0), 2);
    assert.deepEqual(Array.from(probabilities), [-1.5, 2, 7, 1, 2, 3]);
  } finally {
    await session.release();
  }
});
