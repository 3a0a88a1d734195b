/**
 * A minimal protobuf writer and the few ONNX messages our exporter emits (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto). Field numbers are
 * those of onnx/onnx.proto, checked against the generated encoder that onnxruntime-web
 * 1.30 ships (lib/onnxjs/ort-schema/protobuf/onnx.js). It only writes bytes: it must
 * never read, validate a graph or know what a model means.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

/** An append-only protobuf encoder over a growable byte buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < this.length + n) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * A base-128 varint of an integer in [-2^63, 2^64); a negative value is written as its
   * 64-bit two's complement (ten bytes), as protobuf does for int64. Throws a RangeError
   * for a non-integer or a value a double cannot hold exactly.
   */
  varint(value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Cannot write varint ${value}: not a safe integer`);
    }
    this.reserve(10);
    // Split into 32-bit halves; a negative value becomes its two's complement.
    let lo = value >>> 0;
    let hi = value < 0 ? ~Math.floor(-value / TWO_32) >>> 0 : Math.floor(value / TWO_32) >>> 0;
    if (value < 0 && lo === 0) hi = (hi + 1) >>> 0;
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.length++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.length++] = lo;
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An int32, int64, uint64 or enum field. */
  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(value);
  }

  /** A `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** A `bytes` field, or an already encoded embedded message. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message, written by `write` into a writer of its own. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed `repeated float`; nothing when empty. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, WIRE_LEN);
    this.varint(values.length * 4);
    this.reserve(values.length * 4);
    for (let i = 0; i < values.length; i++) {
      this.view.setFloat32(this.length, values[i], true);
      this.length += 4;
    }
    return this;
  }

  /** A packed `repeated int64` (or int32); nothing when empty. */
  packedInts(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.varint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** TensorProto.DataType values used here. */
const ELEM_FLOAT = 1;
const ELEM_INT64 = 7;

/** A constant tensor: float32 data as raw little-endian bytes, int64 data as varints. */
export type TensorSpec =
  | {
    readonly name: string;
    readonly dims: readonly number[];
    readonly type: "float";
    readonly data: ArrayLike<number>;
  }
  | {
    readonly name: string;
    readonly dims: readonly number[];
    readonly type: "int64";
    readonly data: readonly number[];
  };

/** A node attribute; the kinds our graphs need. */
export type AttributeSpec =
  | { readonly name: string; readonly type: "float"; readonly value: number }
  | { readonly name: string; readonly type: "int"; readonly value: number }
  | { readonly name: string; readonly type: "string"; readonly value: string }
  | { readonly name: string; readonly type: "tensor"; readonly value: TensorSpec }
  | { readonly name: string; readonly type: "floats"; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly type: "ints"; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly type: "strings"; readonly value: readonly string[] };

export interface NodeSpec {
  readonly opType: string;
  /** "" (the default) for the standard operators, "ai.onnx.ml" for the ML ones. */
  readonly domain?: string;
  readonly name: string;
  /** An empty name skips an optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly AttributeSpec[];
}

/** A float tensor value; a string dimension is symbolic (e.g. the batch "N"). */
export interface ValueInfoSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

export interface GraphSpec {
  readonly name: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly TensorSpec[];
  readonly inputs: readonly ValueInfoSpec[];
  readonly outputs: readonly ValueInfoSpec[];
}

export interface ModelSpec {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly graph: GraphSpec;
  /** Written as metadata_props in insertion order. */
  readonly metadata: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  floats: 6,
  ints: 7,
  strings: 8,
} as const;

// TensorProto: dims 1, data_type 2, int64_data 7, name 8, raw_data 9.
function writeTensor(w: ProtoWriter, t: TensorSpec): void {
  w.packedInts(1, t.dims);
  if (t.type === "float") {
    w.int(2, ELEM_FLOAT);
    w.string(8, t.name);
    const raw = new Uint8Array(t.data.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true);
    w.bytes(9, raw);
  } else {
    w.int(2, ELEM_INT64);
    w.packedInts(7, t.data);
    w.string(8, t.name);
  }
}

// AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, strings 9, type 20.
function writeAttribute(w: ProtoWriter, a: AttributeSpec): void {
  w.string(1, a.name);
  switch (a.type) {
    case "float":
      w.float(2, a.value);
      break;
    case "int":
      w.int(3, a.value);
      break;
    case "string":
      w.string(4, a.value);
      break;
    case "tensor":
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case "floats":
      w.packedFloats(7, a.value);
      break;
    case "ints":
      w.packedInts(8, a.value);
      break;
    case "strings":
      for (const s of a.value) w.string(9, s);
      break;
  }
  w.int(20, ATTRIBUTE_TYPE[a.type]);
}

// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, (m) => writeAttribute(m, a));
  if (n.domain) w.string(7, n.domain);
}

// ValueInfoProto: name 1, type 2. TypeProto: tensor_type 1. TypeProto.Tensor: elem_type 1,
// shape 2. TensorShapeProto: dim 1. Dimension: dim_value 1, dim_param 2.
function writeValueInfo(w: ProtoWriter, v: ValueInfoSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ELEM_FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => typeof d === "number" ? dim.int(1, d) : dim.string(2, d));
        }
      });
    }));
}

// GraphProto: node 1, name 2, initializer 5, input 11, output 12.
function writeGraph(w: ProtoWriter, g: GraphSpec): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/**
 * Encodes a ModelProto: ir_version 1, producer_name 2, graph 7,
 * opset_import 8 (OperatorSetIdProto: domain 1, version 2), metadata_props 14
 * (StringStringEntryProto: key 1, value 2).
 */
export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsets) {
    w.message(8, (o) => o.string(1, opset.domain).int(2, opset.version));
  }
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (e) => e.string(1, key).string(2, value));
  }
  return w.finish();
}
