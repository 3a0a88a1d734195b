/**
 * Standardisation and its folding into a first layer, on synthetic unit-test inputs (not
 * market data): the folded float32 layer on raw features must give the standardised
 * layer's scores to within float32 rounding, even for features far from zero.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { Samples } from "@/models/samples.ts";
import { fitStandardizer, foldStandardizer, standardize } from "@/models/train/standardize.ts";

function samplesOf(rows: number[][]): Samples {
  return {
    rows: rows.length,
    nFeatures: rows[0].length,
    x: Float32Array.from(rows.flat()),
    y: new Uint8Array(rows.length),
  };
}

Deno.test("fitStandardizer() gives each feature's mean and population standard deviation", () => {
  const { mean, std } = fitStandardizer(samplesOf([[1, 10], [3, 10], [5, 10], [7, 10]]));
  assert.deepEqual([...mean], [4, 10]);
  // Feature 0: deviations -3, -1, 1, 3 give variance 5; feature 1 is constant, std 1.
  assert.deepEqual([...std], [Math.sqrt(5), 1]);
});

Deno.test("fitStandardizer() refuses 0 rows and names the feature and row of a non-finite value", () => {
  assert.throws(
    () => fitStandardizer(samplesOf([[1, 2], [3, NaN], [5, 6]])),
    new RangeError('Cannot standardise feature 1: row 1 holds "NaN"'),
  );
  const empty = { rows: 0, nFeatures: 2, x: new Float32Array(0), y: new Uint8Array(0) };
  assert.throws(
    () => fitStandardizer(empty),
    new RangeError("Cannot standardise features: the training set has 0 rows"),
  );
});

Deno.test("standardize() gives every non-constant feature mean 0 and standard deviation 1", () => {
  const rows = Array.from({ length: 50 }, (_, i) => [2000 + Math.sin(i) * 3, i * i, -7]);
  const samples = samplesOf(rows);
  const z = standardize(samples, fitStandardizer(samples));
  for (let j = 0; j < 2; j++) {
    const column = rows.map((_, i) => z.x[i * 3 + j]);
    const mean = column.reduce((s, v) => s + v, 0) / column.length;
    const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length;
    assert.ok(Math.abs(mean) < 1e-6, `feature ${j} mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 1e-6, `feature ${j} variance ${variance}`);
  }
  assert.deepEqual([...new Set(rows.map((_, i) => z.x[i * 3 + 2]))], [0]);
});

Deno.test("foldStandardizer() makes the raw-feature float32 layer equal the standardised one within float32 rounding", () => {
  // Weights of realistic size: float32 underflow of 1e-46 is not what this test is about.
  const value = fc.integer({ min: -5000, max: 5000 }).map((i) => i / 1000);
  const feature = fc.record({
    mean: fc.double({ min: -3000, max: 3000, noNaN: true }),
    std: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
  });
  fc.assert(
    fc.property(
      fc.array(feature, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(value, { minLength: 64, maxLength: 64 }),
      fc.array(value, { minLength: 4, maxLength: 4 }),
      fc.array(value, { minLength: 8, maxLength: 8 }),
      (features, outputs, w, b, zs) => {
        const f = features.length;
        const standardizer = {
          mean: Float64Array.from(features, (s) => s.mean),
          std: Float64Array.from(features, (s) => s.std),
        };
        const weights = Float64Array.from({ length: outputs * f }, (_, i) => w[i]);
        const bias = Float64Array.from({ length: outputs }, (_, o) => b[o]);
        const folded = foldStandardizer(standardizer, weights, bias);
        // A raw float32 row a few standard deviations from the mean, as a feature row is.
        const x = Float32Array.from(features, (s, j) => s.mean + zs[j] * s.std);
        for (let o = 0; o < outputs; o++) {
          let exact = bias[o];
          let raw = folded.bias[o];
          let scale = Math.abs(folded.bias[o]);
          let magnitude = Math.abs(folded.bias[o]);
          for (let j = 0; j < f; j++) {
            exact += weights[o * f + j] * (x[j] - standardizer.mean[j]) / standardizer.std[j];
            raw += folded.weights[o * f + j] * x[j];
            scale += Math.abs(folded.weights[o * f + j] * (x[j] - standardizer.mean[j]));
            magnitude += Math.abs(folded.weights[o * f + j] * x[j]);
          }
          // float32 rounding of each folded term: 2^-24 of it, or at least 2^-149 (float32's
          // smallest step, which a subnormal mean such as -5e-324 folds to), plus float64
          // summation.
          const bound = 2 ** -24 * scale * 1.001 + 1e-14 * magnitude + (f + 1) * 2 ** -149;
          assert.ok(Math.abs(raw - exact) <= bound, `|${raw} - ${exact}| > ${bound}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("foldStandardizer() rejects weights that do not match outputs x features", () => {
  const standardizer = { mean: new Float64Array(3), std: new Float64Array(3).fill(1) };
  assert.throws(
    () => foldStandardizer(standardizer, new Float64Array(5), new Float64Array(2)),
    new RangeError("Cannot fold standardisation: 5 weights for 2 outputs x 3 features"),
  );
});
