/**
 * `trainMlp` and the network under it, on synthetic unit-test inputs (seeded, not market
 * data): backpropagation against finite differences, a planted XOR the MLP learns and
 * logistic regression cannot, seeding, early stopping, and parity with predict.ts.
 */

import assert from "node:assert/strict";
import { type MlpModel, N_CLASSES } from "@/models/model.ts";
import { predictProba } from "@/models/predict.ts";
import { Random } from "@/models/random.ts";
import type { Samples } from "@/models/samples.ts";
import { DenseNet } from "@/models/train/_lin_dense.ts";
import { logLoss } from "@/models/train/_lin_loss.ts";
import { trainLogistic } from "@/models/train/logistic.ts";
import { trainMlp } from "@/models/train/mlp.ts";
import { fitStandardizer, standardize } from "@/models/train/standardize.ts";

/**
 * Up (2) when x0 * x1 > 0.05, down (0) when < -0.05, else flat (1), with x0, x1 uniform
 * on [-1, 1] plus two noise features: no linear function of the inputs separates them.
 */
function xor(rows: number, seed: number): Samples {
  const random = new Random(seed);
  const x = new Float32Array(rows * 4);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = 2 * random.next() - 1;
    const product = x[i * 4] * x[i * 4 + 1];
    y[i] = product > 0.05 ? 2 : product < -0.05 ? 0 : 1;
  }
  return { rows, nFeatures: 4, x, y };
}

function probabilities(model: Parameters<typeof predictProba>[0], samples: Samples): Float64Array {
  const p = new Float64Array(samples.rows * N_CLASSES);
  predictProba(model, samples.x, samples.rows, p);
  return p;
}

function accuracy(p: Float64Array, y: Uint8Array): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let k = 1; k < N_CLASSES; k++) {
      if (p[i * N_CLASSES + k] > p[i * N_CLASSES + best]) best = k;
    }
    if (best === y[i]) right++;
  }
  return right / y.length;
}

const XOR_OPTIONS = {
  hidden: [16, 8],
  batchSize: 32,
  learningRate: 1e-2,
  maxEpochs: 150,
  patience: 15,
};

Deno.test("DenseNet.accumulate() matches central finite differences of the summed weighted loss", () => {
  const samples = {
    ...xor(20, 1),
    weight: Float32Array.from({ length: 20 }, (_, i) => 0.5 + i / 20),
  };
  const net = DenseNet.he([4, 5, 3, N_CLASSES], new Random(1));
  const order = Int32Array.from({ length: 20 }, (_, i) => i);
  const grad = new Float64Array(net.params.length);
  net.accumulate(samples, order, 0, 20, grad);
  const h = 1e-6;
  for (let i = 0; i < net.params.length; i++) {
    const saved = net.params[i];
    const scratch = new Float64Array(net.params.length);
    net.params[i] = saved + h;
    const up = net.accumulate(samples, order, 0, 20, scratch);
    net.params[i] = saved - h;
    const down = net.accumulate(samples, order, 0, 20, scratch);
    net.params[i] = saved;
    const numeric = (up - down) / (2 * h);
    assert.ok(
      Math.abs(numeric - grad[i]) < 1e-6 * Math.max(1, Math.abs(numeric)),
      `parameter ${i}: backprop ${grad[i]}, finite difference ${numeric}`,
    );
  }
});

Deno.test("trainMlp() learns a planted XOR that trainLogistic() cannot", () => {
  const train = xor(4_000, 2);
  const valid = xor(1_000, 3);
  const test = xor(2_000, 4);
  const mlp = trainMlp(train, valid, { ...XOR_OPTIONS, seed: 1 });
  const linear = trainLogistic(train);
  const mlpAccuracy = accuracy(probabilities(mlp, test), test.y);
  const linearAccuracy = accuracy(probabilities(linear, test), test.y);
  // The largest class is about 40% of rows: all a linear model can do.
  assert.ok(linearAccuracy < 0.5, `logistic accuracy ${linearAccuracy}`);
  assert.ok(mlpAccuracy > 0.85, `MLP accuracy ${mlpAccuracy}`);
  assert.deepEqual(mlp.layers.map((l) => [l.inputs, l.outputs, l.activation]), [
    [4, 16, "relu"],
    [16, 8, "relu"],
    [8, N_CLASSES, "softmax"],
  ]);
});

Deno.test("trainMlp() gives identical weights for the same seed and different ones for another", () => {
  const train = xor(500, 5);
  const options = { hidden: [8], maxEpochs: 3 };
  const weightsOf = (model: MlpModel) => model.layers.map((l) => [l.weights, l.bias]);
  const a = trainMlp(train, null, { ...options, seed: 7 });
  const b = trainMlp(train, null, { ...options, seed: 7 });
  const c = trainMlp(train, null, { ...options, seed: 8 });
  assert.deepEqual(weightsOf(a), weightsOf(b));
  assert.notDeepEqual(weightsOf(a), weightsOf(c));
});

Deno.test("trainMlp() returns its best validation epoch, never worse than its first", () => {
  const train = xor(1_000, 6);
  const valid = xor(500, 7);
  // Same seed: the same initialisation and the same first epoch.
  const first = trainMlp(train, valid, { ...XOR_OPTIONS, seed: 3, maxEpochs: 1 });
  const best = trainMlp(train, valid, { ...XOR_OPTIONS, seed: 3, maxEpochs: 40, patience: 3 });
  const firstLoss = logLoss(probabilities(first, valid), valid.y);
  const bestLoss = logLoss(probabilities(best, valid), valid.y);
  assert.ok(bestLoss < firstLoss, `best ${bestLoss}, first epoch ${firstLoss}`);
});

Deno.test("trainMlp() rejects a bad width and validation rows of another feature count", () => {
  const train = xor(50, 8);
  assert.throws(
    () => trainMlp(train, null, { hidden: [8, 0] }),
    new RangeError("Cannot train MLP: hidden[1] 0 is not a positive integer"),
  );
  const narrow = { rows: 1, nFeatures: 3, x: new Float32Array(3), y: new Uint8Array(1) };
  assert.throws(
    () => trainMlp(train, narrow),
    new RangeError("Cannot train MLP: valid has 3 features, train has 4"),
  );
});

Deno.test("predictProba() of an MLP equals DenseNet.predict() on standardised rows within 1e-6", () => {
  // Features shaped like the default spec's: an RSI, a relative ATR, a log return.
  const random = new Random(9);
  const rows = 2_000;
  const x = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    x[i * 3] = 50 + 10 * random.normal();
    x[i * 3 + 1] = Math.abs(2e-4 + 1e-4 * random.normal());
    x[i * 3 + 2] = 1e-3 * random.normal();
  }
  const samples = { rows, nFeatures: 3, x, y: new Uint8Array(rows) };
  const standardizer = fitStandardizer(samples);
  const net = DenseNet.he([3, 16, 8, N_CLASSES], random);
  const model: MlpModel = {
    kind: "mlp",
    nFeatures: 3,
    nClasses: N_CLASSES,
    layers: net.toLayers(standardizer),
  };
  const own = new Float64Array(rows * N_CLASSES);
  net.predict(standardize(samples, standardizer).x, rows, own);
  const reference = probabilities(model, samples);
  for (let i = 0; i < own.length; i++) {
    assert.ok(Math.abs(own[i] - reference[i]) < 1e-6, `${own[i]} vs ${reference[i]}`);
  }
});
