/**
 * Writes one model's predictions as CSV: `time_utc` (the M1 bar's open, ISO-8601 UTC)
 * then `p_down,p_flat,p_up`. Only the named model and role are written; the file appears
 * under its name only once the run has succeeded.
 */

import { type EventBatch, isoFromUs, type PredictionEvent } from "../pipeline/events.ts";
import type { Sink } from "./sink.ts";
import { createTextFile } from "./_text_file.ts";

export interface PredictionsCsvSink extends Sink {
  readonly rows: number;
}

export function predictionsCsvSink(
  path: string,
  modelId: string,
  role: PredictionEvent["role"],
): PredictionsCsvSink {
  const file = createTextFile(path);
  file.write("time_utc,p_down,p_flat,p_up\n");
  let rows = 0;
  return {
    name: "csv-predictions",
    get rows() {
      return rows;
    },
    write(batch: EventBatch) {
      let text = "";
      for (const event of batch) {
        if (event.kind !== "prediction" || event.modelId !== modelId || event.role !== role) {
          continue;
        }
        text += `${isoFromUs(event.openUs)},${event.probabilities.join(",")}\n`;
        rows++;
      }
      if (text !== "") file.write(text);
    },
    abort: file.abort,
    close: file.commit,
  };
}
