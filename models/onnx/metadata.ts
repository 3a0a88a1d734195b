/**
 * Reads the metadata_props of an ONNX file and the shapes of its graph inputs, and nothing
 * else, so the registry and the upload route can check a model's feature-spec hash and
 * input width before handing its bytes to onnxruntime. A minimal protobuf reader: it walks
 * the fields it needs, skips every other field by its wire type, and decodes
 * StringStringEntryProto (key 1, value 2) from field 14 and ValueInfoProto from the
 * graph's field 11. Malformed bytes fail with an `OnnxFormatError` naming the offset; it
 * must never guess.
 */

/** The bytes are not a well-formed ONNX ModelProto (as far as this reader looks). */
export class OnnxFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`Cannot read ONNX metadata: ${reason} at byte ${offset}`);
    this.name = "OnnxFormatError";
  }
}

// ModelProto fields: ir_version 1, graph 7, metadata_props 14. GraphProto: input 11.
// ValueInfoProto: name 1, type 2. TypeProto: tensor_type 1. TypeProto.Tensor: shape 2.
// TensorShapeProto: dim 1. Dimension: dim_value 1 (varint), dim_param 2 (string).
const IR_VERSION = 1;
const GRAPH = 7;
const METADATA_PROPS = 14;
const GRAPH_INPUT = 11;

class Reader {
  pos: number;

  constructor(private readonly bytes: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint of up to 10 bytes, as a double (exact below 2^53). */
  varint(): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxFormatError(start, "truncated varint");
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new OnnxFormatError(start, "varint longer than 10 bytes");
  }

  /** The [start, end) of a length-delimited field's payload, skipped past. */
  span(): [number, number] {
    const at = this.pos;
    const length = this.varint();
    if (length > this.end - this.pos) {
      throw new OnnxFormatError(
        at,
        `length ${length} runs past the end (${this.end - this.pos} left)`,
      );
    }
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  /** Skips one field's payload of wire type `wire`. */
  skip(wire: number, at: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (size > this.end - this.pos) throw new OnnxFormatError(at, "truncated fixed-size field");
        this.pos += size;
        return;
      }
      case 2:
        this.span();
        return;
      default:
        throw new OnnxFormatError(at, `unsupported wire type ${wire}`);
    }
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number; at: number } {
    const at = this.pos;
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new OnnxFormatError(at, "field number 0");
    return { field, wire: key % 8, at };
  }
}

function utf8(bytes: Uint8Array, [start, end]: [number, number]): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end));
  } catch {
    throw new OnnxFormatError(start, "invalid UTF-8 in a metadata string");
  }
}

function readEntry(bytes: Uint8Array, [start, end]: [number, number]): [string, string] {
  const r = new Reader(bytes, start, end);
  let key: string | undefined;
  let value = "";
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if ((field === 1 || field === 2) && wire === 2) {
      const text = utf8(bytes, r.span());
      if (field === 1) key = text;
      else value = text;
    } else {
      r.skip(wire, at);
    }
  }
  if (key === undefined) throw new OnnxFormatError(start, "metadata entry without a key");
  return [key, value];
}

/**
 * The metadata_props of an ONNX ModelProto as a plain record, in file order. Throws an
 * `OnnxFormatError` on malformed bytes or a repeated key (ONNX requires keys be unique).
 *
 * @example
 * ```ts
 * const meta = readOnnxMetadata(await Deno.readFile("model.onnx"));
 * if (meta.feature_spec_hash !== engine.hash) throw new Error("spec mismatch");
 * ```
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  if (bytes.length === 0) throw new OnnxFormatError(0, "empty file");
  const meta: Record<string, string> = {};
  const r = new Reader(bytes, 0, bytes.length);
  let irVersion = false;
  let graph = false;
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === METADATA_PROPS && wire === 2) {
      const [key, value] = readEntry(bytes, r.span());
      if (Object.hasOwn(meta, key)) {
        throw new OnnxFormatError(at, `metadata key "${key}" appears twice`);
      }
      // defineProperty, so a key such as "__proto__" is kept as data.
      Object.defineProperty(meta, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      irVersion ||= field === IR_VERSION && wire === 0;
      graph ||= field === GRAPH && wire === 2;
      r.skip(wire, at);
    }
  }
  if (!irVersion || !graph) {
    throw new OnnxFormatError(bytes.length, "not an ONNX model (no ir_version or no graph)");
  }
  return meta;
}

/** A graph input: its name and each dimension (a size, a symbolic name, or null if unset). */
export interface OnnxInput {
  readonly name: string;
  readonly dims: readonly (number | string | null)[];
}

/** Every field `field` of wire type 2 in [start, end), as payload spans, in order. */
function spans(bytes: Uint8Array, [start, end]: [number, number], field: number) {
  const out: [number, number][] = [];
  const r = new Reader(bytes, start, end);
  while (!r.done) {
    const tag = r.tag();
    if (tag.field === field && tag.wire === 2) out.push(r.span());
    else r.skip(tag.wire, tag.at);
  }
  return out;
}

function readDimension(bytes: Uint8Array, span: [number, number]): number | string | null {
  const r = new Reader(bytes, span[0], span[1]);
  let dim: number | string | null = null;
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1 && wire === 0) dim = r.varint();
    else if (field === 2 && wire === 2) dim = utf8(bytes, r.span());
    else r.skip(wire, at);
  }
  return dim;
}

function readInput(bytes: Uint8Array, span: [number, number]): OnnxInput {
  const [name] = spans(bytes, span, 1).map((s) => utf8(bytes, s));
  if (name === undefined) throw new OnnxFormatError(span[0], "graph input without a name");
  const dims = spans(bytes, span, 2) // type
    .flatMap((type) => spans(bytes, type, 1)) // tensor_type
    .flatMap((tensor) => spans(bytes, tensor, 2)) // shape
    .flatMap((shape) => spans(bytes, shape, 1)) // dim
    .map((dim) => readDimension(bytes, dim));
  return { name, dims };
}

/**
 * The graph inputs of an ONNX ModelProto with their shapes, in graph order; throws an
 * `OnnxFormatError` on malformed bytes or a model without a graph.
 *
 * @example
 * ```ts
 * const [input] = readOnnxInputs(await Deno.readFile("model.onnx"));
 * // { name: "features", dims: ["N", 57] }
 * ```
 */
export function readOnnxInputs(bytes: Uint8Array): OnnxInput[] {
  const [graph] = spans(bytes, [0, bytes.length], GRAPH);
  if (graph === undefined) throw new OnnxFormatError(bytes.length, "not an ONNX model (no graph)");
  return spans(bytes, graph, GRAPH_INPUT).map((input) => readInput(bytes, input));
}
