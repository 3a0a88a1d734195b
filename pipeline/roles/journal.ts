/**
 * The `journal` role: one durable consumer of every event on the bus, committed to the
 * SQLite journal batch by batch, acknowledged only once committed. The journal's own keys
 * drop what the bus delivers twice, so a restart resumes where it stopped and nothing is
 * stored twice. It must never acknowledge a batch it has not committed.
 */

import type { Journal } from "../../sinks/journal.ts";
import type { Bus, BusSubscription } from "../bus/bus.ts";

export function startJournalRole(
  bus: Bus,
  journal: Journal,
  durable = "journal",
): Promise<BusSubscription> {
  return bus.subscribe({ subject: ">", durable }, (batch) => void journal.appendBatch(batch));
}
