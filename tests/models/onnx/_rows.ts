/**
 * Real feature rows for the ONNX parity tests: HistData 2017 M1 bid bars read through
 * `openSource`, run through the `FeatureEngine` with `DEFAULT_FEATURE_SPEC`, keeping the
 * first rows on which every feature is ready. D1 ATR(14) needs 15 daily bars, so the
 * first ready row comes after about 20,400 M1 bars; 10,000 rows take about 30,400.
 * Read once per process and shared. Never synthetic: callers skip when the file is absent.
 */

import { DEFAULT_FEATURE_SPEC, FeatureEngine } from "@/operators/features/mod.ts";
import { openSource } from "@/sources/mod.ts";
import { dataPath } from "../../_data.ts";
import type { Rows } from "./_models.ts";

export const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
export const REAL_ROWS = 10_000;

let cached: Promise<Rows> | undefined;

/** The first `REAL_ROWS` ready feature rows of HistData 2017, as float32. */
export function realRows(): Promise<Rows> {
  cached ??= loadRows();
  return cached;
}

async function loadRows(): Promise<Rows> {
  const engine = new FeatureEngine(DEFAULT_FEATURE_SPEC, { hasSpread: false });
  const f = engine.names.length;
  const row = new Float64Array(f);
  const x = new Float32Array(REAL_ROWS * f);
  let rows = 0;
  const source = await openSource(dataPath(HISTDATA_2017));
  for await (const batch of source.batches()) {
    if (batch.kind !== "bars") continue;
    for (let i = 0; i < batch.length && rows < REAL_ROWS; i++) {
      const ready = engine.update(
        batch.openUs[i],
        batch.closeUs[i],
        batch.bidOpen[i],
        batch.bidHigh[i],
        batch.bidLow[i],
        batch.bidClose[i],
        NaN,
        row,
      );
      if (ready) x.set(row, rows++ * f);
    }
    if (rows === REAL_ROWS) break;
  }
  if (rows < REAL_ROWS) {
    throw new Error(`Cannot build ${REAL_ROWS} feature rows from ${HISTDATA_2017}: only ${rows}`);
  }
  return { x, rows, nFeatures: f };
}
