/**
 * What the roles share to run apart in lockstep: watermark events, and a queue of bars
 * each handled only once what it depends on has arrived. Over a bus, bars, orders and
 * reports travel on separate subjects and arrive whenever the network delivers them; the
 * watermarks are how a component knows it has everything a bar needs (docs/scale-out.md).
 * It must never let a bar through before its dependencies, nor run two handlers at once.
 */

import { EVENT_VERSION, type WatermarkEvent } from "../events.ts";

export function watermark(
  component: WatermarkEvent["component"],
  symbol: string,
  timeUs: number,
  final = false,
): WatermarkEvent {
  return { v: EVENT_VERSION, kind: "watermark", component, symbol, timeUs, final };
}

/** Runs async steps one at a time, in call order; the first failure is kept and rethrown. */
export class Serial {
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown = null;

  run(step: () => Promise<void> | void): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      if (this.#failure !== null) return;
      try {
        await step();
      } catch (error) {
        this.#failure = error;
      }
    });
    return this.#chain.then(() => {
      if (this.#failure !== null) throw this.#failure;
    });
  }
}
