/**
 * `trainLogistic` on synthetic unit-test inputs (planted linear problems drawn from a
 * seeded `Random`, not market data): it recovers the planted weights, reproduces a
 * saturated model's class frequencies exactly, shrinks with L2, and its model scores in
 * predict.ts as its own network does.
 */

import assert from "node:assert/strict";
import { type LinearModel, N_CLASSES } from "@/models/model.ts";
import { predictProba } from "@/models/predict.ts";
import { Random } from "@/models/random.ts";
import type { Samples } from "@/models/samples.ts";
import { DenseNet } from "@/models/train/_lin_dense.ts";
import { trainLogistic } from "@/models/train/logistic.ts";
import { fitStandardizer, standardize } from "@/models/train/standardize.ts";

// Features far from zero and of very different scales, so that folding the
// standardisation into the weights is exercised.
const OFFSET = [2000, -5, 0];
const SCALE = [2, 0.1, 1];
// Planted effects per standard deviation of each feature (rows: down, flat, up), and
// biases at the features' centre. Each column sums to 0: softmax only identifies
// differences between classes, and the fitted model has this centring too.
const EFFECT = [[-1, 0.5, 0.2], [0, -1, -0.4], [1, 0.5, 0.2]];
const CENTRE_BIAS = [0.2, 0.1, -0.3];

/** Rows of the planted multinomial model, classes drawn from its probabilities. */
function planted(rows: number, seed: number): Samples {
  const random = new Random(seed);
  const f = OFFSET.length;
  const x = new Float32Array(rows * f);
  const y = new Uint8Array(rows);
  const p = new Float64Array(N_CLASSES);
  for (let i = 0; i < rows; i++) {
    const z = OFFSET.map(() => random.normal());
    z.forEach((v, j) => x[i * f + j] = OFFSET[j] + SCALE[j] * v);
    let sum = 0;
    for (let k = 0; k < N_CLASSES; k++) {
      p[k] = Math.exp(CENTRE_BIAS[k] + z.reduce((s, v, j) => s + EFFECT[k][j] * v, 0));
      sum += p[k];
    }
    let u = random.next() * sum;
    y[i] = 0;
    while (y[i] < N_CLASSES - 1 && u >= p[y[i]]) u -= p[y[i]++];
  }
  return { rows, nFeatures: f, x, y };
}

/** The model's effects per standard deviation and biases at the centre, class-centred. */
function effects(model: LinearModel): { effect: number[][]; centreBias: number[] } {
  const f = model.nFeatures;
  const centre = (v: number[]) => v.map((x) => x - v.reduce((s, y) => s + y, 0) / v.length);
  const columns = OFFSET.map((_, j) =>
    centre([0, 1, 2].map((k) => model.weights[k * f + j] * SCALE[j]))
  );
  const effect = [0, 1, 2].map((k) => columns.map((column) => column[k]));
  const centreBias = centre(
    [0, 1, 2].map((k) =>
      model.bias[k] + OFFSET.reduce((s, o, j) => s + model.weights[k * f + j] * o, 0)
    ),
  );
  return { effect, centreBias };
}

Deno.test("trainLogistic() recovers planted weights and biases on a synthetic linear problem", () => {
  const model = trainLogistic(planted(40_000, 1), { l2: 0 });
  assert.equal(model.kind, "linear");
  assert.equal(model.weights.length, N_CLASSES * 3);
  assert.equal(model.bias.length, N_CLASSES);
  const { effect, centreBias } = effects(model);
  // Standard errors at 40,000 rows are about 0.01 per standard deviation.
  for (let k = 0; k < N_CLASSES; k++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(
        Math.abs(effect[k][j] - EFFECT[k][j]) < 0.05,
        `class ${k} feature ${j}: ${effect[k][j]} vs ${EFFECT[k][j]}`,
      );
    }
    assert.ok(Math.abs(centreBias[k] - CENTRE_BIAS[k]) < 0.05, `bias ${k}: ${centreBias[k]}`);
  }
});

// One feature taking two values is a saturated model: unpenalised, the fit reproduces
// each value's class frequencies. x = 0: 5 down, 3 flat, 2 up -> (0.5, 0.3, 0.2);
// x = 1: 1 down, 3 flat, 6 up -> (0.1, 0.3, 0.6). On raw x the weight differences are the
// log-odds changes from x = 0 to x = 1: up against down ln(0.6/0.1) - ln(0.2/0.5)
// = 1.791759 + 0.916291 = 2.708050; flat against down ln(0.3/0.1) - ln(0.3/0.5)
// = 1.098612 + 0.510826 = 1.609438. The bias differences are x = 0's log-odds:
// ln(0.2/0.5) = -0.916291 and ln(0.3/0.5) = -0.510826.
Deno.test("trainLogistic() without a penalty fits each value of a binary feature's class frequencies", () => {
  const classes = [[0, 0, 0, 0, 0, 1, 1, 1, 2, 2], [0, 1, 1, 1, 2, 2, 2, 2, 2, 2]];
  const samples: Samples = {
    rows: 20,
    nFeatures: 1,
    x: Float32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1)),
    y: Uint8Array.from({ length: 20 }, (_, i) => classes[i < 10 ? 0 : 1][i % 10]),
  };
  const model = trainLogistic(samples, { l2: 0, tolerance: 1e-10, maxIter: 1_000 });
  const near = (actual: number, expected: number, what: string) =>
    assert.ok(Math.abs(actual - expected) < 1e-5, `${what}: ${actual} vs ${expected}`);
  near(model.weights[2] - model.weights[0], 2.70805, "weight up - down");
  near(model.weights[1] - model.weights[0], 1.609438, "weight flat - down");
  near(model.bias[2] - model.bias[0], -0.916291, "bias up - down");
  near(model.bias[1] - model.bias[0], -0.510826, "bias flat - down");
  const p = new Float64Array(2 * N_CLASSES);
  predictProba(model, Float32Array.of(0, 1), 2, p);
  [0.5, 0.3, 0.2, 0.1, 0.3, 0.6].forEach((expected, i) => near(p[i], expected, `p[${i}]`));
});

Deno.test("trainLogistic() treats a row of weight 2 as that row twice", () => {
  const samples = planted(500, 3);
  const doubled = Int32Array.from({ length: 600 }, (_, i) => i < 500 ? i : i - 500);
  const f = samples.nFeatures;
  const repeated: Samples = {
    rows: 600,
    nFeatures: f,
    x: Float32Array.from(
      { length: 600 * f },
      (_, i) => samples.x[doubled[Math.floor(i / f)] * f + i % f],
    ),
    y: Uint8Array.from(doubled, (r) => samples.y[r]),
  };
  const weighted = trainLogistic({
    ...samples,
    weight: Float32Array.from({ length: 500 }, (_, i) => i < 100 ? 2 : 1),
  }, { l2: 0, tolerance: 1e-8 });
  // Standardisation is fit on unweighted rows, so the two fits parameterise the same
  // unpenalised optimum differently: compare probabilities, not weights.
  const plain = trainLogistic(repeated, { l2: 0, tolerance: 1e-8 });
  const a = new Float64Array(500 * N_CLASSES);
  const b = new Float64Array(500 * N_CLASSES);
  predictProba(weighted, samples.x, 500, a);
  predictProba(plain, samples.x, 500, b);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${a[i]} vs ${b[i]}`);
});

Deno.test("trainLogistic() shrinks the weights as l2 grows", () => {
  const samples = planted(3_000, 4);
  const norm = (model: LinearModel) => {
    let s = 0;
    for (let k = 0; k < N_CLASSES; k++) {
      for (let j = 0; j < 3; j++) s += (model.weights[k * 3 + j] * SCALE[j]) ** 2;
    }
    return Math.sqrt(s);
  };
  const norms = [1e-4, 1e-2, 1].map((l2) => norm(trainLogistic(samples, { l2 })));
  assert.ok(norms[0] > norms[1] && norms[1] > norms[2], `norms ${norms}`);
});

Deno.test("trainLogistic() rejects a class outside 0..2 and a negative l2", () => {
  const samples = planted(10, 5);
  const bad = { ...samples, y: samples.y.map((v, i) => i === 7 ? 3 : v) };
  assert.throws(
    () => trainLogistic(bad),
    new RangeError(
      "Cannot train on logistic regression samples: row 7 has class 3, expected 0 (down), 1 (flat) or 2 (up)",
    ),
  );
  assert.throws(
    () => trainLogistic(samples, { l2: -1 }),
    new RangeError("Cannot train logistic regression: l2 -1 is not >= 0"),
  );
});

/**
 * Rows shaped like the default spec's scale-free features: an RSI (mean 50, sd 10), a
 * relative ATR (2e-4, 1e-4) and a log return (0, 1e-3).
 */
function featureLike(rows: number, seed: number): Samples {
  const random = new Random(seed);
  const x = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    x[i * 3] = 50 + 10 * random.normal();
    x[i * 3 + 1] = Math.abs(2e-4 + 1e-4 * random.normal());
    x[i * 3 + 2] = 1e-3 * random.normal();
  }
  return { rows, nFeatures: 3, x, y: new Uint8Array(rows) };
}

// The folded bias is stored in float32, so its rounding, 2^-24 of sum_j |W_j mean_j / std_j|,
// stays in the score: tiny for features like these (|mean| / std <= 5), but about 1e-4 for a
// feature at 2000 +- 2. That is float32 inference itself, which ONNX runtimes share.
Deno.test("predictProba() of a linear DenseNet's model equals the net's own forward pass within 1e-6", () => {
  const samples = featureLike(2_000, 6);
  const standardizer = fitStandardizer(samples);
  const net = DenseNet.he([3, N_CLASSES], new Random(6));
  const [layer] = net.toLayers(standardizer);
  const model: LinearModel = {
    kind: "linear",
    nFeatures: 3,
    nClasses: N_CLASSES,
    weights: layer.weights,
    bias: layer.bias,
  };
  const own = new Float64Array(samples.rows * N_CLASSES);
  const reference = new Float64Array(samples.rows * N_CLASSES);
  net.predict(standardize(samples, standardizer).x, samples.rows, own);
  predictProba(model, samples.x, samples.rows, reference);
  for (let i = 0; i < own.length; i++) {
    assert.ok(Math.abs(own[i] - reference[i]) < 1e-6, `${own[i]} vs ${reference[i]}`);
  }
});
