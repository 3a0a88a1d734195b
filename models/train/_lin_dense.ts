/**
 * The network the gradient trainers optimise: dense layers over standardised features,
 * ReLU between them and softmax at the end, with float64 parameters in one flat array
 * (per layer: weights, outputs x inputs row-major, then biases). Logistic regression is
 * this network with no hidden layer. It gives the forward pass, the cross-entropy
 * gradient by backpropagation, He initialisation and the conversion to a model with the
 * standardisation folded in. It never allocates per row and never draws randomness
 * except from the `Random` it is handed.
 */

import type { DenseLayer } from "../model.ts";
import type { Random } from "../random.ts";
import type { Samples } from "../samples.ts";
import { foldStandardizer, type Standardizer } from "./standardize.ts";

export class DenseNet {
  /** Layer widths, inputs first and classes last. */
  readonly sizes: readonly number[];
  readonly params: Float64Array;
  /** 1 where `params` holds a weight, 0 where it holds a bias: what L2 and decay apply to. */
  readonly isWeight: Uint8Array;
  private readonly weightAt: number[] = [];
  private readonly biasAt: number[] = [];
  /** act[0] is the input row, act[l + 1] the output of layer l. */
  private readonly act: Float64Array[];
  private readonly delta: Float64Array[];

  /** All parameters zero; `he()` for a network that can break symmetry. */
  constructor(sizes: readonly number[]) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new RangeError(`Cannot build a network of layer sizes [${sizes.join(", ")}]`);
    }
    this.sizes = sizes;
    let n = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.weightAt.push(n);
      n += sizes[l] * sizes[l + 1];
      this.biasAt.push(n);
      n += sizes[l + 1];
    }
    this.params = new Float64Array(n);
    this.isWeight = new Uint8Array(n);
    for (let l = 0; l < this.weightAt.length; l++) {
      this.isWeight.fill(1, this.weightAt[l], this.biasAt[l]);
    }
    this.act = sizes.map((s) => new Float64Array(s));
    this.delta = sizes.map((s) => new Float64Array(s));
  }

  /** He initialisation: weights N(0, 2 / inputs) drawn from `random`, biases zero. */
  static he(sizes: readonly number[], random: Random): DenseNet {
    const net = new DenseNet(sizes);
    for (let l = 0; l < net.weightAt.length; l++) {
      const sd = Math.sqrt(2 / sizes[l]);
      for (let i = net.weightAt[l]; i < net.biasAt[l]; i++) net.params[i] = sd * random.normal();
    }
    return net;
  }

  /** Class probabilities of the standardised rows of `z` into `out` (rows x classes). */
  predict(z: Float32Array, rows: number, out: Float64Array): void {
    const c = this.sizes[this.sizes.length - 1];
    const last = this.act[this.act.length - 1];
    for (let i = 0; i < rows; i++) {
      const logZ = this.forward(z, i);
      for (let k = 0; k < c; k++) out[i * c + k] = Math.exp(last[k] - logZ);
    }
  }

  /**
   * Adds to `grad` the gradient of the weighted summed cross-entropy of the rows
   * `order[start..end)` of `data` (standardised), and returns that summed loss.
   */
  accumulate(
    data: Samples,
    order: Int32Array,
    start: number,
    end: number,
    grad: Float64Array,
  ): number {
    const { sizes, params, act, delta } = this;
    const layers = sizes.length - 1;
    const c = sizes[layers];
    const out = act[layers];
    const top = delta[layers];
    let loss = 0;
    for (let r = start; r < end; r++) {
      const i = order[r];
      const w = data.weight ? data.weight[i] : 1;
      const logZ = this.forward(data.x, i);
      const y = data.y[i];
      loss += w * (logZ - out[y]);
      for (let k = 0; k < c; k++) top[k] = w * (Math.exp(out[k] - logZ) - (k === y ? 1 : 0));
      for (let l = layers - 1; l >= 0; l--) {
        const nIn = sizes[l];
        const nOut = sizes[l + 1];
        const a = act[l];
        const d = delta[l + 1];
        const wAt = this.weightAt[l];
        const bAt = this.biasAt[l];
        for (let o = 0; o < nOut; o++) {
          const g = d[o];
          if (g === 0) continue;
          const row = wAt + o * nIn;
          for (let j = 0; j < nIn; j++) grad[row + j] += g * a[j];
          grad[bAt + o] += g;
        }
        if (l === 0) break;
        const below = delta[l];
        below.fill(0);
        for (let o = 0; o < nOut; o++) {
          const g = d[o];
          if (g === 0) continue;
          const row = wAt + o * nIn;
          for (let j = 0; j < nIn; j++) below[j] += params[row + j] * g;
        }
        for (let j = 0; j < nIn; j++) if (a[j] <= 0) below[j] = 0;
      }
    }
    return loss;
  }

  /** The layers for raw features: the first absorbs `standardizer` (see `foldStandardizer`). */
  toLayers(standardizer: Standardizer): DenseLayer[] {
    return this.weightAt.map((wAt, l) => {
      const outputs = this.sizes[l + 1];
      const weights = this.params.subarray(wAt, this.biasAt[l]);
      const bias = this.params.subarray(this.biasAt[l], this.biasAt[l] + outputs);
      const folded = l === 0
        ? foldStandardizer(standardizer, weights, bias)
        : { weights: new Float32Array(weights), bias: new Float32Array(bias) };
      const activation = l + 2 === this.sizes.length ? "softmax" : "relu";
      return { inputs: this.sizes[l], outputs, ...folded, activation };
    });
  }

  /** Runs row `i` of `x` through the network; returns log-sum-exp of the class scores. */
  private forward(x: Float32Array, i: number): number {
    const { sizes, params, act } = this;
    const f = sizes[0];
    const input = act[0];
    for (let j = 0; j < f; j++) input[j] = x[i * f + j];
    const layers = sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const a = act[l];
      const b = act[l + 1];
      const wAt = this.weightAt[l];
      const bAt = this.biasAt[l];
      for (let o = 0; o < nOut; o++) {
        let s = params[bAt + o];
        const row = wAt + o * nIn;
        for (let j = 0; j < nIn; j++) s += params[row + j] * a[j];
        b[o] = l + 1 < layers && s < 0 ? 0 : s;
      }
    }
    const out = act[layers];
    let max = -Infinity;
    for (let k = 0; k < out.length; k++) max = Math.max(max, out[k]);
    let sum = 0;
    for (let k = 0; k < out.length; k++) sum += Math.exp(out[k] - max);
    return max + Math.log(sum);
  }
}
