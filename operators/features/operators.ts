/**
 * The feature stage: an RxJS operator that computes the spec for each closed M1 bar of a
 * symbol and inserts a `FeatureEvent` right after the bar, once every feature is ready.
 * Other events pass through. It maps whole batches and never schedules per event.
 */

import { map, type OperatorFunction } from "rxjs";
import { EVENT_VERSION, type EventBatch, type MarketEvent } from "../../pipeline/events.ts";
import { FeatureEngine } from "./engine.ts";
import type { FeatureSpec } from "./spec.ts";

export interface ComputeFeaturesOptions {
  readonly symbol: string;
  readonly hasSpread: boolean;
}

export function computeFeatures(
  spec: FeatureSpec,
  options: ComputeFeaturesOptions,
): OperatorFunction<EventBatch, EventBatch> {
  const engine = new FeatureEngine(spec, { hasSpread: options.hasSpread });
  const row = new Float64Array(engine.names.length);
  return map((batch: EventBatch) => {
    const out: MarketEvent[] = [];
    for (const event of batch) {
      out.push(event);
      if (event.kind !== "bar" || event.timeframe !== "M1" || event.symbol !== options.symbol) {
        continue;
      }
      const spread = event.ask ? event.ask.close - event.bid.close : event.spread ?? NaN;
      const b = event.bid;
      if (engine.update(event.openUs, event.closeUs, b.open, b.high, b.low, b.close, spread, row)) {
        out.push({
          v: EVENT_VERSION,
          kind: "features",
          symbol: event.symbol,
          openUs: event.openUs,
          closeUs: event.closeUs,
          specHash: engine.hash,
          values: copyValues(row),
        });
      }
    }
    return out;
  });
}

/** A plain array copy of the engine's reused row: about twice as fast as `Array.from` here. */
function copyValues(row: ArrayLike<number>): number[] {
  const values = new Array<number>(row.length);
  for (let i = 0; i < row.length; i++) values[i] = row[i];
  return values;
}
