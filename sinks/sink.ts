/**
 * The contract every sink meets, so the pipeline can fan a batch out to a journal, a
 * broker or a dashboard without knowing which.
 *
 * A sink takes whole batches (the unit the pipeline moves) and must either keep all of
 * a batch or throw: `write` returning is the acknowledgement.
 */

import type { EventBatch } from "@/pipeline/events.ts";

export interface Sink {
  /** Names the sink in health reports and error messages. */
  readonly name: string;
  write(batch: EventBatch): void;
  /** The run failed: discard what is not yet committed (a partial output file). Before `close`. */
  abort?(error: unknown): void;
  /** Flushes and releases the sink; safe to call twice. */
  close(): Promise<void> | void;
}
