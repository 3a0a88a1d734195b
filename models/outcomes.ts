/**
 * Live outcomes of predictions: fed closed M1 bars in order and prediction events
 * (production and shadow), it resolves each prediction's true class once its horizon has
 * passed and keeps, per model id, the log loss over the last N resolved predictions.
 *
 * The class comes from `tripleBarrierLabels` (labels.ts, the one label definition) run on
 * the bars from the decision bar to the end of its horizon. A label reads only those bars
 * and the ATR at the decision bar, and the ATR is carried over every bar seen exactly as
 * `atrSeries` computes it, so a label here equals the label of the same bar in a dataset
 * built from the same bars. Unlabelable rows (a hole in the horizon, no ATR yet, an ask
 * below the bid) are skipped and counted, as labels.ts leaves them unlabelled.
 * It must never resolve a prediction before its horizon's last bar has closed, nor define
 * a label of its own.
 */

import { Atr } from "../operators/indicators/atr.ts";
import {
  type BarEvent,
  isoFromUs,
  type MarketEvent,
  type PredictionEvent,
} from "../pipeline/events.ts";
import {
  type LabelBars,
  type ResolvedLabelOptions,
  resolveLabelOptions,
  tripleBarrierLabels,
  type TripleBarrierOptions,
  UNLABELED,
} from "./labels.ts";
import { logLoss } from "./metrics.ts";
import { N_CLASSES } from "./model.ts";

/** A trading day of M1 bars: enough rows for a steady mean, recent enough to show drift. */
export const DEFAULT_OUTCOME_WINDOW = 1440;

export interface OutcomeTrackerOptions {
  /** Bars and predictions of other symbols are ignored. */
  readonly symbol: string;
  /** The label definition; it must be the one the models were trained on (their card's `label`). */
  readonly labels?: Omit<TripleBarrierOptions, "atr">;
  /** Resolved predictions per model in the rolling log loss. */
  readonly window?: number;
}

/** One prediction, resolved. */
export interface Outcome {
  readonly modelId: string;
  readonly role: PredictionEvent["role"];
  /** Close of the decision bar: the prediction's `closeUs`. */
  readonly decisionUs: number;
  /** The true class: 0 down, 1 flat, 2 up. */
  readonly y: number;
  /** When the class was decided (labels.ts `labelEndUs`). */
  readonly labelEndUs: number;
  /** −ln p(true class), clipped as `logLoss` clips it. */
  readonly loss: number;
}

/** What is known of one model's predictions so far. */
export interface ModelOutcomes {
  /** Predictions resolved to a class since the tracker started. */
  readonly resolved: number;
  /** Predictions whose horizon passed without a label (as labels.ts leaves a row unlabelled). */
  readonly unlabelable: number;
  /** Predictions for which no bar closed at their time: nothing to label them from. */
  readonly unmatched: number;
  /** Resolved predictions in the rolling window (at most `window`). */
  readonly windowRows: number;
  /** Decision time of the oldest prediction in the window; NaN when it is empty. */
  readonly windowStartUs: number;
  /** Log loss over the window; NaN when it is empty. */
  readonly logLoss: number;
}

/** A log loss and the rows it is the mean of. */
export interface WindowLogLoss {
  readonly logLoss: number;
  readonly rows: number;
}

/** A closed bar as the labeler holds it, with the ATR known at its close. */
interface HeldBar {
  readonly openUs: number;
  readonly closeUs: number;
  readonly bidOpen: number;
  readonly bidHigh: number;
  readonly bidLow: number;
  readonly bidClose: number;
  readonly askHigh: number;
  readonly askLow: number;
  readonly askClose: number;
  readonly spread: number;
  readonly atr: number;
}

type Sides = "bid-ask" | "bid-spread" | "bid";

/** The last `capacity` resolved predictions of one model, oldest overwritten first. */
class Ring {
  readonly y: Uint8Array;
  readonly p: Float64Array;
  readonly decisionUs: Float64Array;
  count = 0;
  next = 0;

  constructor(readonly capacity: number) {
    this.y = new Uint8Array(capacity);
    this.p = new Float64Array(capacity * N_CLASSES);
    this.decisionUs = new Float64Array(capacity);
  }

  push(y: number, p: ArrayLike<number>, decisionUs: number): void {
    this.y[this.next] = y;
    this.p.set(p, this.next * N_CLASSES);
    this.decisionUs[this.next] = decisionUs;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  oldestUs(): number {
    if (this.count === 0) return NaN;
    return this.decisionUs[this.count < this.capacity ? 0 : this.next];
  }

  /** Log loss of the entries decided at or after `sinceUs`, by `metrics.logLoss`. */
  logLoss(sinceUs: number): WindowLogLoss {
    const keep: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.decisionUs[i] >= sinceUs) keep.push(i);
    if (keep.length === 0) return { logLoss: NaN, rows: 0 };
    const y = Uint8Array.from(keep, (i) => this.y[i]);
    const p = new Float64Array(keep.length * N_CLASSES);
    keep.forEach((i, r) =>
      p.set(this.p.subarray(i * N_CLASSES, (i + 1) * N_CLASSES), r * N_CLASSES)
    );
    return { logLoss: logLoss(y, p), rows: keep.length };
  }
}

interface ModelRecord {
  resolved: number;
  unlabelable: number;
  unmatched: number;
  readonly ring: Ring;
}

/** Index of the bar closing at `closeUs` in `bars` (sorted by close), or -1. */
function findClose(bars: readonly HeldBar[], closeUs: number): number {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = bars[mid].closeUs;
    if (at === closeUs) return mid;
    if (at < closeUs) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Resolves predictions against the bars that follow them and scores each model's recent
 * predictions. Feed it every batch of the stream, in order.
 */
export class OutcomeTracker {
  readonly symbol: string;
  readonly labelOptions: ResolvedLabelOptions;
  readonly window: number;
  readonly #atr: Atr;
  readonly #models = new Map<string, ModelRecord>();
  /** Bars from the oldest one still needed: the decision bar of the oldest pending prediction. */
  #bars: HeldBar[] = [];
  #pending: PredictionEvent[] = [];
  #sides: Sides | null = null;

  constructor(options: OutcomeTrackerOptions) {
    const window = options.window ?? DEFAULT_OUTCOME_WINDOW;
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`Cannot track outcomes: window must be 1 or more, got ${window}`);
    }
    this.symbol = options.symbol;
    this.labelOptions = resolveLabelOptions(options.labels);
    this.window = window;
    this.#atr = new Atr(this.labelOptions.atrPeriod);
  }

  /** Predictions waiting for their horizon to pass. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Takes the batch's M1 bars and predictions of the symbol, in order, and returns the
   * predictions whose horizon has now passed and that have a label.
   */
  observe(events: Iterable<MarketEvent>): Outcome[] {
    for (const event of events) {
      if (event.kind === "bar") {
        if (event.symbol === this.symbol && event.timeframe === "M1") this.#addBar(event);
      } else if (event.kind === "prediction" && event.symbol === this.symbol) {
        this.#pending.push(event);
      }
    }
    return this.#resolve();
  }

  /** What is known of `modelId`'s predictions; all zero for a model not seen. */
  stats(modelId: string): ModelOutcomes {
    const record = this.#models.get(modelId);
    if (!record) {
      return {
        resolved: 0,
        unlabelable: 0,
        unmatched: 0,
        windowRows: 0,
        windowStartUs: NaN,
        logLoss: NaN,
      };
    }
    return {
      resolved: record.resolved,
      unlabelable: record.unlabelable,
      unmatched: record.unmatched,
      windowRows: record.ring.count,
      windowStartUs: record.ring.oldestUs(),
      logLoss: record.ring.logLoss(-Infinity).logLoss,
    };
  }

  /**
   * Log loss of `modelId`'s windowed predictions decided at or after `sinceUs`: with the
   * shadow's window start, the production model's loss over the same bars as the shadow's.
   */
  logLoss(modelId: string, sinceUs = -Infinity): WindowLogLoss {
    return this.#models.get(modelId)?.ring.logLoss(sinceUs) ?? { logLoss: NaN, rows: 0 };
  }

  #addBar(event: BarEvent): void {
    const last = this.#bars[this.#bars.length - 1];
    if (last && event.openUs <= last.openUs) {
      throw new RangeError(
        `Cannot label bar ${isoFromUs(event.openUs)}: it is not after the previous bar ${
          isoFromUs(last.openUs)
        }; bars must come in time order`,
      );
    }
    const sides: Sides = event.ask ? "bid-ask" : event.spread !== null ? "bid-spread" : "bid";
    this.#sides ??= sides;
    if (sides !== this.#sides) {
      throw new TypeError(
        `Cannot label bar ${
          isoFromUs(event.openUs)
        }: it is ${sides} but the bars before it are ${this.#sides}`,
      );
    }
    const { bid, ask } = event;
    this.#bars.push({
      openUs: event.openUs,
      closeUs: event.closeUs,
      bidOpen: bid.open,
      bidHigh: bid.high,
      bidLow: bid.low,
      bidClose: bid.close,
      askHigh: ask?.high ?? NaN,
      askLow: ask?.low ?? NaN,
      askClose: ask?.close ?? NaN,
      spread: event.spread ?? NaN,
      // As atrSeries: the bid bar into Wilder's ATR, NaN while it warms up.
      atr: this.#atr.update(bid) ?? NaN,
    });
  }

  #record(modelId: string): ModelRecord {
    let record = this.#models.get(modelId);
    if (!record) {
      record = { resolved: 0, unlabelable: 0, unmatched: 0, ring: new Ring(this.window) };
      this.#models.set(modelId, record);
    }
    return record;
  }

  /**
   * 1. Find each pending prediction's decision bar; one the bars have passed without a
   *    bar at its time is unmatched.
   * 2. Those whose horizon's last bar has arrived are ready: label the bars from the
   *    earliest ready decision bar to the latest one's horizon in one call.
   * 3. Score each ready prediction or count it unlabelable; keep the rest pending, and
   *    drop the bars no pending prediction needs (keeping a horizon's worth).
   */
  #resolve(): Outcome[] {
    const bars = this.#bars;
    const h = this.labelOptions.horizonBars;
    const last = bars.length - 1;
    const ready: Array<{ prediction: PredictionEvent; at: number }> = [];
    const waiting: PredictionEvent[] = [];
    for (const prediction of this.#pending) {
      const at = findClose(bars, prediction.closeUs);
      if (at >= 0 && at + h <= last) ready.push({ prediction, at });
      else if (at >= 0 || last < 0 || prediction.closeUs > bars[last].closeUs) {
        waiting.push(prediction);
      } else this.#record(prediction.modelId).unmatched++;
    }
    this.#pending = waiting;

    const outcomes: Outcome[] = [];
    if (ready.length > 0) {
      const first = ready.reduce((min, r) => Math.min(min, r.at), Infinity);
      const end = ready.reduce((max, r) => Math.max(max, r.at), -Infinity) + h + 1;
      const labels = tripleBarrierLabels(this.#labelBars(first, end), {
        ...this.labelOptions,
        atr: Float64Array.from(bars.slice(first, end), (b) => b.atr),
      });
      for (const { prediction, at } of ready) {
        const record = this.#record(prediction.modelId);
        const y = labels.y[at - first];
        if (y === UNLABELED) {
          record.unlabelable++;
          continue;
        }
        record.resolved++;
        record.ring.push(y, prediction.probabilities, prediction.closeUs);
        outcomes.push({
          modelId: prediction.modelId,
          role: prediction.role,
          decisionUs: prediction.closeUs,
          y,
          labelEndUs: labels.labelEndUs[at - first],
          loss: logLoss([y], prediction.probabilities),
        });
      }
    }

    // A pending prediction needs its decision bar on; one ahead of the bars needs none yet.
    const needed = this.#pending.reduce((min, p) => {
      const at = findClose(bars, p.closeUs);
      return at < 0 ? min : Math.min(min, at);
    }, Math.max(0, bars.length - (h + 1)));
    if (needed > 0) this.#bars = bars.slice(needed);
    return outcomes;
  }

  /** Bars `from` (inclusive) to `to` (exclusive) as labels.ts reads them. */
  #labelBars(from: number, to: number): LabelBars {
    const window = this.#bars.slice(from, to);
    const col = (pick: (bar: HeldBar) => number) => Float64Array.from(window, pick);
    return {
      length: window.length,
      openUs: col((b) => b.openUs),
      closeUs: col((b) => b.closeUs),
      bidOpen: col((b) => b.bidOpen),
      bidHigh: col((b) => b.bidHigh),
      bidLow: col((b) => b.bidLow),
      bidClose: col((b) => b.bidClose),
      askHigh: this.#sides === "bid-ask" ? col((b) => b.askHigh) : null,
      askLow: this.#sides === "bid-ask" ? col((b) => b.askLow) : null,
      askClose: this.#sides === "bid-ask" ? col((b) => b.askClose) : null,
      spread: this.#sides === "bid-spread" ? col((b) => b.spread) : null,
    };
  }
}
