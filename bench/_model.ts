/**
 * The benches' model: the default training config on the first half of 2017, trained once
 * into a cache registry (`out/bench-registry` by default) and found again by its card's
 * description. Scoring costs the same whatever the trees learnt; the model is in-sample
 * for those months, so no trade made with it means anything. It must never be promoted.
 */

import { parseTrainConfig } from "../models/train/config.ts";
import { trainModel } from "../models/training.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "../operators/features/mod.ts";
import { openRegistry } from "../pipeline/commands/models.ts";
import { openSources } from "../sources/mod.ts";
import { dataPath } from "../tests/_data.ts";
import { fileURLToPath } from "node:url";

export const HISTDATA_2017 = dataPath("xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz");
/** The benches' year: out of sample for the bench model. */
export const HISTDATA_2018 = dataPath("xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz");
/**
 * The benches' trading config: the default with `risk.onHalt: "record"`, issue 12's
 * research setting: a halt is recorded in the report, not obeyed, so a run trades all year
 * and no halt shortens the work being measured.
 */
export const TRADE_ALL_YEAR = fileURLToPath(new URL("./trade_all_year.json", import.meta.url));
/** The training window of the bench model, [from, to) UTC. */
export const TRAIN_FROM = "2017-01-01";
export const TRAIN_TO = "2017-07-01";
/** Marks the bench model in the card, so a later run finds and reuses it. */
export const MODEL_DESCRIPTION =
  `backtest bench: default training config on HistData 2017 ${TRAIN_FROM} to ${TRAIN_TO}`;

/** The id of the bench model: reused from the cache registry, or trained into it once. */
export async function benchModel(dir: string): Promise<string> {
  const hash = specHash(DEFAULT_FEATURE_SPEC);
  const registry = openRegistry(dir);
  try {
    const cached = registry.list().find((m) =>
      m.card.description === MODEL_DESCRIPTION && m.card.featureSpec.hash === hash
    );
    if (cached) {
      console.error(`reusing model ${cached.id.slice(0, 12)}… from ${dir} (${MODEL_DESCRIPTION})`);
      return cached.id;
    }
    console.error(
      `training the bench model into ${dir}: default training config on ${TRAIN_FROM} to ` +
        `${TRAIN_TO} (a minute or two; reused on later runs)`,
    );
    const started = performance.now();
    const source = await openSources([HISTDATA_2017], {});
    const result = await trainModel(
      source,
      parseTrainConfig({ description: MODEL_DESCRIPTION }, "(bench defaults)"),
      registry,
      { from: TRAIN_FROM, to: TRAIN_TO, progress: (line) => console.error(`  ${line}`) },
    );
    console.error(
      `trained model ${result.model.id.slice(0, 12)}… on ${
        result.dataset.rows.toLocaleString("en-US")
      } rows in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    return result.model.id;
  } finally {
    registry.close();
  }
}
