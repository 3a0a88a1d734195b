/**
 * Writes any model representation (models/model.ts) as one ONNX graph that computes
 * exactly what the reference predictor (models/predict.ts) computes, to 1e-5:
 *
 * 1. Trees become one ai.onnx.ml TreeEnsembleClassifier (ml opset 3): BRANCH_LEQ nodes
 *    (`x <= threshold` is the true branch, the left child), per-leaf class weights, `base`
 *    as base_values, post_transform SOFTMAX for boosting and NONE for forests. Its label
 *    output is left unused; there is no ZipMap.
 * 2. Linear models and MLP layers become Gemm (transB = 1, so W stays outputs x inputs),
 *    then Relu or Softmax.
 * 3. An ensemble is one graph: every member reads "features"; their probabilities are
 *    also graph outputs ("member_0_probabilities", ...); they are averaged (Mul, Sum,
 *    Div) or stacked (Concat, Gemm, Softmax), then calibrated (Clip, logit as two Logs,
 *    Mul, Add, Sigmoid, Div by ReduceSum).
 *
 * Input "features" float [N, nFeatures], output "probabilities" float [N, 3]. It must
 * never change a model's arithmetic (no folding, pruning or reordering of classes) and
 * never write a graph for a malformed model: those are refused with a RangeError.
 */

import {
  type Calibration,
  type Combiner,
  type LinearModel,
  type MemberModel,
  type MlpModel,
  type Model,
  N_CLASSES,
  PROBABILITY_FLOOR,
  type Tree,
  type TreeEnsembleModel,
} from "../model.ts";
import {
  type AttributeSpec,
  encodeModel,
  type NodeSpec,
  type TensorSpec,
  type ValueInfoSpec,
} from "./proto.ts";

export const INPUT_NAME = "features";
export const OUTPUT_NAME = "probabilities";
/** The output carrying member `index`'s probabilities, in an exported ensemble. */
export const memberOutputName = (index: number): string => `member_${index}_probabilities`;

/** ONNX IR version 8 with opset 17 and ai.onnx.ml 3 (onnx 1.12), all run by onnxruntime 1.30. */
export const IR_VERSION = 8;
export const OPSET = 17;
export const ML_OPSET = 3;
export const PRODUCER_NAME = "ai-gold-scalper";

const ML_DOMAIN = "ai.onnx.ml";

/** Collects nodes and constants under unique names; scoped builders share the lists. */
class GraphBuilder {
  constructor(
    private readonly prefix: string,
    readonly nodes: NodeSpec[] = [],
    readonly initializers: TensorSpec[] = [],
  ) {}

  /** A float constant named `${prefix}${name}`; returns the name. */
  constant(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    const full = this.prefix + name;
    this.initializers.push({ name: full, dims, type: "float", data });
    return full;
  }

  /** An int64 constant named `${prefix}${name}`; returns the name. */
  int64s(name: string, data: readonly number[]): string {
    const full = this.prefix + name;
    this.initializers.push({ name: full, dims: [data.length], type: "int64", data });
    return full;
  }

  /**
   * Adds a node; its single output is `output` when given, else `${prefix}${name}`.
   * Returns the output's name.
   */
  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    attributes: readonly AttributeSpec[] = [],
    output = this.prefix + name,
  ): string {
    this.nodes.push({ opType, name: this.prefix + name, inputs, outputs: [output], attributes });
    return output;
  }

  /** The same graph under a further name prefix, for one member of an ensemble. */
  scoped(prefix: string): GraphBuilder {
    return new GraphBuilder(this.prefix + prefix, this.nodes, this.initializers);
  }
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new RangeError(`Cannot export model to ONNX: ${what}`);
}

function checkTree(tree: Tree, t: number, nFeatures: number, nClasses: number): void {
  const n = tree.feature.length;
  check(
    n > 0 && tree.threshold.length === n && tree.left.length === n && tree.right.length === n &&
      tree.leafValues.length === n * nClasses,
    `tree ${t} has arrays of inconsistent lengths (${n} nodes)`,
  );
  for (let i = 0; i < n; i++) {
    const f = tree.feature[i];
    if (f === -1) continue;
    check(f >= 0 && f < nFeatures, `tree ${t} node ${i} splits on feature ${f} of ${nFeatures}`);
    check(
      tree.left[i] >= 0 && tree.left[i] < n && tree.right[i] >= 0 && tree.right[i] < n,
      `tree ${t} node ${i} has children ${tree.left[i]} and ${tree.right[i]} of ${n} nodes`,
    );
  }
  // A tree reaches each node once from the root: no cycles, no shared children.
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    check(seen[i] === 0, `tree ${t} reaches node ${i} twice (a cycle or a shared child)`);
    seen[i] = 1;
    if (tree.feature[i] !== -1) stack.push(tree.left[i], tree.right[i]);
  }
}

function treesNode(g: GraphBuilder, model: TreeEnsembleModel, output: string): string {
  const { nClasses: c } = model;
  check(model.base.length === c, `trees have ${model.base.length} base values for ${c} classes`);
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const classTreeIds: number[] = [];
  const classNodeIds: number[] = [];
  const classIds: number[] = [];
  const classWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    checkTree(tree, t, model.nFeatures, c);
    for (let n = 0; n < tree.feature.length; n++) {
      const leaf = tree.feature[n] === -1;
      treeIds.push(t);
      nodeIds.push(n);
      featureIds.push(leaf ? 0 : tree.feature[n]);
      modes.push(leaf ? "LEAF" : "BRANCH_LEQ");
      values.push(leaf ? 0 : tree.threshold[n]);
      trueIds.push(leaf ? 0 : tree.left[n]);
      falseIds.push(leaf ? 0 : tree.right[n]);
      if (!leaf) continue;
      for (let k = 0; k < c; k++) {
        classTreeIds.push(t);
        classNodeIds.push(n);
        classIds.push(k);
        classWeights.push(tree.leafValues[n * c + k]);
      }
    }
  });
  g.nodes.push({
    opType: "TreeEnsembleClassifier",
    domain: ML_DOMAIN,
    name: output + "_trees",
    inputs: [INPUT_NAME],
    outputs: [output + "_label", output],
    attributes: [
      { name: "base_values", type: "floats", value: model.base },
      { name: "class_ids", type: "ints", value: classIds },
      { name: "class_nodeids", type: "ints", value: classNodeIds },
      { name: "class_treeids", type: "ints", value: classTreeIds },
      { name: "class_weights", type: "floats", value: classWeights },
      {
        name: "classlabels_int64s",
        type: "ints",
        value: Array.from({ length: c }, (_, k) => k),
      },
      { name: "nodes_falsenodeids", type: "ints", value: falseIds },
      { name: "nodes_featureids", type: "ints", value: featureIds },
      { name: "nodes_modes", type: "strings", value: modes },
      { name: "nodes_nodeids", type: "ints", value: nodeIds },
      { name: "nodes_treeids", type: "ints", value: treeIds },
      { name: "nodes_truenodeids", type: "ints", value: trueIds },
      { name: "nodes_values", type: "floats", value: values },
      {
        name: "post_transform",
        type: "string",
        value: model.aggregate === "softmax" ? "SOFTMAX" : "NONE",
      },
    ],
  });
  return output;
}

const TRANS_B: AttributeSpec = { name: "transB", type: "int", value: 1 };
const AXIS_1: AttributeSpec = { name: "axis", type: "int", value: 1 };

/** `softmax(W x + b)` over `input`, W outputs x inputs row-major. */
function gemmSoftmax(
  g: GraphBuilder,
  name: string,
  input: string,
  model: LinearModel,
  output?: string,
): string {
  const { nFeatures: f, nClasses: c } = model;
  check(
    model.weights.length === c * f,
    `${name} has ${model.weights.length} weights for ${c}x${f}`,
  );
  check(model.bias.length === c, `${name} has ${model.bias.length} biases for ${c} classes`);
  const w = g.constant(`${name}_W`, [c, f], model.weights);
  const b = g.constant(`${name}_b`, [c], model.bias);
  const z = g.node("Gemm", `${name}_gemm`, [input, w, b], [TRANS_B]);
  return g.node("Softmax", `${name}_softmax`, [z], [AXIS_1], output);
}

function mlpNodes(g: GraphBuilder, model: MlpModel, output: string): string {
  check(model.layers.length > 0, "the MLP has no layers");
  let x = INPUT_NAME;
  let width = model.nFeatures;
  model.layers.forEach((layer, l) => {
    const last = l === model.layers.length - 1;
    check(layer.inputs === width, `MLP layer ${l} takes ${layer.inputs} inputs, gets ${width}`);
    check(
      layer.weights.length === layer.outputs * layer.inputs && layer.bias.length === layer.outputs,
      `MLP layer ${l} has ${layer.weights.length} weights and ${layer.bias.length} biases ` +
        `for ${layer.outputs}x${layer.inputs}`,
    );
    check(!last || layer.activation === "softmax", "the MLP's last layer is not softmax");
    const w = g.constant(`layer${l}_W`, [layer.outputs, layer.inputs], layer.weights);
    const b = g.constant(`layer${l}_b`, [layer.outputs], layer.bias);
    const z = g.node("Gemm", `layer${l}_gemm`, [x, w, b], [TRANS_B]);
    x = layer.activation === "relu"
      ? g.node("Relu", `layer${l}_relu`, [z], [], last ? output : undefined)
      : g.node("Softmax", `layer${l}_softmax`, [z], [AXIS_1], last ? output : undefined);
    width = layer.outputs;
  });
  check(width === model.nClasses, `the MLP ends with ${width} outputs for ${model.nClasses}`);
  return output;
}

/** One member's nodes, reading "features" and writing probabilities to `output`. */
function memberNodes(g: GraphBuilder, model: MemberModel, output: string): string {
  switch (model.kind) {
    case "trees":
      return treesNode(g, model, output);
    case "linear":
      return gemmSoftmax(g, "linear", INPUT_NAME, model, output);
    case "mlp":
      return mlpNodes(g, model, output);
  }
}

function combineNodes(
  g: GraphBuilder,
  combiner: Combiner,
  members: readonly string[],
  output: string | undefined,
): string {
  if (combiner.type === "stacking") {
    const meta = combiner.meta;
    check(
      meta.nFeatures === members.length * N_CLASSES,
      `the stacking model reads ${meta.nFeatures} inputs for ${members.length} members`,
    );
    const stacked = g.node("Concat", "stack_concat", members, [AXIS_1]);
    return gemmSoftmax(g, "stack", stacked, meta, output);
  }
  check(
    combiner.weights.length === members.length,
    `the average has ${combiner.weights.length} weights for ${members.length} members`,
  );
  let total = 0;
  for (const w of combiner.weights) total += w;
  check(total > 0, `the average's weights sum to ${total}`);
  const weighted = members.map((m, i) =>
    g.node("Mul", `average_mul_${i}`, [m, g.constant(`average_w_${i}`, [], [combiner.weights[i]])])
  );
  const sum = g.node("Sum", "average_sum", weighted);
  return g.node("Div", "average_div", [sum, g.constant("average_total", [], [total])], [], output);
}

function calibrationNodes(
  g: GraphBuilder,
  calibration: Calibration & { type: "platt" },
  input: string,
  output: string,
): string {
  const c = N_CLASSES;
  check(
    calibration.a.length === c && calibration.b.length === c,
    `Platt calibration has ${calibration.a.length} slopes and ${calibration.b.length} ` +
      `intercepts for ${c} classes`,
  );
  const floor = g.constant("platt_floor", [], [PROBABILITY_FLOOR]);
  const ceiling = g.constant("platt_ceiling", [], [1 - PROBABILITY_FLOOR]);
  const clipped = g.node("Clip", "platt_clip", [input, floor, ceiling]);
  const complement = g.node("Sub", "platt_complement", [g.constant("platt_one", [], [1]), clipped]);
  const logit = g.node("Sub", "platt_logit", [
    g.node("Log", "platt_log", [clipped]),
    g.node("Log", "platt_log_complement", [complement]),
  ]);
  const scaled = g.node("Mul", "platt_mul", [logit, g.constant("platt_a", [c], calibration.a)]);
  const z = g.node("Add", "platt_add", [scaled, g.constant("platt_b", [c], calibration.b)]);
  const q = g.node("Sigmoid", "platt_sigmoid", [z]);
  const sum = g.node("ReduceSum", "platt_sum", [q, g.int64s("platt_axes", [1])], [
    { name: "keepdims", type: "int", value: 1 },
  ]);
  return g.node("Div", "platt_div", [q, sum], [], output);
}

/**
 * The ONNX bytes of `model`, with every entry of `meta` as metadata_props (the caller
 * puts the feature spec hash, class names and model kind there).
 *
 * @example
 * ```ts
 * const bytes = exportOnnx(model, { feature_spec_hash: engine.hash, model_kind: model.kind });
 * ```
 */
export function exportOnnx(model: Model, meta: Readonly<Record<string, string>>): Uint8Array {
  check(model.nClasses === N_CLASSES, `${model.nClasses} classes, expected ${N_CLASSES}`);
  const g = new GraphBuilder("");
  const outputs: ValueInfoSpec[] = [{ name: OUTPUT_NAME, shape: ["N", N_CLASSES] }];
  if (model.kind === "ensemble") {
    check(model.members.length > 0, "the ensemble has no members");
    const members = model.members.map((member, i) => {
      check(
        member.nFeatures === model.nFeatures && member.nClasses === model.nClasses,
        `member ${i} reads ${member.nFeatures} features into ${member.nClasses} classes, ` +
          `the ensemble ${model.nFeatures} into ${model.nClasses}`,
      );
      outputs.push({ name: memberOutputName(i), shape: ["N", N_CLASSES] });
      return memberNodes(g.scoped(`m${i}_`), member, memberOutputName(i));
    });
    const calibration = model.calibration;
    if (calibration.type === "platt") {
      calibrationNodes(
        g,
        calibration,
        combineNodes(g, model.combiner, members, undefined),
        OUTPUT_NAME,
      );
    } else {
      combineNodes(g, model.combiner, members, OUTPUT_NAME);
    }
  } else {
    memberNodes(g, model, OUTPUT_NAME);
  }
  return encodeModel({
    irVersion: IR_VERSION,
    opsets: [{ domain: "", version: OPSET }, { domain: ML_DOMAIN, version: ML_OPSET }],
    producerName: PRODUCER_NAME,
    graph: {
      name: `ai_gold_scalper_${model.kind}`,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: INPUT_NAME, shape: ["N", model.nFeatures] }],
      outputs,
    },
    metadata: meta,
  });
}
