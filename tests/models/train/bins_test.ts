import assert from "node:assert/strict";
import fc from "fast-check";
import { Random } from "@/models/random.ts";
import { binFeatures, binOf, binRows, fitBinEdges } from "@/models/train/bins.ts";

// Every input here is a synthetic unit-test input (seeded draws or fast-check values),
// not market data.

const column = (values: number[]) => ({
  rows: values.length,
  nFeatures: 1,
  x: Float32Array.from(values),
});

/** Asserts the documented bin test for every value of every feature. */
function assertExactBins(x: Float32Array, rows: number, nFeatures: number, maxBins: number) {
  const { edges, codes } = binFeatures({ rows, nFeatures, x }, { maxBins, sampleRows: 50 });
  for (let j = 0; j < nFeatures; j++) {
    const e = edges[j];
    assert.ok(e.length <= maxBins - 1, `feature ${j} has ${e.length + 1} bins`);
    for (let b = 1; b < e.length; b++) assert.ok(e[b - 1] < e[b], `edges ascend at ${b}`);
    for (let i = 0; i < rows; i++) {
      const v = x[i * nFeatures + j];
      const b = codes[j * rows + i];
      assert.ok(b === 0 || v > e[b - 1], `row ${i} value ${v} is not above edge ${e[b - 1]}`);
      assert.ok(b === e.length || v <= e[b], `row ${i} value ${v} is above edge ${e[b]}`);
    }
  }
}

Deno.test("binOf() counts the edges strictly below a value", async (t) => {
  const edges = Float32Array.of(-1, 0, 2.5);
  for (const [value, bin] of [[-5, 0], [-1, 0], [-0.5, 1], [0, 1], [-0, 1], [2.5, 2], [3, 3]]) {
    await t.step(`${value} is in bin ${bin}`, () => assert.equal(binOf(edges, value), bin));
  }
});

Deno.test("binFeatures() puts every value in the bin its float32 edges predict", () => {
  const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(float32, { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 2, max: 255 }),
      (nFeatures, values, maxBins) => {
        const rows = Math.ceil(values.length / nFeatures);
        const x = new Float32Array(rows * nFeatures);
        for (let i = 0; i < x.length; i++) x[i] = values[i % values.length];
        assertExactBins(x, rows, nFeatures, maxBins);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("binFeatures() bins the extremes of float32 exactly", () => {
  const extremes = [
    -3.4028234663852886e38,
    -1,
    -1.401298464324817e-45,
    -0,
    0,
    1e-45,
    1e-38,
    3.4e38,
  ];
  const x = Float32Array.from(
    { length: 400 },
    (_, i) => extremes[i % extremes.length] / (1 + (i % 3)),
  );
  for (const maxBins of [2, 3, 255]) assertExactBins(x, x.length, 1, maxBins);
});

Deno.test("binRows() agrees with binOf() on seeded normal and heavy-tailed values", () => {
  const random = new Random(7);
  const rows = 20_000;
  const x = Float32Array.from({ length: rows * 2 }, (_, i) => {
    const z = random.normal();
    return i % 2 === 0 ? z : z * z * z * 1e4;
  });
  const data = { rows, nFeatures: 2, x };
  const edges = fitBinEdges(data, { sampleRows: 5_000, seed: 1 });
  const codes = binRows(data, edges);
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < rows; i++) {
      assert.equal(codes[j * rows + i], binOf(edges[j], x[i * 2 + j]), `row ${i} feature ${j}`);
    }
  }
});

Deno.test("fitBinEdges() gives each distinct value its own bin when they are few", () => {
  const [edges] = fitBinEdges(column([3, 1, 2, 2, 1, 3, 3]));
  assert.deepEqual([...edges], [1.5, 2.5]);
  const [constant] = fitBinEdges(column([4, 4, 4]));
  assert.equal(constant.length, 0);
});

Deno.test("fitBinEdges() puts the edge between adjacent float32 values below the larger", () => {
  const a = 1;
  const b = 1 + 2 ** -23; // the next float32 after 1
  const [edges] = fitBinEdges(column([a, b]));
  assert.deepEqual([...edges], [a]);
});

Deno.test("fitBinEdges() spreads rows evenly over quantile bins", () => {
  const random = new Random(11);
  const rows = 10_000;
  const data = column(Array.from({ length: rows }, () => random.normal()));
  const { codes } = binFeatures(data, { maxBins: 10 });
  const counts = new Array(10).fill(0);
  for (const b of codes) counts[b]++;
  for (const count of counts) assert.ok(Math.abs(count - 1_000) <= 1, `bin holds ${count} rows`);
});

Deno.test("fitBinEdges() keeps a heavily repeated value in one bin and re-spreads the rest", () => {
  const random = new Random(12);
  const values = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? 0 : random.normal()));
  const { edges, codes } = binFeatures(column(values), { maxBins: 20 });
  assert.equal(edges[0].length, 19);
  const zeroBin = binOf(edges[0], 0);
  const counts = new Array(20).fill(0);
  for (const b of codes) counts[b]++;
  assert.ok(counts[zeroBin] >= 5_000);
  for (let b = 0; b < 20; b++) {
    if (b !== zeroBin) assert.ok(counts[b] < 600, `bin ${b} holds ${counts[b]} rows`);
  }
});

Deno.test("fitBinEdges() draws its row sample from the seed", () => {
  const random = new Random(13);
  const data = column(Array.from({ length: 5_000 }, () => random.normal()));
  const edges = (seed: number) => fitBinEdges(data, { maxBins: 32, sampleRows: 500, seed })[0];
  assert.deepEqual(edges(1), edges(1));
  assert.notDeepEqual(edges(1), edges(2));
  assert.deepEqual(fitBinEdges(data, { seed: 1 }), fitBinEdges(data, { seed: 2 }));
});

Deno.test("binFeatures() refuses non-finite values, naming the row and feature", async (t) => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    await t.step(`${bad}`, () => {
      const x = Float32Array.of(1, 2, 3, 4, 5, bad);
      assert.throws(
        () => binFeatures({ rows: 3, nFeatures: 2, x }),
        (e: Error) => e instanceof RangeError && e.message.includes(`row 2, feature 1 is ${bad}`),
      );
    });
  }
});

Deno.test("fitBinEdges() refuses a bin count outside 2..255", () => {
  for (const maxBins of [1, 256, 2.5]) {
    assert.throws(() => fitBinEdges(column([1, 2]), { maxBins }), RangeError);
  }
});
