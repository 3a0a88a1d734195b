/**
 * `gateSignals`: the meta-labeling gate, the stage right after fusion. A meta model was
 * trained on the outcomes (loss, timeout, win) of its primary's candidate trades; here it
 * decides which of them to take.
 *
 * 1. Every event passes through in order; only the primary's candidates change.
 * 2. A candidate is a buy or sell signal of the symbol. Its feature row is the
 *    `FeatureEvent` of the same bar, which comes before it in the same batch.
 * 3. The candidates of a batch are scored together, in one session call; nothing else is
 *    scored, so the model costs nothing on the bars where the primary holds.
 * 4. p(win) at or above the card's threshold passes the trade (with a `sizeFactor` when
 *    the card scales sizes); below it the signal becomes a hold. Either way the signal
 *    carries an "ml" vote: the primary's side when passed, "flat" when refused, with
 *    confidence p(win), weight 0 (the gate vetoes, it is not weighed) and the reason.
 * 5. A candidate without a feature row (the features still warming up) is held with no
 *    "ml" vote: the model did not vote, and the primary alone is not the strategy.
 * Every candidate leaves with the model's id in `modelId`, so the signals with that id are
 * exactly the bars where the primary asked to trade (a coverage denominator).
 *
 * It never scores rows of another feature spec than the model's and never raises a size.
 */

import { concatMap, type OperatorFunction } from "rxjs";
import type { MetaCard } from "../../models/card.ts";
import {
  type BarEvent,
  type EventBatch,
  type FeatureEvent,
  isoFromUs,
  type MarketEvent,
  NO_LEVELS,
  type SignalEvent,
  type Vote,
} from "../../pipeline/events.ts";
import type { ServingModel } from "../ensemble/mod.ts";

/** A meta model as the gate needs it: the serving model with its card's meta section. */
export type MetaServingModel = ServingModel & { readonly meta: MetaCard };

export interface GateSignalsOptions {
  /** The symbol whose signals are gated; other events pass through. */
  readonly symbol: string;
  readonly model: MetaServingModel;
}

/** The win slot of a meta model's probabilities (loss, timeout, win). */
const WIN = 2;

const p3 = (p: number) => p.toFixed(3);

/**
 * The gated form of one candidate signal, given the model's loss / timeout / win
 * probabilities and the bid at the decision (a hold's reference price).
 */
export function gateSignal(
  signal: SignalEvent,
  probabilities: readonly [number, number, number],
  model: Pick<MetaServingModel, "id" | "meta">,
  bid: number,
): SignalEvent {
  if (signal.side === "hold") {
    throw new RangeError(`Cannot gate the hold at ${isoFromUs(signal.timeUs)}: it is no trade`);
  }
  const { threshold, sizing } = model.meta;
  const win = Math.min(1, Math.max(0, probabilities[WIN]));
  const passes = win >= threshold;
  const sizeFactor = passes && sizing.mode === "linear"
    ? sizing.floor + (1 - sizing.floor) * (win - threshold) / (1 - threshold)
    : undefined;
  const verdict = !passes
    ? `refuses the ${signal.side}`
    : sizeFactor === undefined
    ? `passes the ${signal.side}`
    : `passes the ${signal.side} at ${sizeFactor.toFixed(2)} of its size`;
  const vote: Vote = {
    source: "ml",
    side: passes ? signal.side : "flat",
    confidence: win,
    weight: 0,
    reasons: [
      `meta model ${model.id.slice(0, 12)}…: p(loss) ${p3(probabilities[0])}, p(timeout) ${
        p3(probabilities[1])
      }, p(win) ${p3(win)} against threshold ${p3(threshold)}: ${verdict}`,
    ],
  };
  const votes = [...signal.votes, vote];
  if (passes) {
    return sizeFactor === undefined
      ? { ...signal, votes, modelId: model.id }
      : { ...signal, votes, modelId: model.id, sizeFactor };
  }
  return { ...held(signal, bid), votes, modelId: model.id };
}

/** The signal as a hold: no trade, no levels, priced at the bid as fusion prices a hold. */
function held(signal: SignalEvent, bid: number): SignalEvent {
  return {
    ...signal,
    side: "hold",
    entryPrice: bid,
    ...NO_LEVELS,
  };
}

/**
 * Gates the primary's candidate signals with a meta model, scoring each batch's
 * candidates in one call.
 *
 * @example
 * ```ts
 * const stages = [
 *   { name: "features", operator: computeFeatures(spec, { symbol, hasSpread }) },
 *   { name: "fusion", operator: fuseSignals({ symbol, spec: XAUUSD, specHash, config: primary }) },
 *   { name: "meta-gate", operator: gateSignals({ symbol, model }) },
 * ];
 * ```
 */
export function gateSignals(options: GateSignalsOptions): OperatorFunction<EventBatch, EventBatch> {
  const { symbol, model } = options;
  const f = model.session.nFeatures;
  // Reused across batches: the candidates' rows, and where each sits in the batch.
  let x = new Float32Array(64 * f);
  const at: number[] = [];
  const bids: number[] = [];

  const checkRow = (row: FeatureEvent) => {
    if (row.specHash !== model.specHash) {
      throw new TypeError(
        `Cannot gate signals with meta model ${model.id.slice(0, 12)}…: the feature row at ${
          isoFromUs(row.closeUs)
        } has spec ${row.specHash.slice(0, 12)}…, the model was trained on spec ${
          model.specHash.slice(0, 12)
        }…`,
      );
    }
    if (row.values.length !== f) {
      throw new RangeError(
        `Cannot gate signals: the feature row at ${
          isoFromUs(row.closeUs)
        } has ${row.values.length} values; meta model ${model.id.slice(0, 12)}… reads ${f}`,
      );
    }
  };

  return concatMap(async (batch: EventBatch): Promise<EventBatch> => {
    let out: MarketEvent[] | null = null;
    let bar: BarEvent | null = null;
    let row: FeatureEvent | null = null;
    at.length = 0;
    bids.length = 0;
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i];
      if (event.kind === "bar" && event.timeframe === "M1" && event.symbol === symbol) {
        bar = event;
      } else if (event.kind === "features" && event.symbol === symbol) {
        row = event;
      } else if (event.kind === "signal" && event.symbol === symbol && event.side !== "hold") {
        if (bar === null || bar.closeUs !== event.timeUs) {
          throw new RangeError(
            `Cannot gate the ${event.side} at ${
              isoFromUs(event.timeUs)
            }: its M1 bar is not in the same batch; place the gate right after fusion`,
          );
        }
        out ??= batch.slice();
        if (row === null || row.closeUs !== event.timeUs) {
          out[i] = { ...held(event, bar.bid.close), modelId: model.id };
          continue;
        }
        checkRow(row);
        if ((at.length + 1) * f > x.length) {
          const grown = new Float32Array(x.length * 2);
          grown.set(x);
          x = grown;
        }
        x.set(row.values, at.length * f);
        at.push(i);
        bids.push(bar.bid.close);
      }
    }
    if (out === null) return batch;
    if (at.length === 0) return out;
    const { probabilities: p } = await model.session.run(x.subarray(0, at.length * f), at.length);
    for (let k = 0; k < at.length; k++) {
      const signal = out[at[k]] as SignalEvent;
      out[at[k]] = gateSignal(signal, [p[3 * k], p[3 * k + 1], p[3 * k + 2]], model, bids[k]);
    }
    return out;
  });
}
