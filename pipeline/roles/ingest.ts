/**
 * The `ingest` role for a file: publishes a market-data file's closed M1 bars on the bus,
 * in order and in batches, then a final watermark saying the symbol's feed has ended.
 * (A terminal's bars come in through `serve`'s EA bridge instead.) It never publishes a
 * forming bar, nor anything but bars and the watermark.
 */

import type { BarEvent } from "../events.ts";
import { eventsOf } from "../replay.ts";
import type { Source } from "../../sources/source.ts";
import type { Bus } from "../bus/bus.ts";
import { watermark } from "./lockstep.ts";

/** Publishes every M1 bar of `source`; resolves with the count once the bus holds them all. */
export async function ingestFile(bus: Bus, source: Source): Promise<number> {
  let last: BarEvent | null = null;
  let count = 0;
  for await (const batch of source.batches()) {
    const bars = eventsOf(batch, source.symbol).filter((event): event is BarEvent =>
      event.kind === "bar" && event.timeframe === "M1"
    );
    if (bars.length === 0) continue;
    await bus.publish(bars);
    last = bars[bars.length - 1];
    count += bars.length;
  }
  await bus.publish([watermark("ingest", source.symbol, last?.closeUs ?? 0, true)]);
  return count;
}
