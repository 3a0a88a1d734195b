/**
 * Mutation fuzzing of the EA protocol's way in (`parseEnvelope` then the feed guard, as
 * the bridge runs them): envelopes of real M1 bars (HistData 2017 read through the
 * reader, or generated ones without the data) spoilt field by field: values a wire can
 * carry that no market makes (1e300, a JSON 1e400 that parses as Infinity, year 9999 or
 * 0017 in microseconds, negative or zero prices, asks ten times the bid), wrong types,
 * missing fields, junk. A clean refusal is a 400 `ProtocolError` naming the field; what is
 * accepted must be plausible. Shared by protocol_fuzz_test.ts and bench/fuzz.ts.
 */

import fc from "fast-check";
import { type BarEvent, EVENT_VERSION, TIMEFRAME_US } from "@/pipeline/events.ts";
import { FeedGuard } from "@/pipeline/live/feed_guard.ts";
import { parseEnvelope, ProtocolError } from "@/pipeline/live/protocol.ts";
import { DEFAULT_PLAUSIBILITY, RecentMove } from "@/pipeline/plausibility.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath } from "../../_data.ts";
import type { Verdict } from "../../sources/_fuzz.ts";

export const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** The first `count` M1 bars of HistData 2017 as the EA would send them (bid, no spread). */
export async function realBars(count: number): Promise<BarEvent[]> {
  const bars: BarEvent[] = [];
  const source = await openSource(dataPath(HISTDATA_2017));
  for await (const b of source.batches()) {
    if (b.kind !== "bars") continue;
    for (let i = 0; i < b.length && bars.length < count; i++) {
      bars.push({
        v: EVENT_VERSION,
        kind: "bar",
        symbol: "XAUUSD",
        timeframe: "M1",
        openUs: b.openUs[i],
        closeUs: b.closeUs[i],
        bid: { open: b.bidOpen[i], high: b.bidHigh[i], low: b.bidLow[i], close: b.bidClose[i] },
        ask: null,
        spread: 0.3,
        volume: 0,
      });
    }
    if (bars.length >= count) break;
  }
  return bars;
}

/** M1 bars a minute apart, walking from 2000 by at most $2, for runs without the data. */
export const generatedBars: fc.Arbitrary<BarEvent[]> = fc.array(
  fc.tuple(fc.integer({ min: -200, max: 200 }), fc.integer({ min: 0, max: 100 })),
  { minLength: 1, maxLength: 12 },
).map((steps) => {
  let close = 200_000;
  const start = Date.UTC(2024, 2, 20, 13) * 1000;
  return steps.map(([move, range], i) => {
    const open = close;
    close = open + move;
    const bid = {
      open: open / 100,
      high: (Math.max(open, close) + range) / 100,
      low: (Math.min(open, close) - range) / 100,
      close: close / 100,
    };
    const openUs = start + i * TIMEFRAME_US.M1;
    return {
      v: EVENT_VERSION,
      kind: "bar" as const,
      symbol: "XAUUSD",
      timeframe: "M1" as const,
      openUs,
      closeUs: openUs + TIMEFRAME_US.M1,
      bid,
      ask: null,
      spread: 0.3,
      volume: 0,
    };
  });
});

/** A value to put where another was. */
const WIRE_VALUES: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    1e300,
    -1e300,
    1e14,
    0,
    -1,
    -0,
    0.5,
    Number.MAX_SAFE_INTEGER,
    Date.UTC(9999, 0, 4) * 1000,
    Date.UTC(17, 0, 4) * 1000,
    Date.UTC(2200, 0, 6) * 1000,
    null,
    "",
    "1291.5",
    true,
    [],
    {},
    { open: 1, high: 1e300, low: 1, close: 1 },
  ),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.string({ maxLength: 40 }),
);

/** One change to an envelope: a value replaced, a key removed, or a number written as 1e400. */
export type EnvelopeMutation =
  | { readonly kind: "set"; readonly pick: number; readonly value: unknown }
  | { readonly kind: "delete"; readonly pick: number }
  | { readonly kind: "infinity"; readonly pick: number }
  | { readonly kind: "scale"; readonly pick: number; readonly factor: number };

export const envelopeMutationArbitrary: fc.Arbitrary<EnvelopeMutation> = fc.oneof(
  fc.record({ kind: fc.constant("set"), pick: fc.nat(), value: WIRE_VALUES }),
  fc.record({ kind: fc.constant("delete"), pick: fc.nat() }),
  fc.record({ kind: fc.constant("infinity"), pick: fc.nat() }),
  fc.record({ kind: fc.constant("scale"), pick: fc.nat(), factor: fc.constantFrom(10, 0.1, 1000) }),
);

type Json = Record<string, unknown> | unknown[];

/** Every (container, key) in the tree, depth first. */
function slots(node: unknown, out: Array<[Json, string | number]> = []) {
  if (Array.isArray(node)) {
    node.forEach((child, i) => {
      out.push([node, i]);
      slots(child, out);
    });
  } else if (node !== null && typeof node === "object") {
    for (const [key, child] of Object.entries(node)) {
      out.push([node as Record<string, unknown>, key]);
      slots(child, out);
    }
  }
  return out;
}

/** The envelope carrying `bars`, spoilt by `mutations`, as the wire would hand it over. */
export function spoiltEnvelope(
  bars: readonly BarEvent[],
  mutations: readonly EnvelopeMutation[],
): unknown {
  const envelope = {
    v: 1,
    session: "fuzz",
    seq: 1,
    sentUs: bars.at(-1)!.closeUs,
    messages: structuredClone(bars),
    acks: [],
  };
  let infinities = 0;
  for (const m of mutations) {
    const all = slots(envelope);
    const [container, key] = all[m.pick % all.length];
    const c = container as Record<string | number, unknown>;
    if (m.kind === "set") c[key] = m.value;
    else if (m.kind === "delete") delete c[key];
    else if (m.kind === "scale") {
      if (typeof c[key] === "number") c[key] = (c[key] as number) * m.factor;
    } else {
      c[key] = 7.25e300;
      infinities++;
    }
  }
  // JSON has no Infinity: a number too long for a double parses as one, as on the wire.
  const text = JSON.stringify(envelope);
  return JSON.parse(infinities > 0 ? text.replaceAll("7.25e+300", "1e400") : text);
}

/**
 * What the bridge's way in made of an envelope: refused with a 400 naming a field
 * (`bad envelope at messages.3.bid: ...`), or accepted with only plausible bars.
 */
export function judgeEnvelope(input: unknown): Verdict {
  try {
    const envelope = parseEnvelope(input);
    new FeedGuard().check(envelope, 0);
    const problem = implausibleBars(envelope.messages.filter((m) => m.kind === "bar"));
    return problem === null
      ? { kind: "accepted", spoiltMore: false }
      : { kind: "implausible", detail: problem };
  } catch (error) {
    if (!(error instanceof ProtocolError)) {
      return { kind: "crash", detail: (error as Error)?.stack ?? String(error) };
    }
    return error.status === 400 && /^bad envelope at \S+: \S/.test(error.message)
      ? { kind: "refused", spoiltMore: false }
      : { kind: "unnamed", detail: error.message };
  }
}

/** Null when every new bar (each closing after the last) is plausible, else what is not. */
function implausibleBars(bars: readonly BarEvent[]): string | null {
  const p = DEFAULT_PLAUSIBILITY;
  const moves = new RecentMove(TIMEFRAME_US.M1);
  let last = 0;
  for (const bar of bars) {
    if (bar.closeUs <= last) continue;
    last = bar.closeUs;
    const { open, high, low, close } = bar.bid;
    if (!(bar.openUs >= p.earliestUs && bar.openUs < p.latestUs)) return `openUs ${bar.openUs}`;
    if (![open, high, low, close].every((x) => x >= p.minPrice && x <= p.maxPrice)) {
      return `bid ${open}/${high}/${low}/${close}`;
    }
    if (bar.spread !== null && !(bar.spread <= low * (p.maxAskBid - 1))) {
      return `spread ${bar.spread}`;
    }
    if (bar.ask !== null) {
      const bid = [open, high, low, close];
      const ask = [bar.ask.open, bar.ask.high, bar.ask.low, bar.ask.close];
      if (ask.some((a, k) => !(a >= bid[k] && a <= bid[k] * p.maxAskBid && a <= p.maxPrice))) {
        return `ask ${ask.join("/")}`;
      }
    }
    if (bar.timeframe === "M1") {
      if (moves.multiple(bar.openUs, high, low) > p.maxJump) return `a jump at ${bar.openUs}`;
      moves.commit(bar.openUs, close, moves.lastMove);
    }
  }
  return null;
}
