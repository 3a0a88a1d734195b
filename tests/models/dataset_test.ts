/**
 * `buildDataset` on one month of real 2017 HistData M1 (February, warmed up on January):
 * rows are complete, in time order, labelled from later bars only, and reproducible from
 * a shorter read; provenance names the exact file bytes. Prints the class balance.
 * These tests must never write to the data folder; they skip, loudly, without it.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { createHash } from "node:crypto";
import { buildDataset, type Dataset } from "@/models/dataset.ts";
import { DEFAULT_LABEL_OPTIONS } from "@/models/labels.ts";
import { DEFAULT_FEATURE_SPEC, specHash } from "@/operators/features/mod.ts";
import { US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { dataPath, dataTest } from "../_data.ts";

const FILE = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";
const FROM = "2017-02-01";
const TO = "2017-03-01";

let cached: Dataset | undefined;
async function february(): Promise<Dataset> {
  cached ??= await buildDataset(dataPath(FILE), { from: FROM, to: TO });
  return cached;
}

dataTest(
  "buildDataset() gives February 2017 complete rows in time order, labelled from later bars",
  FILE,
  async () => {
    const ds = await february();
    const fromUs = usFromIso(FROM);
    const toUs = usFromIso(TO);
    ok(ds.rows > 20_000, `${ds.rows} rows`);
    strictEqual(ds.nFeatures, DEFAULT_FEATURE_SPEC.features.length);
    strictEqual(ds.featureNames.length, ds.nFeatures);
    strictEqual(ds.x.length, ds.rows * ds.nFeatures);
    for (let i = 0; i < ds.x.length; i++) {
      if (!Number.isFinite(ds.x[i])) throw new Error(`x[${i}] = ${ds.x[i]}`);
    }
    const counts = [0, 0, 0];
    for (let i = 0; i < ds.rows; i++) {
      const t = ds.timeUs[i];
      ok(i === 0 || t > ds.timeUs[i - 1], `time not increasing at row ${i}`);
      strictEqual(t - ds.openUs[i], US_PER_MINUTE);
      ok(t >= fromUs && ds.horizonEndUs[i] <= toUs, `row ${i} outside ${FROM} .. ${TO}`);
      ok(
        ds.labelEndUs[i] > t && ds.labelEndUs[i] <= ds.horizonEndUs[i],
        `label window of row ${i}`,
      );
      ok(Number.isFinite(ds.forwardReturn[i]), `forward return of row ${i}`);
      ok(ds.y[i] <= 2, `class ${ds.y[i]} at row ${i}`);
      counts[ds.y[i]]++;
    }
    ok(counts.every((c) => c > 0.05 * ds.rows), `every class is present: ${counts}`);
    console.log(
      `February 2017, ${ds.rows} rows: down ${counts[0]} (${
        (100 * counts[0] / ds.rows).toFixed(1)
      }%), ` +
        `flat ${counts[1]} (${(100 * counts[1] / ds.rows).toFixed(1)}%), ` +
        `up ${counts[2]} (${(100 * counts[2] / ds.rows).toFixed(1)}%)`,
    );
  },
);

dataTest(
  "buildDataset() records the spec hash, label options and the file's SHA-256",
  FILE,
  async () => {
    const ds = await february();
    strictEqual(ds.specHash, specHash(DEFAULT_FEATURE_SPEC));
    deepStrictEqual(ds.labelOptions, DEFAULT_LABEL_OPTIONS);
    const expected = createHash("sha256").update(await Deno.readFile(dataPath(FILE))).digest("hex");
    const [file] = ds.provenance.files;
    strictEqual(ds.provenance.files.length, 1);
    strictEqual(file.file, "DAT_ASCII_XAUUSD_M1_2017.csv.gz");
    strictEqual(file.sha256, expected);
    // Rows the reader gave; its last block may run a little past "to", where reading stops.
    ok(
      file.rows >= ds.provenance.barsRead && file.rows < ds.provenance.barsRead + 10_000,
      `${file.rows}`,
    );
    strictEqual(ds.provenance.format, "histdata");
    strictEqual(ds.provenance.sides, "bid");
    ok(ds.provenance.barsRead > ds.rows);
    ok(ds.provenance.firstUs < usFromIso(FROM) && ds.provenance.lastUs <= usFromIso(TO));
  },
);

dataTest(
  "buildDataset() with hashFiles: false lists no file in the provenance, the bars read still counted",
  FILE,
  async () => {
    const ds = await buildDataset(dataPath(FILE), {
      from: FROM,
      to: "2017-02-03",
      hashFiles: false,
    });
    deepStrictEqual(ds.provenance.files, []);
    strictEqual(ds.provenance.format, "histdata");
    ok(ds.rows > 0 && ds.provenance.barsRead > ds.rows, `${ds.rows} rows`);
  },
);

dataTest(
  "buildDataset() gives the same rows from a read that stops earlier: nothing looks ahead",
  FILE,
  async () => {
    const ds = await february();
    const midUs = usFromIso("2017-02-15");
    const early = await buildDataset(dataPath(FILE), { from: FROM, to: midUs });
    ok(early.rows > 5_000);
    // Every row of the shorter read is in the longer one with identical features and labels.
    let j = 0;
    for (let i = 0; i < early.rows; i++) {
      while (ds.timeUs[j] < early.timeUs[i]) j++;
      strictEqual(ds.timeUs[j], early.timeUs[i]);
      strictEqual(ds.y[j], early.y[i]);
      strictEqual(ds.labelEndUs[j], early.labelEndUs[i]);
      const f = ds.nFeatures;
      for (let k = 0; k < f; k++) strictEqual(ds.x[j * f + k], early.x[i * f + k]);
    }
    // The longer read labels the rows whose horizon crosses the cut; the shorter cannot.
    const crossing = ds.timeUs.filter((t, i) => t < midUs && ds.horizonEndUs[i] > midUs).length;
    strictEqual(ds.timeUs.filter((t) => t < midUs).length, early.rows + crossing);
  },
);

dataTest("buildDataset() with sampleEvery keeps every k-th row of the full set", FILE, async () => {
  const ds = await february();
  const every = await buildDataset(dataPath(FILE), { from: FROM, to: TO, sampleEvery: 5 });
  strictEqual(every.sampleEvery, 5);
  strictEqual(every.rows, Math.ceil(ds.rows / 5));
  for (let i = 0; i < every.rows; i++) {
    strictEqual(every.timeUs[i], ds.timeUs[i * 5]);
    strictEqual(every.y[i], ds.y[i * 5]);
  }
});

Deno.test("buildDataset() refuses a sampleEvery that is not a whole number of 1 or more", async () => {
  for (const sampleEvery of [0, 1.5]) {
    let error: unknown;
    try {
      await buildDataset("unused.csv", { sampleEvery });
    } catch (e) {
      error = e;
    }
    ok(error instanceof RangeError && /sampleEvery/.test(error.message), String(error));
  }
});
