/**
 * Computes a feature spec bar by bar from closed M1 bars: M1 features directly, and
 * M5 ... D1 features from higher-timeframe bars resampled on the way. A higher-timeframe
 * feature attached to an M1 bar comes only from bars that closed by that M1 bar's close,
 * never from the forming one: the resampler emits a bucket only once its last minute has
 * arrived (or a later bucket has started), before the M1 row is read.
 * One engine serves `features`, training, backtest and live. It never allocates per bar.
 */

import { type Timeframe, TIMEFRAMES } from "../../pipeline/events.ts";
import { Resampler } from "../bars/resample.ts";
import type { BarSink } from "../bars/bar_sink.ts";
import type { PriceBar } from "../indicators/mod.ts";
import { FEATURE_KINDS, type FeatureComputer, type FeatureKind } from "./catalogue.ts";
import { type FeatureSpec, specHash } from "./spec.ts";

export interface FeatureEngineOptions {
  /** Whether the data carries a spread (bid-ask or MT5 spread); spread features need it. */
  readonly hasSpread: boolean;
}

interface Feature {
  readonly index: number;
  readonly read: () => number;
  readonly scale: "none" | "close" | "atr";
}

/** The bars and computers of one timeframe. */
class TimeframeState implements BarSink {
  private readonly byKey = new Map<string, FeatureComputer>();
  private readonly computers: FeatureComputer[] = [];
  readonly features: Feature[] = [];
  atr: (() => number) | null = null;
  private readonly bar = { open: NaN, high: NaN, low: NaN, close: NaN } satisfies PriceBar;

  constructor(private readonly values: Float64Array) {}

  computer(
    kind: FeatureKind,
    key: string,
    params: Readonly<Record<string, number>>,
  ): FeatureComputer {
    let made = this.byKey.get(key);
    if (!made) {
      made = kind.make(params);
      this.byKey.set(key, made);
      this.computers.push(made);
    }
    return made;
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
    const bar = this.bar;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    for (let i = 0; i < this.computers.length; i++) {
      this.computers[i].update(bar, spread, openUs, closeUs);
    }
    const atr = this.atr === null ? NaN : this.atr();
    for (let i = 0; i < this.features.length; i++) {
      const feature = this.features[i];
      const raw = feature.read();
      this.values[feature.index] = feature.scale === "none"
        ? raw
        : feature.scale === "close"
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
  private readonly resamplers: Resampler[] = [];

  constructor(readonly spec: FeatureSpec, options: FeatureEngineOptions) {
    this.names = spec.features.map((f) => f.name);
    this.hash = specHash(spec);
    this.values = new Float64Array(spec.features.length).fill(NaN);
    const states = new Map<Timeframe, TimeframeState>();
    const stateOf = (tf: Timeframe) => {
      let state = states.get(tf);
      if (!state) {
        state = new TimeframeState(this.values);
        states.set(tf, state);
      }
      return state;
    };
    for (const [index, def] of spec.features.entries()) {
      const kind: FeatureKind = FEATURE_KINDS[def.kind];
      if (kind.needsSpread && !options.hasSpread) {
        throw new TypeError(
          `Feature "${def.name}" needs the bid-ask spread, but the data has bid prices only; ` +
            `use a spec without spread features for this data`,
        );
      }
      const state = stateOf(def.timeframe);
      const params = def.params;
      const key = `${def.kind}:${JSON.stringify(Object.entries(params).sort())}`;
      const computer = state.computer(kind, key, params);
      if (def.scale === "atr" && state.atr === null) {
        state.atr = state.computer(FEATURE_KINDS.atr, `atr:${JSON.stringify([["period", 14]])}`, {
          period: 14,
        })
          .reader("value");
      }
      state.features.push({
        index,
        read: computer.reader(def.output ?? kind.outputs[0]),
        scale: def.scale,
      });
    }
    this.m1 = stateOf("M1");
    for (const tf of TIMEFRAMES) {
      const state = states.get(tf);
      if (tf !== "M1" && state) {
        this.resamplers.push(new Resampler(tf, state, { dayStart: spec.dayStart }));
      }
    }
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
    for (const resampler of this.resamplers) {
      resampler.update(openUs, closeUs, open, high, low, close, NaN, NaN, NaN, NaN, spread, 0);
    }
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
