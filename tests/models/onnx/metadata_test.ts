import assert from "node:assert/strict";
import { exportOnnx } from "@/models/onnx/export.ts";
import { OnnxFormatError, readOnnxInputs, readOnnxMetadata } from "@/models/onnx/metadata.ts";
import { gridRows, randomLinear } from "./_models.ts";

const META = {
  feature_spec_hash: "9f3c0a1b",
  classes: "down,flat,up",
  model_kind: "linear",
};

function exported(): Uint8Array {
  return exportOnnx(randomLinear(1, gridRows(1, 50, 8)), META);
}

const bytes = (...values: number[]) => Uint8Array.from(values);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

Deno.test("readOnnxMetadata() reads what exportOnnx() wrote, in order", () => {
  assert.deepEqual(Object.entries(readOnnxMetadata(exported())), Object.entries(META));
});

Deno.test("readOnnxMetadata() skips unknown fields of every wire type", () => {
  const unknown = concat(
    // field 50 fixed64 (tag 0x91 0x03), field 51 fixed32 (tag 0x9d 0x03), field 52 varint.
    bytes(0x91, 0x03, 1, 2, 3, 4, 5, 6, 7, 8),
    bytes(0x9d, 0x03, 1, 2, 3, 4),
    bytes(0xa0, 0x03, 0xff, 0xff, 0x03),
  );
  assert.deepEqual(readOnnxMetadata(concat(unknown, exported())), META);
});

Deno.test("readOnnxMetadata() refuses malformed bytes with an OnnxFormatError", async (t) => {
  const entry = (...payload: number[]) => bytes(0x72, payload.length, ...payload);
  const valid = exported();
  const cases: ReadonlyArray<readonly [string, Uint8Array, RegExp]> = [
    ["an empty file", bytes(), /empty file at byte 0/],
    ["a truncated varint", bytes(0x08), /truncated varint at byte 1/],
    ["an over-long varint", bytes(0x08, ...new Array(11).fill(0xff)), /longer than 10 bytes/],
    ["a length past the end", bytes(0x0a, 0x05, 0x01), /length 5 runs past the end/],
    ["a truncated fixed32", bytes(0x0d, 0x00), /truncated fixed-size field at byte 0/],
    ["a group (wire type 3)", bytes(0x0b), /unsupported wire type 3/],
    ["wire type 7", bytes(0x0f), /unsupported wire type 7/],
    ["field number 0", bytes(0x00), /field number 0 at byte 0/],
    [
      "a text file",
      new TextEncoder().encode("feature_spec_hash=9f3c\n"),
      /unsupported wire type 6 at byte 0/,
    ],
    ["a protobuf without a graph", bytes(0x08, 0x08), /not an ONNX model/],
    ["invalid UTF-8 in a key", concat(valid, entry(0x0a, 0x01, 0xff)), /invalid UTF-8/],
    ["an entry without a key", concat(valid, entry(0x12, 0x01, 0x61)), /without a key/],
    [
      "a repeated key",
      concat(valid, entry(0x0a, 0x07, ...new TextEncoder().encode("classes"))),
      /metadata key "classes" appears twice/,
    ],
  ];
  for (const [name, input, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => readOnnxMetadata(input), (e: unknown) => {
        assert.ok(e instanceof OnnxFormatError, `${name}: ${e}`);
        assert.match(`${e.name}: ${e.message}`, message);
        assert.ok(e.offset >= 0 && e.offset <= input.length);
        return true;
      });
    });
  }
});

Deno.test("readOnnxMetadata() on any truncation throws or returns a prefix of the entries", () => {
  const full = exported();
  const expected = Object.entries(META);
  for (let cut = 0; cut < full.length; cut++) {
    let read: [string, string][];
    try {
      read = Object.entries(readOnnxMetadata(full.subarray(0, cut)));
    } catch (e) {
      assert.ok(e instanceof OnnxFormatError, `cut at ${cut}: ${e}`);
      continue;
    }
    assert.deepEqual(read, expected.slice(0, read.length), `cut at ${cut}`);
    assert.ok(read.length < expected.length, `cut at ${cut} lost nothing yet read as whole`);
  }
});

Deno.test("readOnnxInputs() reads the width exportOnnx() gave the features input", () => {
  assert.deepEqual(readOnnxInputs(exported()), [{ name: "features", dims: ["N", 8] }]);
});

Deno.test("readOnnxInputs() decodes a hand-encoded input with a symbolic and a fixed dimension", () => {
  // Encoded by hand from onnx.proto3: Dimension {dim_param "N"} = 12 01 4e and
  // {dim_value 57} = 08 39; TensorShapeProto {dim, dim} = 0a 03 (..) 0a 02 (..), 9 bytes;
  // TypeProto.Tensor {elem_type 1, shape} = 08 01 12 09 (..), 13; TypeProto {tensor_type}
  // = 0a 0d (..), 15; ValueInfoProto {name "x", type} = 0a 01 78 12 0f (..), 20;
  // GraphProto {input} = 5a 14 (..), 22; ModelProto {ir_version 8, graph} = 08 08 3a 16 (..).
  const shape = bytes(0x0a, 3, 0x12, 1, 0x4e, 0x0a, 2, 0x08, 0x39);
  const tensor = concat(bytes(0x08, 1, 0x12, shape.length), shape);
  const type = concat(bytes(0x0a, tensor.length), tensor);
  const info = concat(bytes(0x0a, 1, 0x78, 0x12, type.length), type);
  const graph = concat(bytes(0x5a, info.length), info);
  const model = concat(bytes(0x08, 8, 0x3a, graph.length), graph);
  assert.deepEqual([shape.length, tensor.length, type.length, info.length, graph.length], [
    9,
    13,
    15,
    20,
    22,
  ]);
  assert.deepEqual(readOnnxInputs(model), [{ name: "x", dims: ["N", 57] }]);
});

Deno.test("readOnnxInputs() refuses bytes without a graph or with a truncated one", () => {
  assert.throws(() => readOnnxInputs(bytes(0x08, 8)), OnnxFormatError);
  assert.throws(() => readOnnxInputs(exported().subarray(0, 40)), OnnxFormatError);
});
