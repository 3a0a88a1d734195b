/**
 * Bars for the regime tests: real H1 bid bars resampled from HistData M1 exactly as the
 * pipeline does it, and a seeded synthetic H1 series built phase by phase. Synthetic
 * bars are unit-test input only, to pin a label to a known cause; they are never
 * presented as market data and never stand in for a missing real file.
 */

import { resampleBatch, Resampler } from "@/operators/bars/mod.ts";
import type { RegimeBar } from "@/operators/regime/mod.ts";
import { TIMEFRAME_US, usFromIso } from "@/pipeline/events.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath } from "../../_data.ts";

export const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/** A closed regime bar with its open time, as the tests keep it. */
export type TestBar = RegimeBar & { readonly openUs: number };

const cache = new Map<string, Promise<TestBar[]>>();

/** The H1 bars of a HistData M1 file (relative to the data folder), forming bucket dropped. */
export function realH1(rel: string): Promise<TestBar[]> {
  let bars = cache.get(rel);
  if (bars === undefined) {
    bars = loadH1(rel);
    cache.set(rel, bars);
  }
  return bars;
}

async function loadH1(rel: string): Promise<TestBar[]> {
  const bars: TestBar[] = [];
  const resampler = new Resampler("H1", {
    push(openUs, closeUs, open, high, low, close) {
      bars.push({ openUs, closeUs, open, high, low, close });
    },
  });
  for await (const batch of (await openSource(dataPath(rel))).batches()) {
    if (batch.kind === "bars") resampleBatch(batch, resampler);
  }
  return bars;
}

/** mulberry32: a tiny seeded generator, so a synthetic series is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One phase of a synthetic series: `bars` bars of log returns drift + sigma x noise. */
export interface Phase {
  readonly bars: number;
  /** Per-bar volatility; a function of the bar's index within the phase, or a constant. */
  readonly sigma: number | ((i: number) => number);
  readonly drift?: number;
  /** Noise source: "normal" (seeded) or "zigzag" (alternating +-1, no net move). */
  readonly noise?: "normal" | "zigzag";
}

/**
 * Consecutive H1 bars from 2017-01-02T00:00Z following `phases`: each bar opens at the
 * previous close; its high and low sit a third of sigma beyond the body.
 */
export function syntheticH1(phases: readonly Phase[], seed = 1): TestBar[] {
  const random = seeded(seed);
  const normal = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const bars: TestBar[] = [];
  let close = 1200;
  let openUs = usFromIso("2017-01-02T00:00:00Z");
  for (const phase of phases) {
    for (let i = 0; i < phase.bars; i++) {
      const sigma = typeof phase.sigma === "number" ? phase.sigma : phase.sigma(i);
      const shock = phase.noise === "zigzag" ? (bars.length % 2 === 0 ? 1 : -1) : normal();
      const open = close;
      close = open * Math.exp((phase.drift ?? 0) + sigma * shock);
      const wick = 1 + sigma / 3;
      bars.push({
        openUs,
        closeUs: openUs + TIMEFRAME_US.H1,
        open,
        high: Math.max(open, close) * wick,
        low: Math.min(open, close) / wick,
        close,
      });
      openUs += TIMEFRAME_US.H1;
    }
  }
  return bars;
}
