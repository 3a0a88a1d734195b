/**
 * Writes feature rows as CSV: `time_utc` (the M1 bar's open, ISO-8601 UTC) then one column
 * per feature in spec order, in shortest round-trip number form. Refuses rows computed
 * from another spec (a different hash) rather than writing them under the wrong names.
 */

import { type EventBatch, isoFromUs } from "../pipeline/events.ts";
import { type FeatureSpec, specHash } from "../operators/features/spec.ts";
import type { Sink } from "./sink.ts";
import { createTextFile } from "./_text_file.ts";

export interface FeaturesCsvSink extends Sink {
  readonly rows: number;
  readonly specHash: string;
}

export function featuresCsvSink(path: string, spec: FeatureSpec): FeaturesCsvSink {
  const hash = specHash(spec);
  const file = createTextFile(path);
  file.write(`time_utc,${spec.features.map((f) => f.name).join(",")}\n`);
  let rows = 0;
  return {
    name: "csv-features",
    specHash: hash,
    get rows() {
      return rows;
    },
    write(batch: EventBatch) {
      let text = "";
      for (const event of batch) {
        if (event.kind !== "features") continue;
        if (event.specHash !== hash) {
          throw new TypeError(
            `Feature row at ${
              isoFromUs(event.openUs)
            } comes from spec ${event.specHash}, not ${hash}`,
          );
        }
        text += `${isoFromUs(event.openUs)},${event.values.join(",")}\n`;
        rows++;
      }
      if (text !== "") file.write(text);
    },
    abort: file.abort,
    close: file.commit,
  };
}
