/**
 * Computes a feature spec bar by bar from closed M1 bars: M1 features directly, and
 * M5 ... D1 features from higher-timeframe bars resampled on the way. A higher-timeframe
 * feature attached to an M1 bar comes only from bars that closed by that M1 bar's close,
 * never from the forming one: the resampler emits a bucket only once its last minute has
 * arrived (or a later bucket has started), before the M1 row is read.
 * One engine serves `features`, training, backtest and live. It never allocates per bar.
 *
 * How a bar flows, with nothing generic in between:
 * 1. Each timeframe of the spec holds its kinds' computers (catalogue.ts), one per kind and
 *    parameters, each writing all its outputs into the timeframe's `outputs` buffer.
 * 2. A feature is a slot of that buffer, a scale and its column in the row: the features
 *    are read from typed arrays, and the ATR(14) that scales them is a slot too.
 * 3. The coarser timeframes are fed as a `ResamplerCascade`: the finest takes every M1 bar,
 *    each coarser one the closed bars of the timeframe below (M5 -> M15 -> ... -> D1), and
 *    a bucket whose last bars are missing still closes at the first M1 bar after it.
 */

import { type Timeframe, TIMEFRAMES } from "../../pipeline/events.ts";
import { ResamplerCascade } from "../bars/resample.ts";
import type { BarSink } from "../bars/bar_sink.ts";
import type { PriceBar } from "../indicators/mod.ts";
import { FEATURE_KINDS, type FeatureComputer, type FeatureKind } from "./catalogue.ts";
import { type FeatureSpec, specHash } from "./spec.ts";

export interface FeatureEngineOptions {
  /** Whether the data carries a spread (bid-ask or MT5 spread); spread features need it. */
  readonly hasSpread: boolean;
}

/** How a feature is normalised (spec.ts `scale`), as a small integer for the hot loop. */
const SCALE_NONE = 0;
const SCALE_CLOSE = 1;
const SCALE_ATR = 2;
const SCALES = { none: SCALE_NONE, close: SCALE_CLOSE, atr: SCALE_ATR } as const;

/** The ATR that `scale: "atr"` divides by: ATR(14) of the feature's own timeframe. */
const SCALE_ATR_PARAMS = { period: 14 };

/** A feature of one timeframe, as planned before its buffers exist. */
interface PlannedFeature {
  /** Its column in the row. */
  readonly index: number;
  /** Its computer's key in the timeframe, and which of the kind's outputs it reads. */
  readonly key: string;
  readonly output: number;
  readonly scale: number;
}

/** A computer of one timeframe, as planned: the first feature naming it decides its slots. */
interface PlannedComputer {
  readonly kind: FeatureKind;
  readonly params: Readonly<Record<string, number>>;
  /** Its first slot in the timeframe's outputs buffer. */
  readonly at: number;
}

const keyOf = (kind: string, params: Readonly<Record<string, number>>) =>
  `${kind}:${JSON.stringify(Object.entries(params).sort())}`;

/** What the spec asks of one timeframe: its computers (deduplicated) and features. */
class TimeframePlan {
  readonly computers = new Map<string, PlannedComputer>();
  readonly features: PlannedFeature[] = [];
  slots = 0;
  atrKey: string | null = null;

  /** The key of the computer for `kind` with `params`, planned once per timeframe. */
  computer(kindName: string, params: Readonly<Record<string, number>>): string {
    const key = keyOf(kindName, params);
    if (!this.computers.has(key)) {
      const kind: FeatureKind = FEATURE_KINDS[kindName as keyof typeof FEATURE_KINDS];
      this.computers.set(key, { kind, params, at: this.slots });
      this.slots += kind.outputs.length;
    }
    return key;
  }

  slotOf(key: string, output: number): number {
    return this.computers.get(key)!.at + output;
  }
}

/** The computers and features of one timeframe, fed its closed bars. */
class TimeframeState implements BarSink {
  readonly #computers: FeatureComputer[];
  /** Every computer's outputs, at the slots planned for them. */
  readonly #outputs: Float64Array;
  /** Per feature: its column in the row, its slot in `#outputs`, its scale. */
  readonly #index: Int32Array;
  readonly #slot: Int32Array;
  readonly #scale: Uint8Array;
  /** The slot of ATR(14), or -1 when no feature is scaled by it. */
  readonly #atrSlot: number;
  readonly #bar = { open: NaN, high: NaN, low: NaN, close: NaN } satisfies PriceBar;

  constructor(plan: TimeframePlan, private readonly values: Float64Array) {
    const outputs = new Float64Array(plan.slots).fill(NaN);
    this.#outputs = outputs;
    this.#computers = [...plan.computers.values()].map((c) => c.kind.make(c.params, outputs, c.at));
    this.#index = Int32Array.from(plan.features, (f) => f.index);
    this.#slot = Int32Array.from(plan.features, (f) => plan.slotOf(f.key, f.output));
    this.#scale = Uint8Array.from(plan.features, (f) => f.scale);
    this.#atrSlot = plan.atrKey === null ? -1 : plan.slotOf(plan.atrKey, 0);
  }

  /** One closed bar of this timeframe: update every computer, then this timeframe's features. */
  push(
    openUs: number,
    closeUs: number,
    open: number,
    high: number,
    low: number,
    close: number,
    _askOpen: number,
    _askHigh: number,
    _askLow: number,
    _askClose: number,
    spread: number,
  ): void {
    const bar = this.#bar;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    const computers = this.#computers;
    for (let i = 0; i < computers.length; i++) computers[i](bar, spread, openUs, closeUs);
    const outputs = this.#outputs;
    const atr = this.#atrSlot < 0 ? NaN : outputs[this.#atrSlot];
    const values = this.values;
    const index = this.#index;
    const slot = this.#slot;
    const scale = this.#scale;
    for (let i = 0; i < index.length; i++) {
      const raw = outputs[slot[i]];
      const s = scale[i];
      values[index[i]] = s === SCALE_NONE
        ? raw
        : s === SCALE_CLOSE
        ? raw / close
        : atr > 0
        ? raw / atr
        : atr === 0
        // A flat market: distances are zero, but a value still warming up stays NaN.
        ? raw * 0
        : NaN;
    }
  }
}

export class FeatureEngine {
  readonly names: readonly string[];
  readonly hash: string;
  private readonly values: Float64Array;
  private readonly m1: TimeframeState;
  /** The spec's coarser timeframes, fed each M1 bar. */
  private readonly higher: ResamplerCascade;

  constructor(readonly spec: FeatureSpec, options: FeatureEngineOptions) {
    this.names = spec.features.map((f) => f.name);
    this.hash = specHash(spec);
    this.values = new Float64Array(spec.features.length).fill(NaN);
    const plans = new Map<Timeframe, TimeframePlan>([["M1", new TimeframePlan()]]);
    for (const [index, def] of spec.features.entries()) {
      const kind: FeatureKind = FEATURE_KINDS[def.kind];
      if (kind.needsSpread && !options.hasSpread) {
        throw new TypeError(
          `Feature "${def.name}" needs the bid-ask spread, but the data has bid prices only; ` +
            `use a spec without spread features for this data`,
        );
      }
      let plan = plans.get(def.timeframe);
      if (!plan) plans.set(def.timeframe, plan = new TimeframePlan());
      const key = plan.computer(def.kind, def.params);
      if (def.scale === "atr") plan.atrKey ??= plan.computer("atr", SCALE_ATR_PARAMS);
      plan.features.push({
        index,
        key,
        output: kind.outputs.indexOf(def.output ?? kind.outputs[0]),
        scale: SCALES[def.scale],
      });
    }
    this.m1 = new TimeframeState(plans.get("M1")!, this.values);
    this.higher = new ResamplerCascade(
      TIMEFRAMES.filter((tf) => tf !== "M1" && plans.has(tf)).map((tf) => [
        tf,
        new TimeframeState(plans.get(tf)!, this.values),
      ]),
      { dayStart: spec.dayStart },
    );
  }

  /**
   * Feeds one closed M1 bid bar (spread NaN when the data has none) and writes the feature
   * row into `out`. Returns true once every feature is ready; rows before that are warm-up.
   */
  update(
    openUs: number,
    closeUs: number,
    open: number,
    high: number,
    low: number,
    close: number,
    spread: number,
    out: Float64Array,
  ): boolean {
    this.higher.update(openUs, closeUs, open, high, low, close, NaN, NaN, NaN, NaN, spread, 0);
    this.m1.push(openUs, closeUs, open, high, low, close, NaN, NaN, NaN, NaN, spread);
    const values = this.values;
    let ready = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out[i] = v;
      if (!(v === v && v !== Infinity && v !== -Infinity)) ready = false;
    }
    return ready;
  }
}
