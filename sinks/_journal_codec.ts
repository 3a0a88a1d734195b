/**
 * The journal's compact columns: how a prediction's probabilities, a signal's votes and
 * what its bars share (the signal's context) become bytes and text, and back.
 *
 * Role: keep a year of per-bar predictions and signals small (a year of `serve --replay`
 * once wrote 1.7 GB, most of it JSON text and 64-character hashes repeated on every row)
 * while every number reads back exactly as it went in.
 *
 * It must never:
 * - round a number: a value is written as float32 only when float32 holds it exactly
 *   (the models' outputs are float32), else as float64;
 * - store a value JSON cannot hold or a non-finite number as if it were one: NaN and
 *   infinities are refused with the field named, as the NOT NULL columns refuse NaN;
 * - touch the database: the journal (sinks/journal.ts) owns the tables and the keys.
 */

import type { SignalEvent, TrendLabel, VolatilityLabel, Vote } from "@/pipeline/events.ts";

/** A value written as float32 (4 bytes) when exact, else float64 (8 bytes). */
const F32 = 4;
const F64 = 8;

/** Bytes shared by the encoders; each encoding copies out only what it wrote. */
let scratch = new DataView(new ArrayBuffer(1024));

function room(bytes: number): DataView {
  if (scratch.byteLength < bytes) scratch = new DataView(new ArrayBuffer(bytes * 2));
  return scratch;
}

function written(bytes: number): Uint8Array {
  return new Uint8Array(scratch.buffer.slice(0, bytes));
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${what} is ${value}; the journal stores finite numbers only`);
  }
  return value;
}

const isF32 = (value: number) => Math.fround(value) === value;

/**
 * A prediction's probabilities, then each member's: one width byte (4 or 8), then the
 * values little-endian, float32 when every one of them is exactly a float32.
 */
export function encodeProbabilities(
  probabilities: readonly number[],
  members: readonly (readonly number[])[],
): Uint8Array {
  const count = 3 + 3 * members.length;
  let exact = true;
  const check = (triple: readonly number[], model: string) => {
    if (triple.length !== 3) {
      throw new RangeError(
        `the ${model} gives ${triple.length} probabilities, not 3 (down, flat, up)`,
      );
    }
    for (const p of triple) {
      if (!isF32(finite(p, `a probability of the ${model}`))) exact = false;
    }
  };
  check(probabilities, "model");
  members.forEach((member, i) => check(member, `model's member ${i}`));
  const width = exact ? F32 : F64;
  const view = room(1 + count * width);
  view.setUint8(0, width);
  let at = 1;
  const put = (p: number) => {
    if (width === F32) view.setFloat32(at, p, true);
    else view.setFloat64(at, p, true);
    at += width;
  };
  for (const p of probabilities) put(p);
  for (const member of members) for (const p of member) put(p);
  return written(at);
}

export function decodeProbabilities(
  blob: Uint8Array,
): { probabilities: [number, number, number]; members: [number, number, number][] } {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const width = view.getUint8(0);
  const count = (blob.byteLength - 1) / width;
  if ((width !== F32 && width !== F64) || !Number.isInteger(count / 3) || count < 3) {
    throw new RangeError(`a probabilities blob of ${blob.byteLength} bytes is corrupt`);
  }
  const get = (i: number) =>
    width === F32 ? view.getFloat32(1 + i * width, true) : view.getFloat64(1 + i * width, true);
  const triple = (i: number): [number, number, number] => [get(i), get(i + 1), get(i + 2)];
  const members: [number, number, number][] = [];
  for (let i = 3; i < count; i += 3) members.push(triple(i));
  return { probabilities: triple(0), members };
}

const SIDES = ["buy", "sell", "flat"] as const;
/** Codes of a number in a vote: 0 and 1 take no bytes, then float32 and float64. */
const ZERO = 0, ONE = 1, FLOAT32 = 2, FLOAT64 = 3;

/**
 * Each vote's side and confidence: one byte (side code, then the confidence's code shifted
 * by 2), then the confidence's bytes. The sources and weights are in the context.
 */
export function encodeVotes(votes: readonly Vote[]): Uint8Array {
  const view = room(1 + 9 * votes.length);
  let at = 0;
  for (const vote of votes) {
    const side = SIDES.indexOf(vote.side);
    if (side < 0) throw new RangeError(`a ${vote.source} vote's side is "${vote.side}"`);
    const confidence = finite(vote.confidence, `the ${vote.source} vote's confidence`);
    const code = Object.is(confidence, 0)
      ? ZERO
      : confidence === 1
      ? ONE
      : isF32(confidence)
      ? FLOAT32
      : FLOAT64;
    view.setUint8(at++, side | (code << 2));
    if (code === FLOAT32) {
      view.setFloat32(at, confidence, true);
      at += F32;
    } else if (code === FLOAT64) {
      view.setFloat64(at, confidence, true);
      at += F64;
    }
  }
  return written(at);
}

/** A signal's votes from its votes blob, its context's sources and its reasons, if kept. */
export function decodeVotes(
  blob: Uint8Array,
  sources: SignalContext["sources"],
  reasons: readonly (readonly string[])[] | null,
): Vote[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const votes: Vote[] = [];
  let at = 0;
  for (const [i, [source, weight]] of sources.entries()) {
    const byte = view.getUint8(at++);
    const code = byte >> 2;
    let confidence = code === ONE ? 1 : 0;
    if (code === FLOAT32) {
      confidence = view.getFloat32(at, true);
      at += F32;
    } else if (code === FLOAT64) {
      confidence = view.getFloat64(at, true);
      at += F64;
    }
    votes.push({ source, side: SIDES[byte & 3], confidence, weight, reasons: reasons?.[i] ?? [] });
  }
  if (at !== blob.byteLength) {
    throw new RangeError(
      `a votes blob of ${blob.byteLength} bytes does not hold the ${sources.length} votes of its context`,
    );
  }
  return votes;
}

/**
 * What a signal shares with the signals around it, stored once as JSON text and referred
 * to by id: the feature spec, the model, the regime labels, and which sources voted with
 * what weight (in the votes' order).
 */
export interface SignalContext {
  readonly spec: string;
  readonly model: string | null;
  readonly regime: readonly [VolatilityLabel, TrendLabel] | null;
  readonly sources: readonly (readonly [Vote["source"], number])[];
}

/**
 * The context text of signals, remembering the last one so that a run of signals sharing
 * it (hours of bars between regime changes) builds no string; and the contexts read back,
 * parsed once each.
 */
export class SignalContexts {
  #last: SignalEvent | null = null;
  #lastText = "";
  readonly #parsed = new Map<number, SignalContext>();

  /** The context stored under `ref` in `names`. */
  parse(ref: number, names: { name(id: number): string }): SignalContext {
    let context = this.#parsed.get(ref);
    if (context === undefined) {
      context = JSON.parse(names.name(ref)) as SignalContext;
      this.#parsed.set(ref, context);
    }
    return context;
  }

  text(signal: SignalEvent): string {
    const last = this.#last;
    if (last === null || !sameContext(last, signal)) {
      const context: SignalContext = {
        spec: signal.specHash,
        model: signal.modelId,
        regime: signal.regime && [signal.regime.volatility, signal.regime.trend],
        sources: signal.votes.map((vote) => [
          vote.source,
          finite(vote.weight, `the ${vote.source} vote's weight`),
        ]),
      };
      this.#lastText = JSON.stringify(context);
    }
    this.#last = signal;
    return this.#lastText;
  }
}

function sameContext(a: SignalEvent, b: SignalEvent): boolean {
  if (
    a.specHash !== b.specHash || a.modelId !== b.modelId ||
    a.regime?.volatility !== b.regime?.volatility || a.regime?.trend !== b.regime?.trend ||
    a.votes.length !== b.votes.length
  ) return false;
  for (let i = 0; i < a.votes.length; i++) {
    if (a.votes[i].source !== b.votes[i].source || a.votes[i].weight !== b.votes[i].weight) {
      return false;
    }
  }
  return true;
}

/** A trade's levels in `SignalEvent` order; null for a hold, which has none. */
export function levelsText(signal: SignalEvent): string | null {
  const levels = [
    signal.stopLoss,
    signal.takeProfit,
    signal.stopDistance,
    signal.takeDistance,
    signal.stopPoints,
    signal.takePoints,
  ];
  if (levels.every((level) => level === null)) return null;
  for (const level of levels) if (level !== null) finite(level, "a signal's level");
  return JSON.stringify(levels);
}

/** Each vote's reasons, in the votes' order. */
export function reasonsText(votes: readonly Vote[]): string {
  return JSON.stringify(votes.map((vote) => vote.reasons));
}
