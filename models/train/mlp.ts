/**
 * A small multilayer perceptron (ReLU hidden layers, softmax over the classes) trained in
 * TypeScript with Adam on shuffled mini-batches of standardised features, decoupled weight
 * decay (AdamW) and early stopping on a validation set. Every random choice (He
 * initialisation, mini-batch order) comes from `Random(seed)`, so a seed fixes the model.
 * It must never look at `valid` except to decide when to stop, and it returns a model on
 * raw features (standardisation folded into the first layer).
 */

import { type MlpModel, N_CLASSES } from "../model.ts";
import { Random } from "../random.ts";
import type { Samples } from "../samples.ts";
import { DenseNet } from "./_lin_dense.ts";
import { checkLabels, logLoss } from "./_lin_loss.ts";
import { fitStandardizer, standardize } from "./standardize.ts";

export interface TrainMlpOptions {
  /** Seeds initialisation and mini-batch order. Default 0. */
  readonly seed?: number;
  /** Hidden layer widths, first to last. Default [32, 16]. */
  readonly hidden?: readonly number[];
  /** Passes over `train` at most. Default 50. */
  readonly maxEpochs?: number;
  /** Rows per Adam step. Default 256. */
  readonly batchSize?: number;
  /** Adam step size. Default 1e-3. */
  readonly learningRate?: number;
  /**
   * Decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
   * 2019): each step shrinks every weight, not bias, by `learningRate * weightDecay`.
   * Default 1e-2, PyTorch's AdamW default.
   */
  readonly weightDecay?: number;
  /**
   * Epochs without a lower validation log loss before stopping; the weights of the best
   * epoch are returned. Unused without `valid`, when all `maxEpochs` run. Default 5.
   */
  readonly patience?: number;
}

export const MLP_DEFAULTS: Required<TrainMlpOptions> = {
  seed: 0,
  hidden: [32, 16],
  maxEpochs: 50,
  batchSize: 256,
  learningRate: 1e-3,
  weightDecay: 1e-2,
  patience: 5,
};

// Adam's moment decay rates and denominator guard (Kingma & Ba, 2015, algorithm 1).
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

function positiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot train MLP: ${name} ${value} is not a positive integer`);
  }
}

/**
 * Trains an MLP on `train`, early-stopped on `valid` (null: run all epochs), and returns
 * it as an `MlpModel` on raw features.
 */
export function trainMlp(
  train: Samples,
  valid: Samples | null,
  options: TrainMlpOptions = {},
): MlpModel {
  const o: Required<TrainMlpOptions> = {
    seed: options.seed ?? MLP_DEFAULTS.seed,
    hidden: options.hidden ?? MLP_DEFAULTS.hidden,
    maxEpochs: options.maxEpochs ?? MLP_DEFAULTS.maxEpochs,
    batchSize: options.batchSize ?? MLP_DEFAULTS.batchSize,
    learningRate: options.learningRate ?? MLP_DEFAULTS.learningRate,
    weightDecay: options.weightDecay ?? MLP_DEFAULTS.weightDecay,
    patience: options.patience ?? MLP_DEFAULTS.patience,
  };
  o.hidden.forEach((width, l) => positiveInteger(width, `hidden[${l}]`));
  positiveInteger(o.maxEpochs, "maxEpochs");
  positiveInteger(o.batchSize, "batchSize");
  positiveInteger(o.patience, "patience");
  if (!(o.learningRate > 0) || !(o.weightDecay >= 0)) {
    throw new RangeError(
      `Cannot train MLP: learningRate ${o.learningRate} must be > 0 and weightDecay ${o.weightDecay} >= 0`,
    );
  }
  if (valid && valid.nFeatures !== train.nFeatures) {
    throw new RangeError(
      `Cannot train MLP: valid has ${valid.nFeatures} features, train has ${train.nFeatures}`,
    );
  }
  checkLabels(train.y, "MLP training samples");
  if (valid) checkLabels(valid.y, "MLP validation samples");

  const random = new Random(o.seed);
  const standardizer = fitStandardizer(train);
  const z = standardize(train, standardizer);
  const zValid = valid && valid.rows > 0 ? standardize(valid, standardizer) : null;
  const net = DenseNet.he([train.nFeatures, ...o.hidden, N_CLASSES], random);
  const { params, isWeight } = net;
  const grad = new Float64Array(params.length);
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const order = Int32Array.from({ length: z.rows }, (_, i) => i);
  const validProba = zValid ? new Float64Array(zValid.rows * N_CLASSES) : null;
  const decay = 1 - o.learningRate * o.weightDecay;
  let best: Float64Array | null = null;
  let bestLoss = Infinity;
  let stale = 0;
  let t = 0;

  for (let epoch = 0; epoch < o.maxEpochs; epoch++) {
    random.shuffle(order);
    for (let start = 0; start < z.rows; start += o.batchSize) {
      const end = Math.min(z.rows, start + o.batchSize);
      let total = 0;
      for (let r = start; r < end; r++) total += z.weight ? z.weight[order[r]] : 1;
      if (!(total > 0)) continue;
      grad.fill(0);
      net.accumulate(z, order, start, end, grad);
      t++;
      const lr1 = o.learningRate / (1 - BETA1 ** t);
      const bc2 = 1 - BETA2 ** t;
      for (let i = 0; i < params.length; i++) {
        const g = grad[i] / total;
        m[i] = BETA1 * m[i] + (1 - BETA1) * g;
        v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
        if (isWeight[i]) params[i] *= decay;
        params[i] -= lr1 * m[i] / (Math.sqrt(v[i] / bc2) + EPSILON);
      }
    }
    if (!zValid || !validProba) continue;
    net.predict(zValid.x, zValid.rows, validProba);
    const loss = logLoss(validProba, zValid.y, zValid.weight);
    if (loss < bestLoss) {
      bestLoss = loss;
      best = params.slice();
      stale = 0;
    } else if (++stale >= o.patience) {
      break;
    }
  }
  if (best) params.set(best);
  return {
    kind: "mlp",
    nFeatures: train.nFeatures,
    nClasses: N_CLASSES,
    layers: net.toLayers(standardizer),
  };
}
